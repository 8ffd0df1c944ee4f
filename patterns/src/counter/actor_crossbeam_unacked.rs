//! **actor_crossbeam_unacked**: the crossbeam actor, with adds that are
//! not acknowledged. `add` puts its request in the owner's inbox and
//! returns; only `get` waits for an answer. One owner thread holds the
//! total and drains the inbox in whatever batches have queued up.
//!
//! Why the contract still holds. The inbox is one FIFO queue that every
//! client writes into: a send that has returned holds an earlier slot than
//! any send that starts after it (crossbeam's bounded channel claims its
//! slot inside `send`), and the owner serves slots in order. So a `get`
//! that starts after an `add` returned is queued behind that add, and the
//! owner applies the add before it answers the get: "any get that starts
//! afterwards counts it", with no reply for the add. The histories stay
//! linearizable, the enqueue being each add's point. What a caller gives
//! up is the moment of application: the add has been *ordered* when it
//! returns, not yet applied, so a reader that does not go through the
//! same inbox (there is none here) could miss it. It is the shape of a
//! log or a metrics sink: writers fire and forget, readers ask the owner.
//!
//! What it costs: an add is one send into a bounded channel, no round
//! trip, no wake-up of the caller; the owner's thread does the additions
//! while the clients go on. A `get` waits behind every add queued before
//! it.
//!
//! Full inbox: `send` blocks the client until the owner catches up
//! (backpressure, so a fast writer cannot queue without bound).
//! Drop: the inbox sender is dropped; the owner applies every add still
//! queued, sees the channel disconnect, exits, and is joined.

use crossbeam_channel::{Receiver, Sender, bounded};

use crate::ClientId;
use crate::Helpers;
use crate::counter::Counter;
use crate::primitives::INBOX_CAPACITY;
use crate::sync::{JoinHandle, spawn, thread_local};

// ANCHOR: state
pub struct UnackedCrossbeamActorCounter {
    inbox: Option<Sender<Request>>,
    owner: Option<JoinHandle<()>>,
}

enum Request {
    /// No reply: the add is ordered once it is queued.
    Add {
        n: u64,
    },
    Get {
        reply: Sender<u64>,
    },
}

thread_local! {
    /// This thread's reply channel for gets (one in flight at a time).
    static REPLY: (Sender<u64>, Receiver<u64>) = bounded(1);
}
// ANCHOR_END: state

// ANCHOR: owner
fn run_owner(inbox: Receiver<Request>) {
    let mut total: u64 = 0;
    for request in inbox {
        match request {
            Request::Add { n } => total = total.wrapping_add(n),
            Request::Get { reply } => {
                let _ = reply.send(total);
            }
        }
    }
}
// ANCHOR_END: owner

impl UnackedCrossbeamActorCounter {
    fn inbox(&self) -> &Sender<Request> {
        self.inbox.as_ref().expect("present until drop")
    }
}

impl Counter for UnackedCrossbeamActorCounter {
    const STYLE: &'static str = "actor_crossbeam_unacked";
    // Busy besides its callers: the owner thread.
    const HELPERS: Helpers = Helpers::Threads(|_| 1);

    fn new(_clients: usize) -> Self {
        let (inbox, requests) = bounded(INBOX_CAPACITY);
        let owner = spawn(move || run_owner(requests));
        UnackedCrossbeamActorCounter {
            inbox: Some(inbox),
            owner: Some(owner),
        }
    }

    // ANCHOR: add
    async fn add(&self, _client: ClientId, n: u64) {
        self.inbox()
            .send(Request::Add { n })
            .expect("the owner runs until drop");
    }
    // ANCHOR_END: add

    // ANCHOR: get
    async fn get(&self) -> u64 {
        REPLY.with(|(reply_to, replies)| {
            self.inbox()
                .send(Request::Get {
                    reply: reply_to.clone(),
                })
                .expect("the owner runs until drop");
            replies.recv().expect("the owner answers every request")
        })
    }
    // ANCHOR_END: get
}

impl Drop for UnackedCrossbeamActorCounter {
    fn drop(&mut self) {
        drop(self.inbox.take()); // disconnects once drained: the owner's loop ends
        if let Some(owner) = self.owner.take() {
            let _ = owner.join();
        }
    }
}
