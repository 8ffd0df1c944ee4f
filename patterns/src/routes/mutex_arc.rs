//! **mutex_arc**: a `Mutex` around an `Arc` of the table, cloned out. A
//! read locks just long enough to clone the `Arc` (one reference-count
//! increment), unlocks, and reads the table it now owns a share of for as
//! long as it likes; `replace` locks just long enough to swap the `Arc`.
//! The old table lives on until its last reader drops its clone, so a long
//! scan never holds a writer up, and a writer never holds up a reader for
//! longer than a pointer swap. It is read-copy-update done with a lock and
//! a reference count.
//!
//! What a read costs: the lock's two atomic operations, the count's
//! increment, and its decrement when the clone is dropped: four writes to
//! two shared cache lines (the lock's and the `Arc`'s counts), whatever the
//! read does after. So it is the dearest of the styles on a route and
//! among the cheapest on a scan, where what matters is that no reader
//! holds anything while it walks. Readers that clone on every request
//! share one reference count; a reader that keeps its clone across
//! requests and refreshes it now and then (not done here: it weakens the
//! contract to "a recent table") pays nothing per request.

use crate::routes::{Route, RouteTable, Scan, Table};
use crate::sync::{Arc, Mutex, lock};

// ANCHOR: state
pub struct MutexArcTable {
    table: Mutex<Arc<Table>>,
}
// ANCHOR_END: state

impl MutexArcTable {
    /// The current table: a share of it, taken under the lock.
    fn current(&self) -> Arc<Table> {
        Arc::clone(&lock(&self.table))
    }
}

impl RouteTable for MutexArcTable {
    const STYLE: &'static str = "mutex_arc";

    fn new(table: Table) -> Self {
        MutexArcTable {
            table: Mutex::new(Arc::new(table)),
        }
    }

    // ANCHOR: ops
    async fn route(&self, key: u64) -> Route {
        self.current().route(key)
    }

    async fn scan(&self) -> Scan {
        self.current().scan()
    }

    async fn replace(&self, table: Table) {
        let new = Arc::new(table);
        // The old share is dropped after the lock is released: if it was
        // the last one, freeing the table happens outside the lock.
        let old = std::mem::replace(&mut *lock(&self.table), new);
        drop(old);
    }
    // ANCHOR_END: ops
}
