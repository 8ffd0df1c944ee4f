//! **racy** (broken on purpose): the `rwlock` store with `update` written
//! as a `get` followed by an `insert`, two critical sections instead of
//! one. Another client's update can land between them and is then
//! overwritten: the lost write of every check-then-act on a shared map.
//! Each step is locked; the read-modify-write is not. Everything but
//! `update` is `rwlock`'s own code, so the split is the only difference.
//! Caught by loom and the stress test; never benchmarked.

use crate::kv::rwlock::RwLockStore;
use crate::kv::{Session, SessionId, SessionStore, apply_update};

pub struct RacyStore {
    store: RwLockStore,
}

impl SessionStore for RacyStore {
    const STYLE: &'static str = "racy";

    fn with_sessions(capacity: usize, initial: &[(SessionId, Session)]) -> Self {
        RacyStore {
            store: RwLockStore::with_sessions(capacity, initial),
        }
    }

    async fn get(&self, id: SessionId) -> Option<Session> {
        self.store.get(id).await
    }

    async fn insert(&self, id: SessionId, session: Session) -> Option<Session> {
        self.store.insert(id, session).await
    }

    async fn remove(&self, id: SessionId) -> Option<Session> {
        self.store.remove(id).await
    }

    // ANCHOR: update
    async fn update(&self, id: SessionId, hits: u64) -> Option<Session> {
        // BUG: the lock is released between the read and the write; an
        // update by another client in between is overwritten.
        let mut session = self.store.get(id).await?;
        let updated = apply_update(&mut session, hits);
        self.store.insert(id, updated).await;
        Some(updated)
    }
    // ANCHOR_END: update
}
