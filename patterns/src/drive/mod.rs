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
use std::sync::atomic::{
    AtomicBool,
    Ordering::{AcqRel, Acquire, Relaxed},
};
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

    /// Whether each client is an OS thread of its own (else clients are
    /// tasks sharing [`worker_threads`] workers): what counting a cell's
    /// runnable threads needs.
    const CLIENTS_ARE_THREADS: bool = false;

    fn new() -> Self;

    /// Calls `make` inside the driver's runtime context, so that an
    /// implementation built there can find the runtime (tokio's
    /// `Handle::try_current`) and put its own tasks beside the clients', as
    /// an application would. Drivers without such a context just call it.
    fn enter<R>(&self, make: impl FnOnce() -> R) -> R {
        make()
    }

    /// Runs `clients` clients, client `i` running the future
    /// `client(ClientId(i))`, all released together; returns the time from
    /// release until the last one finished, and each client's output in
    /// client order.
    fn run_each<F, Fut, T>(&self, clients: usize, client: F) -> Timed<T>
    where
        F: Fn(ClientId) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = T> + Send + 'static,
        T: Send + 'static;

    /// [`Driver::run_each`] for clients with nothing to report: just the time.
    fn run<F, Fut>(&self, clients: usize, client: F) -> Duration
    where
        F: Fn(ClientId) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.run_each(clients, client).span
    }

    /// What a client loop awaits every [`YIELD_EVERY`] operations: on an
    /// async runtime, one yield, so that clients outnumbering the workers
    /// take turns instead of running one after another (a future that is
    /// ready at once never yields by itself); on OS threads, nothing (the
    /// kernel preempts).
    fn between_ops() -> impl Future<Output = ()> + Send {
        std::future::ready(())
    }

    /// Runs `clients` clients, each performing operations `0, 1, 2...` of
    /// `body` one after another until `stop` is set (checked before every
    /// operation); returns the span and each client's operation count.
    ///
    /// The driver owns the loop. On an async runtime the loop runs inside
    /// one task and awaits [`Driver::between_ops`] every [`YIELD_EVERY`]
    /// operations; the thread driver overrides this to call `block_on`
    /// once per operation from ordinary code, so a ready future costs one
    /// poll and the loop's state stays in registers (inside a long-lived
    /// future it would be stored to the future's memory on every
    /// iteration).
    fn run_until<B: ClientOp>(&self, clients: usize, stop: &Stop, body: StdArc<B>) -> Timed<u64> {
        let stop = stop.clone();
        self.run_each(clients, move |id| {
            let (body, stop) = (StdArc::clone(&body), stop.clone());
            async move {
                stop.arm();
                let mut op = 0;
                while !stop.is_set() {
                    body.op(id, op).await;
                    op += 1;
                    if op % YIELD_EVERY == 0 {
                        Self::between_ops().await;
                    }
                }
                op
            }
        })
    }
}

/// How many operations an async client runs between two yields (see
/// [`Driver::between_ops`]): rare enough that a yield (tens of
/// nanoseconds) adds well under a nanosecond to an operation, often enough
/// that clients sharing a worker take turns every few microseconds.
pub const YIELD_EVERY: u64 = 1024;

/// A run's span (first client's start to last client's finish, from the
/// clients' own clock readings) and what each client returned.
#[derive(Debug, Clone)]
pub struct Timed<T> {
    pub span: Duration,
    pub outputs: Vec<T>,
}

/// The flag that ends a fixed-window run: clients check it before every
/// operation (a load of a line nobody writes until the end) and finish the
/// operation they are in when it is set. The window's timer starts when the
/// first client [arms](Stop::arm) it, past the start line: spawning the
/// clients, however many, never eats into the window.
#[derive(Debug, Clone, Default)]
pub struct Stop(StdArc<StopState>);

#[derive(Debug, Default)]
struct StopState {
    stop: AtomicBool,
    armed: AtomicBool,
    timer: std::sync::OnceLock<std::thread::Thread>,
}

impl Stop {
    pub fn new() -> Stop {
        Stop::default()
    }

    #[inline]
    pub fn is_set(&self) -> bool {
        self.0.stop.load(Relaxed)
    }

    pub fn set(&self) {
        self.0.stop.store(true, Relaxed);
    }

    /// Starts the window's timer, if [`Stop::after`] made one and nobody
    /// has started it yet: every client calls this as it starts its loop.
    #[inline]
    pub fn arm(&self) {
        if !self.0.armed.load(Relaxed)
            && !self.0.armed.swap(true, AcqRel)
            && let Some(timer) = self.0.timer.get()
        {
            timer.unpark();
        }
    }

    /// A new flag and a timer thread that sets it `window` after the first
    /// client arms it; arm it yourself after the run (in case no client
    /// did) and join the handle. Rates are computed over the clients' own
    /// span, not over the window.
    pub fn after(window: Duration) -> (Stop, std::thread::JoinHandle<()>) {
        let stop = Stop::new();
        let timer = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("window timer".into())
                .spawn(move || {
                    // A spurious unpark only loops.
                    while !stop.0.armed.load(Acquire) {
                        std::thread::park();
                    }
                    std::thread::sleep(window);
                    stop.set();
                })
                .expect("spawning the window's timer thread")
        };
        let _ = stop.0.timer.set(timer.thread().clone());
        (stop, timer)
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
type TimedClient<T> = std::pin::Pin<Box<dyn Future<Output = (Instant, Instant, T)> + Send>>;

/// The body of every async driver's [`Driver::run`], written once: makes
/// each client's future, spawns it with `spawn` (which must start the task
/// at once and return a future of its result) as a task that waits at the
/// start line, runs `settle` (the tokio driver yields there), reads the
/// clock, runs the client and reads the clock again; then releases them all
/// and waits for every task. Returns the [`span`] of their readings.
///
/// The task wrapper is boxed: one allocation per client per run, outside
/// the timing; the client's own future inside it is not.
async fn run_spawned<F, Fut, T, S, H, Y, YF>(
    clients: usize,
    client: F,
    spawn: S,
    settle: Y,
) -> Timed<T>
where
    F: Fn(ClientId) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
    S: Fn(TimedClient<T>) -> H,
    H: Future<Output = (Instant, Instant, T)>,
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
                let output = work.await;
                (start, Instant::now(), output)
            }))
        })
        .collect();
    start_line.wait().await;
    let mut times = Vec::with_capacity(clients);
    let mut outputs = Vec::with_capacity(clients);
    for finisher in finishers {
        let (start, finish, output) = finisher.await;
        times.push((start, finish));
        outputs.push(output);
    }
    Timed {
        span: span(times),
        outputs,
    }
}

/// The number of worker threads the async drivers use: one per core.
pub fn worker_threads() -> usize {
    crate::sync::cores()
}
