//! **mutex_parking_lot**: the same shape as `mutex`, with
//! `parking_lot::Mutex`: one byte of state, no poisoning, and an adaptive
//! spin before parking. Under contention its waiters queue in a global
//! hash table of parked threads instead of in a futex word, and it hands
//! the lock over fairly now and then ("eventual fairness").

use crate::sync::parking_lot::Mutex;

use crate::ClientId;
use crate::counter::Counter;

// ANCHOR: state
pub struct ParkingLotMutexCounter {
    total: Mutex<u64>,
}
// ANCHOR_END: state

impl Counter for ParkingLotMutexCounter {
    const STYLE: &'static str = "mutex_parking_lot";
    // One lock acquisition per batch, as `mutex`.
    const BATCHES: bool = true;

    fn new(_clients: usize) -> Self {
        ParkingLotMutexCounter {
            total: Mutex::new(0),
        }
    }

    // ANCHOR: add
    async fn add(&self, _client: ClientId, n: u64) {
        let mut total = self.total.lock();
        *total = total.wrapping_add(n);
    }
    // ANCHOR_END: add

    /// The whole batch under one acquisition, as `mutex` does.
    async fn add_many(&self, _client: ClientId, ns: &[u64]) {
        let mut total = self.total.lock();
        for &n in ns {
            *total = total.wrapping_add(n);
        }
    }

    // ANCHOR: get
    async fn get(&self) -> u64 {
        *self.total.lock()
    }
    // ANCHOR_END: get
}
