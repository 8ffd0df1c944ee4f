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
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    THIS_THREAD_WAKER.with(|waker| {
        let mut cx = Context::from_waker(waker);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
            park();
        }
    })
}
