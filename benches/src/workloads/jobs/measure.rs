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

/// How long each cell is measured (a quarter in quick mode): a thousand
/// heartbeats, and at the slowest offered rate a thousand jobs, so a p99
/// is the tenth worst, not the third.
pub const MEASURE: Duration = Duration::from_secs(1);
/// Arrivals before the window (not counted), and how long after it the
/// callers may still finish what was due in it.
pub const WARM_UP: Duration = Duration::from_millis(100);
pub const GRACE: Duration = Duration::from_millis(250);
/// How long the heartbeat runs alone on each executor, for its floor.
pub const IDLE: Duration = Duration::from_secs(1);

/// Job costs, in microseconds. (Not 1 µs: every runner's hand-off costs
/// more than the job, so its nominal capacity is no load to offer.)
pub const COSTS_US: [u32; 3] = [10, 100, 1_000];
/// Offered load, as shares of the nominal capacity: one job per core per
/// job cost (cores x 1e6 / cost jobs a second).
pub const LOADS: [f64; 2] = [0.5, 0.9];
/// Callers: each sends on its own schedule (rate / CALLERS), so at most
/// this many jobs are in flight; a caller behind schedule sends at once
/// and is charged from when it should have sent.
pub const CALLERS: usize = 16;
pub const HEARTBEAT: Duration = Duration::from_millis(1);
/// How late a runtime's timer may wake a task that nothing holds up
/// (tokio's wheel counts whole milliseconds).
pub const TIMER_RESOLUTION: Duration = Duration::from_millis(1);
/// How long after a cell's grace the heartbeat keeps ticking for callers
/// that have not finished (a runner that never answers): then it stops, so
/// the cell ends with whatever the callers do.
pub const HEARTBEAT_LIMIT: Duration = Duration::from_secs(10);

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
    /// Jobs a second offered, over all callers.
    pub offered: f64,
    /// Jobs whose intended submission fell in the window, and of those the
    /// ones never completed (charged their wait in `latency`).
    pub due: u64,
    pub unanswered: u64,
    /// Callers that completed no job of the window at all.
    pub idle_callers: usize,
    /// Jobs of the window completed.
    pub jobs: u64,
    pub elapsed: Duration,
    /// From the intended submission (or, for a caller that waited for its
    /// turn, from when its timer woke it) to the result, nanoseconds.
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

/// Counts a caller as done when dropped.
struct Done<'a>(&'a AtomicUsize);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Relaxed);
    }
}

// ANCHOR: cell
/// What one cell's timing needs: warm-up, window, grace.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub warm_up: Duration,
    pub window: Duration,
    pub grace: Duration,
}

