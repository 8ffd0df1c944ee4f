//! **racy** (broken on purpose): an atomic total updated as a separate load
//! and store. Each access is atomic, the update is not: two clients can both
//! load 5 and both store 6, and one addition is lost. Kept so that the stress
//! test and loom show they catch the lost update; never benchmarked.

use crate::ClientId;
use crate::counter::Counter;
use crate::sync::{AtomicU64, Ordering::Relaxed};

// ANCHOR: state
pub struct RacyCounter {
    total: AtomicU64,
}
// ANCHOR_END: state

impl Counter for RacyCounter {
    const STYLE: &'static str = "racy";

    fn new(_clients: usize) -> Self {
        RacyCounter {
            total: AtomicU64::new(0),
        }
    }

    // ANCHOR: add
    async fn add(&self, _client: ClientId, n: u64) {
        // BUG: another client may store between this load and the store
        // below; its addition is then overwritten.
        let seen = self.total.load(Relaxed);
        self.total.store(seen.wrapping_add(n), Relaxed);
    }
    // ANCHOR_END: add

    // ANCHOR: get
    async fn get(&self) -> u64 {
        self.total.load(Relaxed)
    }
    // ANCHOR_END: get
}
