//! **bridge_async_std**: each operation runs on async-std's blocking pool
//! through `async_std::task::spawn_blocking` (the `blocking` crate's pool,
//! shared by the whole process; its idle threads linger about a second).
//! async-std is discontinued upstream (RUSTSEC-2025-0052); smol's
//! `blocking::unblock` is the same pool under its successor's name.
//!
//! The pool is global, not ours: dropping the counter has no thread to join.

use async_std::task;

use crate::ClientId;
use crate::Helpers;
use crate::counter::Counter;
use crate::sync::{Arc, AtomicU64, Ordering::Relaxed};

// ANCHOR: state
pub struct AsyncStdBridgeCounter {
    total: Arc<AtomicU64>,
}
// ANCHOR_END: state

impl Counter for AsyncStdBridgeCounter {
    const STYLE: &'static str = "bridge_async_std";
    // Busy besides its callers: a blocking-pool thread for every operation in flight.
    const HELPERS: Helpers = Helpers::PerCall;
    // async-std's executor and blocking pool are process-wide, not ours
    // to join; dropping it waits for its own task instead.
    const JOINS_ITS_THREADS: bool = false;

    fn new(_clients: usize) -> Self {
        AsyncStdBridgeCounter {
            total: Arc::new(AtomicU64::new(0)),
        }
    }

    // ANCHOR: add
    async fn add(&self, _client: ClientId, n: u64) {
        let total = Arc::clone(&self.total);
        // Relaxed: the pool's hand-off orders the work with the caller.
        task::spawn_blocking(move || total.fetch_add(n, Relaxed)).await;
    }
    // ANCHOR_END: add

    // ANCHOR: get
    async fn get(&self) -> u64 {
        let total = Arc::clone(&self.total);
        task::spawn_blocking(move || total.load(Relaxed)).await
    }
    // ANCHOR_END: get
}
