//! **explicit**: the context is a value, passed down every call that needs
//! it. Nothing is ambient, so nothing can leak: a request sees exactly what
//! its caller handed it, on any thread, after any await, in any sub-task
//! it passes it to. The cost is in the signatures (every function on the
//! path takes the context) and one `Arc` clone per hand-off.

use smol::stream::Stream;

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

    fn spawn_blocking<F, R>(carry: &Ctx, work: F) -> tokio::task::JoinHandle<R>
    where
        F: FnOnce(Ctx) -> R + Send + 'static,
        R: Send + 'static,
    {
        let carry = Ctx::clone(carry);
        tokio::task::spawn_blocking(move || work(carry))
    }

    /// Nothing to do: the stream's own code holds the context it was
    /// handed, wherever and whenever it is polled.
    fn returned_stream<St>(_: Ctx, stream: St) -> impl Stream<Item = St::Item> + Send
    where
        St: Stream + Send + 'static,
    {
        stream
    }
}
// ANCHOR_END: style
