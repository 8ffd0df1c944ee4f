//! The counter's scenarios: how often clients read, how many additions
//! one call carries, and how long a lock is held.

pub mod baselines;
pub mod locks;

use crate::report::workload::{Scenario, Source, Workload};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CounterScenario {
    /// Every operation is `add(client, 1)`.
    Add,
    /// Every tenth operation is `get()`.
    Mixed,
    /// Every operation is `add_many(client, &[1; BATCH])`, for the styles
    /// that apply a batch in one step (`Counter::BATCHES`).
    Batch,
    /// The lock primitives alone, each operation an add with `nanos` of
    /// work before it (outside the lock) or inside the critical section.
    Hold { nanos: u32 },
}

/// Additions per call in the batch scenario.
pub const BATCH: usize = 16;

pub const SCENARIOS: [CounterScenario; 6] = [
    CounterScenario::Add,
    CounterScenario::Mixed,
    CounterScenario::Batch,
    CounterScenario::Hold { nanos: 0 },
    CounterScenario::Hold { nanos: 100 },
    CounterScenario::Hold { nanos: 1_000 },
];

impl CounterScenario {
    /// In `Mixed`, operations 9, 19, 29... are reads.
    pub fn is_tenth(op: u64) -> bool {
        op % 10 == 9
    }

    pub fn is_get(self, op: u64) -> bool {
        matches!(self, CounterScenario::Mixed) && Self::is_tenth(op)
    }
}

impl Scenario for CounterScenario {
    fn name(&self) -> String {
        match self {
            CounterScenario::Add => "counter-add".to_string(),
            CounterScenario::Mixed => "counter-mixed".to_string(),
            CounterScenario::Batch => "counter-batch".to_string(),
            CounterScenario::Hold { nanos } => format!("counter-hold-{nanos}ns"),
        }
    }

    fn about(&self) -> String {
        match self {
            CounterScenario::Add => "every operation is `add(client, 1)`".to_string(),
            CounterScenario::Mixed => {
                "every tenth operation is `get()`, the others `add(client, 1)`".to_string()
            }
            CounterScenario::Batch => format!(
                "every operation is `add_many(client, &[1; {BATCH}])`: {BATCH} additions per call \
                 (ops/s counts calls), for the styles that apply a batch in one step \
                 (one lock, one atomic add of the sum, one message); the `_unbatched` \
                 baselines do the same {BATCH} additions one lock acquisition each"
            ),
            CounterScenario::Hold { nanos: 0 } => {
                "the lock primitives alone, each operation one locked addition and no other work \
                 (the sweep's reference)"
                    .to_string()
            }
            CounterScenario::Hold { nanos } => format!(
                "the lock primitives alone, each operation an addition and about {nanos} ns of \
                 busy work (a calibrated multiply chain): `_inside` does the work while holding \
                 the lock, `_outside` before taking it"
            ),
        }
    }
}

pub fn workload() -> Workload {
    Workload {
        name: "counter",
        source: Source::Throughput {
            scenarios: SCENARIOS.iter().map(Scenario::info).collect(),
            // ANCHOR: baselines
            // The raw primitive each style is built on, on its own runtime.
            baselines: &[
                ("atomic", "baseline_fetch_add@threads"),
                ("sharded", "baseline_padded_fetch_add@threads"),
                ("mutex", "baseline_std_mutex@threads"),
                ("mutex_parking_lot", "baseline_parking_lot_mutex@threads"),
                ("mutex_tokio", "baseline_tokio_mutex@tokio"),
                // The facade's queue is held to the best-known channel's
                // round trip between threads, not to its own Condvar
                // (`baseline_condvar_ping_pong` is shown for reference).
                ("actor", "baseline_crossbeam_round_trip@threads"),
                ("pool", "baseline_crossbeam_round_trip@threads"),
                ("actor_crossbeam", "baseline_crossbeam_round_trip@threads"),
                // Adds are sends with no reply; gets are round trips.
                ("actor_crossbeam_unacked", "baseline_crossbeam_send@threads"),
                ("actor_tokio", "baseline_tokio_round_trip@tokio"),
                ("actor_tokio_batched", "baseline_tokio_round_trip@tokio"),
                (
                    "actor_async_std",
                    "baseline_async_channel_round_trip@async_std",
                ),
                ("actor_smol", "baseline_async_channel_round_trip@smol"),
                ("bridge", "baseline_thread_spawn_join@threads"),
                ("bridge_tokio", "baseline_spawn_blocking@tokio"),
                ("bridge_async_std", "baseline_spawn_blocking@async_std"),
                ("bridge_smol", "baseline_spawn_blocking@smol"),
                // ANCHOR_END: baselines
            ],
        },
        flagged: super::flag("counter", ""),
        about: "",
        typical_seconds: 270,
    }
}
