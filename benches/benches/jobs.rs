//! Jobs benchmarks, on the workbench's own harness rather than criterion:
//! each cell needs three results from the same run (throughput, the
//! latency distribution of jobs, and the lag of a heartbeat task on the
//! same runtime), and percentiles rather than a mean.
//!
//! A cell: one runner, one job kind (CPU spin or blocking sleep) and cost
//! (1 µs to 1 ms), N caller tasks on one executor (tokio multi-thread with
//! one worker per core, or async-std's), for `MEASURE`. Each caller loops:
//! submit a job, await its result, record the time from submission to
//! result in an HdrHistogram. Beside them a heartbeat task sleeps 1 ms at a
//! time and records how late each wake-up is: the number that shows what
//! blocking an executor thread does to everything else on it. Runners are
//! built before the cell and shut down after it, outside the measurement.
//!
//! `cargo bench --bench jobs` runs every cell (about four minutes on two
//! cores) and writes `target/workbench-report/jobs.md` and `.csv`; with
//! `--test` (as `cargo bench -- --test` passes it) every runner runs one
//! short cell per executor, as a smoke test, and nothing is written; any
//! other argument that is not a flag keeps only the cells whose name
//! contains it (e.g. `cargo bench --bench jobs -- pool`); a filter that
//! matches no cell measures nothing and leaves the last report in place.

use std::fmt::Write as _;
use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use benches::environment::Environment;
use benches::report;
use hdrhistogram::Histogram;
use patterns::drive::pin_this_thread;
use patterns::jobs::{Job, JobRunner};

/// How long each cell's callers keep submitting.
const MEASURE: Duration = Duration::from_millis(250);
const SMOKE: Duration = Duration::from_millis(5);

/// Job costs, in microseconds.
const COSTS_US: [u32; 4] = [1, 10, 100, 1_000];
const CALLERS: [usize; 5] = [1, 2, 4, 16, 64];
const HEARTBEAT: Duration = Duration::from_millis(1);

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Spin,
    Sleep,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Spin => "cpu",
            Kind::Sleep => "sleep",
        }
    }
}

type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

// ANCHOR: executor
/// What the harness needs from an executor: run tasks to completion, enter
/// its context to build a runner, and sleep.
trait Executor {
    const NAME: &'static str;
    fn run_all(&self, tasks: Vec<Task>);
    fn enter<T>(&self, make: impl FnOnce() -> T) -> T;
    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send;
    fn yield_now() -> impl Future<Output = ()> + Send;
}
// ANCHOR_END: executor

/// tokio, multi-thread, one worker per core, workers pinned (as in the
/// tokio driver), with the timer enabled for the heartbeat.
struct TokioExecutor {
    runtime: tokio::runtime::Runtime,
}

impl TokioExecutor {
    fn new() -> Self {
        let workers = patterns::drive::worker_threads();
        let started = Arc::new(AtomicUsize::new(0));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_time()
            .on_thread_start(move || {
                let nth = started.fetch_add(1, Relaxed);
                if nth < workers {
                    pin_this_thread(nth);
                }
            })
            .build()
            .expect("building the tokio runtime");
        TokioExecutor { runtime }
    }
}

impl Executor for TokioExecutor {
    const NAME: &'static str = "tokio";

    fn run_all(&self, tasks: Vec<Task>) {
        self.runtime.block_on(async {
            let handles: Vec<_> = tasks.into_iter().map(tokio::spawn).collect();
            for handle in handles {
                handle.await.expect("a task panicked");
            }
        });
    }

    fn enter<T>(&self, make: impl FnOnce() -> T) -> T {
        let _context = self.runtime.enter();
        make()
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(duration)
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }
}

/// async-std's global executor (its thread count is its own; it cannot be
/// pinned from outside).
struct AsyncStdExecutor;

impl Executor for AsyncStdExecutor {
    const NAME: &'static str = "async_std";

    fn run_all(&self, tasks: Vec<Task>) {
        async_std::task::block_on(async {
            let handles: Vec<_> = tasks.into_iter().map(async_std::task::spawn).collect();
            for handle in handles {
                handle.await;
            }
        });
    }

    fn enter<T>(&self, make: impl FnOnce() -> T) -> T {
        make()
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send {
        async_std::task::sleep(duration)
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        async_std::task::yield_now()
    }
}

struct Cell {
    executor: &'static str,
    runner: &'static str,
    kind: Kind,
    cost_us: u32,
    callers: usize,
    jobs: u64,
    elapsed: Duration,
    /// Submission to result, nanoseconds.
    latency: Histogram<u64>,
    /// How late each 1 ms heartbeat woke, nanoseconds.
    heartbeat: Histogram<u64>,
}

fn histogram() -> Histogram<u64> {
    // 1 ns to 100 s at 2 significant digits.
    Histogram::new_with_bounds(1, 100_000_000_000, 2).expect("valid bounds")
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1)
}

