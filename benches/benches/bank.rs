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
//! in the timed region and every style replays the same operations.

use std::future::Future;

use benches::measured_styles;
use benches::runner::{Either, StyleBench, StyleRun, criterion_main};
use benches::workloads::bank::{BankScenario, SCENARIOS, workload};
use patterns::ClientId;
use patterns::bank::{AccountId, Bank};
use patterns::drive::{ClientOp, Driver, Threads, Tokio};
use patterns::primitives::rng::SplitMix64;

/// Operations in each client's plan (a power of two: the index is a mask).
const PLAN: usize = 4096;

/// Large enough that no transfer is ever refused: after a billion random
/// transfers of at most 100, a balance has drifted by about 3 million.
const OPENING_BALANCE: u64 = 1 << 40;

#[derive(Clone, Copy)]
enum Op {
    Transfer {
        from: AccountId,
        to: AccountId,
        amount: u64,
    },
    Audit,
}

/// Client `client`'s plan: transfers between two different accounts chosen
/// uniformly (so with 2 accounts, half go each way), `audit_percent` audits.
fn plan(scenario: BankScenario, client: usize) -> Box<[Op]> {
    let mut rng = SplitMix64::new(0x9E37_79B9_7F4A_7C15 ^ (client as u64 + 1));
    let mut next = move || rng.next_u64();
    let accounts = scenario.accounts as u64;
    (0..PLAN)
        .map(|_| {
            if next() % 100 < scenario.audit_percent {
                return Op::Audit;
            }
            let from = next() % accounts;
            let to = (from + 1 + next() % (accounts - 1)) % accounts;
            Op::Transfer {
                from: AccountId(from as usize),
                to: AccountId(to as usize),
                amount: 1 + next() % 100,
            }
        })
        .collect()
}

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

    fn client<D: Driver>(self, driver: &D, clients: usize) -> impl ClientOp {
        let opening = vec![OPENING_BALANCE; self.0.accounts];
        BankClient {
            bank: driver.enter(|| B::new(&opening)),
            plans: (0..clients).map(|c| plan(self.0, c)).collect(),
        }
    }
}

// `torn` styles (the bank's `atomic`) are measured and flagged in the
// report; the `broken` `naive` deadlocks and is never run here.
patterns::for_each_bank!(measured_styles);

fn main() {
    criterion_main(
        &workload(),
        &SCENARIOS,
        &[Threads::NAME, Tokio::NAME],
        MEASURED_STYLES,
        &[],
        |group, drivers, &scenario, clients| {
            measure_every_style(&mut StyleRun::new(group, drivers, Load(scenario), clients))
        },
    );
}
