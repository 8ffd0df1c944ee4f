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
    // One lock acquisition per batch: see `add_many`.
    const BATCHES: bool = true;

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

    // ANCHOR: add_many
    /// The whole batch under one acquisition: one lock and one unlock (two
    /// atomic operations, and under contention one hand-over of the lock's
    /// cache line, perhaps a futex wake) for all of it, instead of per
    /// element. The critical section grows by one addition per element.
    async fn add_many(&self, _client: ClientId, ns: &[u64]) {
        let mut total = lock(&self.total);
        for &n in ns {
            *total = total.wrapping_add(n);
        }
    }
    // ANCHOR_END: add_many

    // ANCHOR: get
    async fn get(&self) -> u64 {
        *lock(&self.total)
    }
    // ANCHOR_END: get
}
