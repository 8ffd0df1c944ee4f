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
use std::hash::BuildHasher;
use std::hint::black_box;
use std::sync::{Arc, Mutex, OnceLock};

use benches::owners::{
    Owned, Plans, async_std_round_trip, crossbeam_round_trip, crossbeam_sharded_round_trip,
    smol_round_trip, tokio_round_trip,
};
use benches::runner::{Cell, Drivers, StyleBench, throughput_main};
use benches::workloads::kv::{KEYS, Keys, KvScenario, scenarios, workload};
use benches::{measured_styles, ops_until};
use crossbeam_utils::CachePadded;
use patterns::drive::{ClientOp, Driver, Stop, Threads, Tokio};
use patterns::kv::{self, Map, Session, SessionId, SessionStore, apply_update};
use patterns::primitives::rng::SplitMix64;
use patterns::{ClientId, Helpers};

// Allocations per operation are part of every cell's cost.
benches::count_allocations!();

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

/// Every client's plan, drawn once per scenario and client count and
/// shared by every round and row (drawing Zipf keys takes milliseconds).
fn plans(scenario: KvScenario, clients: usize) -> Arc<[Box<[Op]>]> {
    type Drawn = Vec<((String, usize), Arc<[Box<[Op]>]>)>;
    static DRAWN: Mutex<Drawn> = Mutex::new(Vec::new());
    use benches::report::workload::Scenario;
    let key = (scenario.name(), clients);
    let mut drawn = DRAWN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, plans)) = drawn.iter().find(|(k, _)| *k == key) {
        return Arc::clone(plans);
    }
    let plans: Arc<[Box<[Op]>]> = (0..clients).map(|c| plan(scenario, c)).collect();
    // One scenario's plans at a time: the runner measures cell by cell.
    drawn.clear();
    drawn.push((key, Arc::clone(&plans)));
    plans
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

patterns::for_each_store!(measured_styles);

/// One plan entry as the library's operation (what an owner serves).
fn as_op(op: Op) -> kv::Op {
    match op {
        Op::Get(key) => kv::Op::Get(key),
        Op::Insert(key) => kv::Op::Insert(key, session(key)),
        Op::Remove(key) => kv::Op::Remove(key),
        Op::Update(key) => kv::Op::Update(key, 1),
    }
}

/// The shards of the sixteen-locked-maps baseline (as the `sharded` style).
const SHARDS: usize = 16;

