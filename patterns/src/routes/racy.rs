//! **racy** (broken on purpose): `seqlock` without its sequence. The table
//! is the same atomic words, overwritten in place by writers that take
//! turns, and read word by word; nothing tells a reader that a writer is
//! halfway through, so a reader can take the new version with an old
//! backend, or a checksum over half of each table: the torn read of every
//! structure updated in place while others read it. Every word is an
//! atomic, so there is no data race in Rust's sense and nothing `unsafe`:
//! the bug is in the protocol, which is why only the checks can show it.
//! Caught by loom and the stress test; never benchmarked.

use crate::routes::seqlock::words;
use crate::routes::{Route, RouteTable, Scan, Table, checksum, slot_of};
use crate::sync::Ordering::{Acquire, Release};
use crate::sync::{AtomicU64, Mutex, lock};

pub struct RacyTable {
    version: AtomicU64,
    backends: Box<[AtomicU64]>,
    writers: Mutex<()>,
}

impl RouteTable for RacyTable {
    const STYLE: &'static str = "racy";

    fn new(table: Table) -> Self {
        RacyTable {
            version: AtomicU64::new(table.version()),
            backends: words(&table),
            writers: Mutex::new(()),
        }
    }

    // ANCHOR: ops
    async fn route(&self, key: u64) -> Route {
        let slot = slot_of(key, self.backends.len());
        Route {
            version: self.version.load(Acquire),
            slot,
            backend: self.backends[slot].load(Acquire),
        }
    }

    async fn scan(&self) -> Scan {
        Scan {
            version: self.version.load(Acquire),
            checksum: checksum(self.backends.iter().map(|b| b.load(Acquire))),
        }
    }

    async fn replace(&self, table: Table) {
        let _turn = lock(&self.writers);
        self.version.store(table.version(), Release);
        for (word, &backend) in self.backends.iter().zip(table.backends()) {
            word.store(backend, Release);
        }
    }
    // ANCHOR_END: ops
}
