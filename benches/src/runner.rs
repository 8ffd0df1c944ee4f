//! The criterion side: settings, the drivers, and one generic runner that
//! measures every style of a workload's registry under every chosen driver
//! and client count. A workload's bench supplies only its scenarios and
//! what a client does ([`StyleBench`]); the loops, the ids and the report
//! are here, the same for every workload.

use std::future::Future;
use std::hint::black_box;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput};
use patterns::drive::{AsyncStd, ClientOp, Driver, Smol, Threads, Tokio};

use crate::progress::Progress;
use crate::report::{self, Workload, workload::Scenario};
use crate::settings;

/// The run's progress, set by [`criterion_main`], ticked by every style's
/// benchmark.
static PROGRESS: std::sync::OnceLock<Progress> = std::sync::OnceLock::new();

pub type Group<'a> = BenchmarkGroup<'a, WallTime>;

/// Criterion settings for the workbench: short warm-up and measurement so a
/// full sweep of every style x driver x clients stays within minutes on two
/// cores (a quarter of that in quick mode). Command-line flags
/// (`--measurement-time`, ...) still override these.
///
/// Criterion's per-benchmark plots are off unless `WORKBENCH_PLOTS=1`:
/// drawing them takes longer than measuring (about 2 s a benchmark on two
/// cores, for hundreds of benchmarks). The side-by-side report is the
/// summary; criterion's JSON files still have every estimate.
pub fn criterion() -> Criterion {
    let criterion = Criterion::default()
        .warm_up_time(settings::scaled(Duration::from_millis(200)))
        .measurement_time(settings::scaled(Duration::from_millis(600)))
        .sample_size(10)
        // Ten samples do not need 100,000 bootstrap resamples.
        .nresamples(10_000);
    let criterion = if std::env::var_os("WORKBENCH_PLOTS").is_some_and(|v| v == "1") {
        criterion
    } else {
        criterion.without_plots()
    };
    criterion.configure_from_args()
}

/// Something a bench does once under each chosen driver (a generic method,
/// so each driver's code is monomorphised: no virtual call per operation).
pub trait PerDriver {
    fn under<D: Driver>(&mut self, driver: &D);
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

    /// Calls `work.under(driver)` for every chosen driver, in the order of
    /// [`settings::DRIVERS`].
    pub fn for_each_chosen(&self, work: &mut impl PerDriver) {
        if self.is_chosen::<Threads>() {
            work.under(&self.threads);
        }
        if self.is_chosen::<Tokio>() {
            work.under(&self.tokio);
        }
        if self.is_chosen::<AsyncStd>() {
            work.under(&self.async_std);
        }
        if self.is_chosen::<Smol>() {
            work.under(&self.smol);
        }
    }
}

/// Splits `iters` operations among `clients` so that every client does its
/// share and the shares add up to exactly `iters`.
pub fn share(iters: u64, clients: usize, client: usize) -> u64 {
    let clients = clients as u64;
    iters / clients + u64::from((client as u64) < iters % clients)
}

/// Measures `body` as one benchmark: criterion asks for `iters`
/// operations, `driver` runs `clients` clients doing their shares of them
/// (all released at a start barrier), and the time until the last one
/// finishes is the sample. What `body` owns (the implementation and any
/// thread it started) is dropped when the benchmark is done, outside the
/// timing.
pub fn measure_ops<B: ClientOp, D: Driver>(
    group: &mut Group<'_>,
    id: BenchmarkId,
    driver: &D,
    clients: usize,
    body: B,
) {
    let body = Arc::new(body);
    group.bench_function(id, |b| {
        b.iter_custom(|iters| {
            driver.run_ops(
                clients,
                move |id| share(iters, clients, id.0),
                Arc::clone(&body),
            )
        })
    });
}

// ANCHOR: style_bench
/// What a workload's bench says about one scenario, for any style `S` of
/// its registry: the style's name, and how to build it and the client that
/// drives it. The runner does the rest, identically for every workload.
pub trait StyleBench<S>: Copy {
    /// The style's name in reports (its `STYLE`).
    fn style() -> &'static str;

    /// Builds the style for `clients` clients (inside the driver's
    /// context, so a runtime-backed style finds the driver's runtime) and
    /// the client operation that drives it.
    fn client<D: Driver>(self, driver: &D, clients: usize) -> impl ClientOp;
}
// ANCHOR_END: style_bench

/// One scenario with one client count: [`StyleRun::style`] measures a style
/// under every chosen driver.
pub struct StyleRun<'r, 'c, Sc> {
    group: &'r mut Group<'c>,
    drivers: &'r Drivers,
    scenario: Sc,
    clients: usize,
}

impl<'r, 'c, Sc: Copy> StyleRun<'r, 'c, Sc> {
    pub fn new(
        group: &'r mut Group<'c>,
        drivers: &'r Drivers,
        scenario: Sc,
        clients: usize,
    ) -> Self {
        StyleRun {
            group,
            drivers,
            scenario,
            clients,
        }
    }

