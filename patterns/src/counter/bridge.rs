//! **bridge**: every operation runs on a thread of its own through the
//! seed's `SpawnBlocking` future (see `primitives::spawn_blocking`): the
//! async caller awaits while a new OS thread does the work and wakes it.
//! The total is an atomic shared between those threads.
//!
//! This is the bridge for work that must not run on an async executor
//! (blocking I/O, long computations). For a one-nanosecond addition it is
//! the wrong tool on purpose: every `add` pays a thread spawn and join (tens
//! of microseconds), and the benchmark shows by how much.

use crate::ClientId;
use crate::Helpers;
use crate::counter::Counter;
use crate::primitives::spawn_blocking;
use crate::sync::{Arc, AtomicU64, Ordering::Relaxed};

// ANCHOR: state
pub struct BridgeCounter {
    total: Arc<AtomicU64>,
}
// ANCHOR_END: state

impl Counter for BridgeCounter {
    const STYLE: &'static str = "bridge";
    // Busy besides its callers: a thread spawned for every operation.
    const HELPERS: Helpers = Helpers::PerCall;
    // Every operation is a thread of its own (`spawn_blocking`).
    const THREADS_PER_OPERATION: usize = 1;

    fn new(_clients: usize) -> Self {
        BridgeCounter {
            total: Arc::new(AtomicU64::new(0)),
        }
    }

    // ANCHOR: add
    async fn add(&self, _client: ClientId, n: u64) {
        let total = Arc::clone(&self.total);
        // Relaxed: the spawn and the join already order this thread's work
        // with the caller; the counter publishes nothing else.
        spawn_blocking(move || total.fetch_add(n, Relaxed)).await;
    }
    // ANCHOR_END: add

    // ANCHOR: get
    async fn get(&self) -> u64 {
        let total = Arc::clone(&self.total);
        spawn_blocking(move || total.load(Relaxed)).await
    }
    // ANCHOR_END: get
}
