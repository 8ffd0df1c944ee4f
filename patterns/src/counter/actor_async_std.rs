//! **actor_async_std**: the seed's actor as written there, on async-std: the
//! owner is a task on async-std's global executor, receiving from a bounded
//! `async_std::channel`; each request carries a `bounded(1)` channel for the
//! answer (async-std has no oneshot; this is what its users write).
//!
//! async-std is discontinued upstream (RUSTSEC-2025-0052); it stays because
//! existing code uses it. `actor_smol` shows the same actor on smol, its
//! successor, whose channel is the same `async-channel` crate.
//!
//! The global executor is not ours, so drop cannot join its threads; it
//! closes the inbox and waits for the owner task itself to finish.
//!
//! Full inbox: `send(...).await` suspends the client until there is room.

use async_std::channel::{Receiver, Sender, bounded};
use async_std::task;

use crate::ClientId;
use crate::Helpers;
use crate::counter::Counter;
use crate::primitives::INBOX_CAPACITY;

// ANCHOR: state
pub struct AsyncStdActorCounter {
    inbox: Sender<Request>,
    owner: Option<task::JoinHandle<()>>,
}

enum Request {
    Add { n: u64, reply: Sender<()> },
    Get { reply: Sender<u64> },
}
// ANCHOR_END: state

// ANCHOR: owner
async fn run_owner(inbox: Receiver<Request>) {
    let mut total: u64 = 0;
    while let Ok(request) = inbox.recv().await {
        // `try_send` never waits: each reply channel has room for its one
        // answer.
        match request {
            Request::Add { n, reply } => {
                total = total.wrapping_add(n);
                let _ = reply.try_send(());
            }
            Request::Get { reply } => {
                let _ = reply.try_send(total);
            }
        }
    }
}
// ANCHOR_END: owner

impl Counter for AsyncStdActorCounter {
    const STYLE: &'static str = "actor_async_std";
    // Busy besides its callers: the owner task, on async-std's global executor.
    const HELPERS: Helpers = Helpers::Tasks(1);
    // async-std's executor and blocking pool are process-wide, not ours
    // to join; dropping it waits for its own task instead.
    const JOINS_ITS_THREADS: bool = false;

    fn new(_clients: usize) -> Self {
        let (inbox, requests) = bounded(INBOX_CAPACITY);
        let owner = task::spawn(run_owner(requests));
        AsyncStdActorCounter {
            inbox,
            owner: Some(owner),
        }
    }

    // ANCHOR: add
    async fn add(&self, _client: ClientId, n: u64) {
        let (reply, answer) = bounded(1);
        let sent = self.inbox.send(Request::Add { n, reply }).await;
        sent.expect("the owner runs until drop");
        answer
            .recv()
            .await
            .expect("the owner answers every request");
    }
    // ANCHOR_END: add

    // ANCHOR: get
    async fn get(&self) -> u64 {
        let (reply, answer) = bounded(1);
        let sent = self.inbox.send(Request::Get { reply }).await;
        sent.expect("the owner runs until drop");
        answer
            .recv()
            .await
            .expect("the owner answers every request")
    }
    // ANCHOR_END: get
}

impl Drop for AsyncStdActorCounter {
    fn drop(&mut self) {
        self.inbox.close();
        if let Some(owner) = self.owner.take() {
            task::block_on(owner);
        }
    }
}
