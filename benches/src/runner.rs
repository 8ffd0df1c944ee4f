//! The throughput side (counter, bank, session store): one generic runner
//! that measures every style of a workload's registry, under every chosen
//! driver and client count, beside the baselines they are held against.
//! A workload's bench supplies only its scenarios, what a client does
//! ([`StyleBench`]) and its baselines; the plan, the interleaving, the
//! costs and the report are here, the same for every workload.
//!
//! # How a cell is measured
//!
//! A *cell* is a scenario with a number of clients; its *rows* are every
//! style under every chosen driver and every baseline. The cell is
//! measured in [`Settings::rounds`] passes; each pass runs every row once,
//! in a shuffled order (seeded, so a rerun shuffles alike). A row's run
//! builds the style afresh, runs its clients for a short warm-up, then for
//! a fixed window with a stop flag (clients check it before each
//! operation), and drops the style outside the timing. Throughput is the
//! operations of all clients over the span from the first client's start
//! to the last one's finish; the process's CPU time, context switches,
//! allocations and the VM's steal time are read around the run
//! ([`crate::cost`]); each client's count gives the fairness figures.
//!
//! A style's round and its baseline's round of the same pass form a pair:
//! whatever the machine did during that pass (a noisy neighbour, a
//! frequency change) falls on both, and the ratio's interval comes from
//! the pairs (see `report::stats`). This is tango-bench's paired
//! measurement, coarser: whole short runs alternate, not single
//! iterations, because a style's run has threads to start.

use std::future::Future;
use std::hint::black_box;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use patterns::drive::{
    AsyncStd, ClientOp, Driver, Smol, Stop, Threads, Timed, Tokio, worker_threads,
};
use patterns::primitives::rng::SplitMix64;
use patterns::{ClientId, Helpers};

use crate::cost::Cost;
use crate::progress::Progress;
use crate::report::{self, Workload, stats, workload::Scenario};
use crate::results::{self, SampleRow};
use crate::settings;

/// How long a row's run lasts: a warm-up (unmeasured, on the same built
/// style) and the measured window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub warm_up: Duration,
    pub measure: Duration,
}

/// What a throughput run measures, from the command line and environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub sweep: Vec<usize>,
    pub drivers: Vec<&'static str>,
    pub rounds: usize,
    pub window: Window,
    pub filter: Option<String>,
    /// `--test`: every row once, briefly, and no report.
    pub smoke: bool,
}

impl Settings {
    /// From the environment; a bad value exits with its message.
    pub fn from_env(default_drivers: &[&'static str]) -> Settings {
        let smoke = !settings::measuring();
        let window = if smoke {
            Window {
                warm_up: Duration::ZERO,
                measure: Duration::from_millis(2),
            }
        } else {
            // Short, because precision comes from the interleaved rounds:
            // five of these fit the whole bench in about half an hour.
            Window {
                warm_up: settings::scaled(Duration::from_millis(15)),
                measure: settings::scaled(Duration::from_millis(75)),
            }
        };
        Settings {
            sweep: settings::or_exit(settings::client_sweep()),
            drivers: settings::or_exit(settings::driver_choice(default_drivers)),
            rounds: if smoke {
                1
            } else {
                settings::or_exit(settings::rounds())
            },
            window,
            filter: settings::name_filter(),
            smoke,
        }
    }
}

/// One of each driver, made once per bench binary (runtimes are costly to
/// build), and the names of those chosen to measure.
pub struct Drivers {
    chosen: Vec<&'static str>,
    pub threads: Threads,
    pub tokio: Tokio,
    pub async_std: AsyncStd,
    pub smol: Smol,
}

impl Drivers {
    pub fn new(chosen: Vec<&'static str>) -> Drivers {
        Drivers {
            chosen,
            threads: Threads::new(),
            tokio: Tokio::new(),
            async_std: AsyncStd::new(),
            smol: Smol::new(),
        }
    }

