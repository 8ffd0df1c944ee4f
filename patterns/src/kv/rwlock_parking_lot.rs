//! **rwlock_parking_lot**: the `rwlock` style with `parking_lot::RwLock`,
//! which is task-fair (readers queue behind a waiting writer, so writers
//! are not starved) and one word in size.

use crate::sync::parking_lot::RwLock;

use crate::kv::{Map, Session, SessionId, SessionStore, apply_update, filled_map};

pub struct ParkingLotRwLockStore {
    map: RwLock<Map>,
}

impl SessionStore for ParkingLotRwLockStore {
    const STYLE: &'static str = "rwlock_parking_lot";

    fn with_sessions(capacity: usize, initial: &[(SessionId, Session)]) -> Self {
        ParkingLotRwLockStore {
            map: RwLock::new(filled_map(capacity, initial)),
        }
    }

    // ANCHOR: ops
    async fn get(&self, id: SessionId) -> Option<Session> {
        self.map.read().get(&id).copied()
    }

    async fn insert(&self, id: SessionId, session: Session) -> Option<Session> {
        self.map.write().insert(id, session)
    }

    async fn remove(&self, id: SessionId) -> Option<Session> {
        self.map.write().remove(&id)
    }

    async fn update(&self, id: SessionId, hits: u64) -> Option<Session> {
        self.map.write().get_mut(&id).map(|s| apply_update(s, hits))
    }
    // ANCHOR_END: ops
}
