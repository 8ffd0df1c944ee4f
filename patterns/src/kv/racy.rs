//! **racy** (broken on purpose): the `rwlock` store with `update` written
//! as a `get` followed by an `insert`, two critical sections instead of
//! one. Another client's update can land between them and is then
//! overwritten: the lost write of every check-then-act on a shared map.
//! Each step is locked; the read-modify-write is not. Caught by loom and
//! the stress test; never benchmarked.

use crate::kv::{Map, Session, SessionId, SessionStore, apply_update, filled_map};
use crate::sync::{RwLock, read, write};

pub struct RacyStore {
    map: RwLock<Map>,
}

impl SessionStore for RacyStore {
    const STYLE: &'static str = "racy";

    fn with_sessions(capacity: usize, initial: &[(SessionId, Session)]) -> Self {
        RacyStore {
            map: RwLock::new(filled_map(capacity, initial)),
        }
    }

    async fn get(&self, id: SessionId) -> Option<Session> {
        read(&self.map).get(&id).copied()
    }

    async fn insert(&self, id: SessionId, session: Session) -> Option<Session> {
        write(&self.map).insert(id, session)
    }

    async fn remove(&self, id: SessionId) -> Option<Session> {
        write(&self.map).remove(&id)
    }

    // ANCHOR: update
    async fn update(&self, id: SessionId, hits: u64) -> Option<Session> {
        // BUG: the lock is released between the read and the write; an
        // update by another client in between is overwritten.
        let mut session = self.get(id).await?;
        let updated = apply_update(&mut session, hits);
        self.insert(id, updated).await;
        Some(updated)
    }
    // ANCHOR_END: update
}
