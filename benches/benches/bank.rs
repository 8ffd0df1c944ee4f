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
use std::marker::PhantomData;
use std::time::SystemTime;

use benches::report::{self, BANK};
use benches::{Drivers, Either, PerDriver, measure_ops};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Throughput};
use patterns::ClientId;
use patterns::bank::{AccountId, Bank};
use patterns::drive::{ClientOp, Driver, Threads, Tokio};

type Group<'a> = BenchmarkGroup<'a, WallTime>;

#[derive(Clone, Copy)]
struct Scenario {
    accounts: usize,
    /// Audits per 100 operations.
    audit_percent: u64,
}

const SCENARIOS: [Scenario; 6] = {
    const fn s(accounts: usize, audit_percent: u64) -> Scenario {
        Scenario {
            accounts,
            audit_percent,
        }
    }
    [s(2, 0), s(2, 1), s(64, 0), s(64, 1), s(4096, 0), s(4096, 1)]
};

impl Scenario {
    /// Must match the names in `benches::report::BANK`.
    fn group(self) -> String {
        let audit = if self.audit_percent > 0 { "-audit" } else { "" };
        format!("bank-{}{audit}", self.accounts)
    }
}

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
fn plan(scenario: Scenario, client: usize) -> Box<[Op]> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ (client as u64 + 1);
    let mut next = move || {
        // splitmix64
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
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

fn bench_style_under<B: Bank, D: Driver>(
    group: &mut Group,
    driver: &D,
    scenario: Scenario,
    clients: usize,
) {
    let opening = vec![OPENING_BALANCE; scenario.accounts];
    let client = BankClient {
        bank: driver.enter(|| B::new(&opening)),
        plans: (0..clients).map(|c| plan(scenario, c)).collect(),
    };
    let id = BenchmarkId::new(format!("{}@{}", B::STYLE, D::NAME), clients);
    measure_ops(group, id, driver, clients, client);
}

/// One style in one scenario with some clients, under each chosen driver.
struct StyleRun<'g, 'c, B> {
    group: &'g mut Group<'c>,
    scenario: Scenario,
    clients: usize,
    style: PhantomData<B>,
}

impl<B: Bank> PerDriver for StyleRun<'_, '_, B> {
    fn under<D: Driver>(&mut self, driver: &D) {
        bench_style_under::<B, D>(self.group, driver, self.scenario, self.clients);
    }
}

fn bench_style<B: Bank>(group: &mut Group, drivers: &Drivers, scenario: Scenario, clients: usize) {
    drivers.for_each_chosen(&mut StyleRun::<B> {
        group,
        scenario,
        clients,
        style: PhantomData,
    });
}

macro_rules! bench_every_style {
    (
        facade: [$($f:ident: $ft:ty,)*],
        library: [$($l:ident: $lt:ty,)*],
        torn: [$($t:ident: $tt:ty,)*],
        broken: [$($b:ident: $bt:ty,)*],
    ) => {
        fn bench_every_style(group: &mut Group, drivers: &Drivers, scenario: Scenario, clients: usize) {
            $(bench_style::<$ft>(group, drivers, scenario, clients);)*
            $(bench_style::<$lt>(group, drivers, scenario, clients);)*
            // Measured, and flagged in the report: see `report::BANK`.
            $(bench_style::<$tt>(group, drivers, scenario, clients);)*
            // `broken` (naive) deadlocks: never benchmarked.
        }
    };
}
patterns::for_each_bank!(bench_every_style);

fn main() {
    let sweep = benches::client_sweep_or_exit();
    let chosen = benches::driver_choice_or_exit(&[Threads::NAME, Tokio::NAME]);
    let run_started = SystemTime::now();
    let mut criterion = benches::criterion();
    let drivers = Drivers::new(chosen);
    for scenario in SCENARIOS {
        let mut group = criterion.benchmark_group(scenario.group());
        group.throughput(Throughput::Elements(1));
        for &clients in &sweep {
            bench_every_style(&mut group, &drivers, scenario, clients);
        }
        group.finish();
    }
    criterion.final_summary();
    drop(drivers);
    if benches::measuring() {
        report::after_bench(&BANK, run_started);
    }
}
