//! Counter benchmarks: every style from the registry under every driver,
//! with 1, cores and 2 x cores clients, adding and reading, beside the raw
//! primitives they are built on; then the batching styles adding sixteen
//! at a time, and the bare locks with critical sections of three lengths
//! (`benches::workloads::counter::locks`). Ends by printing the
//! side-by-side report.
//!
//! Each cell runs its rows in interleaved rounds (see `benches::runner`):
//! every client loops until the window's stop flag, all released at a
//! start barrier; throughput is their operations over the span from the
//! first start to the last finish, beside what the run cost.

use std::future::Future;

use benches::measured_style;
use benches::runner::{Drivers, Either, StyleBench, throughput_main};
use benches::settings::DRIVERS;
use benches::workloads::counter::baselines::{
    async_std_baselines, smol_baselines, thread_baselines, tokio_baselines,
};
use benches::workloads::counter::locks::{hold_rows, unbatched_rows};
use benches::workloads::counter::{BATCH, CounterScenario, SCENARIOS, workload};
use patterns::counter::Counter;
use patterns::drive::{AsyncStd, ClientOp, Driver, Smol, Threads, Tokio};
use patterns::{ClientId, Helpers};

// Allocations per operation are part of every cell's cost.
benches::count_allocations!();

// ANCHOR: client
/// What a client does, one operation at a time, through the trait; the same
/// for every style. The driver runs the loop. The scenario is a type
/// parameter so that the operation carries no run-time branch on it; the
/// two possible operations are one [`Either`] future.
struct CounterClient<C, const MIXED: bool> {
    counter: C,
}

impl<C: Counter, const MIXED: bool> ClientOp for CounterClient<C, MIXED> {
    fn op(&self, id: ClientId, op: u64) -> impl Future<Output = ()> + Send + '_ {
        if MIXED && CounterScenario::is_tenth(op) {
            Either::Right(self.counter.get())
        } else {
            Either::Left(self.counter.add(id, 1))
        }
    }
}
// ANCHOR_END: client

/// A scenario as a type, `Load<false>` (adds only) or `Load<true>` (every
/// tenth operation a read), so each gets its own monomorphised client.
#[derive(Clone, Copy)]
struct Load<const MIXED: bool>;

impl<C: Counter, const MIXED: bool> StyleBench<C> for Load<MIXED> {
    fn style() -> &'static str {
        C::STYLE
    }

    fn helpers() -> Helpers {
        C::HELPERS
    }

    fn client<D: Driver>(self, driver: &D, clients: usize) -> impl ClientOp {
        CounterClient::<C, MIXED> {
            counter: driver.enter(|| C::new(clients)),
        }
    }
}

/// The batch scenario: every call is `add_many(client, &[1; BATCH])`,
/// measured for the styles that apply a batch in one step.
#[derive(Clone, Copy)]
struct Batched;

struct BatchClient<C> {
    counter: C,
}

static ONES: [u64; BATCH] = [1; BATCH];

impl<C: Counter> ClientOp for BatchClient<C> {
    fn op(&self, id: ClientId, _op: u64) -> impl Future<Output = ()> + Send + '_ {
        self.counter.add_many(id, &ONES)
    }
}

impl<C: Counter> StyleBench<C> for Batched {
    fn style() -> &'static str {
        C::STYLE
    }

    fn helpers() -> Helpers {
        C::HELPERS
    }

    fn client<D: Driver>(self, driver: &D, clients: usize) -> impl ClientOp {
        BatchClient {
            counter: driver.enter(|| C::new(clients)),
        }
    }

    fn measures() -> bool {
        C::BATCHES
    }
}

fn main() {
    throughput_main(
        &workload(),
        &SCENARIOS,
        &DRIVERS,
        |cell, drivers: &Drivers, &scenario| {
            let threads = drivers.is_chosen::<Threads>().then_some(&drivers.threads);
            let tokio = drivers.is_chosen::<Tokio>().then_some(&drivers.tokio);
            if let CounterScenario::Hold { nanos } = scenario {
                return hold_rows(cell, threads, tokio, nanos);
            }
            if scenario == CounterScenario::Batch {
                // A question of one caller and of callers contending for
                // the cores; oversubscription adds nothing to it.
                if cell.clients > patterns::sync::cores() {
                    return;
                }
                cell.only_drivers(&[Threads::NAME, Tokio::NAME]);
                unbatched_rows(cell, threads, tokio);
            }
            // Each baseline runs on the driver of the rows it is compared with.
            if let Some(threads) = threads {
                thread_baselines(cell, threads, scenario);
            }
            if let Some(tokio) = tokio {
                tokio_baselines(cell, tokio, scenario);
            }
            if scenario != CounterScenario::Batch {
                if drivers.is_chosen::<AsyncStd>() {
                    async_std_baselines(cell, &drivers.async_std, scenario);
                }
                if drivers.is_chosen::<Smol>() {
                    smol_baselines(cell, &drivers.smol, scenario);
                }
            }
            match scenario {
                CounterScenario::Mixed => {
                    patterns::for_each_counter!(measured_style [cell, drivers, Load::<true>]);
                }
                CounterScenario::Batch => {
                    patterns::for_each_counter!(measured_style [cell, drivers, Batched]);
                }
                _ => {
                    patterns::for_each_counter!(measured_style [cell, drivers, Load::<false>]);
                }
            }
        },
    );
}
