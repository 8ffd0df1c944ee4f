//! **mutex_tokio**: the total behind `tokio::sync::Mutex`, whose `lock()` is
//! a future: a contended client yields to its executor instead of blocking
//! its thread. It is built on a fair (FIFO) semaphore, which makes every
//! lock cost more than a std mutex.
//!
//! It exists here to show that cost. Tokio's own advice is to use a std or
//! parking_lot mutex unless the guard must be held across an `.await`; a
//! one-addition critical section never is.

use crate::sync::tokio::sync::Mutex;

use crate::ClientId;
use crate::counter::Counter;

// ANCHOR: state
pub struct TokioMutexCounter {
    total: Mutex<u64>,
}
// ANCHOR_END: state

impl Counter for TokioMutexCounter {
    const STYLE: &'static str = "mutex_tokio";
    // One acquisition (one semaphore permit) per batch, as `mutex`.
    const BATCHES: bool = true;

    fn new(_clients: usize) -> Self {
        TokioMutexCounter {
            total: Mutex::new(0),
        }
    }

    // ANCHOR: add
    async fn add(&self, _client: ClientId, n: u64) {
        let mut total = self.total.lock().await;
        *total = total.wrapping_add(n);
    }
    // ANCHOR_END: add

    /// The whole batch under one acquisition, as `mutex` does.
    async fn add_many(&self, _client: ClientId, ns: &[u64]) {
        let mut total = self.total.lock().await;
        for &n in ns {
            *total = total.wrapping_add(n);
        }
    }

    // ANCHOR: get
    async fn get(&self) -> u64 {
        *self.total.lock().await
    }
    // ANCHOR_END: get
}
