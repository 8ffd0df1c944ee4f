//! **explicit**: the context is a value, passed down every call that needs
//! it. Nothing is ambient, so nothing can leak: a request sees exactly what
//! its caller handed it, on any thread, after any await, in any sub-task
//! it passes it to. The cost is in the signatures (every function on the
//! path takes the context) and one `Arc` clone per hand-off.

use crate::context::{ContextStyle, Ctx};

pub struct ExplicitContext;

// ANCHOR: style
impl ContextStyle for ExplicitContext {
    const STYLE: &'static str = "explicit";
    type Carry = Ctx;

    async fn scope<F, Fut>(context: Ctx, request: F) -> Fut::Output
    where
        F: FnOnce(Ctx) -> Fut + Send,
        Fut: std::future::Future + Send,
        Fut::Output: Send,
    {
        request(context).await
    }

    fn current(carry: &Ctx) -> Option<Ctx> {
        Some(Ctx::clone(carry))
    }

    fn spawn<F, Fut>(carry: &Ctx, task: F) -> tokio::task::JoinHandle<Fut::Output>
    where
        F: FnOnce(Ctx) -> Fut,
        Fut: std::future::Future + Send + 'static,
        Fut::Output: Send + 'static,
    {
        tokio::spawn(task(Ctx::clone(carry)))
    }
}
// ANCHOR_END: style
