//! **actor_smol**: the actor on smol, async-std's successor. smol brings no
//! global runtime you must use, so an application passes its executor to
//! whoever spawns; here that is
//! [`smol_home`](crate::primitives::smol_home): created under the smol
//! driver, the owner is a task on the driver's executor, beside the
//! clients, and a request and its answer are task wake-ups on the same
//! threads. Created anywhere else, it runs under `smol::block_on` on a
//! thread this counter owns, and every request wakes that thread. The
//! owner receives from a bounded `smol::channel` (the `async-channel`
//! crate); each request carries a `bounded(1)` channel for the answer.
//!
//! Full inbox: `send(...).await` suspends the client until there is room.
//! Drop: the inbox is closed, the owner drains it and returns; an owned
//! thread is then joined.

use smol::channel::{Receiver, Sender, bounded};

use crate::ClientId;
use crate::Helpers;
use crate::counter::Counter;
use crate::primitives::INBOX_CAPACITY;
use crate::primitives::smol_home::spawn_owner;
use crate::sync::JoinHandle;

// ANCHOR: state
pub struct SmolActorCounter {
    inbox: Sender<Request>,
    owner: Option<JoinHandle<()>>,
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

impl Counter for SmolActorCounter {
    const STYLE: &'static str = "actor_smol";
    // Busy besides its callers: the owner task, on the ambient smol executor.
    const HELPERS: Helpers = Helpers::Tasks(1);

    // ANCHOR: new
    fn new(_clients: usize) -> Self {
        let (inbox, requests) = bounded(INBOX_CAPACITY);
        // A task on the ambient executor, or a thread of its own.
        let owner = spawn_owner(run_owner(requests));
        SmolActorCounter { inbox, owner }
    }
    // ANCHOR_END: new

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

impl Drop for SmolActorCounter {
    fn drop(&mut self) {
        self.inbox.close();
        if let Some(owner) = self.owner.take() {
            let _ = owner.join();
        }
    }
}
