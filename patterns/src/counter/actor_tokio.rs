//! **actor_tokio**: the owner is a tokio task; it holds the total and
//! receives from a bounded `tokio::sync::mpsc` inbox. Each request carries a
//! `oneshot` sender for the answer. Clients *await* the answer instead of
//! blocking a thread, so thousands of them can wait on a few threads.
//!
//! Where the task runs: if the counter is created inside a tokio runtime,
//! the owner is spawned on that runtime, beside its clients, as an
//! application would do it; a request and its answer are then task wake-ups
//! on the same worker threads, with no OS thread to wake. Created anywhere
//! else (under the thread driver, say), the counter owns a current-thread
//! runtime on a thread of its own, and every request wakes that thread.
//!
//! The `oneshot` per request is one small allocation. It cannot be reused
//! the way the blocking actors reuse a per-thread channel: an async caller
//! may be cancelled mid-request, and a reused channel would then hand its
//! late answer to the next request.
//!
//! Full inbox: `send(...).await` suspends the client until there is room.
//! Drop: the inbox sender is dropped, the task's `recv` returns `None` once
//! drained; an owned runtime's thread then returns and is joined.

use crate::Helpers;
use crate::sync::tokio::sync::{mpsc, oneshot};

use crate::ClientId;
use crate::counter::{Counter, batch_sum};
use crate::primitives::INBOX_CAPACITY;
use crate::primitives::tokio_home::spawn_owner;
use crate::sync::JoinHandle;

// ANCHOR: state
pub struct TokioActorCounter {
    inbox: Option<mpsc::Sender<Request>>,
    /// The runtime thread, when the counter had to bring its own.
    owner: Option<JoinHandle<()>>,
}

pub(crate) enum Request {
    Add { n: u64, reply: oneshot::Sender<()> },
    Get { reply: oneshot::Sender<u64> },
}
// ANCHOR_END: state

// ANCHOR: owner
async fn run_owner(mut inbox: mpsc::Receiver<Request>) {
    let mut total: u64 = 0;
    while let Some(request) = inbox.recv().await {
        serve(&mut total, request);
    }
}

/// Applies one request to the total and answers it.
pub(crate) fn serve(total: &mut u64, request: Request) {
    match request {
        Request::Add { n, reply } => {
            *total = total.wrapping_add(n);
            let _ = reply.send(()); // the client may have gone: fine
        }
        Request::Get { reply } => {
            let _ = reply.send(*total);
        }
    }
}
// ANCHOR_END: owner

impl TokioActorCounter {
    /// A counter whose requests `owner` serves (`actor_tokio_batched`
    /// brings an owner of its own to the same clients).
    pub(crate) fn with_owner<F>(owner: impl FnOnce(mpsc::Receiver<Request>) -> F) -> Self
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        let (inbox, requests) = mpsc::channel(INBOX_CAPACITY);
        // On the ambient runtime, or a runtime thread of its own: see
        // `spawn_owner`. The task ends by itself once the inbox closes.
        let owner = spawn_owner(owner(requests));
        TokioActorCounter {
            inbox: Some(inbox),
            owner,
        }
    }

    fn inbox(&self) -> &mpsc::Sender<Request> {
        self.inbox.as_ref().expect("present until drop")
    }
}

impl Counter for TokioActorCounter {
    const STYLE: &'static str = "actor_tokio";
    // Busy besides its callers: the owner task, on the ambient tokio runtime.
    const HELPERS: Helpers = Helpers::Tasks(1);
    // A batch is one request carrying its sum: one round trip.
    const BATCHES: bool = true;

    fn new(_clients: usize) -> Self {
        TokioActorCounter::with_owner(run_owner)
    }

    // ANCHOR: add
    async fn add(&self, _client: ClientId, n: u64) {
        let (reply, answer) = oneshot::channel();
        let sent = self.inbox().send(Request::Add { n, reply }).await;
        sent.expect("the owner runs until drop");
        answer.await.expect("the owner answers every request");
    }
    // ANCHOR_END: add

    /// One round trip for the batch: the request carries its sum.
    async fn add_many(&self, client: ClientId, ns: &[u64]) {
        self.add(client, batch_sum(ns)).await;
    }

    // ANCHOR: get
    async fn get(&self) -> u64 {
        let (reply, answer) = oneshot::channel();
        let sent = self.inbox().send(Request::Get { reply }).await;
        sent.expect("the owner runs until drop");
        answer.await.expect("the owner answers every request")
    }
    // ANCHOR_END: get
}

impl Drop for TokioActorCounter {
    fn drop(&mut self) {
        drop(self.inbox.take());
        if let Some(owner) = self.owner.take() {
            let _ = owner.join();
        }
    }
}