    pub fn is_chosen<D: Driver>(&self) -> bool {
        self.chosen.contains(&D::NAME)
    }
}

/// One row's measured run.
#[derive(Debug, Clone)]
pub struct Sample {
    pub span: Duration,
    /// The wall time between the two cost readings (the span, and the
    /// clients' start and teardown): what steal time is a share of.
    pub interval: Duration,
    /// Each client's operations.
    pub ops: Vec<u64>,
    pub cost: Cost,
}

/// Runs `run` once for the window's warm-up (if any) and once measured,
/// reading the process's costs around the measured run.
pub fn sample(window: Window, mut run: impl FnMut(&Stop) -> Timed<u64>) -> Sample {
    if !window.warm_up.is_zero() {
        let (stop, timer) = Stop::after(window.warm_up);
        run(&stop);
        stop.arm(); // in case no client did: the timer must end
        let _ = timer.join();
    }
    let (stop, timer) = Stop::after(window.measure);
    let before = Cost::now();
    let started = std::time::Instant::now();
    let timed = run(&stop);
    let cost = Cost::now().since(&before);
    let interval = started.elapsed();
    stop.arm();
    let _ = timer.join();
    Sample {
        span: timed.span,
        interval,
        ops: timed.outputs,
        cost,
    }
}

/// The threads that may be runnable at once in a cell: the clients (OS
/// threads, or tasks on the driver's workers), and the threads and tasks
/// the style keeps busy besides them.
pub fn runnable_threads<D: Driver>(clients: usize, helpers: Helpers) -> usize {
    helpers.runnable_threads(clients, D::CLIENTS_ARE_THREADS, worker_threads())
}

type Measure<'a> = Box<dyn FnMut(Window) -> Sample + 'a>;

/// A row of a cell: a style under a driver, or a baseline.
pub struct Contender<'a> {
    pub style: String,
    pub driver: &'static str,
    pub runnable_threads: usize,
    measure: Measure<'a>,
}

// ANCHOR: style_bench
/// What a workload's bench says about one scenario, for any style `S` of
/// its registry: the style's name and helpers, and how to build it and the
/// client that drives it. The runner does the rest, identically for every
/// workload.
pub trait StyleBench<S>: Copy {
    /// The style's name in reports (its `STYLE`).
    fn style() -> &'static str;

    /// What the style keeps busy besides its clients (its `HELPERS`).
    fn helpers() -> Helpers;

    /// Builds the style for `clients` clients (inside the driver's
    /// context, so a runtime-backed style finds the driver's runtime) and
    /// the client operation that drives it.
    fn client<D: Driver>(self, driver: &D, clients: usize) -> impl ClientOp;

    /// Whether the scenario measures this style at all (a scenario of an
    /// optional operation measures the styles that declare it); from the
    /// style's capabilities, never its name.
    fn measures() -> bool {
        true
    }
}
// ANCHOR_END: style_bench

/// A scenario with a number of clients, and its rows.
pub struct Cell<'a> {
    pub scenario: String,
    pub clients: usize,
    pub rows: Vec<Contender<'a>>,
    /// The drivers `every_driver` adds styles under, of those chosen
    /// (`None`: all of them); see [`Cell::only_drivers`].
    only_drivers: Option<&'static [&'static str]>,
}

