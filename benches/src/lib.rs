//! Shared machinery of the benchmarks: the client sweep, criterion's
//! settings, the timing harness every workload uses, and the side-by-side
//! report written after a run.

pub mod chart;
pub mod environment;
pub mod report;

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion};
use patterns::drive::{AsyncStd, ClientOp, Driver, Smol, Threads, Tokio};

/// Criterion settings for the workbench: short warm-up and measurement so a
/// full sweep of every style x driver x clients stays within minutes on two
/// cores. Command-line flags (`--quick`, `--measurement-time`, ...) still
/// override these.
///
/// Criterion's per-benchmark plots are off unless `WORKBENCH_PLOTS=1`:
/// drawing them takes longer than measuring (about 2 s a benchmark on two
/// cores, for hundreds of benchmarks). The side-by-side report is the
/// summary; the HTML report still has every estimate.
pub fn criterion() -> Criterion {
    let criterion = Criterion::default()
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(600))
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

/// The client counts to measure: 1, the number of cores, and twice that
/// (oversubscribed), unless `WORKBENCH_CLIENTS` (e.g. `1,2,4,8`) says
/// otherwise.
pub fn client_sweep() -> Result<Vec<usize>, String> {
    match std::env::var("WORKBENCH_CLIENTS") {
        Ok(list) => parse_clients(&list),
        Err(std::env::VarError::NotPresent) => {
            let cores = cores();
            let mut sweep = vec![1, cores, 2 * cores];
            sweep.dedup();
            Ok(sweep)
        }
        Err(e) => Err(format!("WORKBENCH_CLIENTS: {e}")),
    }
}

fn parse_clients(list: &str) -> Result<Vec<usize>, String> {
    const MAX_CLIENTS: usize = 1024;
    let mut sweep = Vec::new();
    for item in list.split(',').map(str::trim) {
        match item.parse::<usize>() {
            Ok(n) if (1..=MAX_CLIENTS).contains(&n) => sweep.push(n),
            _ => {
                return Err(format!(
                    "WORKBENCH_CLIENTS={list:?}: {item:?} is not a client count from 1 to {MAX_CLIENTS} \
                     (expected a comma-separated list such as 1,2,4)"
                ));
            }
        }
    }
    sweep.sort_unstable();
    sweep.dedup();
    Ok(sweep)
}

/// The sweep, or a clear message and exit code 2 on bad input.
pub fn client_sweep_or_exit() -> Vec<usize> {
    client_sweep().unwrap_or_else(|message| {
        eprintln!("error: {message}");
        std::process::exit(2);
    })
}

/// Every driver a bench can run its clients on, by `Driver::NAME`.
pub const DRIVERS: [&str; 4] = ["threads", "tokio", "async_std", "smol"];

/// The drivers to measure: `default`, unless `WORKBENCH_DRIVERS` (e.g.
/// `threads,smol`, or `all`) says otherwise.
pub fn driver_choice(default: &[&'static str]) -> Result<Vec<&'static str>, String> {
    match std::env::var("WORKBENCH_DRIVERS") {
        Ok(list) => parse_drivers(&list),
        Err(std::env::VarError::NotPresent) => Ok(default.to_vec()),
        Err(e) => Err(format!("WORKBENCH_DRIVERS: {e}")),
    }
}

fn parse_drivers(list: &str) -> Result<Vec<&'static str>, String> {
    if list.trim() == "all" {
        return Ok(DRIVERS.to_vec());
    }
    let mut chosen = Vec::new();
    for item in list.split(',').map(str::trim) {
        match DRIVERS.iter().find(|d| **d == item) {
            Some(driver) if !chosen.contains(driver) => chosen.push(*driver),
            Some(_) => {}
            None => {
                return Err(format!(
                    "WORKBENCH_DRIVERS={list:?}: {item:?} is not a driver \
                     (expected a comma-separated list of {}, or all)",
                    DRIVERS.join(", ")
                ));
            }
        }
    }
    Ok(chosen)
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
    /// [`DRIVERS`].
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

/// The drivers, or a clear message and exit code 2 on bad input.
pub fn driver_choice_or_exit(default: &[&'static str]) -> Vec<&'static str> {
    driver_choice(default).unwrap_or_else(|message| {
        eprintln!("error: {message}");
        std::process::exit(2);
    })
}

pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
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
    group: &mut BenchmarkGroup<'_, WallTime>,
    id: BenchmarkId,
    driver: &D,
    clients: usize,
    body: B,
) {
    let body = std::sync::Arc::new(body);
    group.bench_function(id, |b| {
        b.iter_custom(|iters| {
            driver.run_ops(
                clients,
                move |id| share(iters, clients, id.0),
                std::sync::Arc::clone(&body),
            )
        })
    });
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

/// Whether this process was started by `cargo bench` for measuring (and so
/// should write the report), not `--test`, `--list` or `--profile-time`.
pub fn measuring() -> bool {
    !std::env::args().any(|a| a == "--test" || a == "--list" || a == "--profile-time")
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

    #[test]
    fn driver_lists_are_validated() {
        assert_eq!(
            parse_drivers("smol, threads,smol").unwrap(),
            ["smol", "threads"]
        );
        assert_eq!(parse_drivers("all").unwrap(), DRIVERS);
        for bad in ["", "thread", "tokio,,smol"] {
            let err = parse_drivers(bad).unwrap_err();
            assert!(
                err.contains("WORKBENCH_DRIVERS") && err.contains("async_std"),
                "{err}"
            );
        }
    }

    #[test]
    fn client_lists_are_validated() {
        assert_eq!(parse_clients("4, 1,2,2").unwrap(), vec![1, 2, 4]);
        for bad in ["", "0", "1,x", "-1", "100000"] {
            let err = parse_clients(bad).unwrap_err();
            assert!(err.contains("WORKBENCH_CLIENTS"), "{err}");
        }
    }
}
