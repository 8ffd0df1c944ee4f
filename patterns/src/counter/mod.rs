//! # The counter workload
//!
//! The simplest shared state there is: one number that clients add to and
//! read. It isolates the bare cost of each style's coordination: the
//! operation itself is a single addition, so everything measured beyond
//! ~1 ns is the price of making it concurrent.
//!
//! ## Contract (what every implementation promises)
//!
//! - `add(client, n)` adds `n`, wrapping on overflow as
//!   [`u64::wrapping_add`] does. Once its future completes, the addition is
//!   applied: any `get` that starts afterwards counts it.
//! - `get()` returns a total that counts every `add` completed before `get`
//!   started and no `add` started after `get` returned. An `add` running
//!   concurrently with `get` may or may not be counted. (This is weaker than
//!   linearizability on purpose: a sharded counter that sums its cells one
//!   by one, like Java's `LongAdder`, meets it, and cannot do better without
//!   locking all cells. For the single-cell styles it is linearizable.)
//! - Successive `get`s by one client never decrease, while no add wraps.
//! - `client` says who is asking, so sharded styles can pick a cell or a
//!   worker. Any value is correct (it is reduced modulo the number of cells),
//!   and two tasks may pass the same one; it only affects contention.
//! - Dropping the implementation stops and joins every thread it started.
//!
//! The specification is [`SequentialCounter`]; the stress tests compare
//! every implementation's final state with it.

use std::future::Future;

use crate::{ClientId, Helpers};

pub mod actor;
pub mod atomic;
pub mod bridge;
pub mod mutex;
pub mod pool;
pub mod racy;
pub mod sharded;

// Library-backed styles: loom cannot model their internals, so they are left
// out of loom builds (see `crate::sync`); those on parking_lot and tokio run
// under shuttle, every one under the stress tests.
#[cfg(not(workbench_loom))]
pub mod actor_async_std;
#[cfg(not(workbench_loom))]
pub mod actor_crossbeam;
#[cfg(not(workbench_loom))]
pub mod actor_crossbeam_unacked;
#[cfg(not(workbench_loom))]
pub mod actor_smol;
#[cfg(not(workbench_loom))]
pub mod actor_tokio;
#[cfg(not(workbench_loom))]
pub mod actor_tokio_batched;
#[cfg(not(workbench_loom))]
pub mod bridge_async_std;
#[cfg(not(workbench_loom))]
pub mod bridge_smol;
#[cfg(not(workbench_loom))]
pub mod bridge_tokio;
#[cfg(not(workbench_loom))]
pub mod mutex_parking_lot;
#[cfg(not(workbench_loom))]
pub mod mutex_tokio;

// ANCHOR: trait
/// A shared counter, in one concurrency style. See the module docs for the
/// contract every implementation keeps.
pub trait Counter: Send + Sync + 'static {
    /// The style's name in reports, tests and the book, e.g. `"actor_tokio"`.
    const STYLE: &'static str;

    /// Whether its histories are linearizable: true unless `get` sums
    /// several cells one by one (the contract allows it; such a `get` may
    /// count an add that a later `get` of another client misses), in which
    /// case the checks hold it to the cross-client window instead.
    const LINEARIZABLE: bool = true;

    /// Threads one operation starts of its own (a bridge: one per call).
    /// A loom model counts them against loom's limit of five threads.
    const THREADS_PER_OPERATION: usize = 0;

    /// What it keeps busy besides its callers (see [`Helpers`]).
    const HELPERS: Helpers = Helpers::None;

    /// Whether dropping it stops and joins every thread it started (its
    /// drop test counts them). False where its work runs on a process-wide
    /// executor or pool that is not the style's to join; the style's file
    /// says which.
    const JOINS_ITS_THREADS: bool = true;

    /// Whether [`add_many`](Counter::add_many) applies a batch in one step
    /// of coordination (one lock acquisition, one atomic add of the sum)
    /// instead of the default `add` per element. The batch scenario of the
    /// bench measures the styles that do; for the others it would measure
    /// sixteen of their `add`s.
    const BATCHES: bool = false;

    /// A counter at zero, sized for `clients` concurrent clients (sharded
    /// styles make one cell per client; pools one worker per client, up to
    /// the number of cores).
    fn new(clients: usize) -> Self;

    /// Adds `n`; complete once the addition is applied.
    fn add(&self, client: ClientId, n: u64) -> impl Future<Output = ()> + Send;

    /// Adds every `n` of `ns` (wrapping, as `add`); complete once all are
    /// applied. As far as the contract goes each element is an `add`: a
    /// `get` concurrent with the batch may count some and not others, and
    /// one that starts after it counts them all. This is the API that lets
    /// a caller amortise coordination (seed 002's "batch operations"): the
    /// default adds one at a time; a style with a cheaper way overrides it
    /// and sets [`BATCHES`](Counter::BATCHES).
    fn add_many(&self, client: ClientId, ns: &[u64]) -> impl Future<Output = ()> + Send {
        async move {
            for &n in ns {
                self.add(client, n).await;
            }
        }
    }

    /// The current total.
    fn get(&self) -> impl Future<Output = u64> + Send;
}

