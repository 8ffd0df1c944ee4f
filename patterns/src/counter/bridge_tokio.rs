//! **bridge_tokio**: each operation runs on tokio's blocking pool through
//! `spawn_blocking`, and the caller awaits its `JoinHandle`. Unlike the
//! hand-written `bridge`, the pool keeps its threads alive for a while
//! (10 s idle by default) and reuses them, so an operation costs a queue
//! hand-off and a wake-up, not a thread spawn.
//!
//! Created inside a tokio runtime, the counter uses that runtime's blocking
//! pool, as `tokio::task::spawn_blocking` would. Created anywhere else, it
//! owns a runtime for its pool, so it works under any driver; dropping the
//! counter then drops that runtime, which waits for the pool's threads.

use crate::Helpers;
use crate::sync::tokio::runtime::{Handle, Runtime};

use crate::ClientId;
use crate::counter::Counter;
use crate::primitives::tokio_home::blocking_pool;
use crate::sync::{Arc, AtomicU64, Ordering::Relaxed};

/// The closures cannot panic; the only way their handle fails is a runtime
/// shut down under the counter.
const POOL_GONE: &str = "the blocking pool is gone: was the counter's runtime shut down before it?";

// ANCHOR: state
pub struct TokioBridgeCounter {
    total: Arc<AtomicU64>,
    pool: Handle,
    /// Keeps the pool alive when the counter had to bring its own runtime.
    _own_runtime: Option<Runtime>,
}
// ANCHOR_END: state

impl Counter for TokioBridgeCounter {
    const STYLE: &'static str = "bridge_tokio";
    // Busy besides its callers: a blocking-pool thread for every operation in flight.
    const HELPERS: Helpers = Helpers::PerCall;

    fn new(_clients: usize) -> Self {
        // The ambient runtime's blocking pool, or one of its own: see
        // `blocking_pool`.
        let (pool, own_runtime) = blocking_pool();
        TokioBridgeCounter {
            total: Arc::new(AtomicU64::new(0)),
            pool,
            _own_runtime: own_runtime,
        }
    }

    // ANCHOR: add
    async fn add(&self, _client: ClientId, n: u64) {
        let total = Arc::clone(&self.total);
        // Relaxed: the pool's hand-off orders the work with the caller.
        let work = self
            .pool
            .spawn_blocking(move || total.fetch_add(n, Relaxed));
        work.await.expect(POOL_GONE);
    }
    // ANCHOR_END: add

    // ANCHOR: get
    async fn get(&self) -> u64 {
        let total = Arc::clone(&self.total);
        let work = self.pool.spawn_blocking(move || total.load(Relaxed));
        work.await.expect(POOL_GONE)
    }
    // ANCHOR_END: get
}