impl<'a> Cell<'a> {
    pub fn new(scenario: String, clients: usize) -> Cell<'a> {
        Cell {
            scenario,
            clients,
            rows: Vec::new(),
            only_drivers: None,
        }
    }

    /// Limits the styles' rows to these drivers (those also chosen): a
    /// scenario that asks one question of a few styles need not ask it
    /// under every runtime.
    pub fn only_drivers(&mut self, drivers: &'static [&'static str]) {
        self.only_drivers = Some(drivers);
    }

    fn wants<D: Driver>(&self, drivers: &Drivers) -> bool {
        drivers.is_chosen::<D>() && self.only_drivers.is_none_or(|only| only.contains(&D::NAME))
    }

    /// Adds style `S` under `driver`, built fresh for every round.
    pub fn style<S, Sc: StyleBench<S> + 'a, D: Driver>(&mut self, driver: &'a D, scenario: Sc) {
        if !Sc::measures() {
            return;
        }
        let clients = self.clients;
        self.rows.push(Contender {
            style: Sc::style().to_string(),
            driver: D::NAME,
            runnable_threads: runnable_threads::<D>(clients, Sc::helpers()),
            measure: Box::new(move |window| {
                let body = Arc::new(scenario.client(driver, clients));
                sample(window, |stop| {
                    driver.run_until(clients, stop, Arc::clone(&body))
                })
                // `body` (the style and any thread it started) is dropped
                // here, after the costs were read.
            }),
        });
    }

    /// Adds style `S` under every chosen driver, in the report's order.
    pub fn every_driver<S, Sc: StyleBench<S> + 'a>(&mut self, drivers: &'a Drivers, scenario: Sc) {
        if self.wants::<Threads>(drivers) {
            self.style::<S, Sc, _>(&drivers.threads, scenario);
        }
        if self.wants::<Tokio>(drivers) {
            self.style::<S, Sc, _>(&drivers.tokio, scenario);
        }
        if self.wants::<AsyncStd>(drivers) {
            self.style::<S, Sc, _>(&drivers.async_std, scenario);
        }
        if self.wants::<Smol>(drivers) {
            self.style::<S, Sc, _>(&drivers.smol, scenario);
        }
    }

    // ANCHOR: baseline
    /// Adds a baseline, `baseline_<name>@<driver>`: `build(clients)` makes
    /// (afresh for every round) client `id`'s whole loop, written against
    /// the raw primitive with no trait and no per-operation future, which
    /// runs until the stop flag is set and returns its operation count,
    /// and a guard dropped after the run (a server thread to join). It
    /// runs under the same clock, window and cost readings as the styles.
    pub fn baseline<D, B, F, Fut, G>(
        &mut self,
        driver: &'a D,
        name: &str,
        helpers: Helpers,
        build: B,
    ) where
        D: Driver,
        B: Fn(usize) -> (F, G) + 'a,
        F: Fn(ClientId, Stop) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = u64> + Send + 'static,
    {
        let clients = self.clients;
        self.rows.push(Contender {
            style: format!("baseline_{name}"),
            driver: D::NAME,
            runnable_threads: runnable_threads::<D>(clients, helpers),
            measure: Box::new(move |window| {
                let (client, guard) = build(clients);
                let client = Arc::new(client);
                let sampled = sample(window, |stop| {
                    let (client, stop) = (Arc::clone(&client), stop.clone());
                    driver.run_each(clients, move |id| client(id, stop.clone()))
                });
                drop(client);
                drop(guard);
                sampled
            }),
        });
    }
    // ANCHOR_END: baseline

    /// Keeps the rows whose `scenario/style@driver` contains `filter`,
    /// and the baselines those styles are held against.
    fn filter(&mut self, filter: &str, baselines: &[(&str, &str)]) {
        let kept: Vec<bool> = self
            .rows
            .iter()
            .map(|r| format!("{}/{}@{}", self.scenario, r.style, r.driver).contains(filter))
            .collect();
        let needed: Vec<&str> = self
            .rows
            .iter()
            .zip(&kept)
            .filter(|(_, k)| **k)
            .filter_map(|(r, _)| baselines.iter().find(|(s, _)| *s == r.style))
            .map(|(_, b)| *b)
            .collect();
        let mut i = 0;
        self.rows.retain(|r| {
            let keep = kept[i] || needed.contains(&format!("{}@{}", r.style, r.driver).as_str());
            i += 1;
            keep
        });
    }
}

/// A run's plan: every cell with its rows, built before anything runs, so
/// the filter, quick mode and the progress totals all come from it.
pub struct Plan<'a> {
    pub cells: Vec<Cell<'a>>,
}

impl Plan<'_> {
    /// Row runs in the whole plan (rows times rounds).
    pub fn runs(&self, rounds: usize) -> usize {
        self.cells.iter().map(|c| c.rows.len()).sum::<usize>() * rounds
    }
}

/// The order of a pass: a seeded shuffle of `0..n` (Fisher-Yates), so the
/// same cell and round shuffle alike in every run.
pub fn pass_order(n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = SplitMix64::new(seed);
    for i in (1..n).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}

fn seed_of(scenario: &str, clients: usize, round: usize) -> u64 {
    scenario
        .bytes()
        .fold(0xCBF2_9CE4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
        })
        .wrapping_add((clients as u64) << 32 | round as u64)
}

