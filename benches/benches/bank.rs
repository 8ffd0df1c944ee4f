//! Bank benchmarks: every benchmarked style from the registry (the broken
//! `naive` would hang; the torn `atomic` is measured and flagged) under the
//! thread and tokio drivers, with 1, cores and 2 x cores clients, in six
//! scenarios: 2, 64 or 4096 accounts (contention), without and with 1%
//! audits. Ends by printing the side-by-side report.
//!
//! Only two drivers by default, to keep the run near five minutes: the
//! counter's tables show the lock-based styles behave the same under every
//! driver (their futures are ready at once), and the tokio actor needs the
//! tokio driver. `WORKBENCH_DRIVERS=all` measures all four.
//!
//! Each client's operations are drawn before measuring into a table of
//! `PLAN` entries that it cycles through, so no random numbers are drawn
//! in the timed region and every style replays the same operations; the
//! baselines replay the same plans against bare primitives: one lock
//! around the balances and two writes, an ordered pair of per-account
//! locks, the sharded style's sixteen shard locks, a pair of atomic read-modify-writes, a round trip to an owner
//! of the balances (a crossbeam channel to a thread; on tokio, an mpsc
//! channel to a task).

use std::future::Future;

use benches::measured_style;
use benches::owners::tokio_round_trip;
use benches::runner::{Drivers, Either, StyleBench, throughput_main};
use benches::workloads::bank::plan::{
    Balances, OPENING_BALANCE, Op, PLAN, baselines, plan, requests,
};
use benches::workloads::bank::{BankScenario, SCENARIOS, workload};
use patterns::bank::Bank;
use patterns::drive::{ClientOp, Driver, Threads, Tokio};
use patterns::{ClientId, Helpers};

// Allocations per operation are part of every cell's cost.
benches::count_allocations!();

// ANCHOR: client
/// What a client does: its plan's next operation, through the trait.
struct BankClient<B> {
    bank: B,
    plans: Box<[Box<[Op]>]>,
}

impl<B: Bank> ClientOp for BankClient<B> {
    fn op(&self, id: ClientId, op: u64) -> impl Future<Output = ()> + Send + '_ {
        match self.plans[id.0][op as usize % PLAN] {
            Op::Transfer { from, to, amount } => Either::Left(self.bank.transfer(from, to, amount)),
            Op::Audit => Either::Right(self.bank.audit()),
        }
    }
}
// ANCHOR_END: client

/// The scenario as this bench's own type (the trait and the scenario are
/// both the library's, so the impl needs a local type).
#[derive(Clone, Copy)]
struct Load(BankScenario);

impl<B: Bank> StyleBench<B> for Load {
    fn style() -> &'static str {
        B::STYLE
    }

    fn helpers() -> Helpers {
        B::HELPERS
    }

    fn client<D: Driver>(self, driver: &D, clients: usize) -> impl ClientOp {
        let opening = vec![OPENING_BALANCE; self.0.accounts];
        BankClient {
            bank: driver.enter(|| B::new(&opening)),
            plans: (0..clients).map(|c| plan(self.0, c)).collect(),
        }
    }
}

fn main() {
    throughput_main(
        &workload(),
        &SCENARIOS,
        &[Threads::NAME, Tokio::NAME],
        |cell, drivers: &Drivers, &scenario| {
            if drivers.is_chosen::<Threads>() {
                baselines(cell, &drivers.threads, scenario);
            }
            if drivers.is_chosen::<Tokio>() {
                tokio_round_trip(cell, &drivers.tokio, Balances(scenario), move |clients| {
                    requests(scenario, clients)
                });
            }
            // `torn` styles (the bank's `atomic`) are measured and flagged
            // in the report; the `broken` `naive` deadlocks and is never run.
            patterns::for_each_bank!(measured_style [cell, drivers, Load(scenario)]);
        },
    );
}
