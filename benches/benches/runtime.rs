//! What a task costs, on every executor the workbench uses, beside OS
//! threads: seed 001's performance table (task spawn ~300 ns, context
//! switch ~50 ns, ~1-2 KB per task, threads ~8 MB), measured.
//!
//! - **Spawn**: spawn an empty task and await it, one at a time; and spawn
//!   N, then await all (N = 1, 1,000, 100,000), per task.
//! - **Switch**: two tasks handing control back and forth through the
//!   cheapest wake-up the runtime offers (tokio's `Notify`; a bounded(1)
//!   `async-channel` on async-std and smol; park/unpark between two OS
//!   threads), and one task calling `yield_now` in a loop; per switch.
//! - **Memory**: the RSS a parked task adds (1,000 to 1,000,000 tasks
//!   waiting on a channel), and the size of its future; for OS threads,
//!   RSS and address space per parked thread (1,000 and 10,000, std's
//!   default 2 MiB stacks). Each count in a fresh process of its own (this
//!   binary, run again with `--memory RUNTIME N`), so one measurement's
//!   memory cannot hide in another's.
//!
//! Times are the median of five rounds. On the latency harness: `--test`
//! runs each cell briefly, `--quick` shortens the rounds.

use std::future::Future;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{
    AtomicBool,
    Ordering::{Acquire, Release},
};
use std::time::{Duration, Instant};

use benches::harness::Harness;
use benches::report::table::{MdTable, bytes};
use benches::results::RuntimeRow;
use benches::workloads::runtime::workload;

/// The executors, by name, in the order of the tables.
const RUNTIMES: [&str; 5] = [
    "tokio",
    "tokio_current_thread",
    "async_std",
    "smol",
    "threads",
];
const ROUNDS: usize = 5;

/// An executor to run one measurement's body on.
enum Executor {
    Tokio(tokio::runtime::Runtime),
    AsyncStd,
    Smol(
        Arc<smol::Executor<'static>>,
        smol::channel::Sender<()>,
        Vec<std::thread::JoinHandle<()>>,
    ),
}

