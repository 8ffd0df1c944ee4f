//! **seqlock**: a sequence lock on the facade's atomics, the reader side
//! of which writes nothing at all. The table lives in atomic words (its
//! version and every backend), beside a sequence number that is even while
//! the table is whole and odd while a writer is inside. A reader reads the
//! sequence, reads the words it needs, and reads the sequence again: if it
//! was even and has not moved, no writer touched the table in between and
//! the answer is whole; otherwise it throws the answer away and tries
//! again. Writers take turns through a mutex (readers never touch it),
//! make the sequence odd, overwrite the table in place, and make it even.
//!
//! What it costs: a read is loads only, so readers on any number of cores
//! share the table's lines in every cache at once and never pass a line
//! between them; that is as cheap as reading shared state gets. The price
//! is paid elsewhere: a read that overlaps a write is done again (a scan
//! that takes a microsecond, against writes every few microseconds, may
//! retry many times: the writer starves the readers, never the reverse),
//! the data must be atomic words read one at a time (no `memcpy`, no
//! vectorised walk, no pointers a reader could follow into freed memory),
//! and the orderings are subtle enough that loom checks them: the two
//! fences are what make the second read of the sequence mean anything.

use crate::primitives::backoff::Backoff;
use crate::routes::{Route, RouteTable, Scan, Table, checksum, slot_of};
use crate::sync::Ordering::{Acquire, Relaxed, Release};
use crate::sync::{AtomicU64, Mutex, fence, lock, yield_now};

// ANCHOR: state
pub struct SeqLockTable {
    /// Even: the table is whole; odd: a writer is overwriting it.
    sequence: AtomicU64,
    version: AtomicU64,
    backends: Box<[AtomicU64]>,
    /// Writers take turns here; readers never touch it.
    writers: Mutex<()>,
}
// ANCHOR_END: state

/// A table's backends as atomic words, read and written one at a time
/// (`racy` keeps its table the same way).
pub(crate) fn words(table: &Table) -> Box<[AtomicU64]> {
    table
        .backends()
        .iter()
        .map(|&b| AtomicU64::new(b))
        .collect()
}

impl SeqLockTable {
    // ANCHOR: read
    /// Runs `read` (relaxed loads of the table's words) until it ran with
    /// no writer inside the table, and returns that run's answer.
    fn read<R>(&self, read: impl Fn(&Self) -> R) -> R {
        let mut backoff = Backoff::new();
        loop {
            let before = self.sequence.load(Acquire);
            if before.is_multiple_of(2) {
                let answer = read(self);
                // Orders the loads above before the sequence's second read:
                // had any of them seen a write of a writer that has since
                // come in, this read sees that writer's odd sequence (or a
                // later one).
                fence(Acquire);
                if self.sequence.load(Relaxed) == before {
                    return answer;
                }
            }
            if !backoff.snooze() {
                yield_now();
            }
        }
    }
    // ANCHOR_END: read
}

impl RouteTable for SeqLockTable {
    const STYLE: &'static str = "seqlock";

    fn new(table: Table) -> Self {
        SeqLockTable {
            sequence: AtomicU64::new(0),
            version: AtomicU64::new(table.version()),
            backends: words(&table),
            writers: Mutex::new(()),
        }
    }

    // ANCHOR: ops
    async fn route(&self, key: u64) -> Route {
        let slot = slot_of(key, self.backends.len());
        self.read(|table| Route {
            version: table.version.load(Relaxed),
            slot,
            backend: table.backends[slot].load(Relaxed),
        })
    }

    async fn scan(&self) -> Scan {
        self.read(|table| Scan {
            version: table.version.load(Relaxed),
            checksum: checksum(table.backends.iter().map(|b| b.load(Relaxed))),
        })
    }

    async fn replace(&self, table: Table) {
        // Checked before the sequence goes odd: a panic inside would leave
        // it odd, and every reader spinning.
        assert_eq!(
            table.slots(),
            self.backends.len(),
            "a seqlock table keeps its shape: replaced with a table of another size"
        );
        let _turn = lock(&self.writers);
        let sequence = self.sequence.load(Relaxed);
        self.sequence.store(sequence + 1, Relaxed);
        // Orders the odd sequence before the table's writes: a reader that
        // sees any of them sees the odd sequence on its second read.
        fence(Release);
        self.version.store(table.version(), Relaxed);
        for (word, &backend) in self.backends.iter().zip(table.backends()) {
            word.store(backend, Relaxed);
        }
        // Publishes the whole table: a reader whose first read sees this
        // even sequence sees every write above.
        self.sequence.store(sequence + 2, Release);
    }
    // ANCHOR_END: ops
}
