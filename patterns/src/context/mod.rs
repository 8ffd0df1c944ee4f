//! # The request context workload
//!
//! Who is calling, deep in an async call chain, with many requests in
//! flight at once. Seed 003 (Poto) keeps each request's user, request and
//! abort signal in Node's `AsyncLocalStorage`, and backs it with a table of
//! concurrency tests; it warns against the classic mistake of storing the
//! user in an instance variable. On a multi-threaded executor the same
//! question has several answers with different failure modes:
//!
//! | style | where the context lives | fails when |
//! |---|---|---|
//! | `explicit` | a value passed down every call | never (but every signature carries it) |
//! | `task_local` | `tokio::task_local!`, scoped to the request's future | a spawned sub-task does not inherit it: the style must carry it over |
//! | `global` (broken) | one shared slot written at request start (the seed's instance variable) | two requests overlap |
//! | `thread_local` (broken) | the worker thread's slot | another task runs on that thread between two awaits, or the task moves to another worker |
//!
//! ## Contract
//!
//! Inside [`ContextStyle::scope`], at every step of the request (after
//! awaits, in nested calls, in each chunk of a stream it produces, in
//! sub-tasks spawned with [`ContextStyle::spawn`] and blocking work run
//! with [`ContextStyle::spawn_blocking`]), [`ContextStyle::current`]
//! returns that request's context, and no other request's; so does every
//! item of a stream the request returns through
//! [`ContextStyle::returned_stream`], polled by its caller after the
//! scope has ended. [`handle`] is
//! the request every check and benchmark runs.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use smol::stream::Stream;

pub mod explicit;
pub mod global;
pub mod task_local;
pub mod thread_local;

// ANCHOR: context
/// One request's context: who is calling, which request it is, and
/// whether it has been cancelled (the seed's abort signal).
#[derive(Debug)]
pub struct RequestContext {
    pub user: String,
    pub request: u64,
    cancelled: AtomicBool,
}

pub type Ctx = Arc<RequestContext>;

impl RequestContext {
    pub fn new(user: impl Into<String>, request: u64) -> Ctx {
        Arc::new(RequestContext {
            user: user.into(),
            request,
            cancelled: AtomicBool::new(false),
        })
    }

    /// Relaxed: a flag polled at the request's next step; nothing else is
    /// published through it.
    pub fn cancel(&self) {
        self.cancelled.store(true, Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Relaxed)
    }
}
// ANCHOR_END: context

// ANCHOR: trait
/// A way to make the request context reachable from anywhere in the
/// request's async call chain.
pub trait ContextStyle: Send + Sync + 'static {
    const STYLE: &'static str;

    /// What the request's code passes down its calls: the context itself
    /// (`explicit`), or nothing (`()`) where the context is ambient.
    type Carry: Clone + Send + Sync + 'static;

    /// Runs one request with `context` as its context.
    fn scope<F, Fut>(context: Ctx, request: F) -> impl Future<Output = Fut::Output> + Send
    where
        F: FnOnce(Self::Carry) -> Fut + Send,
        Fut: Future + Send,
        Fut::Output: Send;

    /// Who is calling: the current request's context, if any.
    fn current(carry: &Self::Carry) -> Option<Ctx>;

    /// Spawns a sub-task of the current request that keeps its context.
    fn spawn<F, Fut>(carry: &Self::Carry, task: F) -> tokio::task::JoinHandle<Fut::Output>
    where
        F: FnOnce(Self::Carry) -> Fut,
        Fut: Future + Send + 'static,
        Fut::Output: Send + 'static;

    /// Runs blocking work of the current request on tokio's blocking pool,
    /// keeping its context there.
    fn spawn_blocking<F, R>(carry: &Self::Carry, work: F) -> tokio::task::JoinHandle<R>
    where
        F: FnOnce(Self::Carry) -> R + Send + 'static,
        R: Send + 'static;

    /// A stream the request hands back to its caller (seed 003's async
    /// generators), made so that the caller may poll it after the
    /// request's scope has ended and each item still sees the request's
    /// context.
    fn returned_stream<St>(carry: Self::Carry, stream: St) -> impl Stream<Item = St::Item> + Send
    where
        St: Stream + Send + 'static;
}
// ANCHOR_END: trait

