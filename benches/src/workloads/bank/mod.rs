//! The bank's scenarios: how many accounts (contention) and how often an
//! audit reads them all.

use crate::report::workload::{Scenario, Source, Workload};

pub mod plan;

#[derive(Clone, Copy, Debug)]
pub struct BankScenario {
    pub accounts: usize,
    /// Audits per 100 operations.
    pub audit_percent: u64,
}

pub const SCENARIOS: [BankScenario; 6] = {
    const fn s(accounts: usize, audit_percent: u64) -> BankScenario {
        BankScenario {
            accounts,
            audit_percent,
        }
    }
    [s(2, 0), s(2, 1), s(64, 0), s(64, 1), s(4096, 0), s(4096, 1)]
};

impl Scenario for BankScenario {
    fn name(&self) -> String {
        let audit = if self.audit_percent > 0 { "-audit" } else { "" };
        format!("bank-{}{audit}", self.accounts)
    }

    fn about(&self) -> String {
        let transfers = match self.accounts {
            2 => "every operation is a transfer between the only 2 accounts, in either direction (every pair of operations conflicts)".to_string(),
            n => format!("every operation is a transfer between 2 of {n} accounts chosen at random{}", if n >= 1024 { " (conflicts are rare)" } else { "" }),
        };
        if self.audit_percent == 0 {
            transfers
        } else {
            format!(
                "{}; {} operation in 100 is an audit of every account instead",
                transfers, self.audit_percent
            )
        }
    }
}

pub fn workload() -> Workload {
    Workload {
        name: "bank",
        source: Source::Throughput {
            scenarios: SCENARIOS.iter().map(Scenario::info).collect(),
            // ANCHOR: baselines
            // The bare primitive each style is built on (bench: bank.rs).
            baselines: &[
                ("mutex", "baseline_mutex_two_writes@threads"),
                ("rwlock", "baseline_mutex_two_writes@threads"),
                (
                    "mutex_parking_lot",
                    "baseline_parking_lot_two_writes@threads",
                ),
                ("ordered", "baseline_ordered_lock_pair@threads"),
                ("sharded", "baseline_shard_lock_pair@threads"),
                ("atomic", "baseline_cas_pair@threads"),
                ("actor", "baseline_crossbeam_round_trip@threads"),
                ("actor_crossbeam", "baseline_crossbeam_round_trip@threads"),
                ("actor_tokio", "baseline_tokio_round_trip@tokio"),
            ],
            // ANCHOR_END: baselines
        },
        flagged: super::flag(
            "bank",
            "breaks the contract: an audit can see money in flight between a withdrawal and its deposit. Measured to show what the shortcut buys, not as a candidate",
        ),
        about: "",
        typical_seconds: 200,
    }
}
