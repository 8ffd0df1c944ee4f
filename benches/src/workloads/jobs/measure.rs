//! One cell of the jobs workload: callers submitting jobs to a runner on an
//! executor while a heartbeat task on the same executor measures how late
//! it is woken; and the heartbeat alone, for its floor.

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use patterns::drive::AsyncDriver;
use patterns::jobs::{Job, JobRunner};

use crate::harness::{Harness, histogram, nanos};
use crate::report::{si, time};

/// How long each cell's callers keep submitting (a quarter in quick mode).
pub const MEASURE: Duration = Duration::from_millis(250);
/// How long the heartbeat runs alone on each executor, for its floor.
pub const IDLE: Duration = Duration::from_secs(1);

/// Job costs, in microseconds.
pub const COSTS_US: [u32; 4] = [1, 10, 100, 1_000];
pub const CALLERS: [usize; 5] = [1, 2, 4, 16, 64];
pub const HEARTBEAT: Duration = Duration::from_millis(1);

#[derive(Clone, Copy, PartialEq)]
pub enum Kind {
    Spin,
    Sleep,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Spin => "cpu",
            Kind::Sleep => "sleep",
        }
    }
}

/// The callers and the heartbeat are different futures on one executor:
/// boxed into one type for the driver.
pub type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

pub struct Cell {
    pub executor: &'static str,
    pub runner: &'static str,
    pub kind: Kind,
    pub cost_us: u32,
    pub callers: usize,
    pub jobs: u64,
    pub elapsed: Duration,
    /// Submission to result, nanoseconds.
    pub latency: Histogram<u64>,
    /// How late each 1 ms heartbeat woke, nanoseconds.
    pub heartbeat: Histogram<u64>,
}

/// Spin rounds per microsecond on this machine, measured once.
pub fn rounds_per_us() -> u32 {
    let rounds = 20_000_000;
    let start = Instant::now();
    black_box(patterns::jobs::run_job(Job::spin(rounds, 1)));
    let per_us = f64::from(rounds) / (start.elapsed().as_secs_f64() * 1e6);
    per_us.round().max(1.0) as u32
}

pub fn job(kind: Kind, cost_us: u32, rounds_per_us: u32, seed: u64) -> Job {
    match kind {
        Kind::Spin => Job::spin(cost_us.saturating_mul(rounds_per_us), seed),
        Kind::Sleep => Job::sleep(cost_us, seed),
    }
}

/// Records into a shared histogram at the end of a task (each task keeps
/// its own while it runs: no lock in the measured loop).
pub fn merge(into: &Mutex<Histogram<u64>>, own: &Histogram<u64>) {
    into.lock()
        .unwrap_or_else(|p| p.into_inner())
        .add(own)
        .expect("same bounds");
}

pub fn take(histogram_slot: &Mutex<Histogram<u64>>) -> Histogram<u64> {
    std::mem::replace(
        &mut *histogram_slot.lock().unwrap_or_else(|p| p.into_inner()),
        histogram(),
    )
}

// ANCHOR: cell
pub fn measure<R: JobRunner, D: AsyncDriver>(
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

pub fn run_runner<R: JobRunner, D: AsyncDriver>(
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
        pub const RUNNERS: usize = [$(stringify!($f),)* $(stringify!($l),)* $(stringify!($t),)*].len();

        pub fn run_every_runner<D: AsyncDriver>(
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
pub fn idle_heartbeat<D: AsyncDriver>(driver: &D, duration: Duration) -> Histogram<u64> {
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
