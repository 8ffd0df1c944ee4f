//! The session store's scenarios: an operation mix and a key distribution.

use crate::report::workload::{Scenario, Source, Workload};

pub mod plan;

/// Sessions in the key space.
pub const KEYS: u64 = 1 << 16;

// ANCHOR: scenarios
/// Percentages of get / insert / remove; the rest are updates.
#[derive(Clone, Copy, Debug)]
pub struct Mix {
    pub name: &'static str,
    pub get: u64,
    pub insert: u64,
    pub remove: u64,
}

pub const MIXES: [Mix; 3] = [
    // A session store: almost every request reads its session.
    Mix {
        name: "read-heavy",
        get: 98,
        insert: 1,
        remove: 1,
    },
    // Reads, logins, logouts and per-request counters together.
    Mix {
        name: "mixed",
        get: 50,
        insert: 20,
        remove: 10,
    },
    // Churn: sessions created and dropped faster than read.
    Mix {
        name: "write-heavy",
        get: 10,
        insert: 40,
        remove: 40,
    },
];

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Keys {
    Uniform,
    /// Zipf with s = 1: the most popular session is asked for 32,768 times
    /// as often as the median one, and the top 1% of keys (655) draw about
    /// 60% of all requests.
    Zipf,
}
// ANCHOR_END: scenarios

#[derive(Clone, Copy, Debug)]
pub struct KvScenario {
    pub mix: Mix,
    pub keys: Keys,
}

/// Every mix, each with uniform and with Zipf keys.
pub fn scenarios() -> Vec<KvScenario> {
    MIXES
        .iter()
        .flat_map(|&mix| [Keys::Uniform, Keys::Zipf].map(|keys| KvScenario { mix, keys }))
        .collect()
}

impl Scenario for KvScenario {
    fn name(&self) -> String {
        let keys = match self.keys {
            Keys::Uniform => "uniform",
            Keys::Zipf => "zipf",
        };
        format!("kv-{}-{keys}", self.mix.name)
    }

    fn about(&self) -> String {
        let Mix {
            get,
            insert,
            remove,
            ..
        } = self.mix;
        let update = 100 - get - insert - remove;
        let keys = match self.keys {
            Keys::Uniform => "uniform",
            Keys::Zipf => "Zipf-distributed (s = 1)",
        };
        format!(
            "{get}% get, {insert}% insert, {remove}% remove, {update}% update; keys {keys} over {KEYS} sessions, half present at the start"
        )
    }
}

pub fn workload() -> Workload {
    Workload {
        name: "kv",
        source: Source::Throughput {
            scenarios: scenarios().iter().map(Scenario::info).collect(),
            // ANCHOR: baselines
            // The bare primitive each style is built on (bench: kv.rs).
            baselines: &[
                ("mutex", "baseline_locked_map@threads"),
                (
                    "mutex_parking_lot",
                    "baseline_parking_lot_locked_map@threads",
                ),
                ("rwlock", "baseline_rwlock_map@threads"),
                (
                    "rwlock_parking_lot",
                    "baseline_parking_lot_rwlock_map@threads",
                ),
                ("sharded", "baseline_sixteen_locked_maps@threads"),
                ("dashmap", "baseline_dashmap@threads"),
                ("actor", "baseline_crossbeam_round_trip@threads"),
                ("actor_crossbeam", "baseline_crossbeam_round_trip@threads"),
                (
                    "sharded_actor",
                    "baseline_crossbeam_sharded_round_trip@threads",
                ),
                ("actor_tokio", "baseline_tokio_round_trip@tokio"),
                ("actor_async_std", "baseline_async_std_round_trip@tokio"),
                ("actor_smol", "baseline_smol_round_trip@tokio"),
            ],
            // ANCHOR_END: baselines
        },
        flagged: super::flag("kv", ""),
        about: "Every store hashes with foldhash (`foldhash::fast::RandomState`, version in the crates line above), the same hasher for every style; \
            std's default, SipHash, is built to resist hash flooding rather than for speed and would add its own cost to every figure.",
        typical_seconds: 295,
    }
}
