//! Routing-table benchmarks: every style from the registry (the broken
//! `racy` excepted) under the thread driver, with 1, cores and
//! 2 x cores clients, in six scenarios: a lookup or a walk of every slot
//! per read, with no writes, a replacement once in 10,000 of the writer's
//! operations, or once in 100. Ends by printing the side-by-side report.
//!
//! Client 0 is the only writer. Its replacements are copies of one of two
//! tables built before measuring (a copy of 64 KiB is what every style's
//! `replace` is handed), so a write costs the same allocation and copy in
//! every style and the styles differ only in how they publish it. Keys are
//! drawn before measuring.
//!
//! The baselines replay the same plan against the bare primitives: a std
//! and a parking_lot `RwLock` around the table, a `Mutex` around an `Arc`
//! cloned out, an `ArcSwap`.

use std::future::Future;
use std::hint::black_box;
use std::sync::{Arc, Mutex};

use benches::runner::{Cell, Drivers, StyleBench, throughput_main};
use benches::workloads::routes::{Read, RoutesScenario, scenarios, workload};
use benches::{measured_style, ops_until};
use patterns::drive::{ClientOp, Driver, Stop, Threads};
use patterns::primitives::rng::SplitMix64;
use patterns::routes::{RouteTable, SLOTS, Table};
use patterns::{ClientId, Helpers};

// Allocations per operation are part of every cell's cost.
benches::count_allocations!();

/// Keys in the shared plan (a power of two); client `c` starts at its own
/// offset in it.
const KEYS: usize = 1 << 16;

/// What a client does at one step of its plan.
#[derive(Clone, Copy)]
enum Action {
    /// Replace the table with a copy of `tables[i]`.
    Write(usize),
    Lookup(u64),
    Scan,
}

// ANCHOR: plan
/// The scenario's plan, shared by every client, round and row: keys drawn
/// once, and the two tables the writer alternates between.
#[derive(Clone)]
struct Plan {
    scenario: RoutesScenario,
    keys: Arc<[u64]>,
    tables: Arc<[Table; 2]>,
}

impl Plan {
    fn new(scenario: RoutesScenario) -> Plan {
        let mut rng = SplitMix64::new(0x2047_7AB1);
        Plan {
            scenario,
            keys: (0..KEYS).map(|_| rng.next_u64()).collect(),
            tables: Arc::new([Table::new(1, SLOTS), Table::new(2, SLOTS)]),
        }
    }

    #[inline]
    fn action(&self, id: ClientId, op: u64) -> Action {
        if let (0, Some(every)) = (id.0, self.scenario.writes.every)
            && op % every == every - 1
        {
            return Action::Write(((op / every) % 2) as usize);
        }
        match self.scenario.read {
            Read::Lookup => Action::Lookup(self.keys[(op as usize + id.0 * 7919) % KEYS]),
            Read::Scan => Action::Scan,
        }
    }
}
// ANCHOR_END: plan

/// What a client does: its plan's next step, through the trait.
struct TableClient<T> {
    table: T,
    plan: Plan,
}

impl<T: RouteTable> ClientOp for TableClient<T> {
    fn op(&self, id: ClientId, op: u64) -> impl Future<Output = ()> + Send + '_ {
        let action = self.plan.action(id, op);
        async move {
            match action {
                Action::Write(i) => self.table.replace(self.plan.tables[i].clone()).await,
                Action::Lookup(key) => {
                    black_box(self.table.route(key).await);
                }
                Action::Scan => {
                    black_box(self.table.scan().await);
                }
            }
        }
    }
}

/// The scenario as this bench's own type (the trait and the scenario are
/// both the library's, so the impl needs a local type).
#[derive(Clone, Copy)]
struct Load(RoutesScenario);

impl<T: RouteTable> StyleBench<T> for Load {
    fn style() -> &'static str {
        T::STYLE
    }

    fn helpers() -> Helpers {
        T::HELPERS
    }

    fn client<D: Driver>(self, driver: &D, _clients: usize) -> impl ClientOp {
        let plan = Plan::new(self.0);
        TableClient {
            table: driver.enter(|| T::new(plan.tables[0].clone())),
            plan,
        }
    }
}

/// The baselines, on OS threads: each style's bare primitive replaying the
/// same plan, with no trait and no future per operation.
fn baselines<'a>(cell: &mut Cell<'a>, threads: &'a Threads, scenario: RoutesScenario) {
    // ANCHOR: baseline
    // `$new` wraps the first table; `$read` gives something that derefs to
    // the table (a guard, a clone of the `Arc`); `$write` installs `$table`.
    macro_rules! shared_table {
        ($name:literal, $new:expr, |$s:ident| $read:expr, |$w:ident, $table:ident| $write:expr) => {
            cell.baseline(threads, $name, Helpers::None, move |_clients| {
                let plan = Plan::new(scenario);
                let shared = Arc::new($new(plan.tables[0].clone()));
                let client = move |id: ClientId, stop: Stop| {
                    let (shared, plan) = (Arc::clone(&shared), plan.clone());
                    async move {
                        ops_until!(Threads, stop, |op| {
                            let $s = &*shared;
                            match plan.action(id, op) {
                                Action::Write(i) => {
                                    let ($w, $table) = ($s, plan.tables[i].clone());
                                    $write;
                                }
                                Action::Lookup(key) => {
                                    black_box($read.route(key));
                                }
                                Action::Scan => {
                                    black_box($read.scan());
                                }
                            }
                        })
                    }
                };
                (client, ())
            });
        };
    }
    shared_table!(
        "rwlock_table",
        std::sync::RwLock::new,
        |s| s.read().unwrap(),
        // The old table is freed after the guard is gone, as the style does.
        |w, table| {
            let old = std::mem::replace(&mut *w.write().unwrap(), table);
            drop(old)
        }
    );
    shared_table!(
        "parking_lot_rwlock_table",
        parking_lot::RwLock::new,
        |s| s.read(),
        |w, table| {
            let old = std::mem::replace(&mut *w.write(), table);
            drop(old)
        }
    );
    shared_table!(
        "mutex_arc_clone",
        |t| Mutex::new(Arc::new(t)),
        // The guard is dropped inside the block: the read runs unlocked.
        |s| {
            let guard = s.lock().unwrap();
            Arc::clone(&guard)
        },
        // The `Arc` is made before the lock and the old one dropped after.
        |w, table| {
            let new = Arc::new(table);
            let old = std::mem::replace(&mut *w.lock().unwrap(), new);
            drop(old)
        }
    );
    shared_table!(
        "arc_swap_load",
        arc_swap::ArcSwap::from_pointee,
        |s| s.load(),
        |w, table| w.store(Arc::new(table))
    );
    // ANCHOR_END: baseline
}

fn main() {
    throughput_main(
        &workload(),
        &scenarios(),
        // Every operation is synchronous inside its future, so the tokio
        // driver adds its per-operation cost and nothing else (the other
        // workloads measure that); WORKBENCH_DRIVERS=all adds it here.
        &[Threads::NAME],
        |cell, drivers: &Drivers, &scenario| {
            if drivers.is_chosen::<Threads>() {
                baselines(cell, &drivers.threads, scenario);
            }
            patterns::for_each_route_table!(measured_style [cell, drivers, Load(scenario)]);
        },
    );
}
