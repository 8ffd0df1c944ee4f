//! **actor**: one owner thread holds the map; nobody else can touch it.
//! Clients send each operation into its bounded inbox (the facade
//! `BoundedQueue`) and wait on their thread's reply queue.
//!
//! No lock protects the map, and the owner's core keeps the whole table in
//! its cache: a probe never misses on a line another core wrote. The price
//! is a round trip between threads per operation, and one core's worth of
//! throughput for everyone. An actor wins when the work per operation is
//! large next to the round trip, or when the state must not be shared at
//! all; on a map probe of a few tens of nanoseconds, it loses to locks.
//!
//! Drop: the inbox is closed, the owner drains it, exits, and is joined.

use crate::Helpers;
use crate::kv::{Map, Op, Session, SessionId, SessionStore, filled_map, serve};
use crate::primitives::BoundedQueue;
use crate::primitives::INBOX_CAPACITY;
use crate::primitives::reply::this_thread_reply_queue;
use crate::sync::{Arc, JoinHandle, spawn};

// ANCHOR: state
pub struct ActorStore {
    inbox: Arc<BoundedQueue<Request>>,
    owner: Option<JoinHandle<()>>,
}

pub(crate) type Reply = Arc<BoundedQueue<Option<Session>>>;

pub(crate) struct Request {
    pub(crate) op: Op,
    pub(crate) reply: Reply,
}
// ANCHOR_END: state

// ANCHOR: owner
/// The owner's loop, shared with `sharded_actor`, whose owners each run it
/// over their own part of the keys.
pub(crate) fn run_owner(mut map: Map, inbox: &BoundedQueue<Request>) {
    while let Some(Request { op, reply }) = inbox.pop() {
        // A reply queue never fills: its client waits for each answer.
        let _ = reply.push(serve(&mut map, op));
    }
}
// ANCHOR_END: owner

/// Sends `op` to `inbox` and waits for the answer on this thread's reply
/// queue.
pub(crate) fn ask(inbox: &BoundedQueue<Request>, op: Op) -> Option<Session> {
    let reply = this_thread_reply_queue::<Option<Session>>();
    if inbox
        .push(Request {
            op,
            reply: Arc::clone(&reply),
        })
        .is_err()
    {
        unreachable!("an inbox closes only in drop, after every caller");
    }
    reply.pop().expect("reply queues are never closed")
}

impl SessionStore for ActorStore {
    const STYLE: &'static str = "actor";
    // Busy besides its callers: the owner thread.
    const HELPERS: Helpers = Helpers::Threads(|_| 1);

    fn with_sessions(capacity: usize, initial: &[(SessionId, Session)]) -> Self {
        let inbox = Arc::new(BoundedQueue::new(INBOX_CAPACITY));
        let owner = spawn({
            let (inbox, map) = (Arc::clone(&inbox), filled_map(capacity, initial));
            move || run_owner(map, &inbox)
        });
        ActorStore {
            inbox,
            owner: Some(owner),
        }
    }

    async fn get(&self, id: SessionId) -> Option<Session> {
        ask(&self.inbox, Op::Get(id))
    }

    async fn insert(&self, id: SessionId, session: Session) -> Option<Session> {
        ask(&self.inbox, Op::Insert(id, session))
    }

    async fn remove(&self, id: SessionId) -> Option<Session> {
        ask(&self.inbox, Op::Remove(id))
    }

    async fn update(&self, id: SessionId, hits: u64) -> Option<Session> {
        ask(&self.inbox, Op::Update(id, hits))
    }
}

impl Drop for ActorStore {
    fn drop(&mut self) {
        self.inbox.close();
        if let Some(owner) = self.owner.take() {
            let _ = owner.join();
        }
    }
}
