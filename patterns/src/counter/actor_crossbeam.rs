//! **actor_crossbeam**: the `actor` style with crossbeam channels. One owner
//! thread holds the total; clients send into its bounded inbox and wait on
//! their thread's reply channel, made once per thread and reused.
//!
//! Crossbeam's channels are lock-free queues whose receivers spin briefly,
//! then yield, then park: a round trip between two busy cores often
//! completes before anyone sleeps, which is why this actor is faster than
//! the facade one built on a `Mutex` and two `Condvar`s.
//!
//! Full inbox: `send` blocks the client until the owner catches up.
//! Drop: the inbox sender is dropped, the owner sees the channel disconnect
//! once drained, exits, and is joined.

use crossbeam_channel::{Receiver, Sender, bounded};

use crate::ClientId;
use crate::Helpers;
use crate::counter::{Counter, batch_sum};
use crate::primitives::INBOX_CAPACITY;
use crate::sync::{JoinHandle, spawn, thread_local};

// ANCHOR: state
pub struct CrossbeamActorCounter {
    inbox: Option<Sender<Request>>,
    owner: Option<JoinHandle<()>>,
}

enum Request {
    Add { n: u64, reply: Sender<u64> },
    Get { reply: Sender<u64> },
}

thread_local! {
    /// This thread's reply channel: a blocking caller has one request in
    /// flight at a time, so one channel serves all of them.
    static REPLY: (Sender<u64>, Receiver<u64>) = bounded(1);
}
// ANCHOR_END: state

// ANCHOR: owner
fn run_owner(inbox: Receiver<Request>) {
    let mut total: u64 = 0;
    for request in inbox {
        match request {
            Request::Add { n, reply } => {
                total = total.wrapping_add(n);
                let _ = reply.send(0);
            }
            Request::Get { reply } => {
                let _ = reply.send(total);
            }
        }
    }
}
// ANCHOR_END: owner

impl CrossbeamActorCounter {
    fn ask(&self, request: impl FnOnce(Sender<u64>) -> Request) -> u64 {
        let inbox = self.inbox.as_ref().expect("present until drop");
        REPLY.with(|(reply_to, replies)| {
            inbox
                .send(request(reply_to.clone()))
                .expect("the owner runs until drop");
            replies.recv().expect("the owner answers every request")
        })
    }
}

impl Counter for CrossbeamActorCounter {
    const STYLE: &'static str = "actor_crossbeam";
    // Busy besides its callers: the owner thread.
    const HELPERS: Helpers = Helpers::Threads(|_| 1);
    // A batch is one request carrying its sum: one round trip.
    const BATCHES: bool = true;

    fn new(_clients: usize) -> Self {
        let (inbox, requests) = bounded(INBOX_CAPACITY);
        let owner = spawn(move || run_owner(requests));
        CrossbeamActorCounter {
            inbox: Some(inbox),
            owner: Some(owner),
        }
    }

    // ANCHOR: add
    async fn add(&self, _client: ClientId, n: u64) {
        self.ask(|reply| Request::Add { n, reply });
    }
    // ANCHOR_END: add

    /// One round trip for the batch: the request carries its sum (the
    /// owner applies it as one addition, so a `get` sees all or none).
    async fn add_many(&self, _client: ClientId, ns: &[u64]) {
        let n = batch_sum(ns);
        self.ask(|reply| Request::Add { n, reply });
    }

    // ANCHOR: get
    async fn get(&self) -> u64 {
        self.ask(|reply| Request::Get { reply })
    }
    // ANCHOR_END: get
}

impl Drop for CrossbeamActorCounter {
    fn drop(&mut self) {
        drop(self.inbox.take()); // disconnects: the owner's loop ends
        if let Some(owner) = self.owner.take() {
            let _ = owner.join();
        }
    }
}
