//! **actor_tokio**: the owner is a tokio task holding the map; it receives
//! from a bounded `tokio::sync::mpsc` inbox and answers each request on a
//! `oneshot`. As in the counter, it runs on the runtime it was created in,
//! beside its clients, or on a runtime thread of its own otherwise.
//!
//! Drop: the inbox sender is dropped, the task's `recv` returns `None` once
//! drained; an owned runtime's thread then returns and is joined.

use crate::Helpers;
use crate::sync::tokio::sync::{mpsc, oneshot};

use crate::kv::{Map, Op, Session, SessionId, SessionStore, filled_map, serve};
use crate::primitives::INBOX_CAPACITY;
use crate::primitives::tokio_home::spawn_owner;
use crate::sync::JoinHandle;

type Request = (Op, oneshot::Sender<Option<Session>>);

pub struct TokioActorStore {
    inbox: Option<mpsc::Sender<Request>>,
    /// The runtime thread, when the store had to bring its own.
    owner: Option<JoinHandle<()>>,
}

// ANCHOR: owner
async fn run_owner(mut map: Map, mut inbox: mpsc::Receiver<Request>) {
    while let Some((op, reply)) = inbox.recv().await {
        let _ = reply.send(serve(&mut map, op)); // the client may have gone
    }
}
// ANCHOR_END: owner

impl TokioActorStore {
    async fn ask(&self, op: Op) -> Option<Session> {
        let (reply, answer) = oneshot::channel();
        let inbox = self.inbox.as_ref().expect("present until drop");
        let sent = inbox.send((op, reply)).await;
        sent.unwrap_or_else(|_| unreachable!("the owner runs until drop"));
        answer.await.expect("the owner answers every request")
    }
}

impl SessionStore for TokioActorStore {
    const STYLE: &'static str = "actor_tokio";
    // Busy besides its callers: the owner task, on the ambient tokio runtime.
    const HELPERS: Helpers = Helpers::Tasks(1);

    fn with_sessions(capacity: usize, initial: &[(SessionId, Session)]) -> Self {
        let (inbox, requests) = mpsc::channel(INBOX_CAPACITY);
        let map = filled_map(capacity, initial);
        let owner = spawn_owner(run_owner(map, requests));
        TokioActorStore {
            inbox: Some(inbox),
            owner,
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

impl Drop for TokioActorStore {
    fn drop(&mut self) {
        drop(self.inbox.take());
        if let Some(owner) = self.owner.take() {
            let _ = owner.join();
        }
    }
}