impl Executor {
    fn new(name: &str) -> Option<Executor> {
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
enum Spawner {
    Tokio,
    AsyncStd,
    Smol(Arc<smol::Executor<'static>>),
}

/// A spawned task's handle, awaited the same way on every runtime.
enum Handle {
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

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

// ANCHOR: spawn
/// Nanoseconds per task: spawn an empty task and await it, `n` times.
fn spawn_and_join(executor: &Executor, n: usize) -> f64 {
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
fn spawn_then_join_all(executor: &Executor, n: usize) -> f64 {
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

fn threads_spawn_and_join(n: usize) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        std::thread::spawn(|| {}).join().expect("no panic");
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

fn threads_spawn_then_join_all(n: usize) -> f64 {
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
fn ping_pong(executor: &Executor, name: &str, rounds: usize) -> f64 {
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
fn threads_ping_pong(rounds: usize) -> f64 {
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
fn yields(executor: &Executor, name: &str, n: usize) -> f64 {
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

fn threads_yields(n: usize) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        std::thread::yield_now();
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

/// This process's resident and virtual size, in bytes.
fn memory_now() -> (u64, u64) {
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
fn memory_child(name: &str, n: usize) {
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
type Timing = (&'static str, f64, Vec<Option<f64>>, f64, f64);

struct MemoryCell {
    runtime: &'static str,
    n: usize,
    rss_per: f64,
    vsz_per: f64,
    future_size: u64,
}

fn measure_memory(runtime: &'static str, n: usize) -> Option<MemoryCell> {
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
fn verdict(measured: f64, claimed: f64) -> String {
    let ratio = measured / claimed;
    if (0.5..=2.0).contains(&ratio) {
        format!("holds ({ratio:.1}x)")
    } else if ratio > 1.0 {
        format!("{ratio:.0}x the claim")
    } else {
        format!("{:.0}x below the claim", 1.0 / ratio)
    }
}

fn ns(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.1} µs", v / 1000.0)
    } else {
        format!("{v:.0} ns")
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--memory") {
        let name = args.get(at + 1).map(String::as_str).unwrap_or("");
        let n = args.get(at + 2).and_then(|n| n.parse().ok()).unwrap_or(0);
        memory_child(name, n);
        return;
    }
    let Some(mut harness) = Harness::from_args() else {
        return;
    };
    let workload = workload();
    let scale = if harness.smoke {
        100
    } else if benches::settings::quick() {
        4
    } else {
        1
    };
    let rounds = if harness.smoke { 1 } else { ROUNDS };
    let (task_ops, thread_ops) = (100_000 / scale, 2_000 / scale);

    const AMORTISED: [usize; 3] = [1, 1_000, 100_000];
    harness.plan(
        &workload,
        RUNTIMES.len() * 5 - 2,
        Duration::from_millis(600),
    );
    let mut timing: Vec<Timing> = Vec::new();
    for runtime in RUNTIMES {
        if !harness.wants(&format!("runtime/time/{runtime}")) {
            continue;
        }
        let row = if runtime == "threads" {
            (
                runtime,
                median(
                    (0..rounds)
                        .map(|_| threads_spawn_and_join(thread_ops))
                        .collect(),
                ),
                AMORTISED
                    .iter()
                    .map(|&n| {
                        // 100,000 threads at once would pass this machine's
                        // limits (see the server chapter): not attempted.
                        (n <= 1_000).then(|| {
                            median(
                                (0..rounds)
                                    .map(|_| threads_spawn_then_join_all((n / scale).max(1)))
                                    .collect(),
                            )
                        })
                    })
                    .collect(),
                median(
                    (0..rounds)
                        .map(|_| threads_ping_pong(task_ops / 4))
                        .collect(),
                ),
                median((0..rounds).map(|_| threads_yields(task_ops)).collect()),
            )
        } else {
            let executor = Executor::new(runtime).expect("a known runtime");
            (
                runtime,
                median(
                    (0..rounds)
                        .map(|_| spawn_and_join(&executor, task_ops))
                        .collect(),
                ),
                AMORTISED
                    .iter()
                    .map(|&n| {
                        let n = (n / scale).max(1);
                        Some(median(
                            (0..rounds)
                                .map(|_| spawn_then_join_all(&executor, n))
                                .collect(),
                        ))
                    })
                    .collect(),
                median(
                    (0..rounds)
                        .map(|_| ping_pong(&executor, runtime, task_ops))
                        .collect(),
                ),
                median(
                    (0..rounds)
                        .map(|_| yields(&executor, runtime, task_ops))
                        .collect(),
                ),
            )
        };
        eprintln!(
            "runtime/time/{runtime}: spawn+join {}, ping-pong {} per switch, yield {}",
            ns(row.1),
            ns(row.3),
            ns(row.4)
        );
        timing.push(row);
    }

    let task_counts: &[usize] = if harness.smoke {
        &[1_000]
    } else {
        &[1_000, 10_000, 100_000, 1_000_000]
    };
    let thread_counts: &[usize] = if harness.smoke {
        &[100]
    } else {
        &[1_000, 10_000]
    };
    let mut memory = Vec::new();
    for runtime in RUNTIMES {
        let counts = if runtime == "threads" {
            thread_counts
        } else {
            task_counts
        };
        for &n in counts {
            if !harness.wants(&format!("runtime/memory/{runtime}/{n}")) {
                continue;
            }
            if let Some(cell) = measure_memory(runtime, n) {
                eprintln!(
                    "runtime/memory/{runtime}/{n}: {} RSS per task",
                    bytes(cell.rss_per)
                );
                memory.push(cell);
            }
        }
    }

    if harness.smoke || timing.len() + memory.len() == 0 {
        harness.finish(&workload, String::new(), String::new());
        return;
    }
    let mut md = harness.header(&workload);
    let mut rows: Vec<RuntimeRow> = Vec::new();
    // Times to a tenth of a nanosecond, bytes whole: what the figures mean.
    let mut figure = |kind: &str, runtime: &str, n: usize, value: f64, tenths: bool| {
        let (value, unit) = if tenths {
            ((value * 10.0).round() / 10.0, "ns")
        } else {
            (value.round(), "bytes")
        };
        rows.push(RuntimeRow {
            kind: kind.to_string(),
            runtime: runtime.to_string(),
            n,
            value,
            unit: unit.to_string(),
        });
    };
    md.push_str(
        "Times are medians of five rounds; memory is measured in a fresh process per cell.\n",
    );

    md.push_str("\n## Seed 001's table, measured\n\n");
    let mut claims = MdTable::new(&["claim (seed 001)", "runtime", "measured", "verdict"], 2);
    for (runtime, spawn, _, switch, _) in &timing {
        claims.row(&[
            "task spawn ~300 ns (spawn + await)".to_string(),
            runtime.to_string(),
            ns(*spawn),
            verdict(*spawn, 300.0),
        ]);
        claims.row(&[
            "context switch ~50 ns (ping-pong)".to_string(),
            runtime.to_string(),
            ns(*switch),
            verdict(*switch, 50.0),
        ]);
    }
    for m in memory
        .iter()
        .filter(|m| m.n == 100_000 || (m.runtime == "threads" && m.n == 10_000))
    {
        if m.runtime == "threads" {
            claims.row(&[
                "threads ~8 MB".to_string(),
                "threads".to_string(),
                format!(
                    "{} RSS, {} address space",
                    bytes(m.rss_per),
                    bytes(m.vsz_per)
                ),
                format!(
                    "RSS {}; address space {}",
                    verdict(m.rss_per, 8.0 * 1048576.0),
                    verdict(m.vsz_per, 8.0 * 1048576.0)
                ),
            ]);
        } else {
            claims.row(&[
                "memory per task ~1-2 KB".to_string(),
                m.runtime.to_string(),
                format!("{} (future {} B)", bytes(m.rss_per), m.future_size),
                verdict(m.rss_per, 1536.0),
            ]);
        }
    }
    md.push_str(&claims.finish());
    md.push_str(
        "\nThe seed's last claim, 100K+ connections, is the server workload's: its idle-connection table \
         (memory per connection, connections held) is that row.\n",
    );

    md.push_str("\n## Spawn\n\nPer task: spawn an empty task and await it, one after another; and spawn N, then await all.\n\n");
    let mut header = vec!["runtime".to_string(), "spawn + await".to_string()];
    header.extend(AMORTISED.iter().map(|n| format!("spawn {n}, await all")));
    let mut table = MdTable::new(&header, 1);
    for (runtime, spawn, amortised, _, _) in &timing {
        let mut row = vec![runtime.to_string(), ns(*spawn)];
        row.extend(
            amortised
                .iter()
                .map(|a| a.map_or("– (not attempted)".to_string(), ns)),
        );
        table.row(&row);
        figure("spawn_join", runtime, 1, *spawn, true);
        for (n, a) in AMORTISED.iter().zip(amortised) {
            if let Some(a) = a {
                figure("spawn_then_join_all", runtime, *n, *a, true);
            }
        }
    }
    md.push_str(&table.finish());

    md.push_str("\n## Switch\n\nPer switch: two tasks (threads) taking turns through the cheapest wake-up (tokio: `Notify`; async-std, smol: a bounded(1) `async-channel`; threads: park/unpark); and one task alone calling `yield_now`.\n\n");
    let mut table = MdTable::new(&["runtime", "ping-pong, per switch", "yield_now"], 1);
    for (runtime, _, _, switch, yielded) in &timing {
        table.row(&[runtime.to_string(), ns(*switch), ns(*yielded)]);
        figure("ping_pong", runtime, 2, *switch, true);
        figure("yield", runtime, 1, *yielded, true);
    }
    md.push_str(&table.finish());

    md.push_str("\n## Memory\n\nRSS added per parked task (waiting on a channel), per count, and the size of one such task's future; for threads, RSS and address space per parked thread (std's default 2 MiB stacks).\n\n");
    let mut table = MdTable::new(
        &[
            "runtime",
            "parked",
            "RSS per task",
            "address space per task",
            "future size",
        ],
        1,
    );
    for m in &memory {
        table.row(&[
            m.runtime.to_string(),
            m.n.to_string(),
            bytes(m.rss_per),
            // A task's address space is the allocator's arenas growing in
            // steps, not the task's: shown for threads only.
            if m.runtime == "threads" {
                bytes(m.vsz_per)
            } else {
                "–".to_string()
            },
            if m.runtime == "threads" {
                "–".to_string()
            } else {
                format!("{} B", m.future_size)
            },
        ]);
        figure("rss_per_task", m.runtime, m.n, m.rss_per, false);
        figure("vsz_per_task", m.runtime, m.n, m.vsz_per, false);
    }
    md.push_str(&table.finish());
    harness.finish(&workload, md, benches::results::write(&rows));
}