/// Spin rounds per microsecond on this machine, measured once.
fn rounds_per_us() -> u32 {
    let rounds = 20_000_000;
    let start = Instant::now();
    black_box(patterns::jobs::run_job(Job::spin(rounds, 1)));
    let per_us = f64::from(rounds) / (start.elapsed().as_secs_f64() * 1e6);
    per_us.round().max(1.0) as u32
}

fn job(kind: Kind, cost_us: u32, rounds_per_us: u32, seed: u64) -> Job {
    match kind {
        Kind::Spin => Job::spin(cost_us.saturating_mul(rounds_per_us), seed),
        Kind::Sleep => Job::sleep(cost_us, seed),
    }
}

// ANCHOR: cell
fn measure<R: JobRunner, E: Executor>(
    executor: &E,
    kind: Kind,
    cost_us: u32,
    callers: usize,
    rounds_per_us: u32,
    duration: Duration,
) -> Cell {
    let runner = Arc::new(executor.enter(|| R::new(patterns::sync::cores())));
    let stop = Arc::new(AtomicBool::new(false));
    let callers_done = Arc::new(AtomicUsize::new(0));
    let latency = Arc::new(Mutex::new(histogram()));
    let heartbeat = Arc::new(Mutex::new(histogram()));
    let jobs = Arc::new(AtomicUsize::new(0));
    // Callers start only once the heartbeat has asked for its first tick:
    // a heartbeat that could not even start (every worker taken by inline
    // jobs that never yield) would otherwise record nothing at all.
    let heartbeat_started = Arc::new(AtomicBool::new(false));

    let mut tasks: Vec<Task> = (0..callers)
        .map(|caller| {
            let (runner, stop, callers_done, latency, jobs, heartbeat_started) = (
                runner.clone(),
                stop.clone(),
                callers_done.clone(),
                latency.clone(),
                jobs.clone(),
                heartbeat_started.clone(),
            );
            Box::pin(async move {
                while !heartbeat_started.load(Relaxed) {
                    E::yield_now().await;
                }
                let mut own = histogram();
                let mut n = 0u64;
                while !stop.load(Relaxed) {
                    let job = job(kind, cost_us, rounds_per_us, (caller as u64) << 40 | n);
                    let submitted = Instant::now();
                    black_box(
                        runner
                            .run(job)
                            .await
                            .expect("jobs here neither panic nor meet a shutdown"),
                    );
                    own.record(nanos(submitted.elapsed())).expect("in range");
                    n += 1;
                }
                latency.lock().unwrap().add(&own).expect("same bounds");
                jobs.fetch_add(n as usize, Relaxed);
                callers_done.fetch_add(1, Relaxed);
            }) as Task
        })
        .collect();
    // The heartbeat: on the same executor, ticking until the callers are
    // done. Each tick's lateness includes any time the task waited for a
    // worker after its timer fired.
    tasks.insert(
        0,
        Box::pin({
            let (callers_done, heartbeat) = (callers_done.clone(), heartbeat.clone());
            async move {
                let mut own = histogram();
                while callers_done.load(Relaxed) < callers {
                    let asked = Instant::now();
                    let tick = E::sleep(HEARTBEAT);
                    heartbeat_started.store(true, Relaxed);
                    tick.await;
                    own.record(nanos(asked.elapsed().saturating_sub(HEARTBEAT)))
                        .expect("in range");
                }
                heartbeat.lock().unwrap().add(&own).expect("same bounds");
            }
        }),
    );

    // The stop signal comes from an OS thread: a runtime whose workers are
    // all blocked by inline jobs could not run a timer task.
    let timer = std::thread::spawn({
        let stop = stop.clone();
        move || {
            std::thread::sleep(duration);
            stop.store(true, Relaxed);
        }
    });
    let start = Instant::now();
    executor.run_all(tasks);
    let elapsed = start.elapsed();
    timer.join().expect("the timer thread");
    runner.shutdown();
    drop(runner);

    Cell {
        executor: E::NAME,
        runner: R::STYLE,
        kind,
        cost_us,
        callers,
        jobs: jobs.load(Relaxed) as u64,
        elapsed,
        latency: std::mem::replace(&mut *latency.lock().unwrap(), histogram()),
        heartbeat: std::mem::replace(&mut *heartbeat.lock().unwrap(), histogram()),
    }
}
// ANCHOR_END: cell

