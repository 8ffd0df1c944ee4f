//! What a task costs: the executors measured (tokio multi-thread and
//! current-thread, async-std, smol, and the thread-per-core runtimes
//! monoio and glommio, one executor on the calling thread) and OS threads,
//! each measurement's body, and the memory probe run in a process of its
//! own.

use std::future::Future;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{
    AtomicBool,
    Ordering::{Acquire, Release},
};
use std::time::{Duration, Instant};

use crate::cost::Cost;

/// The executors, by name, in the order of the tables.
pub const RUNTIMES: [&str; 7] = [
    "tokio",
    "tokio_current_thread",
    "async_std",
    "smol",
    "monoio",
    "glommio",
    "threads",
];
pub const ROUNDS: usize = 5;
/// Tasks spawned before all are awaited, per amortised cell.
pub const AMORTISED: [usize; 3] = [1, 1_000, 100_000];

/// An executor to run one measurement's body on.
pub enum Executor {
    Tokio(tokio::runtime::Runtime),
    AsyncStd,
    Smol(
        Arc<smol::Executor<'static>>,
        smol::channel::Sender<()>,
        Vec<std::thread::JoinHandle<()>>,
    ),
    /// A thread-per-core runtime runs on the thread that made it: the
    /// measurement's body runs here, as its server style's tasks run on
    /// their core's thread. (`RefCell`: monoio's `block_on` takes `&mut`.)
    Monoio(std::cell::RefCell<monoio::Runtime<monoio::time::TimeDriver<monoio::IoUringDriver>>>),
    Glommio(glommio::LocalExecutor),
}

impl Executor {
    pub fn new(name: &str) -> Option<Executor> {
        let workers = patterns::sync::cores();
        Some(match name {
            "tokio" => Executor::Tokio(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(workers)
                    .build()
                    .ok()?,
            ),
            "tokio_current_thread" => {
                Executor::Tokio(tokio::runtime::Builder::new_current_thread().build().ok()?)
            }
            "async_std" => Executor::AsyncStd,
            "smol" => {
                let executor = Arc::new(smol::Executor::new());
                let (stop, stopped) = smol::channel::unbounded::<()>();
                let threads = (0..workers)
                    .map(|_| {
                        let (executor, stopped) = (Arc::clone(&executor), stopped.clone());
                        std::thread::spawn(move || {
                            let _ = smol::block_on(executor.run(stopped.recv()));
                        })
                    })
                    .collect();
                Executor::Smol(executor, stop, threads)
            }
            // The server style's builds: io_uring drivers, a timer.
            "monoio" => Executor::Monoio(std::cell::RefCell::new(
                monoio::RuntimeBuilder::<monoio::IoUringDriver>::new()
                    .enable_timer()
                    .build()
                    .ok()?,
            )),
            "glommio" => Executor::Glommio(
                glommio::LocalExecutorBuilder::new(glommio::Placement::Unbound)
                    .make()
                    .ok()?,
            ),
            _ => return None,
        })
    }
}

/// Runs `$body` (a future made from the runtime's [`Spawn`], bound to
/// `$spawner`) as a task on `$executor`, and returns its output. Each arm
/// makes the body with its own runtime's `Spawn`, so the bodies written
/// once below are `Send` where their runtime needs it and need not be on
/// the thread-per-core runtimes, whose handles are `!Send`.
macro_rules! run_on {
    ($executor:expr, |$spawner:ident| $body:expr) => {
        match $executor {
            // Spawned, so that it runs on a worker as any task would (the
            // multi-thread runtime's block_on runs on this thread instead).
            Executor::Tokio(rt) => {
                let $spawner = TokioSpawn;
                rt.block_on(rt.spawn($body))
                    .expect("the body does not panic")
            }
            Executor::AsyncStd => {
                let $spawner = AsyncStdSpawn;
                async_std::task::block_on(async_std::task::spawn($body))
            }
            Executor::Smol(executor, ..) => {
                let $spawner = SmolSpawn(Arc::clone(executor));
                smol::block_on(executor.spawn($body))
            }
            // On the thread that made the runtime: a core of the server
            // styles runs its tasks the same way.
            Executor::Monoio(runtime) => {
                let $spawner = MonoioSpawn;
                runtime.borrow_mut().block_on($body)
            }
            Executor::Glommio(executor) => {
                let $spawner = GlommioSpawn;
                executor.run($body)
            }
        }
    };
}

impl Drop for Executor {
    fn drop(&mut self) {
        if let Executor::Smol(_, stop, threads) = self {
            stop.close();
            for thread in threads.drain(..) {
                let _ = thread.join();
            }
        }
    }
}

