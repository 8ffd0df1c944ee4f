//! **dashmap**: `dashmap::DashMap`, a concurrent map that shards a
//! hashbrown table under one `RwLock` per shard (by default four shards
//! per core, rounded up to a power of two). `get` takes a shard's read
//! lock, everything else its write lock; `update` is a `get_mut`, one write
//! lock held across the read-modify-write. Same hasher as every other
//! style.
//!
//! Guards returned by DashMap hold the shard lock: holding one across an
//! `.await` or while touching another key of the same shard can deadlock.
//! Every operation here copies the value out and drops the guard at once.

use crate::sync::dashmap::DashMap;

#[cfg(not(workbench_shuttle))]
use crate::kv::Hasher;
use crate::kv::{Session, SessionId, SessionStore, apply_update};

// ANCHOR: state
pub struct DashMapStore {
    map: Shards,
}
// ANCHOR_END: state

#[cfg(not(workbench_shuttle))]
type Shards = DashMap<SessionId, Session, Hasher>;

#[cfg(not(workbench_shuttle))]
fn shards(capacity: usize) -> Shards {
    DashMap::with_capacity_and_hasher(capacity, Hasher::default())
}

// shuttle's stand-in is one RwLock over a HashMap and takes no hasher: it
// checks how this style uses DashMap's API (one call per operation), not
// dashmap's own shard locking.
#[cfg(workbench_shuttle)]
type Shards = DashMap<SessionId, Session>;

#[cfg(workbench_shuttle)]
fn shards(capacity: usize) -> Shards {
    DashMap::with_capacity(capacity)
}

impl SessionStore for DashMapStore {
    const STYLE: &'static str = "dashmap";

    fn with_sessions(capacity: usize, initial: &[(SessionId, Session)]) -> Self {
        let map = shards(capacity.max(initial.len()));
        for &(id, session) in initial {
            map.insert(id, session);
        }
        DashMapStore { map }
    }

    // ANCHOR: ops
    async fn get(&self, id: SessionId) -> Option<Session> {
        self.map.get(&id).map(|session| *session)
    }

    async fn insert(&self, id: SessionId, session: Session) -> Option<Session> {
        self.map.insert(id, session)
    }

    async fn remove(&self, id: SessionId) -> Option<Session> {
        self.map.remove(&id).map(|(_, session)| session)
    }

    async fn update(&self, id: SessionId, hits: u64) -> Option<Session> {
        self.map
            .get_mut(&id)
            .map(|mut session| apply_update(&mut session, hits))
    }
    // ANCHOR_END: ops
}