/// What one run does: every cell, or a smoke test, filtered by name.
struct Plan {
    smoke: bool,
    filter: Option<String>,
    rounds_per_us: u32,
}

impl Plan {
    fn wants(&self, name: &str) -> bool {
        self.filter
            .as_ref()
            .is_none_or(|f| name.contains(f.as_str()))
    }
}

fn run_runner<R: JobRunner, E: Executor>(executor: &E, plan: &Plan, cells: &mut Vec<Cell>) {
    for kind in [Kind::Spin, Kind::Sleep] {
        for cost_us in COSTS_US {
            for callers in CALLERS {
                if plan.smoke && (cost_us != 10 || callers != 4) {
                    continue;
                }
                let name = format!(
                    "jobs/{}/{}/{}us/{}@{}",
                    kind.name(),
                    R::STYLE,
                    cost_us,
                    callers,
                    E::NAME
                );
                if !plan.wants(&name) {
                    continue;
                }
                let duration = if plan.smoke { SMOKE } else { MEASURE };
                let cell = measure::<R, E>(
                    executor,
                    kind,
                    cost_us,
                    callers,
                    plan.rounds_per_us,
                    duration,
                );
                eprintln!(
                    "{name}: {} jobs/s, job p99 {}, heartbeat p99 {}",
                    report::si(cell.jobs as f64 / cell.elapsed.as_secs_f64()),
                    time(cell.latency.value_at_quantile(0.99)),
                    time(cell.heartbeat.value_at_quantile(0.99)),
                );
                cells.push(cell);
            }
        }
    }
}

macro_rules! run_every_runner {
    (
        facade: [$($f:ident: $ft:ty,)*],
        library: [$($l:ident: $lt:ty,)*],
        broken: [$($b:ident: $bt:ty,)*],
    ) => {
        fn run_every_runner<E: Executor>(executor: &E, plan: &Plan, cells: &mut Vec<Cell>) {
            $(run_runner::<$ft, E>(executor, plan, cells);)*
            $(run_runner::<$lt, E>(executor, plan, cells);)*
            // The broken runner can hang its caller: never measured.
        }
    };
}
patterns::for_each_runner!(run_every_runner);

/// A duration in ns as a short human figure: `850 ns`, `12.3 µs`, `4.1 ms`.
fn time(ns: u64) -> String {
    match ns {
        n if n >= 1_000_000_000 => format!("{:.2} s", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{:.1} ms", n as f64 / 1e6),
        n if n >= 1_000 => format!("{:.1} µs", n as f64 / 1e3),
        n => format!("{n} ns"),
    }
}

fn render(
    cells: &[Cell],
    environment: &Environment,
    idle: &[(String, Histogram<u64>)],
) -> (String, String) {
    let cores = environment.cores;
    let mut md = format!(
        "# jobs benchmark results\n\n<!-- ANCHOR: body -->\n{}\n\
         Each cell ran its callers for {} ms. *jobs/s*: jobs completed per second by all callers together. \
         *job p50 / p99*: time from submitting a job to having its result. *heartbeat p50 / p99 / max*: how late \
         a task sleeping {} ms at a time on the same executor woke up (its idle figures are below). Caller counts \
         above {cores} are more tasks than cores, which is what async callers are for; the executors have one \
         worker per core (async-std: its own count).\n",
        environment.markdown(),
        MEASURE.as_millis(),
        HEARTBEAT.as_millis(),
    );
    md.push_str(
        "\n## The heartbeat alone\n\n| executor | p50 | p99 | max |\n|---|---:|---:|---:|\n",
    );
    for (executor, h) in idle {
        let _ = writeln!(
            md,
            "| {executor} | {} | {} | {} |",
            time(h.value_at_quantile(0.5)),
            time(h.value_at_quantile(0.99)),
            time(h.max())
        );
    }
    let mut csv = String::from(
        "executor,kind,cost_us,runner,callers,jobs_per_sec,job_p50_ns,job_p99_ns,heartbeat_p50_ns,heartbeat_p99_ns,heartbeat_max_ns\n",
    );
    let mut sections: Vec<(&str, Kind, u32)> = Vec::new();
    for cell in cells {
        let key = (cell.executor, cell.kind, cell.cost_us);
        if !sections.contains(&key) {
            sections.push(key);
        }
    }
    for (executor, kind, cost_us) in sections {
        let what = match kind {
            Kind::Spin => format!("{} µs of CPU work", cost_us),
            Kind::Sleep => format!("a {} µs blocking sleep", cost_us),
        };
        let _ = write!(
            md,
            "\n## {executor}, {} {cost_us} µs\n\nEach job is {what}.\n\n\
             | runner | callers | jobs/s | job p50 | job p99 | heartbeat p50 | heartbeat p99 | heartbeat max |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|\n",
            kind.name()
        );
        for cell in cells
            .iter()
            .filter(|c| (c.executor, c.kind, c.cost_us) == (executor, kind, cost_us))
        {
            let rate = cell.jobs as f64 / cell.elapsed.as_secs_f64();
            let (l50, l99) = (
                cell.latency.value_at_quantile(0.5),
                cell.latency.value_at_quantile(0.99),
            );
            let (h50, h99, hmax) = (
                cell.heartbeat.value_at_quantile(0.5),
                cell.heartbeat.value_at_quantile(0.99),
                cell.heartbeat.max(),
            );
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                cell.runner,
                cell.callers,
                report::si(rate),
                time(l50),
                time(l99),
                time(h50),
                time(h99),
                time(hmax)
            );
            let _ = writeln!(
                csv,
                "{executor},{},{cost_us},{},{},{rate:.0},{l50},{l99},{h50},{h99},{hmax}",
                kind.name(),
                cell.runner,
                cell.callers
            );
        }
    }
    md.push_str("<!-- ANCHOR_END: body -->\n");
    (md, csv)
}

