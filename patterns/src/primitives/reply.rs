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

use std::any::Any;
use std::cell::RefCell;

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

thread_local! {
    /// This thread's reply queues for other answer types, one per type.
    static TYPED_QUEUES: RefCell<Vec<Box<dyn Any>>> = RefCell::new(Vec::new());
}

/// This thread's reply queue for answers of type `T` (the `u64` queue above
/// serves the counter and the bank; a workload whose answers are richer
/// gets one of its own type), made on first use and kept for the thread's
/// life. A handful of types at most, so a linear search finds it; the
/// `Arc` is cloned out so that no borrow is held while the caller waits.
pub fn this_thread_reply_queue<T: Send + 'static>() -> Arc<BoundedQueue<T>> {
    TYPED_QUEUES.with(|queues| {
        let mut queues = queues.borrow_mut();
        if let Some(queue) = queues
            .iter()
            .find_map(|q| q.downcast_ref::<Arc<BoundedQueue<T>>>())
        {
            return Arc::clone(queue);
        }
        let queue = Arc::new(BoundedQueue::<T>::new(MAX_ANSWERS));
        queues.push(Box::new(Arc::clone(&queue)));
        queue
    })
}