/// How a measurement's body spawns a task and awaits it, on one runtime,
/// from inside one of its tasks.
pub trait Spawn: Clone + 'static {
    type Handle;
    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) -> Self::Handle;
    fn join(handle: Self::Handle) -> impl Future<Output = ()>;
}

#[derive(Clone)]
pub struct TokioSpawn;
#[derive(Clone)]
pub struct AsyncStdSpawn;
#[derive(Clone)]
pub struct SmolSpawn(Arc<smol::Executor<'static>>);
/// The runtime of the calling thread (thread-per-core).
#[derive(Clone)]
pub struct MonoioSpawn;
#[derive(Clone)]
pub struct GlommioSpawn;

impl Spawn for TokioSpawn {
    type Handle = tokio::task::JoinHandle<()>;
    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) -> Self::Handle {
        tokio::spawn(task)
    }
    async fn join(handle: Self::Handle) {
        handle.await.expect("no panic");
    }
}

impl Spawn for AsyncStdSpawn {
    type Handle = async_std::task::JoinHandle<()>;
    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) -> Self::Handle {
        async_std::task::spawn(task)
    }
    async fn join(handle: Self::Handle) {
        handle.await;
    }
}

impl Spawn for SmolSpawn {
    type Handle = smol::Task<()>;
    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) -> Self::Handle {
        self.0.spawn(task)
    }
    async fn join(handle: Self::Handle) {
        handle.await;
    }
}

impl Spawn for MonoioSpawn {
    type Handle = monoio::task::JoinHandle<()>;
    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) -> Self::Handle {
        monoio::spawn(task)
    }
    async fn join(handle: Self::Handle) {
        handle.await;
    }
}

impl Spawn for GlommioSpawn {
    type Handle = glommio::Task<()>;
    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) -> Self::Handle {
        glommio::spawn_local(task)
    }
    async fn join(handle: Self::Handle) {
        handle.await;
    }
}

pub fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// What one operation cost over a timed run of `n`: wall time, the CPU
/// time of the whole process (every worker the runtime woke, a waker's
/// spin, an idle worker's search for work), and allocations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PerOp {
    pub wall_ns: f64,
    pub cpu_ns: f64,
    pub allocations: f64,
    /// Operations in the run: below [`PerOp::COSTED`], the costs are the
    /// readings' own (the kernel's CPU accounting moves in steps of
    /// microseconds, and reading `/proc/stat` allocates), and are not shown.
    pub ops: usize,
}

impl PerOp {
    /// The fewest operations whose CPU time and allocations per operation
    /// are shown.
    pub const COSTED: usize = 1_000;

    /// Whether the run was long enough for its costs to mean something.
    pub fn costed(&self) -> bool {
        self.ops >= Self::COSTED
    }

    /// The medians, field by field, of several rounds.
    pub fn median(rounds: Vec<PerOp>) -> PerOp {
        PerOp {
            wall_ns: median(rounds.iter().map(|r| r.wall_ns).collect()),
            cpu_ns: median(rounds.iter().map(|r| r.cpu_ns).collect()),
            allocations: median(rounds.iter().map(|r| r.allocations).collect()),
            ops: rounds.iter().map(|r| r.ops).min().unwrap_or(0),
        }
    }
}

/// The start of a timed run: the costs, then the clock (read last, so the
/// costs' own reading is outside the time).
struct Started(Cost, Instant);

impl Started {
    fn now() -> Started {
        let cost = Cost::now();
        Started(cost, Instant::now())
    }

    /// Per operation, for `n` operations since the start.
    fn per_op(self, n: usize) -> PerOp {
        let wall = self.1.elapsed();
        let cost = Cost::now().since(&self.0);
        let ops = n;
        let n = n as f64;
        PerOp {
            wall_ns: wall.as_nanos() as f64 / n,
            cpu_ns: cost.cpu.as_nanos() as f64 / n,
            allocations: cost.allocations as f64 / n,
            ops,
        }
    }
}

// ANCHOR: spawn
/// Per task: spawn an empty task and await it, `n` times.
pub fn spawn_and_join(executor: &Executor, n: usize) -> PerOp {
    run_on!(executor, |spawner| spawn_and_join_in(spawner, n))
}

async fn spawn_and_join_in<S: Spawn>(spawner: S, n: usize) -> PerOp {
    let start = Started::now();
    for _ in 0..n {
        S::join(spawner.spawn(async {})).await;
    }
    start.per_op(n)
}

