//! **sharded**: one cell per client, each an atomic on its own cache line
//! (`crossbeam_utils::CachePadded`). A client adds to its own cell, so two
//! clients never write the same cache line and `add` costs what an
//! uncontended `fetch_add` costs. `get` pays instead: it reads and sums every
//! cell.
//!
//! The sum is not a snapshot: an `add` to a cell already read is missed, one
//! to a cell not yet read is counted. The contract allows exactly that (see
//! the module docs); it is the trade Java's `LongAdder` and Linux's per-CPU
//! counters make. Without the padding, neighbouring cells would share a
//! 64-byte line and the cores would fight over it anyway ("false sharing").

use crossbeam_utils::CachePadded;

use crate::ClientId;
use crate::counter::{Counter, batch_sum};
use crate::sync::{AtomicU64, Ordering::Relaxed};

// ANCHOR: state
pub struct ShardedCounter {
    cells: Box<[CachePadded<AtomicU64>]>,
}
// ANCHOR_END: state

impl Counter for ShardedCounter {
    const STYLE: &'static str = "sharded";
    // `get` sums the cells one by one: see the header.
    const LINEARIZABLE: bool = false;
    // A batch is one `fetch_add` of its sum on the client's cell.
    const BATCHES: bool = true;

    fn new(clients: usize) -> Self {
        let cells = (0..clients.max(1))
            .map(|_| CachePadded::new(AtomicU64::new(0)))
            .collect();
        ShardedCounter { cells }
    }

    // ANCHOR: add
    async fn add(&self, client: ClientId, n: u64) {
        // Relaxed: as in `atomic`, each cell publishes nothing else.
        self.cells[client.0 % self.cells.len()].fetch_add(n, Relaxed);
    }
    // ANCHOR_END: add

    /// One `fetch_add` of the batch's sum on the client's own cell.
    async fn add_many(&self, client: ClientId, ns: &[u64]) {
        self.cells[client.0 % self.cells.len()].fetch_add(batch_sum(ns), Relaxed);
    }

    // ANCHOR: get
    async fn get(&self) -> u64 {
        // Relaxed: each load sees at least every add that happened-before
        // this get (coherence), which is all the contract asks.
        self.cells
            .iter()
            .fold(0u64, |sum, cell| sum.wrapping_add(cell.load(Relaxed)))
    }
    // ANCHOR_END: get
}
