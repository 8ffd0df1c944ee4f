//! A bounded queue between async submitters and blocking workers: the
//! facade pool's job queue.
//!
//! Workers pop with a blocking wait (a `Condvar`), as in
//! [`BoundedQueue`](super::BoundedQueue). Submitters are async tasks, and a
//! full queue must make the *task* wait, not block the executor thread
//! that polls it (that would be the inline style's danger, arriving under
//! overload). So `push` returns a future: when the queue is full it puts
//! its waker in line and returns `Pending`; each `pop` that makes room
//! takes the first in line out and wakes it.
//!
//! Each waiting `Push` holds exactly one entry in the line, found by its
//! ticket: polled again without a wake (inside `join!` or `select!`) it
//! refreshes its waker in place; getting in, it removes its entry; dropped
//! while waiting, it removes its entry if it is still there (it was never
//! woken: nothing to hand on) or, if a pop already took it out for a free
//! slot it will not use, wakes the next in line. So a pop's one wake-up
//! always reaches a live submitter, and cancelling a submission cannot
//! strand the others. (An earlier version kept bare wakers: a cancelled
//! submitter's entry stayed in line, and a pop could spend its wake-up on
//! it while a live submitter waited with room in the queue.)

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
    /// Submitters waiting for room, first in line at the front, each
    /// under its `Push`'s ticket.
    waiting_submitters: VecDeque<(u64, Waker)>,
    next_ticket: u64,
}

impl<T> State<T> {
    /// Takes `ticket`'s entry out of the line; false if it is not there
    /// (a pop or a close took it out and woke it).
    fn leave_line(&mut self, ticket: u64) -> bool {
        match self
            .waiting_submitters
            .iter()
            .position(|(t, _)| *t == ticket)
        {
            Some(at) => {
                self.waiting_submitters.remove(at);
                true
            }
            None => false,
        }
    }
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
                next_ticket: 0,
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
            ticket: None,
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
                if let Some((_, submitter)) = submitter {
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
        for (_, submitter) in submitters {
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
}

/// The future returned by [`JobQueue::push`].
pub struct Push<'q, T> {
    queue: &'q JobQueue<T>,
    item: Option<T>,
    /// Set while this future has an entry in the waiting line (or had
    /// one, until a pop or close took it out to wake it).
    ticket: Option<u64>,
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
            // `close` emptied the line: no entry of ours is left.
            this.ticket = None;
            return Poll::Ready(Err(item));
        }
        if state.items.len() < this.queue.capacity {
            state.items.push_back(item);
            if let Some(ticket) = this.ticket.take() {
                // In by our own poll, perhaps before the pop that freed
                // the slot woke us: our entry must not absorb a later
                // pop's wake-up.
                state.leave_line(ticket);
            }
            let wake_worker = state.waiting_workers > 0;
            drop(state);
            if wake_worker {
                this.queue.not_empty.notify_one();
            }
            return Poll::Ready(Ok(()));
        }
        // Full: wait for a pop. In line under the same lock that `pop`
        // takes to find a waiter, so a pop cannot slip between the check
        // above and this registration.
        let waker = cx.waker().clone();
        match this.ticket {
            Some(ticket) => {
                if let Some(entry) = state
                    .waiting_submitters
                    .iter_mut()
                    .find(|(t, _)| *t == ticket)
                {
                    entry.1 = waker; // polled again without a wake: same place in line
                } else {
                    // Woken for a slot someone else took: first in line
                    // again, since we waited longest.
                    state.waiting_submitters.push_front((ticket, waker));
                }
            }
            None => {
                let ticket = state.next_ticket;
                state.next_ticket += 1;
                state.waiting_submitters.push_back((ticket, waker));
                this.ticket = Some(ticket);
            }
        }
        drop(state);
        this.item = Some(item);
        Poll::Pending
    }
}

