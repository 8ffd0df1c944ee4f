//! **mutex_parking_lot**: the `mutex` style with `parking_lot::Mutex`.

use crate::sync::parking_lot::Mutex;

use crate::kv::{Map, Session, SessionId, SessionStore, apply_update, filled_map};

pub struct ParkingLotMutexStore {
    map: Mutex<Map>,
}

impl SessionStore for ParkingLotMutexStore {
    const STYLE: &'static str = "mutex_parking_lot";

    fn with_sessions(capacity: usize, initial: &[(SessionId, Session)]) -> Self {
        ParkingLotMutexStore {
            map: Mutex::new(filled_map(capacity, initial)),
        }
    }

    // ANCHOR: ops
    async fn get(&self, id: SessionId) -> Option<Session> {
        self.map.lock().get(&id).copied()
    }

    async fn insert(&self, id: SessionId, session: Session) -> Option<Session> {
        self.map.lock().insert(id, session)
    }

    async fn remove(&self, id: SessionId) -> Option<Session> {
        self.map.lock().remove(&id)
    }

    async fn update(&self, id: SessionId, hits: u64) -> Option<Session> {
        self.map.lock().get_mut(&id).map(|s| apply_update(s, hits))
    }
    // ANCHOR_END: ops
}
