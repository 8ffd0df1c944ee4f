//! **actor_async_std**: the owner is a task on async-std's global
//! executor, receiving from a bounded `async_std::channel`; each request
//! carries a `bounded(1)` channel for its answer (async-std has no
//! oneshot). async-std is discontinued upstream (see the README); smol's
//! channels are the same crate, `async-channel`.
//!
//! Drop: the inbox is closed, the owner drains it and ends; drop waits for
//! the task.

use async_std::channel::{Receiver, Sender, bounded};
use async_std::task;

use crate::Helpers;
use crate::kv::{Map, Op, Session, SessionId, SessionStore, filled_map, serve};
use crate::primitives::INBOX_CAPACITY;

type Request = (Op, Sender<Option<Session>>);

pub struct AsyncStdActorStore {
    inbox: Sender<Request>,
    owner: Option<task::JoinHandle<()>>,
}

// ANCHOR: owner
async fn run_owner(mut map: Map, inbox: Receiver<Request>) {
    while let Ok((op, reply)) = inbox.recv().await {
        // Never waits: each reply channel has room for its one answer.
        let _ = reply.try_send(serve(&mut map, op));
    }
}
// ANCHOR_END: owner

impl AsyncStdActorStore {
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

impl SessionStore for AsyncStdActorStore {
    const STYLE: &'static str = "actor_async_std";
    // Busy besides its callers: the owner task, on async-std's global executor.
    const HELPERS: Helpers = Helpers::Tasks(1);
    // async-std's executor and blocking pool are process-wide, not ours
    // to join; dropping it waits for its own task instead.
    const JOINS_ITS_THREADS: bool = false;

    fn with_sessions(capacity: usize, initial: &[(SessionId, Session)]) -> Self {
        let (inbox, requests) = bounded(INBOX_CAPACITY);
        let owner = task::spawn(run_owner(filled_map(capacity, initial), requests));
        AsyncStdActorStore {
            inbox,
            owner: Some(owner),
        }
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

impl Drop for AsyncStdActorStore {
    fn drop(&mut self) {
        self.inbox.close();
        if let Some(owner) = self.owner.take() {
            task::block_on(owner);
        }
    }
}
