//! **rwlock**: the table behind one `RwLock` (std's, via the facade), the
//! seed's "one writer, many readers". A read takes the lock shared and
//! reads the table in place, for as long as the read takes; `replace`
//! takes it exclusive and swaps the new table in, built beforehand.
//!
//! What a read costs: taking the lock shared is itself a write (an atomic
//! add to the reader count, and another to leave), on one cache line that
//! every reading core shares. On a route (a few nanoseconds inside) those
//! two round trips of the line are most of the cost, and readers on two
//! cores pass the line between them as a mutex would; on a scan (a
//! microsecond inside) they are amortised and the readers really do run in
//! parallel. What a write costs: it waits for every reader inside to
//! leave, and std's lock then makes new readers wait behind a waiting
//! writer, so a long scan delays the writer and the writer delays every
//! read after it. The old table is dropped after the lock is released, so
//! readers never wait for a free.

use crate::routes::{Route, RouteTable, Scan, Table};
use crate::sync::{RwLock, read, write};

// ANCHOR: state
pub struct RwLockTable {
    table: RwLock<Table>,
}
// ANCHOR_END: state

impl RouteTable for RwLockTable {
    const STYLE: &'static str = "rwlock";

    fn new(table: Table) -> Self {
        RwLockTable {
            table: RwLock::new(table),
        }
    }

    // ANCHOR: ops
    async fn route(&self, key: u64) -> Route {
        read(&self.table).route(key)
    }

    async fn scan(&self) -> Scan {
        read(&self.table).scan()
    }

    async fn replace(&self, table: Table) {
        let old = std::mem::replace(&mut *write(&self.table), table);
        drop(old);
    }
    // ANCHOR_END: ops
}
