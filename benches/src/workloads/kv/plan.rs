//! The session store's plans and baselines: each client's operations
//! (uniform or Zipf-skewed keys), drawn before measuring so that every
//! style and every baseline replays the same ones, and the bare primitives
//! each family of styles is built on (one locked map, sixteen locked maps,
//! a `DashMap`, round trips to owners of the map).

use std::hash::BuildHasher;
use std::hint::black_box;
use std::sync::{Arc, Mutex, OnceLock};

use crossbeam_utils::CachePadded;
use patterns::drive::{Stop, Threads};
use patterns::kv::{self, Map, Session, SessionId, apply_update};
use patterns::primitives::rng::SplitMix64;
use patterns::{ClientId, Helpers};

use super::{KEYS, Keys, KvScenario};
use crate::ops_until;
use crate::owners::{Owned, Plans, crossbeam_round_trip, crossbeam_sharded_round_trip};
use crate::runner::Cell;

/// Operations in each client's plan (a power of two).
pub const PLAN: usize = 1 << 16;

#[derive(Clone, Copy)]
pub enum Op {
    Get(SessionId),
    Insert(SessionId),
    Remove(SessionId),
    Update(SessionId),
}

pub fn session(id: SessionId) -> Session {
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
pub fn plans(scenario: KvScenario, clients: usize) -> Arc<[Box<[Op]>]> {
    type Drawn = Vec<((String, usize), Arc<[Box<[Op]>]>)>;
    static DRAWN: Mutex<Drawn> = Mutex::new(Vec::new());
    use crate::report::workload::Scenario;
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
pub fn prefill() -> Vec<(SessionId, Session)> {
    (0..KEYS).step_by(2).map(|id| (id, session(id))).collect()
}

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
pub fn baselines<'a>(cell: &mut Cell<'a>, threads: &'a Threads, scenario: KvScenario) {
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
pub struct Sessions;

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
pub fn requests(scenario: KvScenario, clients: usize) -> Plans<kv::Op> {
    plans(scenario, clients)
        .iter()
        .map(|plan| plan.iter().map(|&op| as_op(op)).collect())
        .collect()
}
