//! A bounded queue between async submitters and blocking workers: the
//! facade pool's job queue.
//!
//! Workers pop with a blocking wait (a `Condvar`), as in
//! [`BoundedQueue`](super::BoundedQueue). Submitters are async tasks, and a
//! full queue must make the *task* wait, not block the executor thread
//! that polls it (that would be the inline style's danger, arriving under
//! overload). So `push` returns a future: when the queue is full it stores
//! its waker and returns `Pending`; each `pop` wakes one waiting submitter
//! once it has made room.
//!
//! The waiting list can hold a submitter twice (a future polled again
//! without having been woken registers again): the extra entry costs one
//! spurious wake-up later, nothing more. A submitter dropped while waiting
//! may have been the one woken for the free slot; its drop passes the
//! wake-up on to the next waiter, so cancelling a submission cannot strand
//! the others.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::sync::{Condvar, Mutex, lock, wait};

pub struct JobQueue<T> {
    state: Mutex<State<T>>,
    not_empty: Condvar,
    capacity: usize,
}

struct State<T> {
    items: VecDeque<T>,
    closed: bool,
    waiting_workers: usize,
    waiting_submitters: VecDeque<Waker>,
}

impl<T> JobQueue<T> {
    pub fn new(capacity: usize) -> Self {
        assert!(capacity > 0, "a bounded queue needs room for one item");
        JobQueue {
            state: Mutex::new(State {
                items: VecDeque::with_capacity(capacity),
                closed: false,
                waiting_workers: 0,
                waiting_submitters: VecDeque::new(),
            }),
            not_empty: Condvar::new(),
            capacity,
        }
    }

    /// A future that appends `item` once there is room; it returns the item
    /// back if the queue is (or becomes) closed.
    pub fn push(&self, item: T) -> Push<'_, T> {
        Push {
            queue: self,
            item: Some(item),
            registered: false,
        }
    }

    /// Removes the oldest item, blocking while the queue is empty; `None`
    /// once it is closed and drained.
    pub fn pop(&self) -> Option<T> {
        let mut state = lock(&self.state);
        loop {
            if let Some(item) = state.items.pop_front() {
                let submitter = state.waiting_submitters.pop_front();
                drop(state);
                if let Some(submitter) = submitter {
                    submitter.wake(); // a slot is free
                }
                return Some(item);
            }
            if state.closed {
                return None;
            }
            state.waiting_workers += 1;
            state = wait(&self.not_empty, state);
            state.waiting_workers -= 1;
        }
    }

    /// Refuses further pushes and wakes everyone waiting; queued items are
    /// still delivered.
    pub fn close(&self) {
        let submitters = {
            let mut state = lock(&self.state);
            state.closed = true;
            std::mem::take(&mut state.waiting_submitters)
        };
        self.not_empty.notify_all();
        for submitter in submitters {
            submitter.wake();
        }
    }

    /// Items waiting for a worker.
    pub fn len(&self) -> usize {
        lock(&self.state).items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Wakes one waiting submitter, if any (see `Push`'s drop).
    fn wake_one_submitter(&self) {
        let submitter = lock(&self.state).waiting_submitters.pop_front();
        if let Some(submitter) = submitter {
            submitter.wake();
        }
    }
}

/// The future returned by [`JobQueue::push`].
pub struct Push<'q, T> {
    queue: &'q JobQueue<T>,
    item: Option<T>,
    /// Whether this future has put its waker on the waiting list.
    registered: bool,
}

// `item` is moved out by value, never pinned in place.
impl<T> Unpin for Push<'_, T> {}

impl<T> Future for Push<'_, T> {
    type Output = Result<(), T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let item = this.item.take().expect("polled after completion");
        let mut state = lock(&this.queue.state);
        if state.closed {
            return Poll::Ready(Err(item));
        }
        if state.items.len() < this.queue.capacity {
            state.items.push_back(item);
            let wake_worker = state.waiting_workers > 0;
            drop(state);
            this.registered = false;
            if wake_worker {
                this.queue.not_empty.notify_one();
            }
            return Poll::Ready(Ok(()));
        }
        // Full: wait for a pop. Registered under the same lock that `pop`
        // takes to find a waiter, so a pop cannot slip between the check
        // above and this registration.
        state.waiting_submitters.push_back(cx.waker().clone());
        drop(state);
        this.item = Some(item);
        this.registered = true;
        Poll::Pending
    }
}

impl<T> Drop for Push<'_, T> {
    fn drop(&mut self) {
        // Dropped while waiting: the wake-up for a free slot may have been
        // ours; hand it on so that another submitter takes the slot.
        if self.registered && self.item.is_some() {
            self.queue.wake_one_submitter();
        }
    }
}
