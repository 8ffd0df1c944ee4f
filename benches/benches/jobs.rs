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
//! It runs on the workbench's latency harness (`benches::harness`), with
//! the tokio and async-std drivers as executors: `cargo bench --bench jobs`
//! runs every cell (about four minutes on two cores; a quarter of that with
//! `-- --quick`) and writes `target/workbench-report/jobs.md` and `.csv`;
//! with `--test` (as `cargo bench -- --test` passes it) every runner runs
//! one short cell per executor, as a smoke test, and nothing is written; a
//! name filter keeps only the cells whose name contains it (e.g.
//! `cargo bench --bench jobs -- pool`); a filter that matches no cell
//! measures nothing and leaves the last report in place.

use std::fmt::Write as _;
use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use benches::harness::{Harness, histogram, nanos};
use benches::report::table::MdTable;
use benches::report::{si, time};
use benches::results::JobsRow;
use benches::workloads::jobs::workload;
use hdrhistogram::Histogram;
use patterns::drive::{AsyncDriver, AsyncStd, Driver, Tokio};
use patterns::jobs::{Job, JobRunner};

/// How long each cell's callers keep submitting (a quarter in quick mode).
const MEASURE: Duration = Duration::from_millis(250);
/// How long the heartbeat runs alone on each executor, for its floor.
const IDLE: Duration = Duration::from_secs(1);

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

/// The callers and the heartbeat are different futures on one executor:
/// boxed into one type for the driver.
type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

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

/// Records into a shared histogram at the end of a task (each task keeps
/// its own while it runs: no lock in the measured loop).
fn merge(into: &Mutex<Histogram<u64>>, own: &Histogram<u64>) {
    into.lock()
        .unwrap_or_else(|p| p.into_inner())
        .add(own)
        .expect("same bounds");
}

fn take(histogram_slot: &Mutex<Histogram<u64>>) -> Histogram<u64> {
    std::mem::replace(
        &mut *histogram_slot.lock().unwrap_or_else(|p| p.into_inner()),
        histogram(),
    )
}