/// What a request saw of its context at each step: `(user, request)`, or
/// `None` where it found no context at all.
pub type Seen = Vec<Option<(String, u64)>>;

fn who<S: ContextStyle>(carry: &S::Carry) -> Option<(String, u64)> {
    S::current(carry).map(|c| (c.user.clone(), c.request))
}

/// Gives other tasks a chance to run on this worker, and the runtime a
/// chance to move this task: where ambient context goes wrong.
async fn step() {
    tokio::task::yield_now().await;
}

// ANCHOR: handle
/// The request every check runs: it asks "who is calling" at its start,
/// after an await, in a nested call two awaits deep, in each of `chunks`
/// chunks of a stream it produces, and in a spawned sub-task; and it stops
/// early when cancelled.
pub async fn handle<S: ContextStyle>(carry: S::Carry, chunks: usize) -> Seen {
    let mut seen = vec![who::<S>(&carry)];
    step().await;
    seen.push(who::<S>(&carry));
    seen.push(nested::<S>(carry.clone()).await);
    // A stream: each chunk is produced when the consumer asks for it, after
    // an await, as an async generator's would be.
    let stream = smol::stream::unfold(0, |produced| {
        let carry = carry.clone();
        async move {
            if produced == chunks {
                return None;
            }
            step().await;
            Some((who::<S>(&carry), produced + 1))
        }
    });
    let mut stream = std::pin::pin!(stream);
    while let Some(chunk) = smol::stream::StreamExt::next(&mut stream).await {
        seen.push(chunk);
        if S::current(&carry).is_some_and(|c| c.is_cancelled()) {
            return seen;
        }
    }
    let sub_task = S::spawn(&carry, |carry| async move {
        step().await;
        who::<S>(&carry)
    });
    seen.push(sub_task.await.unwrap_or(None));
    seen
}

async fn nested<S: ContextStyle>(carry: S::Carry) -> Option<(String, u64)> {
    step().await;
    deeper::<S>(carry).await
}

async fn deeper<S: ContextStyle>(carry: S::Carry) -> Option<(String, u64)> {
    step().await;
    who::<S>(&carry)
}
// ANCHOR_END: handle

/// How many of `seen` are not `(user, request)`.
pub fn mismatches(seen: &Seen, user: &str, request: u64) -> usize {
    seen.iter()
        .filter(|s| s.as_ref().is_none_or(|(u, r)| u != user || *r != request))
        .count()
}

// ANCHOR: registry
/// The registry, a line per style with its tier (see `crate::registry`).
/// All styles run on tokio (`task_local` needs it; the others are measured
/// on the same runtime to compare like with like), so none is loom-checked.
#[macro_export]
macro_rules! for_each_context {
    ($callback:ident $($args:tt)?) => {
        $crate::walk_registry! { $callback [$($args)?];
            library explicit: $crate::context::explicit::ExplicitContext,
            library task_local: $crate::context::task_local::TaskLocalContext,
            broken global: $crate::context::global::GlobalContext,
            broken thread_local: $crate::context::thread_local::ThreadLocalContext,
        }
    };
}
// ANCHOR_END: registry

/// Visitor ids as seed 003 makes them: the time in milliseconds and six
/// random base-36 characters (`Math.random().toString(36).substring(2, 8)`,
/// about 31 bits). Unique only as long as two registrations in the same
/// millisecond draw different suffixes.
pub fn seed_visitor_id(millis: u64, random: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut suffix = [0u8; 6];
    let mut r = random;
    for c in &mut suffix {
        *c = DIGITS[(r % 36) as usize];
        r /= 36;
    }
    format!(
        "visitor_{millis}_{}",
        std::str::from_utf8(&suffix).expect("ASCII")
    )
}
