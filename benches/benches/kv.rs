//! Session store benchmarks: every style from the registry (the broken
//! `racy` excepted) under the thread and tokio drivers, with 1, cores and
//! 2 x cores clients, in six scenarios: three operation mixes, each with
//! uniform and with Zipf-skewed keys. Ends by printing the side-by-side
//! report.
//!
//! The key space is 2^16 sessions, half of them present at the start (every
//! store is built already filled, outside the timing, and dropped outside
//! it). Each client's operations are drawn before measuring into a plan of
//! 2^16 entries that it cycles through: no random numbers, no Zipf sampling
//! in the timed region, and every style replays the same operations.
//!
//! Two drivers by default, as for the bank (`WORKBENCH_DRIVERS=all` for
//! all four). The baselines replay the same plans against bare
//! primitives: one locked map, sixteen locked maps, a `DashMap`, and
//! round trips to owners of the map (`benches::owners`): a crossbeam
//! round trip to one owner thread or to one of an owner per core, and,
//! on tokio, to an owner task over tokio's, async-std's and smol's
//! channels.

use std::future::Future;
use std::sync::Arc;

use benches::measured_style;
use benches::owners::{async_std_round_trip, smol_round_trip, tokio_round_trip};
use benches::runner::{Drivers, StyleBench, throughput_main};
use benches::workloads::kv::plan::{
    Op, PLAN, Sessions, baselines, plans, prefill, requests, session,
};
use benches::workloads::kv::{KEYS, KvScenario, scenarios, workload};
use patterns::drive::{ClientOp, Driver, Threads, Tokio};
use patterns::kv::SessionStore;
use patterns::{ClientId, Helpers};

// Allocations per operation are part of every cell's cost.
benches::count_allocations!();

// ANCHOR: client
/// What a client does: its plan's next operation, through the trait. Every
/// operation's result is one `Option<Session>`, so a single `async` block
/// holds whichever future the operation needs.
struct StoreClient<S> {
    store: S,
    plans: Arc<[Box<[Op]>]>,
}

impl<S: SessionStore> ClientOp for StoreClient<S> {
    fn op(&self, id: ClientId, op: u64) -> impl Future<Output = ()> + Send + '_ {
        let op = self.plans[id.0][op as usize % PLAN];
        async move {
            let answer = match op {
                Op::Get(key) => self.store.get(key).await,
                Op::Insert(key) => self.store.insert(key, session(key)).await,
                Op::Remove(key) => self.store.remove(key).await,
                Op::Update(key) => self.store.update(key, 1).await,
            };
            std::hint::black_box(answer);
        }
    }
}
// ANCHOR_END: client

/// The scenario as this bench's own type (the trait and the scenario are
/// both the library's, so the impl needs a local type).
#[derive(Clone, Copy)]
struct Load(KvScenario);

impl<S: SessionStore> StyleBench<S> for Load {
    fn style() -> &'static str {
        S::STYLE
    }

    fn helpers() -> Helpers {
        S::HELPERS
    }

    fn client<D: Driver>(self, driver: &D, clients: usize) -> impl ClientOp {
        StoreClient {
            store: driver.enter(|| S::with_sessions(KEYS as usize, &prefill())),
            plans: plans(self.0, clients),
        }
    }
}

fn main() {
    throughput_main(
        &workload(),
        &scenarios(),
        &[Threads::NAME, Tokio::NAME],
        |cell, drivers: &Drivers, &scenario| {
            if drivers.is_chosen::<Threads>() {
                baselines(cell, &drivers.threads, scenario);
            }
            if drivers.is_chosen::<Tokio>() {
                let tokio = &drivers.tokio;
                let requests = move |clients| requests(scenario, clients);
                tokio_round_trip(cell, tokio, Sessions, requests);
                async_std_round_trip(cell, tokio, Sessions, requests);
                smol_round_trip(cell, tokio, Sessions, requests);
            }
            patterns::for_each_store!(measured_style [cell, drivers, Load(scenario)]);
        },
    );
}
