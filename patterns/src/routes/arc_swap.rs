//! **arc_swap**: the `arc-swap` crate's `ArcSwap<Table>`, the library
//! answer to `mutex_arc`'s reference count. A read `load`s a guard: instead
//! of incrementing the table's shared count, it records the pointer it
//! took in one of a few per-thread "debt" slots (its own cache line), and
//! the count is paid only if a writer comes along while the guard is held.
//! `replace` stores a new `Arc` and settles the debts of readers still
//! holding the old one, so a writer's cost grows with the readers it
//! meets, and a reader's cost stays a few atomics on lines no other reader
//! writes.
//!
//! What it costs: a read makes no write to any line another core reads,
//! so readers scale as if the table were not shared at all; a guard held
//! across a long scan is the slow path (it keeps a debt slot), which is
//! the one case where `load_full` (a real clone, as `mutex_arc` takes) is
//! no worse. The crate's atomics are its own, not the facade's, so neither
//! loom nor shuttle can check this style; its contract and stress tests
//! still run.

use ::arc_swap::ArcSwap;

use crate::routes::{Route, RouteTable, Scan, Table};
use std::sync::Arc;

// ANCHOR: state
pub struct ArcSwapTable {
    table: ArcSwap<Table>,
}
// ANCHOR_END: state

impl RouteTable for ArcSwapTable {
    const STYLE: &'static str = "arc_swap";

    fn new(table: Table) -> Self {
        ArcSwapTable {
            table: ArcSwap::from_pointee(table),
        }
    }

    // ANCHOR: ops
    async fn route(&self, key: u64) -> Route {
        self.table.load().route(key)
    }

    async fn scan(&self) -> Scan {
        self.table.load().scan()
    }

    async fn replace(&self, table: Table) {
        self.table.store(Arc::new(table));
    }
    // ANCHOR_END: ops
}
