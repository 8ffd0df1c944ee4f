//! **mutex**: the total lives behind one `Mutex<u64>` (std's, via the
//! facade); the driver shares the counter as `Arc<MutexCounter>`, so this is
//! the `Arc<Mutex<T>>` pattern. Clients wait for the lock, never for another
//! thread's reply.
//!
//! Uncontended, a lock/unlock pair is two atomic operations (~20 ns). When
//! two cores contend, std's futex mutex spins briefly and then sleeps in the
//! kernel, so the waiter pays a system call and a wake-up: the reason a
//! contended mutex is several times slower than an atomic.
//!
//! It is a `std::sync::Mutex`, not an async one, because nothing is awaited
//! while it is held: the critical section is one addition.

use crate::ClientId;
use crate::counter::Counter;
use crate::sync::{Mutex, lock};

// ANCHOR: state
pub struct MutexCounter {
    total: Mutex<u64>,
}
// ANCHOR_END: state

impl Counter for MutexCounter {
    const STYLE: &'static str = "mutex";

    fn new(_clients: usize) -> Self {
        MutexCounter {
            total: Mutex::new(0),
        }
    }

    // ANCHOR: add
    async fn add(&self, _client: ClientId, n: u64) {
        let mut total = lock(&self.total);
        *total = total.wrapping_add(n);
    }
    // ANCHOR_END: add

    // ANCHOR: get
    async fn get(&self) -> u64 {
        *lock(&self.total)
    }
    // ANCHOR_END: get
}
