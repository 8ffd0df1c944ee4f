//! Shared machinery of the benchmarks: the client sweep, criterion's
//! settings, the timing harness every workload uses, and the side-by-side
//! report written after a run.

pub mod chart;
pub mod environment;
pub mod report;

use std::time::Duration;

use criterion::Criterion;

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

pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Splits `iters` operations among `clients` so that every client does its
/// share and the shares add up to exactly `iters`.
pub fn share(iters: u64, clients: usize, client: usize) -> u64 {
    let clients = clients as u64;
    iters / clients + u64::from((client as u64) < iters % clients)
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
    fn client_lists_are_validated() {
        assert_eq!(parse_clients("4, 1,2,2").unwrap(), vec![1, 2, 4]);
        for bad in ["", "0", "1,x", "-1", "100000"] {
            let err = parse_clients(bad).unwrap_err();
            assert!(err.contains("WORKBENCH_CLIENTS"), "{err}");
        }
    }
}