/// Measures one cell: `rounds` passes in shuffled order, a sample row per
/// row and pass.
fn measure_cell(
    cell: &mut Cell<'_>,
    run: u64,
    settings: &Settings,
    progress: Option<&Progress>,
) -> Vec<SampleRow> {
    let cores = patterns::sync::cores();
    let mut samples = Vec::new();
    for round in 0..settings.rounds {
        let order = pass_order(
            cell.rows.len(),
            seed_of(&cell.scenario, cell.clients, round),
        );
        for (position, &i) in order.iter().enumerate() {
            let row = &mut cell.rows[i];
            let sampled = (row.measure)(settings.window);
            let total: u64 = sampled.ops.iter().sum();
            samples.push(SampleRow {
                run,
                scenario: cell.scenario.clone(),
                style: row.style.clone(),
                driver: row.driver.to_string(),
                clients: cell.clients,
                round,
                order: position,
                runnable_threads: row.runnable_threads,
                cores,
                ops: total,
                span_ns: u64::try_from(sampled.span.as_nanos()).unwrap_or(u64::MAX),
                cpu_ns: u64::try_from(sampled.cost.cpu.as_nanos()).unwrap_or(u64::MAX),
                voluntary_switches: sampled.cost.voluntary_switches,
                involuntary_switches: sampled.cost.involuntary_switches,
                allocations: sampled.cost.allocations,
                allocated_bytes: sampled.cost.allocated_bytes,
                steal_ns: u64::try_from(sampled.cost.steal.as_nanos()).unwrap_or(u64::MAX),
                interval_ns: u64::try_from(sampled.interval.as_nanos()).unwrap_or(u64::MAX),
                steal_cpus: sampled.cost.steal_cpus,
                slowest_client_ops: sampled.ops.iter().copied().min().unwrap_or(0),
                fastest_client_ops: sampled.ops.iter().copied().max().unwrap_or(0),
                jain: stats::jain(&sampled.ops),
            });
            if let Some(progress) = progress {
                progress.tick();
            }
        }
    }
    samples
}

/// Writes the samples so far to `<out>/<workload>.samples.csv` (after
/// every cell: an interrupted run keeps what it measured), after the
/// `earlier` runs' samples a filtered run keeps (the report takes each
/// cell from the latest run that measured it).
fn save(out_dir: &Path, workload: &str, earlier: &[SampleRow], samples: &[SampleRow]) {
    let path = report::cells::samples_path(out_dir, workload);
    let mut all = earlier.to_vec();
    all.extend_from_slice(samples);
    let written =
        std::fs::create_dir_all(out_dir).and_then(|()| std::fs::write(&path, results::write(&all)));
    if let Err(e) = written {
        eprintln!("error: cannot write {}: {e}", path.display());
        std::process::exit(1);
    }
}

