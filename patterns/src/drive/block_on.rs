//! A minimal `block_on` for the thread driver: poll the future; if it is
//! pending, park the thread until its waker unparks it, and poll again.
//!
//! The waker is made once per thread and cached, so polling a future that
//! is ready at once costs exactly one poll. A spurious unpark only causes an
//! extra poll, which futures must tolerate anyway.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};

use std::thread::{Thread, current, park};

struct Unparker(Thread);

impl Wake for Unparker {
    fn wake(self: StdArc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        self.0.unpark();
    }
}

std::thread_local! {
    static THIS_THREAD_WAKER: Waker = Waker::from(StdArc::new(Unparker(current())));
}

/// Runs `future` to completion on the calling thread.
#[inline]
pub fn block_on<F: Future>(future: F) -> F::Output {
    with_blocker(|blocker| blocker.block_on(future))
}

/// Lends `f` a [`Blocker`] bound to this thread's waker, for a loop that
/// blocks on many futures: the thread-local is read once for the whole
/// loop, not once per future.
#[inline]
pub fn with_blocker<R>(f: impl FnOnce(&mut Blocker<'_>) -> R) -> R {
    // The cached waker is borrowed, not cloned.
    THIS_THREAD_WAKER.with(|waker| {
        f(&mut Blocker {
            cx: Context::from_waker(waker),
        })
    })
}

/// `block_on` with the thread's waker already in hand.
pub struct Blocker<'w> {
    cx: Context<'w>,
}

impl Blocker<'_> {
    #[inline]
    pub fn block_on<F: Future>(&mut self, future: F) -> F::Output {
        let mut future = pin!(future);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut self.cx) {
                return output;
            }
            park();
        }
    }
}
