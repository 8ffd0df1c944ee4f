//! **sharded**: `SHARDS` maps, each behind its own `Mutex` on its own cache
//! line (facade); a key's hash picks its shard. Two operations contend only
//! when their keys land in the same shard, about one time in `SHARDS` for
//! uniform keys, and each lock's line is written only by operations on its
//! shard.
//!
//! Plain mutexes, not read-write locks, so that this row shows what
//! sharding alone buys; `dashmap` is the same idea with an `RwLock` per
//! shard and a tuned table. With skewed keys sharding helps less: the hot
//! keys' shard is as contended as one big lock.
//!
//! The key is hashed twice, once to pick the shard and once by the shard's
//! own table; std's `HashMap` has no stable API to pass a precomputed hash.
//! With foldhash that is a couple of nanoseconds.

use std::hash::BuildHasher;

use crossbeam_utils::CachePadded;

use crate::kv::{Hasher, Map, Session, SessionId, SessionStore, apply_update, new_map, shard_of};
use crate::sync::{Mutex, MutexGuard, lock};

// ANCHOR: state
pub struct ShardedStore<const SHARDS: usize = 16> {
    hasher: Hasher,
    shards: Box<[CachePadded<Mutex<Map>>]>,
}
// ANCHOR_END: state

impl<const SHARDS: usize> ShardedStore<SHARDS> {
    // ANCHOR: shard
    fn shard(&self, id: SessionId) -> MutexGuard<'_, Map> {
        lock(&self.shards[shard_of(self.hasher.hash_one(id), SHARDS)])
    }
    // ANCHOR_END: shard
}

impl<const SHARDS: usize> SessionStore for ShardedStore<SHARDS> {
    const STYLE: &'static str = "sharded";

    fn with_sessions(capacity: usize, initial: &[(SessionId, Session)]) -> Self {
        const { assert!(SHARDS > 0, "a store needs at least one shard") };
        let hasher = Hasher::default();
        let mut maps: Vec<Map> = (0..SHARDS)
            .map(|_| new_map(capacity.max(initial.len()) / SHARDS + 1))
            .collect();
        for &(id, session) in initial {
            maps[shard_of(hasher.hash_one(id), SHARDS)].insert(id, session);
        }
        ShardedStore {
            hasher,
            shards: maps
                .into_iter()
                .map(|map| CachePadded::new(Mutex::new(map)))
                .collect(),
        }
    }

    async fn get(&self, id: SessionId) -> Option<Session> {
        self.shard(id).get(&id).copied()
    }

    async fn insert(&self, id: SessionId, session: Session) -> Option<Session> {
        self.shard(id).insert(id, session)
    }

    async fn remove(&self, id: SessionId) -> Option<Session> {
        self.shard(id).remove(&id)
    }

    async fn update(&self, id: SessionId, hits: u64) -> Option<Session> {
        self.shard(id).get_mut(&id).map(|s| apply_update(s, hits))
    }
}
