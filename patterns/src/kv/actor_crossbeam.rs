//! **actor_crossbeam**: the `actor` style with crossbeam channels: one
//! owner thread holds the map; clients send into its bounded inbox and wait
//! on their thread's reply channel, made once per thread and reused.
//!
//! Drop: the inbox sender is dropped, the owner sees the channel disconnect
//! once drained, exits, and is joined.

use crossbeam_channel::{Receiver, Sender, bounded};

use crate::Helpers;
use crate::kv::{Map, Op, Session, SessionId, SessionStore, filled_map, serve};
use crate::primitives::INBOX_CAPACITY;
use crate::sync::{JoinHandle, spawn, thread_local};

pub struct CrossbeamActorStore {
    inbox: Option<Sender<(Op, Sender<Option<Session>>)>>,
    owner: Option<JoinHandle<()>>,
}

thread_local! {
    /// This thread's reply channel: a blocking caller has one request in
    /// flight at a time, so one channel serves all of them.
    static REPLY: (Sender<Option<Session>>, Receiver<Option<Session>>) = bounded(1);
}

// ANCHOR: owner
fn run_owner(mut map: Map, inbox: Receiver<(Op, Sender<Option<Session>>)>) {
    for (op, reply) in inbox {
        let _ = reply.send(serve(&mut map, op));
    }
}
// ANCHOR_END: owner

impl CrossbeamActorStore {
    fn ask(&self, op: Op) -> Option<Session> {
        let inbox = self.inbox.as_ref().expect("present until drop");
        REPLY.with(|(reply_to, replies)| {
            inbox
                .send((op, reply_to.clone()))
                .expect("the owner runs until drop");
            replies.recv().expect("the owner answers every request")
        })
    }
}

impl SessionStore for CrossbeamActorStore {
    const STYLE: &'static str = "actor_crossbeam";
    // Busy besides its callers: the owner thread.
    const HELPERS: Helpers = Helpers::Threads(|_| 1);

    fn with_sessions(capacity: usize, initial: &[(SessionId, Session)]) -> Self {
        let (inbox, requests) = bounded(INBOX_CAPACITY);
        let map = filled_map(capacity, initial);
        let owner = spawn(move || run_owner(map, requests));
        CrossbeamActorStore {
            inbox: Some(inbox),
            owner: Some(owner),
        }
    }

    async fn get(&self, id: SessionId) -> Option<Session> {
        self.ask(Op::Get(id))
    }

    async fn insert(&self, id: SessionId, session: Session) -> Option<Session> {
        self.ask(Op::Insert(id, session))
    }

    async fn remove(&self, id: SessionId) -> Option<Session> {
        self.ask(Op::Remove(id))
    }

    async fn update(&self, id: SessionId, hits: u64) -> Option<Session> {
        self.ask(Op::Update(id, hits))
    }
}

impl Drop for CrossbeamActorStore {
    fn drop(&mut self) {
        drop(self.inbox.take()); // disconnects: the owner's loop ends
        if let Some(owner) = self.owner.take() {
            let _ = owner.join();
        }
    }
}
