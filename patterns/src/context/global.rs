//! **global** (broken): the seed's warning, "don't store the user in an
//! instance variable", committed on purpose. One slot shared by every
//! request, written when a request starts and read wherever the request
//! asks who is calling. With one request at a time it works, which is why
//! the mistake survives a sequential test suite. With two in flight, the
//! second overwrites the slot and the first, at its next step, reads the
//! second's user: a context leak, the worst kind of bug in an
//! authorisation path.
//!
//! The concurrency checks must catch it, and assert that they do.

use std::sync::Mutex;

use smol::stream::Stream;

use crate::context::{ContextStyle, Ctx};

/// The one slot. (A mutex, so the bug is the sharing, not a data race.)
static CURRENT: Mutex<Option<Ctx>> = Mutex::new(None);

pub struct GlobalContext;

// ANCHOR: style
impl ContextStyle for GlobalContext {
    const STYLE: &'static str = "global";
    type Carry = ();

    async fn scope<F, Fut>(context: Ctx, request: F) -> Fut::Output
    where
        F: FnOnce(()) -> Fut + Send,
        Fut: std::future::Future + Send,
        Fut::Output: Send,
    {
        *CURRENT.lock().unwrap_or_else(|p| p.into_inner()) = Some(context); // BUG: shared by all
        request(()).await
    }

    fn current((): &()) -> Option<Ctx> {
        CURRENT.lock().unwrap_or_else(|p| p.into_inner()).clone()
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