/// Per task: spawn `n` empty tasks, then await them all.
pub fn spawn_then_join_all(executor: &Executor, n: usize) -> PerOp {
    run_on!(executor, |spawner| spawn_then_join_all_in(spawner, n))
}

async fn spawn_then_join_all_in<S: Spawn>(spawner: S, n: usize) -> PerOp {
    let start = Started::now();
    let handles: Vec<S::Handle> = (0..n).map(|_| spawner.spawn(async {})).collect();
    for handle in handles {
        S::join(handle).await;
    }
    start.per_op(n)
}
// ANCHOR_END: spawn

pub fn threads_spawn_and_join(n: usize) -> PerOp {
    let start = Started::now();
    for _ in 0..n {
        std::thread::spawn(|| {}).join().expect("no panic");
    }
    start.per_op(n)
}

pub fn threads_spawn_then_join_all(n: usize) -> PerOp {
    let start = Started::now();
    let handles: Vec<_> = (0..n).map(|_| std::thread::spawn(|| {})).collect();
    for handle in handles {
        handle.join().expect("no panic");
    }
    start.per_op(n)
}

// ANCHOR: switch
/// Nanoseconds per switch: two tasks take turns `rounds` times each,
/// through the cheapest wake-up of the runtime.
pub fn ping_pong(executor: &Executor, name: &str, rounds: usize) -> PerOp {
    // tokio's `Notify` needs no tokio runtime: the thread-per-core
    // runtimes, which bring no wake-up primitive of their own, use it too,
    // so that their row and tokio's differ only in the executor.
    let notify = !matches!(name, "async_std" | "smol");
    run_on!(executor, |spawner| ping_pong_in(spawner, notify, rounds))
}

async fn ping_pong_in<S: Spawn>(spawner: S, notify: bool, rounds: usize) -> PerOp {
    if notify {
        let (ping, pong) = (
            Arc::new(tokio::sync::Notify::new()),
            Arc::new(tokio::sync::Notify::new()),
        );
        let other = {
            let (ping, pong) = (Arc::clone(&ping), Arc::clone(&pong));
            spawner.spawn(async move {
                for _ in 0..rounds {
                    ping.notified().await;
                    pong.notify_one();
                }
            })
        };
        let start = Started::now();
        for _ in 0..rounds {
            ping.notify_one();
            pong.notified().await;
        }
        let per_switch = start.per_op(2 * rounds);
        S::join(other).await;
        return per_switch;
    }
    let (to_other, from_me) = smol::channel::bounded::<()>(1);
    let (to_me, from_other) = smol::channel::bounded::<()>(1);
    let other = spawner.spawn(async move {
        while from_me.recv().await.is_ok() {
            let _ = to_me.send(()).await;
        }
    });
    let start = Started::now();
    for _ in 0..rounds {
        to_other.send(()).await.expect("the other task runs");
        from_other.recv().await.expect("the other task answers");
    }
    let per_switch = start.per_op(2 * rounds);
    drop(to_other);
    S::join(other).await;
    per_switch
}

/// The same between two OS threads: each parks until the other unparks it.
pub fn threads_ping_pong(rounds: usize) -> PerOp {
    let turn = Arc::new(AtomicBool::new(false)); // false: main's turn
    let main = std::thread::current();
    let other = {
        let turn = Arc::clone(&turn);
        std::thread::spawn(move || {
            for _ in 0..rounds {
                // Acquire/Release: the turn flag hands over ownership of
                // the next step; park may wake spuriously, so loop.
                while !turn.load(Acquire) {
                    std::thread::park();
                }
                turn.store(false, Release);
                main.unpark();
            }
        })
    };
    let start = Started::now();
    for _ in 0..rounds {
        turn.store(true, Release);
        other.thread().unpark();
        while turn.load(Acquire) {
            std::thread::park();
        }
    }
    let per_switch = start.per_op(2 * rounds);
    other.join().expect("no panic");
    per_switch
}
// ANCHOR_END: switch

/// Nanoseconds per `yield_now` of one task alone.
pub fn yields(executor: &Executor, name: &str, n: usize) -> PerOp {
    let name = name.to_string();
    run_on!(executor, |_spawner| yields_in(name, n))
}

async fn yields_in(name: String, n: usize) -> PerOp {
    let start = Started::now();
    for _ in 0..n {
        match name.as_str() {
            "async_std" => async_std::task::yield_now().await,
            // futures-lite's: wakes itself and returns `Pending` once, so
            // the executor reschedules it (monoio and glommio have no
            // yield of their own that always yields).
            "smol" | "monoio" | "glommio" => smol::future::yield_now().await,
            _ => tokio::task::yield_now().await,
        }
    }
    start.per_op(n)
}

