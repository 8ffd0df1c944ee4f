//! **actor**: one owner thread holds the total as a plain `u64`; nobody else
//! can touch it. Clients send requests into its bounded inbox (the facade
//! [`BoundedQueue`]) and wait on their thread's reply queue for the answer.
//! Nothing is shared but the queues.
//!
//! Every request is a round trip between two threads: the client wakes the
//! owner, the owner wakes the client. When either is asleep that is a futex
//! wake-up and a context switch each way, microseconds rather than the
//! nanoseconds of the addition. Concurrent clients queue up behind the one
//! owner, so throughput is bounded by how fast one thread can receive.
//!
//! Full inbox: `add` and `get` block until the owner catches up.
//! Drop: the inbox is closed, the owner drains it, exits, and is joined.

use crate::ClientId;
use crate::Helpers;
use crate::counter::Counter;
use crate::primitives::BoundedQueue;
use crate::primitives::INBOX_CAPACITY;
use crate::primitives::reply::{ReplyTo, with_this_thread_reply_queue};
use crate::sync::{Arc, JoinHandle, spawn};

// ANCHOR: state
pub struct ActorCounter {
    inbox: Arc<BoundedQueue<Request>>,
    owner: Option<JoinHandle<()>>,
}

enum Request {
    Add { n: u64, reply: ReplyTo },
    Get { reply: ReplyTo },
}
// ANCHOR_END: state

// ANCHOR: owner
fn run_owner(inbox: &BoundedQueue<Request>) {
    let mut total: u64 = 0;
    while let Some(request) = inbox.pop() {
        // A reply queue never fills: its client waits for each answer before
        // asking again, and it has room for more than one.
        match request {
            Request::Add { n, reply } => {
                total = total.wrapping_add(n);
                let _ = reply.push(0); // the acknowledgement
            }
            Request::Get { reply } => {
                let _ = reply.push(total);
            }
        }
    }
}
// ANCHOR_END: owner

impl ActorCounter {
    fn ask(&self, request: impl FnOnce(ReplyTo) -> Request) -> u64 {
        with_this_thread_reply_queue(|reply| {
            if self.inbox.push(request(Arc::clone(reply))).is_err() {
                unreachable!("the inbox closes only in drop, after every caller");
            }
            reply.pop().expect("reply queues are never closed")
        })
    }
}

impl Counter for ActorCounter {
    const STYLE: &'static str = "actor";
    // Busy besides its callers: the owner thread.
    const HELPERS: Helpers = Helpers::Threads(|_| 1);

    fn new(_clients: usize) -> Self {
        let inbox = Arc::new(BoundedQueue::new(INBOX_CAPACITY));
        let owner = spawn({
            let inbox = Arc::clone(&inbox);
            move || run_owner(&inbox)
        });
        ActorCounter {
            inbox,
            owner: Some(owner),
        }
    }

    // ANCHOR: add
    async fn add(&self, _client: ClientId, n: u64) {
        self.ask(|reply| Request::Add { n, reply });
    }
    // ANCHOR_END: add

    // ANCHOR: get
    async fn get(&self) -> u64 {
        self.ask(|reply| Request::Get { reply })
    }
    // ANCHOR_END: get
}

impl Drop for ActorCounter {
    fn drop(&mut self) {
        self.inbox.close();
        if let Some(owner) = self.owner.take() {
            let _ = owner.join();
        }
    }
}