/// The heartbeat on an executor with nothing else to do: the floor every
/// cell's heartbeat figures are compared with.
fn idle_heartbeat<E: Executor>(executor: &E, duration: Duration) -> Histogram<u64> {
    let heartbeat = Arc::new(Mutex::new(histogram()));
    let task: Task = Box::pin({
        let heartbeat = heartbeat.clone();
        async move {
            let mut own = histogram();
            let until = Instant::now() + duration;
            while Instant::now() < until {
                let asked = Instant::now();
                E::sleep(HEARTBEAT).await;
                own.record(nanos(asked.elapsed().saturating_sub(HEARTBEAT)))
                    .expect("in range");
            }
            heartbeat.lock().unwrap().add(&own).expect("same bounds");
        }
    });
    executor.run_all(vec![task]);
    std::mem::replace(&mut *heartbeat.lock().unwrap(), histogram())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let smoke = args.iter().any(|a| a == "--test");
    if args.iter().any(|a| a == "--list") {
        return;
    }
    // `cargo bench -- ...` passes the same arguments to every bench: skip
    // the values of criterion's options, so `--sample-size 30` is not
    // taken for a filter.
    const TAKES_VALUE: [&str; 12] = [
        "--measurement-time",
        "--warm-up-time",
        "--sample-size",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--save-baseline",
        "--baseline",
        "--profile-time",
        "--output-format",
        "--color",
    ];
    let filter = args
        .iter()
        .enumerate()
        .find(|(i, a)| {
            !a.starts_with('-') && (*i == 0 || !TAKES_VALUE.contains(&args[i - 1].as_str()))
        })
        .map(|(_, a)| a.clone());
    let plan = Plan {
        smoke,
        filter,
        rounds_per_us: rounds_per_us(),
    };
    eprintln!("calibration: {} spin rounds per µs", plan.rounds_per_us);

    let started = Instant::now();
    let mut cells = Vec::new();
    let tokio = TokioExecutor::new();
    let idle_for = if smoke { SMOKE } else { Duration::from_secs(1) };
    let idle = vec![
        ("tokio".to_string(), idle_heartbeat(&tokio, idle_for)),
        (
            "async_std".to_string(),
            idle_heartbeat(&AsyncStdExecutor, idle_for),
        ),
    ];
    run_every_runner(&tokio, &plan, &mut cells);
    drop(tokio);
    run_every_runner(&AsyncStdExecutor, &plan, &mut cells);
    eprintln!("{} cells in {:.0?}", cells.len(), started.elapsed());

    if smoke {
        return;
    }
    if cells.is_empty() {
        // A filter meant for another bench (`cargo bench -- atomic` reaches
        // every bench binary): nothing to measure here, nothing to write.
        eprintln!("no jobs cell matches {:?}", plan.filter.unwrap_or_default());
        return;
    }
    let environment = Environment::detect(&report::workspace_root());
    let (md, csv) = render(&cells, &environment, &idle);
    let out = report::default_out_dir();
    let written = std::fs::create_dir_all(&out)
        .and_then(|()| std::fs::write(out.join("jobs.md"), &md))
        .and_then(|()| std::fs::write(out.join("jobs.csv"), &csv));
    match written {
        Ok(()) => eprintln!("Report written to {}/jobs.md and .csv", out.display()),
        Err(e) => {
            eprintln!("error: cannot write the report to {}: {e}", out.display());
            std::process::exit(1);
        }
    }
}
