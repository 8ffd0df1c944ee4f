//! A bounded multi-producer multi-consumer queue from first principles: a
//! `VecDeque` under one `Mutex`, and two `Condvar`s, one for "not empty"
//! (receivers wait on it) and one for "not full" (senders wait on it).
//!
//! Full queue: `push` blocks the sender until a receiver makes room. That is
//! the backpressure a bounded queue exists for; memory stays bounded.
//! Closed queue: `push` hands the item back, `pop` drains what is left and
//! then returns `None`, which is how an owner thread learns to exit.
//!
//! Waiters are counted so that a `push` or `pop` with nobody waiting does not
//! call `notify_one`: on Linux every notify is a futex system call, even with
//! no one to wake, and it would double the cost of the uncontended path.
//!
//! An empty queue does not park its receiver at once: `pop` first spins and
//! yields for a few microseconds ([`Backoff`]), watching an atomic copy of
//! the length, so that an item arriving soon (an actor's next request, the
//! answer to the request just sent) is taken without either side paying a
//! futex sleep and wake-up. Only then does the receiver count itself as
//! waiting and park; a `push` that finds nobody counted does not notify.
//! The spin reads the hint without the lock, so spinning receivers do not
//! contend with the sender for it. A full queue parks its sender at once:
//! with one request outstanding per client, these inboxes never fill in
//! the benchmarks, and a sender that finds one full should wait anyway.

use std::collections::VecDeque;

use crate::primitives::backoff::Backoff;
use crate::sync::{AtomicUsize, Condvar, Mutex, Ordering, lock, wait};

pub struct BoundedQueue<T> {
    state: Mutex<State<T>>,
    not_empty: Condvar,
    not_full: Condvar,
    capacity: usize,
    /// `state.items.len()`, written under the lock at each change, read
    /// without it by spinning receivers: only a hint of when to take the
    /// lock and look.
    len_hint: AtomicUsize,
}

struct State<T> {
    items: VecDeque<T>,
    closed: bool,
    waiting_receivers: usize,
    waiting_senders: usize,
}

impl<T> BoundedQueue<T> {
    pub fn new(capacity: usize) -> Self {
        assert!(capacity > 0, "a bounded queue needs room for one item");
        BoundedQueue {
            state: Mutex::new(State {
                items: VecDeque::with_capacity(capacity),
                closed: false,
                waiting_receivers: 0,
                waiting_senders: 0,
            }),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            capacity,
            len_hint: AtomicUsize::new(0),
        }
    }

    // ANCHOR: push
    /// Appends `item`, waiting while the queue is full. Returns the item back
    /// if the queue is (or becomes) closed.
    pub fn push(&self, item: T) -> Result<(), T> {
        let mut state = lock(&self.state);
        while state.items.len() == self.capacity && !state.closed {
            state.waiting_senders += 1;
            state = wait(&self.not_full, state);
            state.waiting_senders -= 1;
        }
        if state.closed {
            return Err(item);
        }
        state.items.push_back(item);
        self.len_hint.store(state.items.len(), Ordering::Release);
        let wake = state.waiting_receivers > 0;
        drop(state);
        // Notify after unlocking so the woken receiver does not block on
        // the mutex we still hold.
        if wake {
            self.not_empty.notify_one();
        }
        Ok(())
    }
    // ANCHOR_END: push

    // ANCHOR: pop
    /// Removes the oldest item, waiting while the queue is empty. Returns
    /// `None` once the queue is closed and drained.
    pub fn pop(&self) -> Option<T> {
        let mut backoff = Backoff::new();
        while self.len_hint.load(Ordering::Acquire) == 0 && backoff.snooze() {}
        let mut state = lock(&self.state);
        loop {
            if let Some(item) = state.items.pop_front() {
                self.len_hint.store(state.items.len(), Ordering::Release);
                let wake = state.waiting_senders > 0;
                drop(state);
                if wake {
                    self.not_full.notify_one();
                }
                return Some(item);
            }
            if state.closed {
                return None;
            }
            state.waiting_receivers += 1;
            state = wait(&self.not_empty, state);
            state.waiting_receivers -= 1;
        }
    }
    // ANCHOR_END: pop

    /// Refuses further pushes and wakes everyone waiting; items already
    /// queued are still delivered.
    pub fn close(&self) {
        lock(&self.state).closed = true;
        self.not_empty.notify_all();
        self.not_full.notify_all();
    }
}

#[cfg(all(test, not(any(workbench_loom, workbench_shuttle))))]
mod tests {
    use super::*;
    use crate::primitives::test_support::within;
    use std::sync::Arc;
    use std::time::Duration;

    /// A push into a full queue waits until a pop makes room; the items
    /// come out in order.
    #[test]
    fn a_push_into_a_full_queue_waits_for_a_pop() {
        let queue = Arc::new(BoundedQueue::new(1));
        queue.push(1).unwrap();
        let pusher = {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || queue.push(2))
        };
        // Give the pusher time to reach its wait (if it has not, the pop
        // below simply finds it later: the test holds either way).
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(queue.pop(), Some(1));
        assert_eq!(
            within("the waiting push", move || pusher.join().unwrap()),
            Ok(())
        );
        assert_eq!(queue.pop(), Some(2));
    }

    /// Closing refuses a waiting push and later ones, returning their
    /// items; what was queued is still delivered, then `None`.
    #[test]
    fn close_refuses_pushes_waiting_and_later() {
        let queue = Arc::new(BoundedQueue::new(1));
        queue.push(1).unwrap();
        let waiting = {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || queue.push(2))
        };
        std::thread::sleep(Duration::from_millis(50));
        queue.close();
        assert_eq!(
            within("the refused push", move || waiting.join().unwrap()),
            Err(2)
        );
        assert_eq!(queue.push(3), Err(3));
        assert_eq!(queue.pop(), Some(1));
        assert_eq!(queue.pop(), None);
    }

    /// A receiver waiting on an empty queue is released by a close.
    #[test]
    fn close_releases_a_waiting_receiver() {
        let queue = Arc::new(BoundedQueue::<u32>::new(4));
        let receiver = {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || queue.pop())
        };
        std::thread::sleep(Duration::from_millis(50));
        queue.close();
        assert_eq!(
            within("the released receiver", move || receiver.join().unwrap()),
            None
        );
    }
}
