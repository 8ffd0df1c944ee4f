//! A one-shot result slot between a blocking worker and an async caller:
//! the `SpawnBlocking` protocol without the thread, so that a pool can
//! answer each job's caller.
//!
//! The worker stores the value and takes the waker in one critical section,
//! then wakes after unlocking; the future checks for the value and stores
//! its waker in one critical section. Whichever comes second sees what the
//! first left, so the wake-up cannot be lost. A `Completion` dropped without
//! a value (its job was abandoned) also wakes the future, which then yields
//! `None` instead of waiting forever.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::sync::{Arc, Mutex, lock};

struct Slot<T> {
    value: Option<T>,
    /// Set when the `Completion` is gone, with or without a value.
    done: bool,
    waker: Option<Waker>,
}

/// The worker's end: complete it once.
pub struct Completion<T>(Arc<Mutex<Slot<T>>>);

/// The caller's end: a future of the value, `None` if it was abandoned.
pub struct Completed<T>(Arc<Mutex<Slot<T>>>);

pub fn completion<T>() -> (Completion<T>, Completed<T>) {
    let slot = Arc::new(Mutex::new(Slot {
        value: None,
        done: false,
        waker: None,
    }));
    (Completion(Arc::clone(&slot)), Completed(slot))
}

impl<T> Completion<T> {
    pub fn complete(self, value: T) {
        lock(&self.0).value = Some(value);
        // Drop marks the slot done and wakes the caller.
    }
}

impl<T> Drop for Completion<T> {
    fn drop(&mut self) {
        let waker = {
            let mut slot = lock(&self.0);
            slot.done = true;
            slot.waker.take()
        }; // unlocked: the woken task may poll at once
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Future for Completed<T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut slot = lock(&self.0);
        if slot.done {
            return Poll::Ready(slot.value.take());
        }
        // Still under the lock: the worker cannot finish between the check
        // above and this store, so it will find the waker.
        match &mut slot.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            stored => *stored = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}
