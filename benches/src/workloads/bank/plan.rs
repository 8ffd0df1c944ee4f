//! The bank's plans and baselines: each client's operations, drawn before
//! measuring so that every style and every baseline replays the same
//! ones, and the bare primitives each family of styles is built on (one
//! lock around the balances, ordered account locks, the sharded style's
//! shard locks, atomics, a round trip to an owner).

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use crossbeam_utils::CachePadded;
use patterns::bank::{self, AccountId};
use patterns::drive::{Stop, Threads};
use patterns::primitives::rng::SplitMix64;
use patterns::{ClientId, Helpers};

use super::BankScenario;
use crate::ops_until;
use crate::owners::{Owned, Plans, crossbeam_round_trip};
use crate::runner::Cell;

/// Operations in each client's plan (a power of two: the index is a mask).
pub const PLAN: usize = 4096;

/// Large enough that no transfer is ever refused: after a billion random
/// transfers of at most 100, a balance has drifted by about 3 million.
pub const OPENING_BALANCE: u64 = 1 << 40;

#[derive(Clone, Copy)]
pub enum Op {
    Transfer {
        from: AccountId,
        to: AccountId,
        amount: u64,
    },
    Audit,
}

/// Client `client`'s plan: transfers between two different accounts chosen
/// uniformly (so with 2 accounts, half go each way), `audit_percent` audits.
pub fn plan(scenario: BankScenario, client: usize) -> Box<[Op]> {
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

/// Some balances under one lock, alone on a cache line (the sharded style's).
type Shard = CachePadded<Mutex<Box<[u64]>>>;

/// Every client's plan, shared by a baseline's clients.
pub fn plans(scenario: BankScenario, clients: usize) -> Arc<[Box<[Op]>]> {
    (0..clients).map(|c| plan(scenario, c)).collect()
}

/// The baselines, on OS threads: what each family of styles is built on,
/// with no trait, no future per operation and no argument checks.
pub fn baselines<'a>(cell: &mut Cell<'a>, threads: &'a Threads, scenario: BankScenario) {
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
pub struct Balances(pub BankScenario);

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
pub fn requests(scenario: BankScenario, clients: usize) -> Plans<bank::Op> {
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
