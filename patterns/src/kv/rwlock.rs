//! **rwlock**: the whole map behind one `RwLock` (std's, via the facade):
//! `get` takes it shared, so reads run in parallel; `insert`, `remove` and
//! `update` take it exclusive.
//!
//! The textbook choice for read-heavy data, with a catch that the tables
//! show: taking a read lock is itself a write, an atomic increment and
//! decrement of the reader count, on one cache line shared by every core.
//! Readers never *wait* for each other, but they still pass that line back
//! and forth, so on a short critical section (one hash probe) an `RwLock`
//! costs about what a `Mutex` does. It pays off when reads are long enough
//! that running them in parallel outweighs the line's round trip.

use crate::kv::{Map, Session, SessionId, SessionStore, apply_update, filled_map};
use crate::sync::{RwLock, read, write};

// ANCHOR: state
pub struct RwLockStore {
    map: RwLock<Map>,
}
// ANCHOR_END: state

impl SessionStore for RwLockStore {
    const STYLE: &'static str = "rwlock";

    fn with_sessions(capacity: usize, initial: &[(SessionId, Session)]) -> Self {
        RwLockStore {
            map: RwLock::new(filled_map(capacity, initial)),
        }
    }

    // ANCHOR: ops
    async fn get(&self, id: SessionId) -> Option<Session> {
        read(&self.map).get(&id).copied()
    }

    async fn insert(&self, id: SessionId, session: Session) -> Option<Session> {
        write(&self.map).insert(id, session)
    }

    async fn remove(&self, id: SessionId) -> Option<Session> {
        write(&self.map).remove(&id)
    }

    async fn update(&self, id: SessionId, hits: u64) -> Option<Session> {
        write(&self.map).get_mut(&id).map(|s| apply_update(s, hits))
    }
    // ANCHOR_END: ops
}
