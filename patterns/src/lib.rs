//! # patterns: one workload, many concurrency styles
//!
//! Each workload is a folder with a trait (its contract in doc comments), a
//! sequential model (its specification), a registry macro and one file per
//! style. The same style names recur in every workload:
//!
//! | style | who owns the state | what waits |
//! |---|---|---|
//! | `atomic` | nobody: one atomic word per item | nothing (a CPU read-modify-write) |
//! | `mutex`, `mutex_parking_lot`, `mutex_tokio` | shared, behind one lock | clients wait for the lock |
//! | `ordered` (bank) | shared, a lock per item, taken in one global order | clients wait for the locks they need |
//! | `rwlock` (bank) | shared; an `RwLock` separates the many from the rare | the rare exclusive side waits for the shared side to drain |
//! | `sharded` | shared, split into cells or locked shards | nothing, or only clients of the same shard |
//! | `actor`, `actor_crossbeam`, `actor_tokio`, `actor_async_std`, `actor_smol` | one owner thread or task | clients wait for its reply |
//! | `actor_crossbeam_unacked` (counter) | one owner thread | only reads wait: an add is a send, ordered by the one FIFO inbox |
//! | `pool` | N workers, each owning a shard | clients wait for a worker's reply |
//! | `bridge`, `bridge_tokio`, `bridge_async_std`, `bridge_smol` | shared; each operation runs on a blocking thread | the async caller awaits that thread |
//! | `mutex_arc`, `arc_swap`, `seqlock` (routes) | shared and replaced whole: readers take a share of one version, or retry a read a write overlapped | writers only (a reader never waits for a lock) |
//! | `racy`, `naive` (broken), `atomic` in the bank (torn) | shared, without the synchronisation the invariant needs | nothing, and loses updates, deadlocks or tears audits |
//!
//! # Layout
//!
//! - [`sync`]: the facade, the only module naming `std::sync`/`std::thread`,
//!   loom or shuttle. Facade-based styles are model-checked by loom and
//!   shuttle as they are; the library styles on parking_lot, dashmap and
//!   tokio take those crates from it too, so shuttle checks them.
//! - [`primitives`]: machinery shared by several styles (a bounded queue,
//!   per-thread replies, the seed's `SpawnBlocking`).
//! - [`counter`]: the counter workload: one number, the bare cost of each style.
//! - [`bank`]: the bank workload: transfers that must conserve money (an
//!   invariant over several locations: lock ordering, deadlock, torn reads).
//! - [`kv`]: the session store: a map under read-heavy to write-heavy mixes
//!   with uniform or skewed keys (RwLock, sharding, dashmap, actors).
//! - [`routes`]: a read-mostly routing table: many readers, a writer that
//!   replaces it now and then (RwLock, an `Arc` behind a mutex, arc-swap,
//!   a seqlock, and the torn read of a table overwritten in place).
//! - [`jobs`]: blocking and CPU-bound jobs called from async code (inline,
//!   thread-per-job and runtime bridges, worker pools).
//! - [`inbox`]: backpressure: producers faster than an owner task, and an
//!   inbox that is unbounded, bounded (senders wait) or sheds load.
//! - [`server`]: serving many connections: one line protocol over TCP, in
//!   every connection model (thread per connection, blocking pool, mio
//!   event loop, task per connection, session per task, central owner).
//! - [`context`]: who is calling, per request, across awaits, streams and
//!   spawned sub-tasks (explicit, task-local, and the broken global and
//!   thread-local styles).
//! - [`drive`]: drivers that run N clients against an implementation on OS
//!   threads, tokio, async-std or smol (not built under loom).

// No `unsafe` in the styles or their machinery: every speed-up here must
// come from the concurrency design, not from skipping a check. The one
// exception is the thread pinning of the drivers (`drive/pin.rs`, a libc
// call), allowed there and nowhere else.
#![deny(unsafe_code)]

pub mod bank;
pub mod check;
pub mod counter;
pub mod jobs;
pub mod kv;
pub mod primitives;
pub mod registry;
pub mod routes;
pub mod sync;

#[cfg(not(workbench_loom))]
pub mod drive;
// Request context on tokio: loom cannot model the runtime.
#[cfg(not(workbench_loom))]
pub mod context;
// tokio's channels, which loom cannot model.
#[cfg(not(workbench_loom))]
pub mod inbox;
// Real sockets, which loom cannot model; the admission primitive the
// blocking styles share is in `primitives` and is checked on its own.
#[cfg(not(workbench_loom))]
pub mod server;

/// Who is calling: the index of a client, passed with every operation so
/// that sharded styles can choose a cell or worker without guessing from
/// thread ids (a task on an async runtime moves between threads). Any value
/// is correct; it only decides contention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientId(pub usize);

// ANCHOR: helpers
/// The threads and tasks a style keeps busy besides its callers while they
/// call it (a capability each style declares beside its reason, default
/// [`Helpers::None`]). The benches add them to the clients to count the
/// runnable threads of a cell honestly: an actor with two clients on two
/// cores is three busy threads, oversubscribed, even though the clients
/// alone are not.
#[derive(Debug, Clone, Copy)]
pub enum Helpers {
    /// Every operation runs on its caller's thread or task.
    None,
    /// Dedicated OS threads (an owner, a pool's workers), as a function of
    /// the number of clients the style was built for.
    Threads(fn(clients: usize) -> usize),
    /// One OS thread per call in flight (a bridge to a blocking thread),
    /// while the caller waits for it: as many as there are clients, in
    /// place of the callers.
    PerCall,
    /// Tasks on the ambient async runtime (an async owner): they share the
    /// runtime's worker threads with whatever else runs there.
    Tasks(usize),
}

impl Helpers {
    /// The threads that may be runnable at once with `clients` callers:
    /// the callers themselves (each an OS thread when `callers_are_threads`,
    /// else tasks sharing `workers` runtime workers) and what this style
    /// keeps busy besides them. A blocking thread per call runs in place of
    /// its waiting caller.
    pub fn runnable_threads(
        self,
        clients: usize,
        callers_are_threads: bool,
        workers: usize,
    ) -> usize {
        let callers = if callers_are_threads {
            clients
        } else {
            clients.min(workers)
        };
        match self {
            Helpers::None => callers,
            Helpers::Threads(count) => callers + count(clients),
            Helpers::PerCall => clients,
            // Owner tasks run on a runtime's workers: beside client threads
            // (at most one worker each), or among the client tasks.
            Helpers::Tasks(tasks) if callers_are_threads => clients + tasks.min(workers),
            Helpers::Tasks(tasks) => (clients + tasks).min(workers),
        }
    }
}
// ANCHOR_END: helpers
