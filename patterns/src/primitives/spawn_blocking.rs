//! The seed's `SpawnBlocking` future, on the facade: run a closure on a new
//! thread and await its result from async code.
//!
//! The protocol: the thread and the future share one `Mutex<Shared>`. The
//! thread stores the value and takes the waker in one critical section, then
//! wakes *after* unlocking; the future checks for the value and stores its
//! waker in one critical section. Because both steps hold the same lock, the
//! completion cannot slip between "no value yet" and "waker stored": either
//! the future sees the value, or the thread sees the waker. That is the whole
//! argument against a lost wake-up, and loom checks it.
//!
//! One departure from the seed: the future keeps the `JoinHandle` and joins
//! the thread once the value has arrived (or when the future is dropped).
//! The seed detaches it, so a thread can outlive everything that started it;
//! loom reports such a thread, and a caller that drops its owner expects no
//! thread of its to be left running.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::sync::{Arc, JoinHandle, Mutex, lock, spawn};

pub struct SpawnBlocking<T> {
    shared: Arc<Mutex<Shared<T>>>,
    thread: Option<JoinHandle<()>>,
}

struct Shared<T> {
    /// The closure's result, or its panic, to be re-raised in the awaiter.
    value: Option<std::thread::Result<T>>,
    waker: Option<Waker>,
}

// ANCHOR: spawn
pub fn spawn_blocking<T, F>(closure: F) -> SpawnBlocking<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let shared = Arc::new(Mutex::new(Shared {
        value: None,
        waker: None,
    }));
    let thread = spawn({
        let shared = Arc::clone(&shared);
        move || {
            let value = std::panic::catch_unwind(std::panic::AssertUnwindSafe(closure));
            let waker = {
                let mut shared = lock(&shared);
                shared.value = Some(value);
                shared.waker.take()
            }; // unlocked here: the woken task may poll at once
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    });
    SpawnBlocking {
        shared,
        thread: Some(thread),
    }
}
// ANCHOR_END: spawn

// ANCHOR: poll
impl<T> Future for SpawnBlocking<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        let mut shared = lock(&this.shared);
        if let Some(value) = shared.value.take() {
            drop(shared);
            this.join_thread();
            return match value {
                Ok(value) => Poll::Ready(value),
                Err(panic) => std::panic::resume_unwind(panic),
            };
        }
        // Still under the lock: the thread cannot publish between our check
        // above and this store, so it will find the waker.
        match &mut shared.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}
// ANCHOR_END: poll

impl<T> SpawnBlocking<T> {
    /// The thread has published its value and only has to return; joining
    /// it costs a short wait for the OS to finish the thread.
    fn join_thread(&mut self) {
        if let Some(thread) = self.thread.take() {
            // The closure's panic was caught and delivered through `value`;
            // the thread itself cannot panic after that.
            let _ = thread.join();
        }
    }
}

impl<T> Drop for SpawnBlocking<T> {
    fn drop(&mut self) {
        // Dropped before completion: the closure cannot be cancelled, so we
        // wait for it rather than leave its thread running unowned.
        self.join_thread();
    }
}