/// The baselines, on OS threads: each family's bare primitive replaying
/// the same plans, with no trait and no future per operation.
fn baselines<'a>(cell: &mut Cell<'a>, threads: &'a Threads, scenario: KvScenario) {
    // ANCHOR: baseline_map
    // One map behind one lock: `$read` and `$write` give its guards (a
    // shared one for `get`, where the lock has one).
    macro_rules! locked_map {
        ($name:literal, $lock:expr, |$m:ident| $read:expr, $write:expr) => {
            cell.baseline(threads, $name, Helpers::None, move |clients| {
                let map = Arc::new($lock(kv::filled_map(KEYS as usize, &prefill())));
                let plans = plans(scenario, clients);
                let client = move |id: ClientId, stop: Stop| {
                    let (map, plans) = (Arc::clone(&map), Arc::clone(&plans));
                    async move {
                        ops_until!(Threads, stop, |op| {
                            let $m = &map;
                            let answer = match as_op(plans[id.0][op as usize % PLAN]) {
                                kv::Op::Get(key) => $read.get(&key).copied(),
                                op => kv::serve(&mut $write, op),
                            };
                            black_box(answer);
                        })
                    }
                };
                (client, ())
            });
        };
    }
    locked_map!(
        "locked_map",
        Mutex::new,
        |m| m.lock().unwrap(),
        m.lock().unwrap()
    );
    locked_map!(
        "parking_lot_locked_map",
        parking_lot::Mutex::new,
        |m| m.lock(),
        m.lock()
    );
    locked_map!(
        "rwlock_map",
        std::sync::RwLock::new,
        |m| m.read().unwrap(),
        m.write().unwrap()
    );
    locked_map!(
        "parking_lot_rwlock_map",
        parking_lot::RwLock::new,
        |m| m.read(),
        m.write()
    );
    // ANCHOR_END: baseline_map

    cell.baseline(
        threads,
        "sixteen_locked_maps",
        Helpers::None,
        move |clients| {
            let hasher = kv::Hasher::default();
            let mut maps: Vec<Map> = (0..SHARDS)
                .map(|_| kv::new_map(KEYS as usize / SHARDS + 1))
                .collect();
            for (id, s) in prefill() {
                maps[kv::shard_of(hasher.hash_one(id), SHARDS)].insert(id, s);
            }
            // Each lock on its own cache line, as the `sharded` style has them.
            let shards: Arc<[CachePadded<Mutex<Map>>]> = maps
                .into_iter()
                .map(|m| CachePadded::new(Mutex::new(m)))
                .collect();
            let plans = plans(scenario, clients);
            let client = move |id: ClientId, stop: Stop| {
                let (shards, plans, hasher) =
                    (Arc::clone(&shards), Arc::clone(&plans), hasher.clone());
                async move {
                    ops_until!(Threads, stop, |op| {
                        let op = as_op(plans[id.0][op as usize % PLAN]);
                        let shard = &shards[kv::shard_of(hasher.hash_one(op.id()), SHARDS)];
                        black_box(kv::serve(&mut shard.lock().unwrap(), op));
                    })
                }
            };
            (client, ())
        },
    );

    cell.baseline(threads, "dashmap", Helpers::None, move |clients| {
        let map: Arc<dashmap::DashMap<SessionId, Session, kv::Hasher>> = Arc::new(
            dashmap::DashMap::with_capacity_and_hasher(KEYS as usize, kv::Hasher::default()),
        );
        for (id, s) in prefill() {
            map.insert(id, s);
        }
        let plans = plans(scenario, clients);
        let client = move |id: ClientId, stop: Stop| {
            let (map, plans) = (Arc::clone(&map), Arc::clone(&plans));
            async move {
                ops_until!(Threads, stop, |op| {
                    let answer = match plans[id.0][op as usize % PLAN] {
                        Op::Get(key) => map.get(&key).map(|s| *s),
                        Op::Insert(key) => map.insert(key, session(key)),
                        Op::Remove(key) => map.remove(&key).map(|(_, s)| s),
                        Op::Update(key) => map.get_mut(&key).map(|mut s| apply_update(&mut s, 1)),
                    };
                    black_box(answer);
                })
            }
        };
        (client, ())
    });

    crossbeam_round_trip(cell, threads, Sessions, move |clients| {
        requests(scenario, clients)
    });
    crossbeam_sharded_round_trip(cell, threads, Sessions, move |clients| {
        requests(scenario, clients)
    });
}

/// The store as an owner holds it, whole or in shards: the actors' floors
/// (`benches::owners`).
#[derive(Clone, Copy)]
struct Sessions;

impl Owned for Sessions {
    type State = Map;
    type Request = kv::Op;
    type Reply = Option<Session>;

    fn state(self) -> Map {
        kv::filled_map(KEYS as usize, &prefill())
    }

    fn shard(self, shard: usize, shards: usize) -> Map {
        let mine: Vec<_> = prefill()
            .into_iter()
            .filter(|(id, _)| route_key(*id, shards) == shard)
            .collect();
        kv::filled_map(KEYS as usize / shards + 1, &mine)
    }

    fn route(self, op: &kv::Op, shards: usize) -> usize {
        route_key(op.id(), shards)
    }

    fn serve(map: &mut Map, op: kv::Op) -> Option<Session> {
        kv::serve(map, op)
    }
}

/// A key's shard in the sharded round trip: the store's hasher, as the
/// sharded actor routes.
fn route_key(id: SessionId, shards: usize) -> usize {
    static HASHER: OnceLock<kv::Hasher> = OnceLock::new();
    kv::shard_of(HASHER.get_or_init(kv::Hasher::default).hash_one(id), shards)
}

/// Every client's plan as requests to an owner.
fn requests(scenario: KvScenario, clients: usize) -> Plans<kv::Op> {
    plans(scenario, clients)
        .iter()
        .map(|plan| plan.iter().map(|&op| as_op(op)).collect())
        .collect()
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
            add_every_style(cell, drivers, Load(scenario));
        },
    );
}
