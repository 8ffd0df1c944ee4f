//! What a task costs: the executors measured (tokio multi-thread and
//! current-thread, async-std, smol) and OS threads, each measurement's
//! body, and the memory probe run in a process of its own.

use std::future::Future;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{
    AtomicBool,
    Ordering::{Acquire, Release},
};
use std::time::{Duration, Instant};

/// The executors, by name, in the order of the tables.
pub const RUNTIMES: [&str; 5] = [
    "tokio",
    "tokio_current_thread",
    "async_std",
    "smol",
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
            _ => return None,
        })
    }

    /// Runs `body` as a task on this executor and returns what it returns.
    fn block_on<T: Send + 'static>(&self, body: impl Future<Output = T> + Send + 'static) -> T {
        match self {
            // Spawned, so that it runs on a worker as any task would (the
            // multi-thread runtime's block_on runs on this thread instead).
            Executor::Tokio(rt) => rt
                .block_on(rt.spawn(body))
                .expect("the body does not panic"),
            Executor::AsyncStd => async_std::task::block_on(async_std::task::spawn(body)),
            Executor::Smol(executor, ..) => smol::block_on(executor.spawn(body)),
        }
    }

    /// Spawns `task` on this executor from inside one of its tasks.
    fn spawner(&self) -> Spawner {
        match self {
            Executor::Tokio(_) => Spawner::Tokio,
            Executor::AsyncStd => Spawner::AsyncStd,
            Executor::Smol(executor, ..) => Spawner::Smol(Arc::clone(executor)),
        }
    }
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

#[derive(Clone)]
pub enum Spawner {
    Tokio,
    AsyncStd,
    Smol(Arc<smol::Executor<'static>>),
}

/// A spawned task's handle, awaited the same way on every runtime.
pub enum Handle {
    Tokio(tokio::task::JoinHandle<()>),
    AsyncStd(async_std::task::JoinHandle<()>),
    Smol(smol::Task<()>),
}

impl Spawner {
    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) -> Handle {
        match self {
            Spawner::Tokio => Handle::Tokio(tokio::spawn(task)),
            Spawner::AsyncStd => Handle::AsyncStd(async_std::task::spawn(task)),
            Spawner::Smol(executor) => Handle::Smol(executor.spawn(task)),
        }
    }
}

impl Handle {
    async fn join(self) {
        match self {
            Handle::Tokio(h) => h.await.expect("no panic"),
            Handle::AsyncStd(h) => h.await,
            Handle::Smol(h) => h.await,
        }
    }
}

pub fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

// ANCHOR: spawn
/// Nanoseconds per task: spawn an empty task and await it, `n` times.
pub fn spawn_and_join(executor: &Executor, n: usize) -> f64 {
    let spawner = executor.spawner();
    executor.block_on(async move {
        let start = Instant::now();
        for _ in 0..n {
            spawner.spawn(async {}).join().await;
        }
        start.elapsed().as_nanos() as f64 / n as f64
    })
}

/// Nanoseconds per task: spawn `n` empty tasks, then await them all.
pub fn spawn_then_join_all(executor: &Executor, n: usize) -> f64 {
    let spawner = executor.spawner();
    executor.block_on(async move {
        let start = Instant::now();
        let handles: Vec<Handle> = (0..n).map(|_| spawner.spawn(async {})).collect();
        for handle in handles {
            handle.join().await;
        }
        start.elapsed().as_nanos() as f64 / n as f64
    })
}
// ANCHOR_END: spawn

pub fn threads_spawn_and_join(n: usize) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        std::thread::spawn(|| {}).join().expect("no panic");
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

pub fn threads_spawn_then_join_all(n: usize) -> f64 {
    let start = Instant::now();
    let handles: Vec<_> = (0..n).map(|_| std::thread::spawn(|| {})).collect();
    for handle in handles {
        handle.join().expect("no panic");
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

// ANCHOR: switch
/// Nanoseconds per switch: two tasks take turns `rounds` times each,
/// through the cheapest wake-up of the runtime.
pub fn ping_pong(executor: &Executor, name: &str, rounds: usize) -> f64 {
    let spawner = executor.spawner();
    if name.starts_with("tokio") {
        return executor.block_on(async move {
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
            let start = Instant::now();
            for _ in 0..rounds {
                ping.notify_one();
                pong.notified().await;
            }
            let elapsed = start.elapsed();
            other.join().await;
            elapsed.as_nanos() as f64 / (2 * rounds) as f64
        });
    }
    executor.block_on(async move {
        let (to_other, from_me) = smol::channel::bounded::<()>(1);
        let (to_me, from_other) = smol::channel::bounded::<()>(1);
        let other = spawner.spawn(async move {
            while from_me.recv().await.is_ok() {
                let _ = to_me.send(()).await;
            }
        });
        let start = Instant::now();
        for _ in 0..rounds {
            to_other.send(()).await.expect("the other task runs");
            from_other.recv().await.expect("the other task answers");
        }
        let elapsed = start.elapsed();
        drop(to_other);
        other.join().await;
        elapsed.as_nanos() as f64 / (2 * rounds) as f64
    })
}

/// The same between two OS threads: each parks until the other unparks it.
pub fn threads_ping_pong(rounds: usize) -> f64 {
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
    let start = Instant::now();
    for _ in 0..rounds {
        turn.store(true, Release);
        other.thread().unpark();
        while turn.load(Acquire) {
            std::thread::park();
        }
    }
    let elapsed = start.elapsed();
    other.join().expect("no panic");
    elapsed.as_nanos() as f64 / (2 * rounds) as f64
}
// ANCHOR_END: switch

/// Nanoseconds per `yield_now` of one task alone.
pub fn yields(executor: &Executor, name: &str, n: usize) -> f64 {
    let name = name.to_string();
    executor.block_on(async move {
        let start = Instant::now();
        for _ in 0..n {
            match name.as_str() {
                "async_std" => async_std::task::yield_now().await,
                "smol" => smol::future::yield_now().await,
                _ => tokio::task::yield_now().await,
            }
        }
        start.elapsed().as_nanos() as f64 / n as f64
    })
}

pub fn threads_yields(n: usize) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        std::thread::yield_now();
    }
    start.elapsed().as_nanos() as f64 / n as f64
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
    let spawner = executor.spawner();
    let (release, parked) = smol::channel::bounded::<()>(1);
    let (rss_before, vsz_before) = memory_now();
    let future_size = executor.block_on(async move {
        let wait = {
            let parked = parked.clone();
            async move {
                let _ = parked.recv().await;
            }
        };
        let size = std::mem::size_of_val(&wait);
        drop(wait);
        let handles: Vec<Handle> = (0..n)
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
            handle.join().await;
        }
        size
    });
    let _ = future_size;
}
// ANCHOR_END: memory

/// One runtime's times, in ns: spawn + join, spawn N then join all (for N
/// in `AMORTISED`; `None` where not attempted), a ping-pong switch, a yield.
pub type Timing = (&'static str, f64, Vec<Option<f64>>, f64, f64);

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