// ANCHOR: cell
fn measure<R: JobRunner, D: AsyncDriver>(
    driver: &D,
    kind: Kind,
    cost_us: u32,
    callers: usize,
    rounds_per_us: u32,
    duration: Duration,
) -> Cell {
    let runner = Arc::new(driver.enter(|| R::new(patterns::sync::cores())));
    let stop = Arc::new(AtomicBool::new(false));
    let callers_done = Arc::new(AtomicUsize::new(0));
    let latency = Arc::new(Mutex::new(histogram()));
    let heartbeat = Arc::new(Mutex::new(histogram()));
    let jobs = Arc::new(AtomicUsize::new(0));
    // Callers start only once the heartbeat has asked for its first tick:
    // a heartbeat that could not even start (every worker taken by inline
    // jobs that never yield) would otherwise record nothing at all.
    let heartbeat_started = Arc::new(AtomicBool::new(false));

    // The stop signal comes from an OS thread: a runtime whose workers are
    // all blocked by inline jobs could not run a timer task.
    let timer = std::thread::spawn({
        let stop = stop.clone();
        move || {
            std::thread::sleep(duration);
            stop.store(true, Relaxed);
        }
    });
    // Client 0 is the heartbeat: on the same executor, ticking until the
    // callers are done. Each tick's lateness includes any time the task
    // waited for a worker after its timer fired. Clients 1..=callers submit.
    let elapsed = driver.run(callers + 1, {
        let (runner, stop, jobs) = (runner.clone(), stop.clone(), jobs.clone());
        let (latency, heartbeat) = (latency.clone(), heartbeat.clone());
        move |id| -> Task {
            let (runner, stop, callers_done, jobs) = (
                runner.clone(),
                stop.clone(),
                callers_done.clone(),
                jobs.clone(),
            );
            let (latency, heartbeat, heartbeat_started) = (
                latency.clone(),
                heartbeat.clone(),
                heartbeat_started.clone(),
            );
            if id.0 == 0 {
                return Box::pin(async move {
                    let mut own = histogram();
                    while callers_done.load(Relaxed) < callers {
                        let asked = Instant::now();
                        let tick = D::sleep(HEARTBEAT);
                        heartbeat_started.store(true, Relaxed);
                        tick.await;
                        own.record(nanos(asked.elapsed().saturating_sub(HEARTBEAT)))
                            .expect("in range");
                    }
                    merge(&heartbeat, &own);
                });
            }
            let caller = id.0 as u64;
            Box::pin(async move {
                while !heartbeat_started.load(Relaxed) {
                    D::yield_now().await;
                }
                let mut own = histogram();
                let mut n = 0u64;
                while !stop.load(Relaxed) {
                    let job = job(kind, cost_us, rounds_per_us, caller << 40 | n);
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
                merge(&latency, &own);
                jobs.fetch_add(n as usize, Relaxed);
                callers_done.fetch_add(1, Relaxed);
            })
        }
    });
    timer.join().expect("the timer thread");
    runner.shutdown();
    drop(runner);

    Cell {
        executor: D::NAME,
        runner: R::STYLE,
        kind,
        cost_us,
        callers,
        jobs: jobs.load(Relaxed) as u64,
        elapsed,
        latency: take(&latency),
        heartbeat: take(&heartbeat),
    }
}
// ANCHOR_END: cell

fn run_runner<R: JobRunner, D: AsyncDriver>(
    driver: &D,
    harness: &mut Harness,
    rounds_per_us: u32,
    cells: &mut Vec<Cell>,
) {
    for kind in [Kind::Spin, Kind::Sleep] {
        for cost_us in COSTS_US {
            for callers in CALLERS {
                if harness.smoke && (cost_us != 10 || callers != 4) {
                    continue;
                }
                let name = format!(
                    "jobs/{}/{}/{}us/{}@{}",
                    kind.name(),
                    R::STYLE,
                    cost_us,
                    callers,
                    D::NAME
                );
                if !harness.wants(&name) {
                    continue;
                }
                let duration = harness.duration(MEASURE);
                let cell = measure::<R, D>(driver, kind, cost_us, callers, rounds_per_us, duration);
                eprintln!(
                    "{name}: {} jobs/s, job p99 {}, heartbeat p99 {}",
                    si(cell.jobs as f64 / cell.elapsed.as_secs_f64()),
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
        torn: [$($t:ident: $tt:ty,)*],
        broken: [$($b:ident: $bt:ty,)*],
    ) => {
        /// Runners measured (for progress).
        const RUNNERS: usize = [$(stringify!($f),)* $(stringify!($l),)* $(stringify!($t),)*].len();

        fn run_every_runner<D: AsyncDriver>(
            driver: &D,
            harness: &mut Harness,
            rounds_per_us: u32,
            cells: &mut Vec<Cell>,
        ) {
            $(run_runner::<$ft, D>(driver, harness, rounds_per_us, cells);)*
            $(run_runner::<$lt, D>(driver, harness, rounds_per_us, cells);)*
            $(run_runner::<$tt, D>(driver, harness, rounds_per_us, cells);)*
            // The broken runner can hang its caller: never measured.
        }
    };
}
patterns::for_each_runner!(run_every_runner);

/// The heartbeat on an executor with nothing else to do: the floor every
/// cell's heartbeat figures are compared with.
fn idle_heartbeat<D: AsyncDriver>(driver: &D, duration: Duration) -> Histogram<u64> {
    let heartbeat = Arc::new(Mutex::new(histogram()));
    driver.run(1, {
        let heartbeat = heartbeat.clone();
        move |_| {
            let heartbeat = heartbeat.clone();
            async move {
                let mut own = histogram();
                let until = Instant::now() + duration;
                while Instant::now() < until {
                    let asked = Instant::now();
                    D::sleep(HEARTBEAT).await;
                    own.record(nanos(asked.elapsed().saturating_sub(HEARTBEAT)))
                        .expect("in range");
                }
                merge(&heartbeat, &own);
            }
        }
    });
    take(&heartbeat)
}

fn render(
    head: String,
    cells: &[Cell],
    idle: &[(&str, Histogram<u64>)],
    measured_for: Duration,
) -> (String, String) {
    let cores = patterns::sync::cores();
    let mut md = head;
    let _ = writeln!(
        md,
        "Each cell ran its callers for {} ms. *jobs/s*: jobs completed per second by all callers together. \
         *job p50 / p99*: time from submitting a job to having its result. *heartbeat p50 / p99 / max*: how late \
         a task sleeping {} ms at a time on the same executor woke up (its idle figures are below). Caller counts \
         above {cores} are more tasks than cores, which is what async callers are for; the executors have one \
         worker per core (async-std: its own count).",
        measured_for.as_millis(),
        HEARTBEAT.as_millis(),
    );
    md.push_str("\n## The heartbeat alone\n\n");
    let mut table = MdTable::new(&["executor", "p50", "p99", "max"], 1);
    for (executor, h) in idle {
        table.row(&[
            executor.to_string(),
            time(h.value_at_quantile(0.5)),
            time(h.value_at_quantile(0.99)),
            time(h.max()),
        ]);
    }
    md.push_str(&table.finish());
    let mut rows: Vec<JobsRow> = Vec::new();
    // The heartbeat alone, its floor: no runner, no callers, no jobs.
    for (executor, h) in idle {
        rows.push(JobsRow {
            executor: executor.to_string(),
            kind: "idle".to_string(),
            cost_us: 0,
            runner: "none".to_string(),
            callers: 0,
            jobs_per_sec: None,
            job_p50_ns: None,
            job_p99_ns: None,
            heartbeat_p50_ns: Some(h.value_at_quantile(0.5)),
            heartbeat_p99_ns: Some(h.value_at_quantile(0.99)),
            heartbeat_max_ns: Some(h.max()),
        });
    }
    let mut sections: Vec<(&str, Kind, u32)> = Vec::new();
    for cell in cells {
        let key = (cell.executor, cell.kind, cell.cost_us);
        if !sections.contains(&key) {
            sections.push(key);
        }
    }
    for (executor, kind, cost_us) in sections {
        let what = match kind {
            Kind::Spin => format!("{cost_us} µs of CPU work"),
            Kind::Sleep => format!("a {cost_us} µs blocking sleep"),
        };
        let _ = write!(
            md,
            "\n## {executor}, {} {cost_us} µs\n\nEach job is {what}.\n\n",
            kind.name()
        );
        let mut table = MdTable::new(
            &[
                "runner",
                "callers",
                "jobs/s",
                "job p50",
                "job p99",
                "heartbeat p50",
                "heartbeat p99",
                "heartbeat max",
            ],
            1,
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
            table.row(&[
                cell.runner.to_string(),
                cell.callers.to_string(),
                si(rate),
                time(l50),
                time(l99),
                time(h50),
                time(h99),
                time(hmax),
            ]);
            rows.push(JobsRow {
                executor: executor.to_string(),
                kind: kind.name().to_string(),
                cost_us: u64::from(cost_us),
                runner: cell.runner.to_string(),
                callers: cell.callers,
                jobs_per_sec: Some(rate),
                job_p50_ns: Some(l50),
                job_p99_ns: Some(l99),
                heartbeat_p50_ns: Some(h50),
                heartbeat_p99_ns: Some(h99),
                heartbeat_max_ns: Some(hmax),
            });
        }
        md.push_str(&table.finish());
    }
    (md, benches::results::write(&rows))
}

fn main() {
    let Some(mut harness) = Harness::from_args() else {
        return;
    };
    let workload = workload();
    // Two executors, two kinds, every cost and caller count.
    let cells = RUNNERS * 2 * 2 * COSTS_US.len() * CALLERS.len();
    harness.plan(
        &workload,
        cells,
        harness.duration(MEASURE) + Duration::from_millis(30),
    );
    let rounds_per_us = rounds_per_us();
    eprintln!("calibration: {rounds_per_us} spin rounds per µs");

    let mut cells = Vec::new();
    let tokio = Tokio::new();
    let idle_for = harness.duration(IDLE);
    let idle = vec![
        ("tokio", idle_heartbeat(&tokio, idle_for)),
        ("async_std", idle_heartbeat(&AsyncStd, idle_for)),
    ];
    run_every_runner(&tokio, &mut harness, rounds_per_us, &mut cells);
    drop(tokio);
    run_every_runner(&AsyncStd, &mut harness, rounds_per_us, &mut cells);

    if harness.smoke || cells.is_empty() {
        harness.finish(&workload, String::new(), String::new());
        return;
    }
    let (md, csv) = render(
        harness.header(&workload),
        &cells,
        &idle,
        harness.duration(MEASURE),
    );
    harness.finish(&workload, md, csv);
}
