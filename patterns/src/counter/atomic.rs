// ANCHOR: whole
//! **atomic**: the total is one `AtomicU64`; nobody owns it, nothing waits.
//! `add` is a single `fetch_add` (one `lock xadd` on x86), so its cost is the
//! hardware's: a few nanoseconds alone, and the cache-line ping-pong between
//! cores when clients add at once.

use crate::ClientId;
use crate::counter::{Counter, batch_sum};
use crate::sync::{AtomicU64, Ordering::Relaxed};

// ANCHOR: state
pub struct AtomicCounter {
    total: AtomicU64,
}
// ANCHOR_END: state

impl Counter for AtomicCounter {
    const STYLE: &'static str = "atomic";
    // A batch is one `fetch_add` of its sum.
    const BATCHES: bool = true;

    fn new(_clients: usize) -> Self {
        AtomicCounter {
            total: AtomicU64::new(0),
        }
    }

    // ANCHOR: add
    async fn add(&self, _client: ClientId, n: u64) {
        // Relaxed: the counter publishes no other memory, so no ordering with
        // other locations is needed. The read-modify-write is atomic at any
        // ordering, so no addition is lost, and coherence makes a later `get`
        // (one that happens-after this add) see it.
        self.total.fetch_add(n, Relaxed);
    }
    // ANCHOR_END: add

    /// One `fetch_add` of the batch's sum: a counter's elements commute, so
    /// the batch needs one read-modify-write, not one per element.
    async fn add_many(&self, _client: ClientId, ns: &[u64]) {
        self.total.fetch_add(batch_sum(ns), Relaxed);
    }

    // ANCHOR: get
    async fn get(&self) -> u64 {
        // Relaxed: see `add`; coherence alone gives the contract.
        self.total.load(Relaxed)
    }
    // ANCHOR_END: get
}
// ANCHOR_END: whole
