//! **mutex**: the whole map behind one `Mutex` (std's, via the facade).
//! Every operation, a read included, takes the one lock: simple, correct,
//! and a single line of memory that every core writes on every operation.
//! The critical sections are short (one hash-table probe), so the lock is
//! rarely held for long; what costs is the lock word moving between cores.

use crate::kv::{Map, Session, SessionId, SessionStore, apply_update, filled_map};
use crate::sync::{Mutex, lock};

// ANCHOR: state
pub struct MutexStore {
    map: Mutex<Map>,
}
// ANCHOR_END: state

impl SessionStore for MutexStore {
    const STYLE: &'static str = "mutex";

    fn with_sessions(capacity: usize, initial: &[(SessionId, Session)]) -> Self {
        MutexStore {
            map: Mutex::new(filled_map(capacity, initial)),
        }
    }

    // ANCHOR: ops
    async fn get(&self, id: SessionId) -> Option<Session> {
        lock(&self.map).get(&id).copied()
    }

    async fn insert(&self, id: SessionId, session: Session) -> Option<Session> {
        lock(&self.map).insert(id, session)
    }

    async fn remove(&self, id: SessionId) -> Option<Session> {
        lock(&self.map).remove(&id)
    }

    async fn update(&self, id: SessionId, hits: u64) -> Option<Session> {
        lock(&self.map).get_mut(&id).map(|s| apply_update(s, hits))
    }
    // ANCHOR_END: ops
}
