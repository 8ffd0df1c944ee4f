//! Drivers: run N clients against one implementation and time them.
//!
//! A driver starts every client, holds them at a start barrier, takes the
//! start time, releases them, and returns the time until the last client
//! finished. Spawning and tearing down clients stay outside the timing.
//!
//! | driver | a client is | a pending future waits by |
//! |---|---|---|
//! | [`Threads`] | an OS thread running [`block_on`] | parking its thread |
//! | [`Tokio`] | a task on a multi-thread runtime, one worker per core | yielding to tokio |
//! | [`AsyncStd`] | a task on async-std's global executor | yielding to async-std |
//! | [`Smol`] | a task on an `async_executor::Executor`, one thread per core | yielding to smol |
//!
//! The three async drivers also implement [`AsyncDriver`] (sleep, yield),
//! and share one `run` body (`run_spawned`).
//!
//! The threads that run clients (the thread driver's client threads, the
//! tokio and smol drivers' workers) are pinned one per core, in turn: see
//! [`pin_this_thread`] for why. async-std's global executor cannot be
//! pinned, so its rows run unpinned.
//!
//! Under `Threads`, a future that is ready on its first poll (an atomic, an
//! uncontended mutex) costs one poll: no allocation, no runtime, no waker
//! clone. That keeps synchronous styles at their own speed.
//!
//! Drivers are harness, not implementations: they are never built under
//! loom (the loom models drive clients with loom's own threads and
//! `loom::future::block_on`), so they use `std` directly, not the facade.

mod async_std;
mod block_on;
mod pin;
mod smol;
mod threads;
mod tokio;

use std::future::Future;
use std::sync::Arc as StdArc;
use std::time::{Duration, Instant};

use crate::ClientId;

pub use self::async_std::AsyncStd;
pub use self::block_on::{Blocker, block_on, with_blocker};
pub use self::pin::pin_this_thread;
pub use self::smol::Smol;
pub use self::threads::Threads;
pub use self::tokio::Tokio;

/// Runs clients. Made once per benchmark or test (a runtime is costly to
/// build) and reused for every run.
pub trait Driver: Sized {
    /// The driver's name in reports: `threads`, `tokio`, `async_std`, `smol`.
    const NAME: &'static str;

    fn new() -> Self;

    /// Calls `make` inside the driver's runtime context, so that an
    /// implementation built there can find the runtime (tokio's
    /// `Handle::try_current`) and put its own tasks beside the clients', as
    /// an application would. Drivers without such a context just call it.
    fn enter<R>(&self, make: impl FnOnce() -> R) -> R {
        make()
    }

    /// Runs `clients` clients, client `i` running the future `client(ClientId(i))`,
    /// all released together; returns the time from release until the last
    /// one finished.
    fn run<F, Fut>(&self, clients: usize, client: F) -> Duration
    where
        F: Fn(ClientId) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static;

    /// Runs `clients` clients, client `id` performing operations
    /// `0..ops(id)` of `body` one after another; timed like [`Driver::run`].
    ///
    /// The driver owns the loop. On an async runtime the loop runs inside
    /// one task; the thread driver overrides this to call `block_on` once
    /// per operation from ordinary code, so a ready future costs one poll
    /// and the loop's state stays in registers (inside a long-lived future
    /// it would be stored to the future's memory on every iteration).
    fn run_ops<B, N>(&self, clients: usize, ops: N, body: StdArc<B>) -> Duration
    where
        B: ClientOp,
        N: Fn(ClientId) -> u64 + Send + Sync + 'static,
    {
        self.run(clients, move |id| {
            let (body, count) = (StdArc::clone(&body), ops(id));
            async move {
                for op in 0..count {
                    body.op(id, op).await;
                }
            }
        })
    }
}

/// One operation of a client, as a benchmark defines it: operation number
/// `op` of client `id`.
pub trait ClientOp: Send + Sync + 'static {
    fn op(&self, id: ClientId, op: u64) -> impl Future<Output = ()> + Send + '_;
}

/// Every driver, for code that instantiates one thing per driver:
/// `for_each_driver!(callback, args...)` calls `callback!` with `[args...]`
/// followed by `module: Type` pairs.
#[macro_export]
macro_rules! for_each_driver {
    ($callback:ident $(, $($args:tt)*)?) => {
        $callback! {
            [$($($args)*)?]
            threads: $crate::drive::Threads,
            tokio: $crate::drive::Tokio,
            async_std: $crate::drive::AsyncStd,
            smol: $crate::drive::Smol,
        }
    };
}

/// The time from the first client's start to the last client's finish,
/// from each client's own `(start, finish)` clock readings. Clients read the
/// clock themselves, right after the start line: a coordinator reading it
/// after releasing them can be descheduled (clients outnumber cores) and
/// read it after they have all finished.
fn span(clients: impl IntoIterator<Item = (Instant, Instant)>) -> Duration {
    let (first_start, last_finish) = clients.into_iter().fold(
        (None::<Instant>, None::<Instant>),
        |(start, finish), (s, f)| {
            (
                Some(start.map_or(s, |x| x.min(s))),
                Some(finish.map_or(f, |x| x.max(f))),
            )
        },
    );
    match (first_start, last_finish) {
        (Some(start), Some(finish)) => finish.saturating_duration_since(start),
        _ => Duration::ZERO,
    }
}

/// Drivers whose clients are async tasks on a runtime with a timer: they
/// can sleep and yield without blocking a thread. Harnesses that measure
/// latency (a heartbeat's lateness, a client's think time) need these.
pub trait AsyncDriver: Driver {
    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send;
    fn yield_now() -> impl Future<Output = ()> + Send;
}

/// A client task as the async drivers spawn it: the client's future
/// behind the start line, timed by its own clock readings.
type TimedClient = std::pin::Pin<Box<dyn Future<Output = (Instant, Instant)> + Send>>;

/// The body of every async driver's [`Driver::run`], written once: makes
/// each client's future, spawns it with `spawn` (which must start the task
/// at once and return a future of its result) as a task that waits at the
/// start line, runs `settle` (the tokio driver yields there), reads the
/// clock, runs the client and reads the clock again; then releases them all
/// and waits for every task. Returns the [`span`] of their readings.
///
/// The task wrapper is boxed: one allocation per client per run, outside
/// the timing; the client's own future inside it is not.
async fn run_spawned<F, Fut, S, H, Y, YF>(
    clients: usize,
    client: F,
    spawn: S,
    settle: Y,
) -> Duration
where
    F: Fn(ClientId) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
    S: Fn(TimedClient) -> H,
    H: Future<Output = (Instant, Instant)>,
    Y: Fn() -> YF + Copy + Send + 'static,
    YF: Future<Output = ()> + Send,
{
    // tokio's Barrier is runtime-agnostic; it only gates the start.
    let start_line = StdArc::new(::tokio::sync::Barrier::new(clients + 1));
    let finishers: Vec<H> = (0..clients)
        .map(|i| {
            let work = client(ClientId(i));
            let start_line = StdArc::clone(&start_line);
            spawn(Box::pin(async move {
                start_line.wait().await;
                settle().await;
                let start = Instant::now();
                work.await;
                (start, Instant::now())
            }))
        })
        .collect();
    start_line.wait().await;
    let mut times = Vec::with_capacity(clients);
    for finisher in finishers {
        times.push(finisher.await);
    }
    span(times)
}

/// The number of worker threads the async drivers use: one per core.
pub fn worker_threads() -> usize {
    crate::sync::cores()
}
