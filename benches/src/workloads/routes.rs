//! The routing table's scenarios: how long a read holds the table (one
//! lookup, or a walk of every slot) and how often the one writer replaces
//! it.

use crate::report::workload::{Scenario, Source, Workload};
use patterns::routes::SLOTS;

// ANCHOR: scenarios
/// What a read does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Read {
    /// `route(key)`: one slot (a few nanoseconds inside the read).
    Lookup,
    /// `scan()`: every slot (about a microsecond inside the read).
    Scan,
}

/// How often client 0, the one writer, replaces the table: once in
/// `every` of its own operations (its others are reads, as every other
/// client's are), or never.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Writes {
    pub name: &'static str,
    pub every: Option<u64>,
}

pub const WRITES: [Writes; 3] = [
    // A table loaded once: what reading shared state costs by itself.
    Writes {
        name: "static",
        every: None,
    },
    // A configuration reloaded now and then.
    Writes {
        name: "reload",
        every: Some(10_000),
    },
    // Routes that churn: a write every hundred operations of the writer.
    Writes {
        name: "churn",
        every: Some(100),
    },
];
// ANCHOR_END: scenarios

#[derive(Clone, Copy, Debug)]
pub struct RoutesScenario {
    pub read: Read,
    pub writes: Writes,
}

/// Every read, with every write frequency.
pub fn scenarios() -> Vec<RoutesScenario> {
    [Read::Lookup, Read::Scan]
        .into_iter()
        .flat_map(|read| WRITES.map(|writes| RoutesScenario { read, writes }))
        .collect()
}

impl Scenario for RoutesScenario {
    fn name(&self) -> String {
        let read = match self.read {
            Read::Lookup => "lookup",
            Read::Scan => "scan",
        };
        format!("routes-{read}-{}", self.writes.name)
    }

    fn about(&self) -> String {
        let read = match self.read {
            Read::Lookup => format!("every read routes one key (one slot of {SLOTS})"),
            Read::Scan => format!("every read walks all {SLOTS} slots (a checksum)"),
        };
        let writes = match self.writes.every {
            None => "nobody writes".to_string(),
            Some(every) => format!(
                "client 0 replaces the whole table (a copy of a 64 KiB table, built beforehand) once in {every} of its operations; every other operation of every client is a read"
            ),
        };
        format!("{read}; {writes}")
    }
}

pub fn workload() -> Workload {
    Workload {
        name: "routes",
        source: Source::Throughput {
            scenarios: scenarios().iter().map(Scenario::info).collect(),
            // ANCHOR: baselines
            // The bare primitive each style is built on (bench: routes.rs).
            // The seqlock has none: it is its own primitive.
            baselines: &[
                ("rwlock", "baseline_rwlock_table@threads"),
                (
                    "rwlock_parking_lot",
                    "baseline_parking_lot_rwlock_table@threads",
                ),
                ("mutex_arc", "baseline_mutex_arc_clone@threads"),
                ("arc_swap", "baseline_arc_swap_load@threads"),
            ],
            // ANCHOR_END: baselines
        },
        flagged: super::flag("routes", ""),
        about: "Throughput counts reads and writes together; the writer is client 0, so with one client it reads and writes on one thread and nothing contends but the writer's own cache misses.",
        typical_seconds: 80,
    }
}
