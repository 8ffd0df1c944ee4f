//! **thread_local** (broken): the context in the worker thread's own slot,
//! set when the request starts. Correct where one thread runs one request
//! from start to end (a thread per request, as in the server workload's
//! blocking styles). On an async executor it is wrong twice over: between
//! two awaits another task runs on the same worker and sets the slot to
//! its own context, and a task that resumes on another worker reads that
//! worker's slot. A sub-task runs wherever the executor puts it.
//!
//! The concurrency checks must catch it, and assert that they do; a
//! control run with one request at a time passes.

use std::cell::RefCell;

use smol::stream::Stream;

use crate::context::{ContextStyle, Ctx};

std::thread_local! {
    static CURRENT: RefCell<Option<Ctx>> = const { RefCell::new(None) };
}

pub struct ThreadLocalContext;

// ANCHOR: style
impl ContextStyle for ThreadLocalContext {
    const STYLE: &'static str = "thread_local";
    type Carry = ();

    async fn scope<F, Fut>(context: Ctx, request: F) -> Fut::Output
    where
        F: FnOnce(()) -> Fut + Send,
        Fut: std::future::Future + Send,
        Fut::Output: Send,
    {
        // BUG: the slot belongs to whichever thread polls this first.
        CURRENT.with(|slot| *slot.borrow_mut() = Some(context));
        request(()).await
    }

    fn current((): &()) -> Option<Ctx> {
        CURRENT.with(|slot| slot.borrow().clone())
    }

    fn spawn<F, Fut>((): &(), task: F) -> tokio::task::JoinHandle<Fut::Output>
    where
        F: FnOnce(()) -> Fut,
        Fut: std::future::Future + Send + 'static,
        Fut::Output: Send + 'static,
    {
        tokio::spawn(task(()))
    }

    fn spawn_blocking<F, R>((): &(), work: F) -> tokio::task::JoinHandle<R>
    where
        F: FnOnce(()) -> R + Send + 'static,
        R: Send + 'static,
    {
        tokio::task::spawn_blocking(move || work(()))
    }

    fn returned_stream<St>((): (), stream: St) -> impl Stream<Item = St::Item> + Send
    where
        St: Stream + Send + 'static,
    {
        stream
    }
}
// ANCHOR_END: style
