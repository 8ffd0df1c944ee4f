//! Where an owner thread sends its answer: one reply queue per calling
//! thread, made once and reused for every request that thread makes.
//!
//! A blocking caller has at most one request outstanding (it waits for the
//! answer before it can ask again), so a per-thread queue never mixes up two
//! requests' answers, and a request costs a reference-count increment
//! instead of a new channel. A new channel per request is the classic
//! avoidable cost of actors (an allocation, and for crossbeam a few
//! microseconds of set-up). The queue holds several answers because a
//! scatter-gather request (the pool's `get`) collects one from each worker.

use crate::primitives::BoundedQueue;
use crate::sync::{Arc, thread_local};

/// Enough for one answer from each worker of the largest pool.
pub const MAX_ANSWERS: usize = 64;

pub type ReplyTo = Arc<BoundedQueue<u64>>;

thread_local! {
    static REPLY_QUEUE: ReplyTo = Arc::new(BoundedQueue::new(MAX_ANSWERS));
}

/// Lends `f` the calling thread's reply queue. Borrowed, not cloned: the
/// only reference-count increment per request is the one the request itself
/// carries to the owner.
pub fn with_this_thread_reply_queue<R>(f: impl FnOnce(&ReplyTo) -> R) -> R {
    REPLY_QUEUE.with(f)
}