impl<T> Drop for Push<'_, T> {
    fn drop(&mut self) {
        let (Some(ticket), Some(_)) = (self.ticket, &self.item) else {
            return; // never waited, or finished
        };
        let mut state = lock(&self.queue.state);
        if state.leave_line(ticket) || state.closed {
            return; // never woken: the line goes on without us
        }
        // A pop took our entry out to give us a free slot we will not
        // use: hand the wake-up on to the next in line.
        let next = state.waiting_submitters.pop_front();
        drop(state);
        if let Some((_, next)) = next {
            next.wake();
        }
    }
}
#[cfg(all(test, not(any(workbench_loom, workbench_shuttle))))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::task::Wake;

    /// A waker that counts its wake-ups, so a test can see who was woken.
    #[derive(Default)]
    struct Counting(AtomicUsize);

    impl Wake for Counting {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    fn poll<F: Future + Unpin>(future: &mut F, waker: &Arc<Counting>) -> Poll<F::Output> {
        let waker = Waker::from(Arc::clone(waker));
        Pin::new(future).poll(&mut Context::from_waker(&waker))
    }

    /// The schedule, capacity one: X queued, S2 then S1 waiting;
    /// S1 is cancelled (its drop wakes S2, which finds the queue still full
    /// and waits again); the worker pops X. Its one wake-up must reach S2,
    /// the only live submitter, not S1's dead entry.
    #[test]
    fn a_cancelled_submitter_does_not_strand_the_next() {
        let queue = JobQueue::new(1);
        let (w1, w2) = (Arc::new(Counting::default()), Arc::new(Counting::default()));
        assert!(matches!(poll(&mut queue.push(0), &w1), Poll::Ready(Ok(()))));
        let mut s2 = queue.push(2);
        let mut s1 = queue.push(1);
        assert!(poll(&mut s2, &w2).is_pending());
        assert!(poll(&mut s1, &w1).is_pending());
        drop(s1);
        // The old queue woke S2 here, which found no room and waited again
        // behind S1's stale entry; S1 was never woken, so there is nothing
        // to hand on.
        assert_eq!(
            w2.0.load(SeqCst),
            0,
            "S1's drop woke S2 for a slot that is not free"
        );
        let woken_before = w2.0.load(SeqCst);
        assert_eq!(queue.pop(), Some(0));
        assert!(
            w2.0.load(SeqCst) > woken_before,
            "the pop's wake-up went to the cancelled submitter; S2 waits with room in the queue"
        );
        assert!(matches!(poll(&mut s2, &w2), Poll::Ready(Ok(()))));
        assert_eq!(queue.pop(), Some(2));
    }

    /// The cancelled submitter first in line: it must leave the line, so
    /// that the pop's wake-up reaches the one behind it.
    #[test]
    fn a_cancelled_first_in_line_leaves_it() {
        let queue = JobQueue::new(1);
        let (w1, w2) = (Arc::new(Counting::default()), Arc::new(Counting::default()));
        assert!(matches!(poll(&mut queue.push(0), &w1), Poll::Ready(Ok(()))));
        let mut s1 = queue.push(1);
        let mut s2 = queue.push(2);
        assert!(poll(&mut s1, &w1).is_pending());
        assert!(poll(&mut s2, &w2).is_pending());
        drop(s1);
        assert_eq!(
            w2.0.load(SeqCst),
            0,
            "nothing to hand on: s1 was never woken"
        );
        assert_eq!(queue.pop(), Some(0));
        assert_eq!(
            w2.0.load(SeqCst),
            1,
            "the pop woke the cancelled submitter's stale entry"
        );
        assert!(matches!(poll(&mut s2, &w2), Poll::Ready(Ok(()))));
    }

    /// Woken for a free slot and then dropped without taking it: the
    /// wake-up goes on to the next in line, who takes the slot.
    #[test]
    fn a_woken_submitter_dropped_hands_its_wake_up_on() {
        let queue = JobQueue::new(1);
        let (w1, w2) = (Arc::new(Counting::default()), Arc::new(Counting::default()));
        assert!(matches!(poll(&mut queue.push(0), &w1), Poll::Ready(Ok(()))));
        let mut s1 = queue.push(1);
        let mut s2 = queue.push(2);
        assert!(poll(&mut s1, &w1).is_pending());
        assert!(poll(&mut s2, &w2).is_pending());
        assert_eq!(queue.pop(), Some(0)); // wakes s1, first in line
        assert_eq!((w1.0.load(SeqCst), w2.0.load(SeqCst)), (1, 0));
        drop(s1); // cancelled before it could use the slot
        assert_eq!(
            w2.0.load(SeqCst),
            1,
            "the free slot's wake-up was lost with s1"
        );
        assert!(matches!(poll(&mut s2, &w2), Poll::Ready(Ok(()))));
        assert_eq!(queue.pop(), Some(2));
    }

    /// A `Push` polled twice without being woken (as inside `join!`) holds
    /// one place in line, not two: the first pop's wake-up and the second's
    /// must reach two different submitters.
    #[test]
    fn a_push_polled_twice_waits_once() {
        let queue = JobQueue::new(1);
        let (wa, wb) = (Arc::new(Counting::default()), Arc::new(Counting::default()));
        assert!(matches!(poll(&mut queue.push(0), &wa), Poll::Ready(Ok(()))));
        let mut a = queue.push(1);
        let mut b = queue.push(2);
        assert!(poll(&mut a, &wa).is_pending());
        assert!(poll(&mut a, &wa).is_pending()); // again, not woken
        assert!(poll(&mut b, &wb).is_pending());
        assert_eq!(queue.pop(), Some(0));
        assert_eq!(wa.0.load(SeqCst), 1, "the first in line is woken");
        assert!(matches!(poll(&mut a, &wa), Poll::Ready(Ok(()))));
        assert_eq!(queue.pop(), Some(1));
        assert_eq!(
            wb.0.load(SeqCst),
            1,
            "the second pop woke a stale entry of the first submitter instead of the second"
        );
    }

    /// A submitter that takes a free slot without being the one woken
    /// leaves no entry behind for a later pop to waste its wake-up on.
    #[test]
    fn a_submitter_that_got_in_leaves_no_entry() {
        let queue = JobQueue::new(1);
        let (wa, wb) = (Arc::new(Counting::default()), Arc::new(Counting::default()));
        assert!(matches!(poll(&mut queue.push(0), &wa), Poll::Ready(Ok(()))));
        let mut a = queue.push(1);
        let mut b = queue.push(2);
        assert!(poll(&mut b, &wb).is_pending());
        assert!(poll(&mut a, &wa).is_pending());
        assert_eq!(queue.pop(), Some(0)); // wakes b, the first in line
        // a is polled first (join! polls every branch) and takes the slot.
        assert!(matches!(poll(&mut a, &wa), Poll::Ready(Ok(()))));
        assert!(poll(&mut b, &wb).is_pending()); // b waits again
        let woken = wb.0.load(SeqCst);
        assert_eq!(queue.pop(), Some(1));
        assert!(
            wb.0.load(SeqCst) > woken,
            "the pop woke a's stale entry; b waits with room in the queue"
        );
    }

    /// Closing wakes every waiter and each gets its item back.
    #[test]
    fn close_returns_items_to_waiting_submitters() {
        let queue = JobQueue::new(1);
        let w = Arc::new(Counting::default());
        assert!(matches!(poll(&mut queue.push(0), &w), Poll::Ready(Ok(()))));
        let mut a = queue.push(1);
        assert!(poll(&mut a, &w).is_pending());
        queue.close();
        assert_eq!(w.0.load(SeqCst), 1);
        assert!(matches!(poll(&mut a, &w), Poll::Ready(Err(1))));
        assert!(matches!(poll(&mut queue.push(3), &w), Poll::Ready(Err(3))));
        assert_eq!(queue.len(), 1);
        assert_eq!(queue.pop(), Some(0), "queued items are still delivered");
        assert!(queue.is_empty());
        assert_eq!(queue.pop(), None);
    }
}
