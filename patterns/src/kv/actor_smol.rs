//! **actor_smol**: the owner is a task on smol, async-std's successor,
//! receiving from a bounded `smol::channel` (the `async-channel` crate,
//! the same one async-std re-exports); each request carries a `bounded(1)`
//! channel for its answer. smol has no global runtime, so the owner goes
//! where [`smol_home`](crate::primitives::smol_home) says: on the smol
//! driver's executor when created under it (beside the clients' tasks),
//! else under `smol::block_on` on a thread this store owns.
//!
//! Drop: the inbox is closed, the owner drains it and returns; an owned
//! thread is then joined.

use smol::channel::{Receiver, Sender, bounded};

use crate::Helpers;
use crate::kv::{Map, Op, Session, SessionId, SessionStore, filled_map, serve};
use crate::primitives::INBOX_CAPACITY;
use crate::primitives::smol_home::spawn_owner;
use crate::sync::JoinHandle;

type Request = (Op, Sender<Option<Session>>);

pub struct SmolActorStore {
    inbox: Sender<Request>,
    owner: Option<JoinHandle<()>>,
}

// ANCHOR: owner
async fn run_owner(mut map: Map, inbox: Receiver<Request>) {
    while let Ok((op, reply)) = inbox.recv().await {
        // Never waits: each reply channel has room for its one answer.
        let _ = reply.try_send(serve(&mut map, op));
    }
}
// ANCHOR_END: owner

impl SmolActorStore {
    async fn ask(&self, op: Op) -> Option<Session> {
        let (reply, answer) = bounded(1);
        let sent = self.inbox.send((op, reply)).await;
        sent.expect("the owner runs until drop");
        answer
            .recv()
            .await
            .expect("the owner answers every request")
    }
}

impl SessionStore for SmolActorStore {
    const STYLE: &'static str = "actor_smol";
    // Busy besides its callers: the owner task, on the ambient smol executor.
    const HELPERS: Helpers = Helpers::Tasks(1);

    fn with_sessions(capacity: usize, initial: &[(SessionId, Session)]) -> Self {
        let (inbox, requests) = bounded(INBOX_CAPACITY);
        let owner = spawn_owner(run_owner(filled_map(capacity, initial), requests));
        SmolActorStore { inbox, owner }
    }

    async fn get(&self, id: SessionId) -> Option<Session> {
        self.ask(Op::Get(id)).await
    }

    async fn insert(&self, id: SessionId, session: Session) -> Option<Session> {
        self.ask(Op::Insert(id, session)).await
    }

    async fn remove(&self, id: SessionId) -> Option<Session> {
        self.ask(Op::Remove(id)).await
    }

    async fn update(&self, id: SessionId, hits: u64) -> Option<Session> {
        self.ask(Op::Update(id, hits)).await
    }
}

impl Drop for SmolActorStore {
    fn drop(&mut self) {
        self.inbox.close();
        if let Some(owner) = self.owner.take() {
            let _ = owner.join();
        }
    }
}