/// A throughput bench's `main`: the settings, a plan of every cell
/// (`add_rows(cell, drivers, scenario)` fills one), the interleaved
/// rounds, progress lines, the samples saved, and the report at the end.
pub fn throughput_main<Sc: Scenario>(
    workload: &Workload,
    scenarios: &[Sc],
    default_drivers: &[&'static str],
    add_rows: impl for<'a> Fn(&mut Cell<'a>, &'a Drivers, &Sc),
) {
    let settings = Settings::from_env(default_drivers);
    let drivers = Drivers::new(settings.drivers.clone());
    // Building the drivers allocated: a binary that counts has counted.
    if !crate::cost::counting() {
        eprintln!(
            "error: this bench does not count allocations (its allocations per operation would \
             read 0): add `benches::count_allocations!();` to it"
        );
        std::process::exit(2);
    }
    let mut plan = Plan { cells: Vec::new() };
    for scenario in scenarios {
        for &clients in &settings.sweep {
            let mut cell = Cell::new(scenario.name(), clients);
            add_rows(&mut cell, &drivers, scenario);
            if let Some(filter) = &settings.filter {
                cell.filter(filter, workload.baselines());
            }
            if !cell.rows.is_empty() {
                plan.cells.push(cell);
            }
        }
    }
    if std::env::args().any(|a| a == "--list") {
        // cargo's listing, in libtest's format: a line per row of the plan
        // (after the name filter), `<scenario>/<clients>/<style>@<driver>`.
        for cell in &plan.cells {
            for row in &cell.rows {
                println!(
                    "{}/{}/{}@{}: benchmark",
                    cell.scenario, cell.clients, row.style, row.driver
                );
            }
        }
        return;
    }
    let progress = (!settings.smoke).then(|| {
        let per_run = settings.window.warm_up + settings.window.measure + Duration::from_millis(5);
        Progress::start(workload, plan.runs(settings.rounds), per_run)
    });
    let out_dir = report::default_out_dir();
    // A filtered run measures some rows: the other rows' samples of the
    // earlier runs stay (the report takes each cell from the latest run
    // that measured it, and pairs rounds only within one run).
    let saved = report::cells::samples_path(&out_dir, workload.name);
    let earlier: Vec<SampleRow> = match std::fs::read_to_string(&saved) {
        Ok(text) if settings.filter.is_some() => results::read(&text).unwrap_or_else(|e| {
            eprintln!(
                "[{}] the earlier samples in {} are not kept: {e}",
                workload.name,
                saved.display()
            );
            Vec::new()
        }),
        _ => Vec::new(),
    };
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut samples = Vec::new();
    for cell in &mut plan.cells {
        samples.extend(measure_cell(cell, run, &settings, progress.as_ref()));
        if !settings.smoke {
            save(&out_dir, workload.name, &earlier, &samples);
        }
    }
    drop(plan);
    drop(drivers);
    if settings.smoke {
        eprintln!(
            "[{}] every row ran once ({} runs)",
            workload.name,
            samples.len()
        );
        return;
    }
    if let Some(progress) = &progress {
        progress.finish();
    }
    report::after_bench(workload);
}

/// A registry callback that adds a style to a cell under every chosen
/// driver: `patterns::for_each_*!(measured_style [cell, drivers,
/// scenario])`. Every `facade`, `library` and `torn` style is measured (the
/// torn ones are flagged in the report), never a `broken` one: the speed
/// of a wrong answer, or of a deadlock, is no result.
#[macro_export]
macro_rules! measured_style {
    ([$cell:ident, $drivers:ident, $scenario:expr] broken $name:ident: $style:ty) => {};
    ([$cell:ident, $drivers:ident, $scenario:expr] facade $name:ident: $style:ty) => {
        $crate::measured_style!(@measure $cell, $drivers, $scenario, $style)
    };
    ([$cell:ident, $drivers:ident, $scenario:expr] library $name:ident: $style:ty) => {
        $crate::measured_style!(@measure $cell, $drivers, $scenario, $style)
    };
    ([$cell:ident, $drivers:ident, $scenario:expr] torn $name:ident: $style:ty) => {
        $crate::measured_style!(@measure $cell, $drivers, $scenario, $style)
    };
    (@measure $cell:ident, $drivers:ident, $scenario:expr, $style:ty) => {
        $cell.every_driver::<$style, _>($drivers, $scenario);
    };
}

/// A baseline's guard for the threads it serves from (dropped after the
/// run, outside the timing): `stop` tells them to end, then each is
/// joined.
pub struct Servers {
    stop: Option<Box<dyn FnOnce() + Send>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Servers {
    pub fn new(
        stop: impl FnOnce() + Send + 'static,
        threads: Vec<std::thread::JoinHandle<()>>,
    ) -> Servers {
        Servers {
            stop: Some(Box::new(stop)),
            threads,
        }
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// A baseline client's loop, inside its `async` block:
/// `ops_until!(Driver, stop, |op| { ... })` runs the body for `op = 0, 1,
/// 2...` until `stop` is set and evaluates to how many ran.
///
/// - With `Threads`, the body must not await: the loop is a plain loop in
///   a closure called once, so its counter stays in a register, as in the
///   thread driver's own loop over a style's operations (a loop with an
///   await in it keeps its state in the future's memory, a store per
///   operation: the first version of these baselines ran the atomic add
///   at 0.56 of the style built on it).
/// - With an async driver, it awaits `Driver::between_ops()` every
///   [`patterns::drive::YIELD_EVERY`] operations as that driver's own
///   loop does, so a baseline and its styles pay the same loop.
///
/// (A macro, not a function taking an async closure: the future of such a
/// function cannot yet be shown `Send` for the closure's borrows, which a
/// spawned client needs.)
#[macro_export]
macro_rules! ops_until {
    (Threads, $stop:expr, |$op:ident| $body:block) => {{
        let stop: &patterns::drive::Stop = &$stop;
        stop.arm();
        // A closure called at once, on purpose: see above.
        #[allow(clippy::redundant_closure_call)]
        let done = (|| {
            let mut done: u64 = 0;
            while !stop.is_set() {
                let $op = done;
                $body
                done += 1;
            }
            done
        })();
        done
    }};
    ($driver:ty, $stop:expr, |$op:ident| $body:block) => {{
        $stop.arm();
        let mut done: u64 = 0;
        while !$stop.is_set() {
            let $op = done;
            $body
            done += 1;
            if done % patterns::drive::YIELD_EVERY == 0 {
                <$driver as patterns::drive::Driver>::between_ops().await;
            }
        }
        done
    }};
}

/// One of two operations' futures, as a client's next operation: polled
/// in place, its result passed through `black_box` so the work cannot be
/// optimised away.
///
/// Why not one `async` block with an `if`: the counter's mixed operation,
/// written that way, became a larger future that the optimiser stopped
/// inlining into the driver's loop, a call per operation and 30% of an
/// atomic add. Two small futures behind an `#[inline]` poll stay inlined.
pub enum Either<L, R> {
    Left(L),
    Right(R),
}

impl<L: Future, R: Future> Future for Either<L, R> {
    type Output = ();

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: a pin projection to the active variant. Its future is
        // never moved out of the pinned enum, and the enum has no Drop or
        // Unpin impl of its own that could move it.
        let this = unsafe { self.get_unchecked_mut() };
        match this {
            // SAFETY: `left` lives in pinned memory (see above) and stays put.
            Either::Left(left) => unsafe { Pin::new_unchecked(left) }.poll(cx).map(|out| {
                black_box(out);
            }),
            // SAFETY: as for `left`.
            Either::Right(right) => unsafe { Pin::new_unchecked(right) }.poll(cx).map(|out| {
                black_box(out);
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_order_is_a_seeded_permutation() {
        let order = pass_order(10, 7);
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..10).collect::<Vec<_>>());
        assert_eq!(pass_order(10, 7), order, "the same seed, the same order");
        assert_ne!(pass_order(10, 8), order, "another seed, another order");
        assert!(pass_order(0, 1).is_empty());
    }

    #[test]
    fn the_filter_keeps_matching_rows_and_the_baselines_they_are_held_against() {
        let row = |style: &str, driver: &'static str| Contender {
            style: style.to_string(),
            driver,
            runnable_threads: 1,
            measure: Box::new(|_| unreachable!("not measured here")),
        };
        let mut cell = Cell::new("counter-add".into(), 1);
        cell.rows = vec![
            row("baseline_fetch_add", "threads"),
            row("baseline_std_mutex", "threads"),
            row("atomic", "threads"),
            row("atomic", "tokio"),
            row("mutex", "threads"),
        ];
        let baselines = [
            ("atomic", "baseline_fetch_add@threads"),
            ("mutex", "baseline_std_mutex@threads"),
        ];
        cell.filter("atomic@tokio", &baselines);
        let kept: Vec<String> = cell
            .rows
            .iter()
            .map(|r| format!("{}@{}", r.style, r.driver))
            .collect();
        assert_eq!(kept, ["baseline_fetch_add@threads", "atomic@tokio"]);

        // The scenario is part of the name: another scenario's filter
        // keeps nothing here, this one's keeps everything.
        let mut other = Cell::new("counter-add".into(), 1);
        other.rows = vec![row("atomic", "threads")];
        other.filter("counter-hold", &baselines);
        assert!(other.rows.is_empty());
        let mut this = Cell::new("counter-hold-100ns".into(), 1);
        this.rows = vec![row("baseline_std_mutex_inside", "threads")];
        this.filter("counter-hold", &baselines);
        assert_eq!(this.rows.len(), 1);
    }

    #[test]
    fn runnable_threads_count_helpers_by_where_they_run() {
        let cores = worker_threads();
        // Two client threads and an owner thread: one more than two cores.
        assert_eq!(runnable_threads::<Threads>(2, Helpers::Threads(|_| 1)), 3);
        // Client tasks share the workers; a dedicated owner thread adds one.
        assert_eq!(
            runnable_threads::<Tokio>(8, Helpers::Threads(|_| 1)),
            cores + 1
        );
        // An owner task shares the workers with the client tasks.
        assert_eq!(
            runnable_threads::<Tokio>(1, Helpers::Tasks(1)),
            2.min(cores)
        );
        // A blocking thread per call runs in its caller's place.
        assert_eq!(runnable_threads::<Threads>(2, Helpers::PerCall), 2);
        assert_eq!(runnable_threads::<Tokio>(2, Helpers::PerCall), 2);
        assert_eq!(runnable_threads::<Threads>(1, Helpers::None), 1);
    }

    #[test]
    fn a_window_run_stops_by_itself_and_counts_every_client() {
        let window = Window {
            warm_up: Duration::from_millis(1),
            measure: Duration::from_millis(20),
        };
        let sampled = sample(window, |stop| {
            Threads.run_each(3, {
                let stop = stop.clone();
                move |_| {
                    let stop = stop.clone();
                    async move {
                        stop.arm();
                        let mut n = 0u64;
                        while !stop.is_set() {
                            n += 1;
                            std::hint::spin_loop();
                        }
                        n
                    }
                }
            })
        });
        assert_eq!(sampled.ops.len(), 3);
        assert!(sampled.ops.iter().all(|&n| n > 0), "{:?}", sampled.ops);
        assert!(
            sampled.span >= Duration::from_millis(15),
            "{:?}",
            sampled.span
        );
        assert!(sampled.cost.cpu > Duration::ZERO);
    }
}
