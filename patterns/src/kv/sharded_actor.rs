//! **sharded_actor**: one owner thread per core, each holding the sessions
//! whose key hashes to it, with an inbox of its own: the worker-pool shape
//! applied to state. A client hashes the key, sends the operation to that
//! key's owner, and waits on its thread's reply queue.
//!
//! Operations on keys of different owners proceed in parallel, and each
//! owner keeps its part of the table in its own core's cache: no line of
//! the map is ever written by two cores. It is still one round trip per
//! operation; what it removes is the single owner as a ceiling.
//!
//! Drop: every inbox is closed, every owner drains its inbox, exits and is
//! joined.

use std::hash::BuildHasher;

use crate::Helpers;
use crate::kv::actor::{Request, ask, run_owner};
use crate::kv::{Hasher, Map, Op, Session, SessionId, SessionStore, new_map, shard_of};
use crate::primitives::BoundedQueue;
use crate::primitives::INBOX_CAPACITY;
use crate::sync::{Arc, JoinHandle, cores, spawn};

// ANCHOR: state
pub struct ShardedActorStore {
    hasher: Hasher,
    inboxes: Box<[Arc<BoundedQueue<Request>>]>,
    owners: Vec<JoinHandle<()>>,
}
// ANCHOR_END: state

impl ShardedActorStore {
    // ANCHOR: route
    fn ask(&self, op: Op) -> Option<Session> {
        let owner = shard_of(self.hasher.hash_one(op.id()), self.inboxes.len());
        ask(&self.inboxes[owner], op)
    }
    // ANCHOR_END: route
}

impl SessionStore for ShardedActorStore {
    const STYLE: &'static str = "sharded_actor";
    // Busy besides its callers: an owner thread per core, at least two (`with_sessions`).
    const HELPERS: Helpers = Helpers::Threads(|_| cores().max(2));

    fn with_sessions(capacity: usize, initial: &[(SessionId, Session)]) -> Self {
        let owners = cores().max(2);
        let hasher = Hasher::default();
        let mut maps: Vec<Map> = (0..owners)
            .map(|_| new_map(capacity.max(initial.len()) / owners + 1))
            .collect();
        for &(id, session) in initial {
            maps[shard_of(hasher.hash_one(id), owners)].insert(id, session);
        }
        let inboxes: Box<[_]> = (0..owners)
            .map(|_| Arc::new(BoundedQueue::new(INBOX_CAPACITY)))
            .collect();
        let handles = inboxes
            .iter()
            .zip(maps)
            .map(|(inbox, map)| {
                let inbox = Arc::clone(inbox);
                spawn(move || run_owner(map, &inbox))
            })
            .collect();
        ShardedActorStore {
            hasher,
            inboxes,
            owners: handles,
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

impl Drop for ShardedActorStore {
    fn drop(&mut self) {
        for inbox in self.inboxes.iter() {
            inbox.close();
        }
        for owner in self.owners.drain(..) {
            let _ = owner.join();
        }
    }
}
