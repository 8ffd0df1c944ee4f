//! # The read-mostly workload: a routing table
//!
//! A table that every request consults and that changes now and then: the
//! routes of a load balancer, a feature-flag set, a configuration reloaded
//! on a signal (seed 002's "one writer, many readers" and "`Arc` for shared
//! config"). Unlike the session store, a write replaces the *whole* table,
//! and a reader either looks one entry up (a short read) or walks every
//! entry (a long one). So the question is what it costs a reader to be
//! sure it sees one table, all of it from one version, and never an older
//! one than a replacement that has already finished.
//!
//! A table is a version and [`Table::slots`] backends; backend `i` of
//! version `v` is [`backend(v, i)`](backend), so any answer can be checked
//! against the version it claims: an answer that mixes two versions (a
//! torn read) names a backend, or a checksum, that its version does not
//! have.
//!
//! ## Contract (what every implementation promises)
//!
//! - `route(key)` answers the backend of slot `key % slots` and the version
//!   of the table it read it from; `scan()` answers the wrapping sum of
//!   every backend of one table and that table's version. Both are read
//!   from one whole table: never a mix of two.
//! - Reads are linearizable with replacements: a read that starts after a
//!   `replace` returned sees that table or a later one, and a read never
//!   sees a table whose `replace` had not yet started. So one reader's
//!   versions never go back while the writers' go forward.
//! - `replace(table)` installs `table`, which has as many slots as the
//!   first one (a table's shape is fixed; its contents change). The
//!   version is the writer's to choose; the checks give increasing ones.
//! - Dropping the implementation stops and joins every thread it started
//!   (none of these styles starts one).
//!
//! The specification is trivial, which is the point: the latest table
//! replaced. What the styles differ in is what a read costs (a shared
//! counter it writes, a lock it may wait for, a retry when a write overlaps
//! it) and what a write costs (waiting for the readers to leave, or
//! leaving the old table to the last of them).

use std::future::Future;

use crate::Helpers;

pub mod mutex_arc;
pub mod racy;
pub mod rwlock;
pub mod seqlock;

#[cfg(not(workbench_loom))]
pub mod arc_swap;
#[cfg(not(workbench_loom))]
pub mod rwlock_parking_lot;

/// The slots of the tables the benchmark uses: 8,192 backends, 64 KiB (in
/// the reference machine's L2 cache), so that a scan (a walk of every slot)
/// holds a read for about a microsecond while a route holds it for a few
/// nanoseconds.
pub const SLOTS: usize = 8192;

/// Backend `slot` of the table of version `version`: a mix of both (the
/// finaliser of SplitMix64), so that two versions differ in every slot
/// and a checksum over a torn table matches neither version's.
#[inline]
pub fn backend(version: u64, slot: usize) -> u64 {
    let mut z = version
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(slot as u64 + 1);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One routing table: a version and its backends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    version: u64,
    backends: Box<[u64]>,
}

impl Table {
    /// The table of `version` with `slots` backends (at least one).
    pub fn new(version: u64, slots: usize) -> Table {
        let slots = slots.max(1);
        Table {
            version,
            backends: (0..slots).map(|slot| backend(version, slot)).collect(),
        }
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn slots(&self) -> usize {
        self.backends.len()
    }

    pub fn backends(&self) -> &[u64] {
        &self.backends
    }

    /// What `route(key)` answers on this table.
    #[inline]
    pub fn route(&self, key: u64) -> Route {
        let slot = slot_of(key, self.backends.len());
        Route {
            version: self.version,
            slot,
            backend: self.backends[slot],
        }
    }

    /// What `scan()` answers on this table.
    #[inline]
    pub fn scan(&self) -> Scan {
        Scan {
            version: self.version,
            checksum: checksum(self.backends.iter().copied()),
        }
    }
}

/// The slot a key routes to in a table of `slots` slots.
#[inline]
pub fn slot_of(key: u64, slots: usize) -> usize {
    (key % slots as u64) as usize
}

/// The checksum a scan answers: the wrapping sum of the backends.
#[inline]
pub fn checksum(backends: impl Iterator<Item = u64>) -> u64 {
    backends.fold(0u64, u64::wrapping_add)
}

/// A route: the backend of one slot, from the table of `version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub version: u64,
    pub slot: usize,
    pub backend: u64,
}

impl Route {
    /// Whether the backend is the one its version has in that slot (a
    /// route read from two tables is not).
    pub fn is_whole(&self) -> bool {
        self.backend == backend(self.version, self.slot)
    }
}

/// A scan: the checksum of every backend of the table of `version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scan {
    pub version: u64,
    pub checksum: u64,
}

impl Scan {
    /// Whether the checksum is the one its version's table has, with
    /// `slots` slots (a scan that read from two tables has another).
    pub fn is_whole(&self, slots: usize) -> bool {
        self.checksum == checksum((0..slots).map(|slot| backend(self.version, slot)))
    }
}

// ANCHOR: trait
/// A routing table shared by many readers, in one concurrency style. See
/// the module docs for the contract every implementation keeps.
pub trait RouteTable: Send + Sync + 'static {
    /// The style's name in reports, tests and the book, e.g. `"arc_swap"`.
    const STYLE: &'static str;

    /// Whether dropping it stops and joins every thread it started.
    const JOINS_ITS_THREADS: bool = true;

    /// What it keeps busy besides its callers (see [`Helpers`]).
    const HELPERS: Helpers = Helpers::None;

    /// A store serving `table` until the first `replace`.
    fn new(table: Table) -> Self;

    /// The backend of `key`'s slot, and the version it came from.
    fn route(&self, key: u64) -> impl Future<Output = Route> + Send;

    /// The checksum of one whole table, and its version.
    fn scan(&self) -> impl Future<Output = Scan> + Send;

    /// Installs `table` (as many slots as the first) for every later read.
    fn replace(&self, table: Table) -> impl Future<Output = ()> + Send;
}
// ANCHOR_END: trait

// ANCHOR: registry
/// The registry: every routing table, named once, a line each with its
/// tier (see `crate::registry`).
#[macro_export]
macro_rules! for_each_route_table {
    ($callback:ident $($args:tt)?) => {
        $crate::walk_registry! { $callback [$($args)?];
            facade rwlock: $crate::routes::rwlock::RwLockTable,
            facade mutex_arc: $crate::routes::mutex_arc::MutexArcTable,
            facade seqlock: $crate::routes::seqlock::SeqLockTable,
            library rwlock_parking_lot: $crate::routes::rwlock_parking_lot::ParkingLotRwLockTable,
            library arc_swap: $crate::routes::arc_swap::ArcSwapTable,
            broken racy: $crate::routes::racy::RacyTable,
        }
    };
}
// ANCHOR_END: registry