pub fn threads_yields(n: usize) -> PerOp {
    let start = Started::now();
    for _ in 0..n {
        std::thread::yield_now();
    }
    start.per_op(n)
}

/// This process's resident and virtual size, in bytes.
pub fn memory_now() -> (u64, u64) {
    let status =
        std::fs::read_to_string("/proc/self/status").expect("this bench needs Linux's /proc");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kib| kib * 1024)
    };
    (field("VmRSS:"), field("VmSize:"))
}

// ANCHOR: memory
/// In a child process: `n` tasks (or threads) parked on a channel; prints
/// `rss_before rss_after vsz_before vsz_after future_size`.
pub fn memory_child(name: &str, n: usize) {
    if name == "threads" {
        let (release, parked) = std::sync::mpsc::channel::<()>();
        let parked = Arc::new(std::sync::Mutex::new(parked));
        let before = memory_now();
        let threads: Vec<_> = (0..n)
            .map(|_| {
                let parked = Arc::clone(&parked);
                // std's default stack: 2 MiB of address space (RUST_MIN_STACK
                // unset), of which only touched pages become resident.
                std::thread::spawn(move || {
                    let _ = parked.lock().map(|rx| rx.recv());
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        let after = memory_now();
        println!("{} {} {} {} 0", before.0, after.0, before.1, after.1);
        drop(release);
        drop(threads); // detached; the process ends here
        return;
    }
    let executor = Executor::new(name).expect("a known runtime");
    let before = memory_now();
    run_on!(&executor, |spawner| memory_in(spawner, n, before));
}

async fn memory_in<S: Spawn>(spawner: S, n: usize, (rss_before, vsz_before): (u64, u64)) {
    let (release, parked) = smol::channel::bounded::<()>(1);
    let wait = {
        let parked = parked.clone();
        async move {
            let _ = parked.recv().await;
        }
    };
    let size = std::mem::size_of_val(&wait);
    drop(wait);
    let handles: Vec<S::Handle> = (0..n)
        .map(|_| {
            let parked = parked.clone();
            spawner.spawn(async move {
                let _ = parked.recv().await;
            })
        })
        .collect();
    // Let every task run once and park.
    let settle = Instant::now() + Duration::from_millis(300);
    while Instant::now() < settle {
        smol::future::yield_now().await;
    }
    let (rss, vsz) = memory_now();
    println!("{rss_before} {rss} {vsz_before} {vsz} {size}");
    drop(release);
    for handle in handles {
        S::join(handle).await;
    }
}
// ANCHOR_END: memory

/// One runtime's times, in ns: spawn + join, spawn N then join all (for N
/// in `AMORTISED`; `None` where not attempted), a ping-pong switch, a yield.
/// One runtime's times: spawn and await one at a time, spawn N then
/// await all (per [`AMORTISED`] count; `None` where not attempted), a
/// ping-pong switch, and a lone `yield_now`.
pub struct Timing {
    pub runtime: &'static str,
    pub spawn: PerOp,
    pub amortised: Vec<Option<PerOp>>,
    pub switch: PerOp,
    pub yielded: PerOp,
}

pub struct MemoryCell {
    pub runtime: &'static str,
    pub n: usize,
    pub rss_per: f64,
    pub vsz_per: f64,
    pub future_size: u64,
}

pub fn measure_memory(runtime: &'static str, n: usize) -> Option<MemoryCell> {
    let out = Command::new(std::env::current_exe().ok()?)
        .args(["--memory", runtime, &n.to_string()])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<u64> = text
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let [rss0, rss1, vsz0, vsz1, size] = fields[..] else {
        eprintln!("runtime/memory/{runtime}/{n}: the child said {text:?}");
        return None;
    };
    Some(MemoryCell {
        runtime,
        n,
        rss_per: rss1.saturating_sub(rss0) as f64 / n as f64,
        vsz_per: vsz1.saturating_sub(vsz0) as f64 / n as f64,
        future_size: size,
    })
}

/// `measured / claimed` as a verdict: within 2x holds.
pub fn verdict(measured: f64, claimed: f64) -> String {
    let ratio = measured / claimed;
    if (0.5..=2.0).contains(&ratio) {
        format!("holds ({ratio:.1}x)")
    } else if ratio > 1.0 {
        format!("{ratio:.0}x the claim")
    } else {
        format!("{:.0}x below the claim", 1.0 / ratio)
    }
}

pub fn ns(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.1} µs", v / 1000.0)
    } else {
        format!("{v:.0} ns")
    }
}
