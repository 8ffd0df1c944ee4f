//! **task_local**: the closest thing to `AsyncLocalStorage`. A
//! `tokio::task_local!` is set for the duration of one future
//! (`CONTEXT.scope(ctx, future)`): while that future is polled, on whatever
//! worker, `CONTEXT` is its value, and between its polls it is not set at
//! all, so no other task can see it. Nothing is passed down.
//!
//! The pitfall: a task-local belongs to the future it scopes, not to the
//! request. `tokio::spawn` starts a new task outside that scope, and the
//! sub-task sees no context ([`spawn_forgetting_context`] shows it; the
//! checks assert it). The style must carry the context over: read it, and
//! scope the sub-task's future with it ([`TaskLocalContext::spawn`]).
//! `AsyncLocalStorage` propagates to everything started in its scope;
//! tokio's task-locals do not. The same holds for blocking work (a
//! `spawn_blocking` closure runs on another thread, outside any scope) and
//! for a stream the request returns to its caller, polled after the scope
//! has ended: the style scopes each of them itself.

use std::pin::Pin;
use std::task::{Context, Poll};

use smol::stream::Stream;

use crate::context::{ContextStyle, Ctx};

tokio::task_local! {
    static CONTEXT: Ctx;
}

pub struct TaskLocalContext;

// ANCHOR: style
impl ContextStyle for TaskLocalContext {
    const STYLE: &'static str = "task_local";
    type Carry = ();

    async fn scope<F, Fut>(context: Ctx, request: F) -> Fut::Output
    where
        F: FnOnce(()) -> Fut + Send,
        Fut: std::future::Future + Send,
        Fut::Output: Send,
    {
        CONTEXT.scope(context, request(())).await
    }

    fn current((): &()) -> Option<Ctx> {
        CONTEXT.try_with(Ctx::clone).ok()
    }

    /// Carries the context over: the sub-task's future gets its own scope.
    fn spawn<F, Fut>((): &(), task: F) -> tokio::task::JoinHandle<Fut::Output>
    where
        F: FnOnce(()) -> Fut,
        Fut: std::future::Future + Send + 'static,
        Fut::Output: Send + 'static,
    {
        match Self::current(&()) {
            Some(context) => tokio::spawn(CONTEXT.scope(context, task(()))),
            None => tokio::spawn(task(())),
        }
    }

    /// Carries the context onto the blocking thread: the closure runs
    /// inside a synchronous scope of its own.
    fn spawn_blocking<F, R>((): &(), work: F) -> tokio::task::JoinHandle<R>
    where
        F: FnOnce(()) -> R + Send + 'static,
        R: Send + 'static,
    {
        let context = Self::current(&());
        tokio::task::spawn_blocking(move || match context {
            Some(context) => CONTEXT.sync_scope(context, || work(())),
            None => work(()),
        })
    }

    /// Carries the context into the stream: each poll runs inside a scope
    /// of the context the stream was made with (a private `Scoped` wrapper).
    fn returned_stream<St>((): (), stream: St) -> impl Stream<Item = St::Item> + Send
    where
        St: Stream + Send + 'static,
    {
        Scoped {
            context: Self::current(&()),
            stream: Box::pin(stream),
        }
    }
}
// ANCHOR_END: style

// ANCHOR: scoped
/// A stream polled inside a task-local scope of `context`, wherever it is
/// polled from: what `CONTEXT.scope` does for a future, done per poll.
/// tokio's task-locals have no such wrapper for streams (seed 003's
/// generators get one from `AsyncLocalStorage` for free), so a stream
/// returned out of its request's scope would otherwise find no context.
struct Scoped<St> {
    context: Option<Ctx>,
    stream: Pin<Box<St>>,
}

impl<St: Stream> Stream for Scoped<St> {
    type Item = St::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<St::Item>> {
        let this = &mut *self;
        match &this.context {
            Some(context) => {
                CONTEXT.sync_scope(Ctx::clone(context), || this.stream.as_mut().poll_next(cx))
            }
            None => this.stream.as_mut().poll_next(cx),
        }
    }
}
// ANCHOR_END: scoped

// ANCHOR: pitfall
/// The mistake the style avoids: a plain `tokio::spawn` from inside a
/// request. The sub-task runs outside the request's scope and finds no
/// context.
pub fn spawn_forgetting_context<Fut>(task: Fut) -> tokio::task::JoinHandle<Fut::Output>
where
    Fut: std::future::Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    tokio::spawn(task)
}
// ANCHOR_END: pitfall