pub fn measure<R: JobRunner, D: AsyncDriver>(
    driver: &D,
    kind: Kind,
    cost_us: u32,
    offered: f64,
    rounds_per_us: u32,
    timing: Timing,
) -> Cell {
    let callers = CALLERS;
    let runner = Arc::new(driver.enter(|| R::new(patterns::sync::cores())));
    let callers_done = Arc::new(AtomicUsize::new(0));
    let latency = Arc::new(Mutex::new(histogram()));
    let heartbeat = Arc::new(Mutex::new(histogram()));
    let counts = Arc::new(Mutex::new((0u64, 0u64, 0u64, 0usize))); // due, done, unanswered, idle
    // Callers start only once the heartbeat has asked for its first tick:
    // a heartbeat that could not even start (every worker taken by inline
    // jobs that never yield) would otherwise record nothing at all.
    let heartbeat_started = Arc::new(AtomicBool::new(false));
    let begin = Instant::now();
    let start = begin + timing.warm_up;
    let end = start + timing.window;
    let last = end + timing.grace;
    // Client 0 is the heartbeat: on the same executor, ticking until the
    // callers are done. Each tick's lateness includes any time the task
    // waited for a worker after its timer fired. Clients 1..=callers
    // submit, each on its own schedule.
    let gap = callers as f64 / offered.max(1e-3);
    driver.run(callers + 1, {
        let (runner, counts) = (runner.clone(), counts.clone());
        let (latency, heartbeat) = (latency.clone(), heartbeat.clone());
        move |id| -> Task {
            let (runner, callers_done, counts) =
                (runner.clone(), callers_done.clone(), counts.clone());
            let (latency, heartbeat, heartbeat_started) = (
                latency.clone(),
                heartbeat.clone(),
                heartbeat_started.clone(),
            );
            if id.0 == 0 {
                return Box::pin(async move {
                    let mut own = histogram();
                    while callers_done.load(Relaxed) < callers
                        && Instant::now() < last + HEARTBEAT_LIMIT
                    {
                        let asked = Instant::now();
                        let tick = D::sleep(HEARTBEAT);
                        heartbeat_started.store(true, Relaxed);
                        tick.await;
                        // Every tick whose wait overlapped the window: one
                        // asked for in the warm-up and woken only after the
                        // window (an executor held throughout) counts, with
                        // all its lateness.
                        if asked < end && Instant::now() >= start {
                            own.record(nanos(asked.elapsed().saturating_sub(HEARTBEAT)))
                                .expect("in range");
                        }
                    }
                    merge(&heartbeat, &own);
                });
            }
            let caller = id.0 as u64;
            Box::pin(async move {
                // Counted as done however this task ends (a panic
                // included), so the heartbeat never waits for it forever.
                let _done = Done(&callers_done);
                while !heartbeat_started.load(Relaxed) {
                    D::yield_now().await;
                }
                let phase = gap * (caller - 1) as f64 / callers as f64;
                let intended = |k: u64| begin + Duration::from_secs_f64(phase + gap * k as f64);
                let in_window = |t: Instant| t >= start && t < end;
                let mut own = histogram();
                let (mut due, mut done, mut k) = (0u64, 0u64, 0u64);
                loop {
                    let due_at = intended(k);
                    if due_at >= end || Instant::now() >= last {
                        break;
                    }
                    // On schedule: wait for the turn, and time from the
                    // wake, but from no later than a timer's resolution
                    // after the turn (a runtime's timer is late by up to a
                    // millisecond, the generator's error; later than that,
                    // the executor was held, which is the runner's).
                    // Behind schedule: send now, timed from when it should
                    // have gone.
                    let mut from = due_at;
                    let now = Instant::now();
                    if due_at > now {
                        D::sleep(due_at - now).await;
                        from = Instant::now().min(due_at + TIMER_RESOLUTION);
                    }
                    let job = job(kind, cost_us, rounds_per_us, caller << 40 | k);
                    black_box(
                        runner
                            .run(job)
                            .await
                            .expect("jobs here neither panic nor meet a shutdown"),
                    );
                    if in_window(due_at) {
                        due += 1;
                        done += 1;
                        own.record(nanos(from.elapsed())).expect("in range");
                    }
                    k += 1;
                }
                // Due in the window and never sent: unanswered, charged
                // the time they have waited.
                let mut unanswered = 0;
                while intended(k) < end {
                    if in_window(intended(k)) {
                        due += 1;
                        unanswered += 1;
                        own.record(nanos(intended(k).elapsed())).expect("in range");
                    }
                    k += 1;
                }
                merge(&latency, &own);
                {
                    let mut c = counts.lock().unwrap_or_else(|p| p.into_inner());
                    c.0 += due;
                    c.1 += done;
                    c.2 += unanswered;
                    c.3 += usize::from(done == 0);
                }
            })
        }
    });
    runner.shutdown();
    drop(runner);
    let (due, done, unanswered, idle_callers) = *counts.lock().unwrap_or_else(|p| p.into_inner());
    Cell {
        executor: D::NAME,
        runner: R::STYLE,
        kind,
        cost_us,
        callers,
        offered,
        due,
        unanswered,
        idle_callers,
        jobs: done,
        elapsed: timing.window,
        latency: take(&latency),
        heartbeat: take(&heartbeat),
    }
}
// ANCHOR_END: cell

/// A histogram's p99 for a progress line; "–" when it holds nothing.
fn p99(h: &Histogram<u64>) -> String {
    if h.is_empty() {
        "–".to_string()
    } else {
        time(h.value_at_quantile(0.99))
    }
}

/// The nominal capacity for jobs of `cost_us`: one per core per cost.
pub fn nominal_capacity(cost_us: u32) -> f64 {
    patterns::sync::cores() as f64 * 1e6 / f64::from(cost_us.max(1))
}

pub fn run_runner<R: JobRunner, D: AsyncDriver>(
    driver: &D,
    harness: &mut Harness,
    rounds_per_us: u32,
    cells: &mut Vec<Cell>,
) {
    for kind in [Kind::Spin, Kind::Sleep] {
        for cost_us in COSTS_US {
            for load in LOADS {
                if harness.smoke && (cost_us != 100 || load != LOADS[0]) {
                    harness.passes(1);
                    continue;
                }
                let name = format!(
                    "jobs/{}/{}/{}us/{:.0}%@{}",
                    kind.name(),
                    R::STYLE,
                    cost_us,
                    load * 100.0,
                    D::NAME
                );
                if !harness.wants(&name) {
                    continue;
                }
                let timing = Timing {
                    warm_up: harness.duration(WARM_UP),
                    window: harness.duration(MEASURE),
                    grace: harness.duration(GRACE),
                };
                let offered = load * nominal_capacity(cost_us);
                let cell = measure::<R, D>(driver, kind, cost_us, offered, rounds_per_us, timing);
                eprintln!(
                    "{name}: {} jobs/s of {} offered, job p99 {}, unanswered {}, heartbeat p99 {}",
                    si(cell.jobs as f64 / cell.elapsed.as_secs_f64()),
                    si(offered),
                    p99(&cell.latency),
                    cell.unanswered,
                    p99(&cell.heartbeat),
                );
                cells.push(cell);
            }
        }
    }
}

/// Runners measured (for progress): never the broken one.
pub fn runners() -> usize {
    patterns::registry::measured("jobs").len()
}

pub fn run_every_runner<D: AsyncDriver>(
    driver: &D,
    harness: &mut Harness,
    rounds_per_us: u32,
    cells: &mut Vec<Cell>,
) {
    macro_rules! run {
        // The broken runner can hang its caller: never measured.
        (broken $name:ident: $runner:ty) => {};
        ($measured:ident $name:ident: $runner:ty) => {
            run_runner::<$runner, D>(driver, harness, rounds_per_us, cells);
        };
    }
    patterns::for_each_runner!(run);
}

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
