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
use std::marker::PhantomData;
use std::sync::OnceLock;
use std::time::SystemTime;

use benches::report::{self, KV};
use benches::{Drivers, PerDriver, measure_ops};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Throughput};
use patterns::ClientId;
use patterns::drive::{ClientOp, Driver, Threads, Tokio};
use patterns::kv::{Session, SessionId, SessionStore};

type Group<'a> = BenchmarkGroup<'a, WallTime>;

/// Sessions in the key space.
const KEYS: u64 = 1 << 16;

/// Operations in each client's plan (a power of two).
const PLAN: usize = 1 << 16;

// ANCHOR: scenarios
/// Percentages of get / insert / remove / update.
#[derive(Clone, Copy)]
struct Mix {
    name: &'static str,
    get: u64,
    insert: u64,
    remove: u64,
}

const MIXES: [Mix; 3] = [
    // A session store: almost every request reads its session.
    Mix {
        name: "read-heavy",
        get: 98,
        insert: 1,
        remove: 1,
    },
    // Reads, logins, logouts and per-request counters together.
    Mix {
        name: "mixed",
        get: 50,
        insert: 20,
        remove: 10,
    },
    // Churn: sessions created and dropped faster than read.
    Mix {
        name: "write-heavy",
        get: 10,
        insert: 40,
        remove: 40,
    },
];

#[derive(Clone, Copy, PartialEq)]
enum Keys {
    Uniform,
    /// Zipf with s = 1: the most popular session is asked for 32,768 times
    /// as often as the median one, and the top 1% of keys (655) draw about
    /// 60% of all requests.
    Zipf,
}
// ANCHOR_END: scenarios

#[derive(Clone, Copy)]
struct Scenario {
    mix: Mix,
    keys: Keys,
}

impl Scenario {
    /// Must match the names in `benches::report::KV`.
    fn group(self) -> String {
        let keys = match self.keys {
            Keys::Uniform => "uniform",
            Keys::Zipf => "zipf",
        };
        format!("kv-{}-{keys}", self.mix.name)
    }
}

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

/// splitmix64: a small, good generator for drawing plans.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
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

fn draw_key(keys: Keys, rng: &mut SplitMix) -> SessionId {
    match keys {
        Keys::Uniform => rng.next() % KEYS,
        Keys::Zipf => {
            let rank = zipf_cdf().partition_point(|c| *c < rng.unit()) as u64;
            // Spread the popular ranks over the key space (multiplying by
            // an odd number is a bijection modulo 2^16), so the hot keys
            // are not neighbours.
            (rank.min(KEYS - 1) * 0x9E37_79B1) % KEYS
        }
    }
}

fn plan(scenario: Scenario, client: usize) -> Box<[Op]> {
    let mut rng = SplitMix(0xC0FF_EE00 ^ (client as u64 + 1) << 32);
    let mix = scenario.mix;
    (0..PLAN)
        .map(|_| {
            let roll = rng.next() % 100;
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

fn bench_style_under<S: SessionStore, D: Driver>(
    group: &mut Group,
    driver: &D,
    scenario: Scenario,
    clients: usize,
) {
    let client = StoreClient {
        store: driver.enter(|| S::with_sessions(KEYS as usize, &prefill())),
        plans: (0..clients).map(|c| plan(scenario, c)).collect(),
    };
    let id = BenchmarkId::new(format!("{}@{}", S::STYLE, D::NAME), clients);
    measure_ops(group, id, driver, clients, client);
}

/// One style in one scenario with some clients, under each chosen driver.
struct StyleRun<'g, 'c, S> {
    group: &'g mut Group<'c>,
    scenario: Scenario,
    clients: usize,
    style: PhantomData<S>,
}

impl<S: SessionStore> PerDriver for StyleRun<'_, '_, S> {
    fn under<D: Driver>(&mut self, driver: &D) {
        bench_style_under::<S, D>(self.group, driver, self.scenario, self.clients);
    }
}

fn bench_style<S: SessionStore>(
    group: &mut Group,
    drivers: &Drivers,
    scenario: Scenario,
    clients: usize,
) {
    drivers.for_each_chosen(&mut StyleRun::<S> {
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
        broken: [$($b:ident: $bt:ty,)*],
    ) => {
        fn bench_every_style(group: &mut Group, drivers: &Drivers, scenario: Scenario, clients: usize) {
            $(bench_style::<$ft>(group, drivers, scenario, clients);)*
            $(bench_style::<$lt>(group, drivers, scenario, clients);)*
            // `racy` loses writes: never benchmarked.
        }
    };
}
patterns::for_each_store!(bench_every_style);

fn main() {
    let sweep = benches::client_sweep_or_exit();
    let chosen = benches::driver_choice_or_exit(&[Threads::NAME, Tokio::NAME]);
    let run_started = SystemTime::now();
    let mut criterion = benches::criterion();
    let drivers = Drivers::new(chosen);
    for mix in MIXES {
        for keys in [Keys::Uniform, Keys::Zipf] {
            let scenario = Scenario { mix, keys };
            let mut group = criterion.benchmark_group(scenario.group());
            group.throughput(Throughput::Elements(1));
            for &clients in &sweep {
                bench_every_style(&mut group, &drivers, scenario, clients);
            }
            group.finish();
        }
    }
    criterion.final_summary();
    drop(drivers);
    if benches::measuring() {
        report::after_bench(&KV, run_started);
    }
}
