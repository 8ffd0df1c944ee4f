//! # The key-value session store workload
//!
//! A map from session id to a small session record: the session store of
//! a web server, the state of a key-value server. Unlike the bank, every
//! operation touches one key, so the question is not an invariant across
//! keys but how many operations on *different* keys can proceed at once,
//! and what reads cost when writes are rare (an `RwLock`), spread out
//! (sharding, `dashmap`) or funnelled through one owner (an actor).
//!
//! ## Contract (what every implementation promises)
//!
//! Every operation is atomic with respect to every other operation on the
//! same key, and behaves as the sequential model ([`SequentialStore`], a
//! `HashMap`) says:
//!
//! - `get(id)` returns the session stored under `id`, if any;
//! - `insert(id, session)` stores it and returns the one it replaced;
//! - `remove(id)` removes and returns it;
//! - `update(id, hits)` adds `hits` to the stored session's `hits` counter
//!   (wrapping) and returns the updated session, or `None` (and stores
//!   nothing) if `id` is absent. It is one read-modify-write: two
//!   concurrent updates of one key both count. This is the operation the
//!   broken `racy` style gets wrong.
//! - Dropping the implementation stops and joins every thread it started.
//!
//! Every implementation hashes with the same hasher, [`Hasher`].

use std::collections::HashMap;
use std::future::Future;

use crate::Helpers;

pub mod actor;
pub mod mutex;
pub mod racy;
pub mod rwlock;
pub mod sharded;
pub mod sharded_actor;

#[cfg(not(workbench_loom))]
pub mod actor_async_std;
#[cfg(not(workbench_loom))]
pub mod actor_crossbeam;
#[cfg(not(workbench_loom))]
pub mod actor_smol;
#[cfg(not(workbench_loom))]
pub mod actor_tokio;
#[cfg(not(workbench_loom))]
pub mod dashmap;
#[cfg(not(workbench_loom))]
pub mod mutex_parking_lot;
#[cfg(not(workbench_loom))]
pub mod rwlock_parking_lot;

/// A session's key. Random 64-bit ids in a real server; small integers in
/// the tests and benchmarks.
pub type SessionId = u64;

/// What a session holds: small and `Copy`, 32 bytes, as a session record
/// or a cache entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Session {
    pub user: u64,
    /// Requests seen in this session: what `update` adds to.
    pub hits: u64,
    pub data: [u8; 16],
}

/// The hasher every implementation uses: foldhash, the fast hasher behind
/// hashbrown's default, seeded afresh for every map (a per-process seed
/// mixed with one drawn per `RandomState`). std's default (SipHash 1-3) is
/// built to resist hash flooding and costs several times more per key; a
/// map benchmark that uses it mostly measures SipHash.
#[cfg(not(any(workbench_loom, workbench_shuttle)))]
pub type Hasher = foldhash::fast::RandomState;

/// Under loom every replay of a model must make the same choices, and a
/// randomly seeded hasher would route a key to a different shard or owner
/// on each replay (loom then reports impossible schedules, even deadlocks):
/// the loom build hashes with a fixed seed. So does the shuttle build, so
/// that a failing schedule replays.
#[cfg(any(workbench_loom, workbench_shuttle))]
pub type Hasher = foldhash::fast::FixedState;

/// The map inside the lock-based styles and actors.
pub type Map = HashMap<SessionId, Session, Hasher>;

/// A map sized for `capacity` sessions.
pub fn new_map(capacity: usize) -> Map {
    Map::with_capacity_and_hasher(capacity, Hasher::default())
}

/// A map holding `initial`, sized for `capacity` (or more) sessions.
pub fn filled_map(capacity: usize, initial: &[(SessionId, Session)]) -> Map {
    let mut map = new_map(capacity.max(initial.len()));
    map.extend(initial.iter().copied());
    map
}

/// The one read-modify-write, shared by every style so they all update the
/// same way.
pub fn apply_update(session: &mut Session, hits: u64) -> Session {
    session.hits = session.hits.wrapping_add(hits);
    *session
}

