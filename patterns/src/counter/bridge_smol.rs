//! **bridge_smol**: each operation runs on the `blocking` crate's
//! process-wide pool through `smol::unblock`, the twin of
//! `bridge_async_std` under async-std's successor (both are that one pool;
//! they differ only in the future that awaits it). `unblock` returns a
//! plain future, so it works under any executor or none.
//!
//! The pool is global, not ours: dropping the counter has no thread to join.

use crate::ClientId;
use crate::Helpers;
use crate::counter::Counter;
use crate::sync::{Arc, AtomicU64, Ordering::Relaxed};

// ANCHOR: state
pub struct SmolBridgeCounter {
    total: Arc<AtomicU64>,
}
// ANCHOR_END: state

impl Counter for SmolBridgeCounter {
    const STYLE: &'static str = "bridge_smol";
    // Busy besides its callers: a blocking-pool thread for every operation in flight.
    const HELPERS: Helpers = Helpers::PerCall;
    // `smol::unblock` runs on the `blocking` crate's process-wide pool,
    // not ours to join.
    const JOINS_ITS_THREADS: bool = false;

    fn new(_clients: usize) -> Self {
        SmolBridgeCounter {
            total: Arc::new(AtomicU64::new(0)),
        }
    }

    // ANCHOR: add
    async fn add(&self, _client: ClientId, n: u64) {
        let total = Arc::clone(&self.total);
        // Relaxed: the pool's hand-off orders the work with the caller.
        smol::unblock(move || total.fetch_add(n, Relaxed)).await;
    }
    // ANCHOR_END: add

    async fn get(&self) -> u64 {
        let total = Arc::clone(&self.total);
        smol::unblock(move || total.load(Relaxed)).await
    }
}
