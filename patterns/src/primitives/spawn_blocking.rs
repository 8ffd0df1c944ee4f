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
//! What happens to the thread: awaited to the end, the future joins it
//! once the value has arrived (the thread has only to return by then, so
//! the join is short). Dropped before that (its caller cancelled by a
//! `timeout` or a `select!`), the future *detaches* the thread, as tokio's
//! `JoinHandle` does: the closure cannot be interrupted, and waiting for it
//! in `drop` would block the executor thread that dropped the future for
//! the rest of the job: the very danger this future exists to avoid. (An
//! earlier version joined in `drop` and did exactly that; a test below
//! shows it no longer does.) The closure runs to its end and its thread
//! then exits on its own. Whoever must know that no job outlives them
//! counts the jobs, not the threads: the bridge runner's `Gate` waits at
//! shutdown until every admitted job's closure has finished.

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
        // Dropped before completion: detach the thread (dropping the
        // handle). Joining here would block whoever dropped us, an
        // executor's thread, until the closure ends.
        if let Some(thread) = self.thread.take() {
            drop(thread);
        }
    }
}

#[cfg(all(test, not(any(workbench_loom, workbench_shuttle))))]
mod tests {
    use super::*;
    use crate::primitives::test_support::within;
    use std::sync::mpsc;
    use std::time::Duration;

    /// A cancelled caller must not wait for its closure: dropping the
    /// future returns while the closure is still running, and the closure
    /// still runs to its end.
    #[test]
    fn dropping_it_does_not_wait_for_the_closure() {
        let (release, released) = mpsc::channel::<()>();
        let (finished, ran) = mpsc::channel();
        let mut future = spawn_blocking(move || {
            let _ = released.recv_timeout(Duration::from_secs(30));
            let _ = finished.send(());
        });
        let waker = Waker::noop();
        assert!(
            Pin::new(&mut future)
                .poll(&mut Context::from_waker(waker))
                .is_pending(),
            "the closure waits for the test"
        );
        let (dropped, drop_returned) = mpsc::channel();
        std::thread::spawn(move || {
            drop(future);
            let _ = dropped.send(());
        });
        let returned = drop_returned.recv_timeout(Duration::from_secs(5)).is_ok();
        let _ = release.send(());
        assert!(
            returned,
            "dropping a SpawnBlocking waited for its closure: a cancelled caller blocks its executor thread"
        );
        ran.recv_timeout(Duration::from_secs(10))
            .expect("the detached closure still runs to its end");
    }

    /// A panic in the closure is raised again in the awaiting task, with
    /// its message, as if the closure had run there.
    #[test]
    fn a_panicking_closure_panics_its_awaiter() {
        let outcome = within("the panicking closure's awaiter", || {
            std::panic::catch_unwind(|| {
                crate::drive::block_on(spawn_blocking(|| -> u32 {
                    std::panic::panic_any("the closure gives up")
                }))
            })
        });
        let payload = outcome.expect_err("the panic was swallowed");
        assert_eq!(
            payload.downcast_ref::<&str>(),
            Some(&"the closure gives up")
        );
    }

    /// Awaited to the end, it gives the closure's value (and the thread is
    /// joined, which the drop tests of the bridges count).
    #[test]
    fn awaited_it_gives_the_value() {
        let value = within("the awaiter", || {
            crate::drive::block_on(spawn_blocking(|| 6 * 7))
        });
        assert_eq!(value, 42);
    }
}
