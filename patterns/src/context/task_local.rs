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
//! tokio's task-locals do not.

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
}
// ANCHOR_END: style

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