/// The wrapping sum of a batch: what a style that applies a batch in one
/// atomic step adds.
pub fn batch_sum(ns: &[u64]) -> u64 {
    ns.iter().fold(0, |sum, &n| sum.wrapping_add(n))
}
// ANCHOR_END: trait

/// The specification: what a counter does with one client and no
/// concurrency at all.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SequentialCounter {
    total: u64,
}

impl SequentialCounter {
    pub fn add(&mut self, n: u64) {
        self.total = self.total.wrapping_add(n);
    }

    pub fn get(&self) -> u64 {
        self.total
    }
}

// ANCHOR: registry
/// The registry: every counter implementation, named once, a line each:
/// its tier, its name (module and `STYLE`) and its type. Tests, benches and
/// models call `for_each_counter!(their_macro)`, which calls `their_macro!`
/// once per style with that line (`facade atomic: ...AtomicCounter`); a
/// callback with no arm for a tier does not compile. The tiers are the same
/// in every workload (`crate::registry` says what each means): `facade`
/// (on `crate::sync`, so loom checks it), `library`, `torn` (measured and
/// flagged) and `broken` (kept to show a checker catching it).
///
/// Adding a style is one file and one line here.
#[macro_export]
macro_rules! for_each_counter {
    ($callback:ident $($args:tt)?) => {
        $crate::walk_registry! { $callback [$($args)?];
            facade atomic: $crate::counter::atomic::AtomicCounter,
            facade mutex: $crate::counter::mutex::MutexCounter,
            facade sharded: $crate::counter::sharded::ShardedCounter,
            facade actor: $crate::counter::actor::ActorCounter,
            facade pool: $crate::counter::pool::PoolCounter,
            facade bridge: $crate::counter::bridge::BridgeCounter,
            library mutex_parking_lot: $crate::counter::mutex_parking_lot::ParkingLotMutexCounter,
            library mutex_tokio: $crate::counter::mutex_tokio::TokioMutexCounter,
            library actor_crossbeam: $crate::counter::actor_crossbeam::CrossbeamActorCounter,
            library actor_crossbeam_unacked: $crate::counter::actor_crossbeam_unacked::UnackedCrossbeamActorCounter,
            library actor_tokio: $crate::counter::actor_tokio::TokioActorCounter,
            library actor_tokio_batched: $crate::counter::actor_tokio_batched::BatchedTokioActorCounter,
            library actor_async_std: $crate::counter::actor_async_std::AsyncStdActorCounter,
            library actor_smol: $crate::counter::actor_smol::SmolActorCounter,
            library bridge_tokio: $crate::counter::bridge_tokio::TokioBridgeCounter,
            library bridge_async_std: $crate::counter::bridge_async_std::AsyncStdBridgeCounter,
            library bridge_smol: $crate::counter::bridge_smol::SmolBridgeCounter,
            broken racy: $crate::counter::racy::RacyCounter,
        }
    };
}
// ANCHOR_END: registry
