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
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use benches::owners::{Owned, Plans, crossbeam_round_trip, tokio_round_trip};
use benches::runner::{Cell, Drivers, Either, StyleBench, throughput_main};
use benches::workloads::bank::{BankScenario, SCENARIOS, workload};
use benches::{measured_styles, ops_until};
use crossbeam_utils::CachePadded;
use patterns::bank::{self, AccountId, Bank};
use patterns::drive::{ClientOp, Driver, Stop, Threads, Tokio};
use patterns::primitives::rng::SplitMix64;
use patterns::{ClientId, Helpers};

// Allocations per operation are part of every cell's cost.
benches::count_allocations!();

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

// `torn` styles (the bank's `atomic`) are measured and flagged in the
// report; the `broken` `naive` deadlocks and is never run here.
patterns::for_each_bank!(measured_styles);

/// Some balances under one lock, alone on a cache line (the sharded style's).
type Shard = CachePadded<Mutex<Box<[u64]>>>;

/// Every client's plan, shared by a baseline's clients.
fn plans(scenario: BankScenario, clients: usize) -> Arc<[Box<[Op]>]> {
    (0..clients).map(|c| plan(scenario, c)).collect()
}

/// The baselines, on OS threads: what each family of styles is built on,
/// with no trait, no future per operation and no argument checks.
fn baselines<'a>(cell: &mut Cell<'a>, threads: &'a Threads, scenario: BankScenario) {
    let opening = move || vec![OPENING_BALANCE; scenario.accounts];

    // ANCHOR: baseline_lock
    // One lock over every balance and two writes: `$lock` makes it,
    // `|$b| $guard` takes it.
    macro_rules! lock_and_two_writes {
        ($name:literal, $lock:expr, |$b:ident| $guard:expr) => {
            cell.baseline(threads, $name, Helpers::None, move |clients| {
                let (balances, plans) = (Arc::new($lock(opening())), plans(scenario, clients));
                let client = move |id: ClientId, stop: Stop| {
                    let (balances, plans) = (Arc::clone(&balances), Arc::clone(&plans));
                    async move {
                        ops_until!(Threads, stop, |op| {
                            let $b = &balances;
                            let mut balances = $guard;
                            match plans[id.0][op as usize % PLAN] {
                                Op::Transfer { from, to, amount } => {
                                    let [f, t] = balances.get_disjoint_mut([from.0, to.0]).unwrap();
                                    black_box(bank::move_money(from, f, t, amount)).ok();
                                }
                                Op::Audit => {
                                    black_box(bank::sum(balances.iter().copied()));
                                }
                            }
                        })
                    }
                };
                (client, ())
            });
        };
    }
    lock_and_two_writes!("mutex_two_writes", Mutex::new, |b| b.lock().unwrap());
    lock_and_two_writes!("parking_lot_two_writes", parking_lot::Mutex::new, |b| b
        .lock());
    // ANCHOR_END: baseline_lock

    cell.baseline(
        threads,
        "ordered_lock_pair",
        Helpers::None,
        move |clients| {
            let balances: Arc<[Mutex<u64>]> = opening().into_iter().map(Mutex::new).collect();
            let plans = plans(scenario, clients);
            let client = move |id: ClientId, stop: Stop| {
                let (balances, plans) = (Arc::clone(&balances), Arc::clone(&plans));
                async move {
                    ops_until!(Threads, stop, |op| {
                        match plans[id.0][op as usize % PLAN] {
                            Op::Transfer { from, to, amount } => {
                                // The lower account first: one global order.
                                let (first, second) = (from.0.min(to.0), from.0.max(to.0));
                                let mut a = balances[first].lock().unwrap();
                                let mut b = balances[second].lock().unwrap();
                                let (f, t) = if from.0 == first {
                                    (&mut *a, &mut *b)
                                } else {
                                    (&mut *b, &mut *a)
                                };
                                black_box(bank::move_money(from, f, t, amount)).ok();
                            }
                            Op::Audit => {
                                let held: Vec<_> =
                                    balances.iter().map(|b| b.lock().unwrap()).collect();
                                black_box(bank::sum(held.iter().map(|b| **b)));
                            }
                        }
                    })
                }
            };
            (client, ())
        },
    );

    // The sharded style's own primitive: its sixteen padded shard locks,
    // taken as it takes them (one for a transfer within a shard, two in
    // order across shards, all sixteen for an audit). Against the account
    // locks of `ordered_lock_pair` it was no floor: an audit there takes
    // one lock per account.
    cell.baseline(threads, "shard_lock_pair", Helpers::None, move |clients| {
        let opening = opening();
        let shards = 1usize << bank::sharded::SHARDS.min(opening.len()).max(1).ilog2();
        let (mask, shift) = (shards - 1, shards.ilog2());
        let balances: Arc<[Shard]> = (0..shards)
            .map(|s| {
                let shard = opening.iter().skip(s).step_by(shards).copied().collect();
                CachePadded::new(Mutex::new(shard))
            })
            .collect();
        let plans = plans(scenario, clients);
        let client = move |id: ClientId, stop: Stop| {
            let (balances, plans) = (Arc::clone(&balances), Arc::clone(&plans));
            async move {
                let locate = |a: AccountId| (a.0 & mask, a.0 >> shift);
                ops_until!(Threads, stop, |op| {
                    match plans[id.0][op as usize % PLAN] {
                        Op::Transfer { from, to, amount } => {
                            let ((fs, f), (ts, t)) = (locate(from), locate(to));
                            if fs == ts {
                                let mut shard = balances[fs].lock().unwrap();
                                let [a, b] = shard.get_disjoint_mut([f, t]).unwrap();
                                black_box(bank::move_money(from, a, b, amount)).ok();
                            } else {
                                let (first, second) = (fs.min(ts), fs.max(ts));
                                let mut low = balances[first].lock().unwrap();
                                let mut high = balances[second].lock().unwrap();
                                let (a, b) = if fs == first {
                                    (&mut low[f], &mut high[t])
                                } else {
                                    (&mut high[f], &mut low[t])
                                };
                                black_box(bank::move_money(from, a, b, amount)).ok();
                            }
                        }
                        Op::Audit => {
                            let held: Vec<_> = balances.iter().map(|b| b.lock().unwrap()).collect();
                            black_box(bank::sum(held.iter().flat_map(|s| s.iter().copied())));
                        }
                    }
                })
            }
        };
        (client, ())
    });

    cell.baseline(threads, "cas_pair", Helpers::None, move |clients| {
        let balances: Arc<[AtomicU64]> = opening().into_iter().map(AtomicU64::new).collect();
        let plans = plans(scenario, clients);
        let client = move |id: ClientId, stop: Stop| {
            let (balances, plans) = (Arc::clone(&balances), Arc::clone(&plans));
            async move {
                ops_until!(Threads, stop, |op| {
                    match plans[id.0][op as usize % PLAN] {
                        Op::Transfer { from, to, amount } => {
                            // A withdrawal that refuses to go negative,
                            // then a deposit: the torn `atomic`'s floor.
                            let taken = balances[from.0]
                                .fetch_update(Relaxed, Relaxed, |b| b.checked_sub(amount));
                            if taken.is_ok() {
                                balances[to.0].fetch_add(amount, Relaxed);
                            }
                        }
                        Op::Audit => {
                            black_box(bank::sum(balances.iter().map(|b| b.load(Relaxed))));
                        }
                    }
                })
            }
        };
        (client, ())
    });

    crossbeam_round_trip(cell, threads, Balances(scenario), move |clients| {
        requests(scenario, clients)
    });
}

/// The balances as one owner holds them: the actors' floors
/// (`benches::owners`).
#[derive(Clone, Copy)]
struct Balances(BankScenario);

impl Owned for Balances {
    type State = Vec<u64>;
    type Request = bank::Op;
    type Reply = u64;

    fn state(self) -> Vec<u64> {
        vec![OPENING_BALANCE; self.0.accounts]
    }

    fn serve(balances: &mut Vec<u64>, op: bank::Op) -> u64 {
        bank::serve(balances, op)
    }
}

/// Every client's plan as requests to an owner.
fn requests(scenario: BankScenario, clients: usize) -> Plans<bank::Op> {
    plans(scenario, clients)
        .iter()
        .map(|plan| {
            plan.iter()
                .map(|op| match *op {
                    Op::Transfer { from, to, amount } => bank::Op::Transfer { from, to, amount },
                    Op::Audit => bank::Op::Audit,
                })
                .collect()
        })
        .collect()
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
            add_every_style(cell, drivers, Load(scenario));
        },
    );
}
