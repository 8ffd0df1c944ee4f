//! **rwlock_parking_lot**: `rwlock` on parking_lot's `RwLock`. The same
//! shape (a read holds the lock shared for its whole length), a different
//! lock: one word of state, no poisoning, readers and writers that spin a
//! little before they park, and a fairness rule of its own (a writer that
//! waits blocks new readers; every half millisecond or so an unlock hands
//! the lock over fairly). Its read path is the same atomic add and
//! subtract on one shared line as std's, so on short reads the two should
//! cost the same; where they differ is how a writer and many readers take
//! turns.

use crate::routes::{Route, RouteTable, Scan, Table};
use crate::sync::parking_lot::RwLock;

pub struct ParkingLotRwLockTable {
    table: RwLock<Table>,
}

impl RouteTable for ParkingLotRwLockTable {
    const STYLE: &'static str = "rwlock_parking_lot";

    fn new(table: Table) -> Self {
        ParkingLotRwLockTable {
            table: RwLock::new(table),
        }
    }

    // ANCHOR: ops
    async fn route(&self, key: u64) -> Route {
        self.table.read().route(key)
    }

    async fn scan(&self) -> Scan {
        self.table.read().scan()
    }

    async fn replace(&self, table: Table) {
        let old = std::mem::replace(&mut *self.table.write(), table);
        drop(old);
    }
    // ANCHOR_END: ops
}
