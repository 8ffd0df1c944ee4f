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
//! all four).

use std::future::Future;
use std::sync::OnceLock;

use benches::measured_styles;
use benches::runner::{StyleBench, StyleRun, criterion_main};
use benches::workloads::kv::{KEYS, Keys, KvScenario, scenarios, workload};
use patterns::ClientId;
use patterns::drive::{ClientOp, Driver, Threads, Tokio};
use patterns::kv::{Session, SessionId, SessionStore};
use patterns::primitives::rng::SplitMix64;

/// Operations in each client's plan (a power of two).
const PLAN: usize = 1 << 16;

#[derive(Clone, Copy)]
enum Op {
    Get(SessionId),
    Insert(SessionId),
    Remove(SessionId),
    Update(SessionId),
}

fn session(id: SessionId) -> Session {
    Session {
        user: id,
        hits: 0,
        data: [0; 16],
    }
}

/// The Zipf distribution's cumulative weights over the key space's ranks
/// (rank r has weight 1/(r+1)), normalised to end at 1.
fn zipf_cdf() -> &'static [f64] {
    static CDF: OnceLock<Vec<f64>> = OnceLock::new();
    CDF.get_or_init(|| {
        let mut sum = 0.0;
        let mut cdf: Vec<f64> = (0..KEYS)
            .map(|rank| {
                sum += 1.0 / (rank + 1) as f64;
                sum
            })
            .collect();
        for c in &mut cdf {
            *c /= sum;
        }
        cdf
    })
}

fn draw_key(keys: Keys, rng: &mut SplitMix64) -> SessionId {
    match keys {
        Keys::Uniform => rng.next_u64() % KEYS,
        Keys::Zipf => {
            let rank = zipf_cdf().partition_point(|c| *c < rng.unit()) as u64;
            // Spread the popular ranks over the key space (multiplying by
            // an odd number is a bijection modulo 2^16), so the hot keys
            // are not neighbours.
            (rank.min(KEYS - 1) * 0x9E37_79B1) % KEYS
        }
    }
}

fn plan(scenario: KvScenario, client: usize) -> Box<[Op]> {
    let mut rng = SplitMix64::new(0xC0FF_EE00 ^ (client as u64 + 1) << 32);
    let mix = scenario.mix;
    (0..PLAN)
        .map(|_| {
            let roll = rng.next_u64() % 100;
            let key = draw_key(scenario.keys, &mut rng);
            if roll < mix.get {
                Op::Get(key)
            } else if roll < mix.get + mix.insert {
                Op::Insert(key)
            } else if roll < mix.get + mix.insert + mix.remove {
                Op::Remove(key)
            } else {
                Op::Update(key)
            }
        })
        .collect()
}

/// Half of the key space: the even keys.
fn prefill() -> Vec<(SessionId, Session)> {
    (0..KEYS).step_by(2).map(|id| (id, session(id))).collect()
}

// ANCHOR: client
/// What a client does: its plan's next operation, through the trait. Every
/// operation's result is one `Option<Session>`, so a single `async` block
/// holds whichever future the operation needs.
struct StoreClient<S> {
    store: S,
    plans: Box<[Box<[Op]>]>,
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

    fn client<D: Driver>(self, driver: &D, clients: usize) -> impl ClientOp {
        StoreClient {
            store: driver.enter(|| S::with_sessions(KEYS as usize, &prefill())),
            plans: (0..clients).map(|c| plan(self.0, c)).collect(),
        }
    }
}

patterns::for_each_store!(measured_styles);

fn main() {
    criterion_main(
        &workload(),
        &scenarios(),
        &[Threads::NAME, Tokio::NAME],
        MEASURED_STYLES,
        &[],
        |group, drivers, &scenario, clients| {
            measure_every_style(&mut StyleRun::new(group, drivers, Load(scenario), clients))
        },
    );
}