// ANCHOR: trait
/// A session store, in one concurrency style. See the module docs for the
/// contract every implementation keeps.
pub trait SessionStore: Send + Sync + 'static {
    /// The style's name in reports, tests and the book, e.g. `"dashmap"`.
    const STYLE: &'static str;

    /// Whether dropping it stops and joins every thread it started (its
    /// drop test counts them). False where its work runs on a process-wide
    /// executor or pool that is not the style's to join; the style's file
    /// says which.
    const JOINS_ITS_THREADS: bool = true;

    /// What it keeps busy besides its callers (see [`Helpers`]).
    const HELPERS: Helpers = Helpers::None;

    /// A store holding `initial` (later entries win for a repeated id),
    /// sized for about `capacity` sessions. Filled before it is shared, so
    /// a benchmark's pre-fill costs no round trips.
    fn with_sessions(capacity: usize, initial: &[(SessionId, Session)]) -> Self;

    /// An empty store, sized for about `capacity` sessions.
    fn new(capacity: usize) -> Self
    where
        Self: Sized,
    {
        Self::with_sessions(capacity, &[])
    }

    fn get(&self, id: SessionId) -> impl Future<Output = Option<Session>> + Send;

    /// Stores `session`, returning the one it replaced.
    fn insert(
        &self,
        id: SessionId,
        session: Session,
    ) -> impl Future<Output = Option<Session>> + Send;

    fn remove(&self, id: SessionId) -> impl Future<Output = Option<Session>> + Send;

    /// Adds `hits` to the session's counter in one atomic step; the updated
    /// session, or `None` if there is none.
    fn update(&self, id: SessionId, hits: u64) -> impl Future<Output = Option<Session>> + Send;
}
// ANCHOR_END: trait

/// The specification: a `HashMap` with one client and no concurrency.
#[derive(Debug, Default, Clone)]
pub struct SequentialStore {
    map: HashMap<SessionId, Session>,
}

impl SequentialStore {
    pub fn get(&self, id: SessionId) -> Option<Session> {
        self.map.get(&id).copied()
    }

    pub fn insert(&mut self, id: SessionId, session: Session) -> Option<Session> {
        self.map.insert(id, session)
    }

    pub fn remove(&mut self, id: SessionId) -> Option<Session> {
        self.map.remove(&id)
    }

    pub fn update(&mut self, id: SessionId, hits: u64) -> Option<Session> {
        self.map.get_mut(&id).map(|s| apply_update(s, hits))
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

// ANCHOR: registry
/// The registry: every session store, named once, a line each with its
/// tier (see `crate::registry`).
#[macro_export]
macro_rules! for_each_store {
    ($callback:ident $($args:tt)?) => {
        $crate::walk_registry! { $callback [$($args)?];
            facade mutex: $crate::kv::mutex::MutexStore,
            facade rwlock: $crate::kv::rwlock::RwLockStore,
            facade sharded: $crate::kv::sharded::ShardedStore,
            facade actor: $crate::kv::actor::ActorStore,
            facade sharded_actor: $crate::kv::sharded_actor::ShardedActorStore,
            library mutex_parking_lot: $crate::kv::mutex_parking_lot::ParkingLotMutexStore,
            library rwlock_parking_lot: $crate::kv::rwlock_parking_lot::ParkingLotRwLockStore,
            library dashmap: $crate::kv::dashmap::DashMapStore,
            library actor_crossbeam: $crate::kv::actor_crossbeam::CrossbeamActorStore,
            library actor_tokio: $crate::kv::actor_tokio::TokioActorStore,
            library actor_async_std: $crate::kv::actor_async_std::AsyncStdActorStore,
            library actor_smol: $crate::kv::actor_smol::SmolActorStore,
            broken racy: $crate::kv::racy::RacyStore,
        }
    };
}
// ANCHOR_END: registry

// ANCHOR: serve
/// One operation, as a message to an actor that owns a map.
#[derive(Debug, Clone, Copy)]
pub enum Op {
    Get(SessionId),
    Insert(SessionId, Session),
    Remove(SessionId),
    Update(SessionId, u64),
}

impl Op {
    pub fn id(self) -> SessionId {
        match self {
            Op::Get(id) | Op::Insert(id, _) | Op::Remove(id) | Op::Update(id, _) => id,
        }
    }
}

/// What every actor does with a request: apply it to the map it owns.
pub fn serve(map: &mut Map, op: Op) -> Option<Session> {
    match op {
        Op::Get(id) => map.get(&id).copied(),
        Op::Insert(id, session) => map.insert(id, session),
        Op::Remove(id) => map.remove(&id),
        Op::Update(id, hits) => map.get_mut(&id).map(|s| apply_update(s, hits)),
    }
}
// ANCHOR_END: serve

/// Which of `shards` parts a key belongs to, from its hash. The bits used
/// are the middle ones: the top seven are hashbrown's tag byte and the
/// lowest pick the bucket inside each shard's own table, so using either
/// to choose the shard would leave every key of a shard with the same
/// value there, and make the shard's table probe longer.
#[inline]
pub fn shard_of(hash: u64, shards: usize) -> usize {
    ((hash << 7) >> 32) as usize % shards
}