    pub fn style<S>(&mut self)
    where
        Sc: StyleBench<S>,
    {
        let drivers = self.drivers;
        drivers.for_each_chosen(&mut Under::<S, Sc> {
            run: self,
            style: PhantomData,
        });
    }
}

struct Under<'a, 'r, 'c, S, Sc> {
    run: &'a mut StyleRun<'r, 'c, Sc>,
    style: PhantomData<S>,
}

impl<S, Sc: StyleBench<S>> PerDriver for Under<'_, '_, '_, S, Sc> {
    fn under<D: Driver>(&mut self, driver: &D) {
        let clients = self.run.clients;
        let id = BenchmarkId::new(format!("{}@{}", Sc::style(), D::NAME), clients);
        let client = self.run.scenario.client(driver, clients);
        measure_ops(self.run.group, id, driver, clients, client);
        tick();
    }
}

/// One more benchmark done, for the progress lines.
pub fn tick() {
    if let Some(progress) = PROGRESS.get() {
        progress.tick();
    }
}

/// Defines `measure_every_style(&mut StyleRun)` from a registry, for
/// `patterns::for_each_*!(measured_styles)`: every `facade`, `library` and
/// `torn` style (the torn ones are flagged in the report), never a `broken`
/// one (the speed of a wrong answer, or of a deadlock, is no result).
#[macro_export]
macro_rules! measured_styles {
    (
        facade: [$($f:ident: $ft:ty,)*],
        library: [$($l:ident: $lt:ty,)*],
        torn: [$($t:ident: $tt:ty,)*],
        broken: [$($b:ident: $bt:ty,)*],
    ) => {
        /// How many styles `measure_every_style` measures (for progress).
        const MEASURED_STYLES: usize = [$(stringify!($f),)* $(stringify!($l),)* $(stringify!($t),)*].len();

        fn measure_every_style<Sc>(run: &mut $crate::runner::StyleRun<'_, '_, Sc>)
        where
            Sc: Copy,
            $(Sc: $crate::runner::StyleBench<$ft>,)*
            $(Sc: $crate::runner::StyleBench<$lt>,)*
            $(Sc: $crate::runner::StyleBench<$tt>,)*
        {
            $(run.style::<$ft>();)*
            $(run.style::<$lt>();)*
            $(run.style::<$tt>();)*
        }
    };
}

/// A criterion bench's `main`: the settings (clients, drivers, quick), a
/// group per scenario, `measure(group, drivers, scenario, clients)` for
/// each client count, progress lines, and the report at the end. For the
/// progress count: `styles` is how many styles each cell measures under
/// each driver, `baselines` how many baselines it measures under each
/// driver name (each one calls [`tick`]).
pub fn criterion_main<Sc: Scenario>(
    workload: &Workload,
    scenarios: &[Sc],
    default_drivers: &[&'static str],
    styles: usize,
    baselines: &[(&str, usize)],
    mut measure: impl FnMut(&mut Group<'_>, &Drivers, &Sc, usize),
) {
    let sweep = settings::or_exit(settings::client_sweep());
    let chosen = settings::or_exit(settings::driver_choice(default_drivers));
    let repeat = settings::or_exit(settings::repeat());
    if settings::measuring() {
        let baselines: usize = baselines
            .iter()
            .filter(|(driver, _)| chosen.contains(driver))
            .map(|(_, n)| n)
            .sum();
        let total = repeat * scenarios.len() * sweep.len() * (styles * chosen.len() + baselines);
        // Warm-up, measurement, and criterion's analysis.
        let per_benchmark =
            settings::scaled(Duration::from_millis(800)) + Duration::from_millis(60);
        let _ = PROGRESS.set(Progress::start(workload, total, per_benchmark));
    }
    let run_started = SystemTime::now();
    let mut criterion = criterion();
    let drivers = Drivers::new(chosen);
    // Criterion keeps only the latest results on disk, so each
    // repetition's are read back before the next overwrites them.
    let mut repetitions = Vec::new();
    for repetition in 0..repeat {
        let started = SystemTime::now();
        for scenario in scenarios {
            let mut group = criterion.benchmark_group(scenario.name());
            group.throughput(Throughput::Elements(1));
            for &clients in &sweep {
                measure(&mut group, &drivers, scenario, clients);
            }
            group.finish();
        }
        if repeat > 1 && settings::measuring() {
            eprintln!(
                "[{}] repetition {} of {repeat} done",
                workload.name,
                repetition + 1
            );
            repetitions.push(report::or_exit(report::load_since(workload, started)));
        }
    }
    criterion.final_summary();
    drop(drivers);
    if settings::measuring() {
        if let Some(progress) = PROGRESS.get() {
            progress.finish();
        }
        report::after_bench(workload, run_started, repetitions);
    }
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
    fn shares_add_up() {
        for clients in 1..9 {
            for iters in [0, 1, 7, 1000, 1001] {
                let sum: u64 = (0..clients).map(|c| share(iters, clients, c)).sum();
                assert_eq!(sum, iters);
            }
        }
    }
}
