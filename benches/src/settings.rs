//! What a run measures, from the environment and the command line, shared
//! by every bench (the throughput runner's and the latency harness's): the client
//! sweep, the drivers, quick mode, and whether this process measures at all.
//! Bad values are refused with a message naming the setting, never a panic.

use std::time::Duration;

/// Every driver a bench can run its clients on, by `Driver::NAME`, in the
/// order the reports list them.
pub const DRIVERS: [&str; 4] = ["threads", "tokio", "async_std", "smol"];

/// The client counts to measure: 1, the number of cores, and twice that
/// (oversubscribed; not in quick mode), unless `WORKBENCH_CLIENTS` (e.g. `1,2,4,8`) says
/// otherwise.
pub fn client_sweep() -> Result<Vec<usize>, String> {
    match std::env::var("WORKBENCH_CLIENTS") {
        Ok(list) => parse_clients(&list),
        Err(std::env::VarError::NotPresent) => {
            let cores = patterns::sync::cores();
            // Quick mode leaves out the oversubscribed column: a third
            // fewer cells, for a first look in about five minutes.
            let mut sweep = if quick() {
                vec![1, cores]
            } else {
                vec![1, cores, 2 * cores]
            };
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

/// Quick mode: a rough pass of every bench in about a fifth of the full
/// run's time, for `cargo bench -- --quick` or `WORKBENCH_QUICK=1`. Every harness
/// honours it by shortening what it measures; none skips a cell.
pub fn quick() -> bool {
    std::env::args().any(|a| a == "--quick")
        || std::env::var_os("WORKBENCH_QUICK").is_some_and(|v| v == "1")
}

/// A measuring time, shortened in quick mode.
pub fn scaled(full: Duration) -> Duration {
    if quick() { full / 4 } else { full }
}

/// Whether this process was started by `cargo bench` for measuring (and so
/// should write the report), not `--test`, `--list` or `--profile-time`.
pub fn measuring() -> bool {
    !std::env::args().any(|a| a == "--test" || a == "--list" || a == "--profile-time")
}

/// `cargo bench -- ...` passes the same arguments to every bench binary;
/// the first one that is neither a flag nor the value of an option that
/// takes one (criterion's, which earlier versions used, are still skipped
/// so an old command line does not become a filter) is the name filter
/// (`cargo bench -- atomic`).
pub fn name_filter() -> Option<String> {
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
    let args: Vec<String> = std::env::args().skip(1).collect();
    args.iter()
        .enumerate()
        .find(|(i, a)| {
            !a.starts_with('-') && (*i == 0 || !TAKES_VALUE.contains(&args[i - 1].as_str()))
        })
        .map(|(_, a)| a.clone())
}

/// The fewest and most interleaved rounds `WORKBENCH_ROUNDS` may ask for.
pub const ROUNDS: std::ops::RangeInclusive<usize> = 1..=50;

/// Rounds per cell by default: five pairs of each style with its baseline,
/// the fewest from which a median and its interval mean something.
pub const DEFAULT_ROUNDS: usize = 5;

/// How many interleaved rounds a throughput cell is measured in:
/// [`DEFAULT_ROUNDS`] unless `WORKBENCH_ROUNDS=n` says otherwise. Each
/// round runs every row of the cell once, in a shuffled order; a cell's
/// figures are medians over its rounds, shown with their range.
pub fn rounds() -> Result<usize, String> {
    if std::env::var_os("WORKBENCH_REPEAT").is_some() {
        return Err(
            "WORKBENCH_REPEAT is gone: every cell is now measured in interleaved rounds; \
             set WORKBENCH_ROUNDS (default 5) instead"
                .to_string(),
        );
    }
    match std::env::var("WORKBENCH_ROUNDS") {
        Ok(n) => parse_rounds("WORKBENCH_ROUNDS", &n),
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_ROUNDS),
        Err(e) => Err(format!("WORKBENCH_ROUNDS: {e}")),
    }
}

/// Rounds per server cell by default: three, the fewest with a median
/// and a range (a server cell costs a process start and its connections
/// besides its window, five times ten minutes would not fit). One in
/// quick mode.
pub const DEFAULT_SERVER_ROUNDS: usize = 3;

/// How many interleaved rounds the server bench measures each closed- and
/// open-loop cell in: `WORKBENCH_SERVER_ROUNDS=n`, else
/// [`DEFAULT_SERVER_ROUNDS`] (one with `--quick`). Each round walks every
/// cell of the grid once, its servers in a fresh shuffled order.
pub fn server_rounds() -> Result<usize, String> {
    match std::env::var("WORKBENCH_SERVER_ROUNDS") {
        Ok(n) => parse_rounds("WORKBENCH_SERVER_ROUNDS", &n),
        Err(std::env::VarError::NotPresent) if quick() => Ok(1),
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_SERVER_ROUNDS),
        Err(e) => Err(format!("WORKBENCH_SERVER_ROUNDS: {e}")),
    }
}

fn parse_rounds(variable: &str, n: &str) -> Result<usize, String> {
    n.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| ROUNDS.contains(n))
        .ok_or_else(|| {
            format!(
                "{variable}={n:?} is not a number of rounds from {} to {}",
                ROUNDS.start(),
                ROUNDS.end()
            )
        })
}

/// Whether the server bench's open-loop arrivals are Poisson
/// (`WORKBENCH_ARRIVALS=poisson`) rather than evenly spaced (`constant`,
/// the default, as wrk2 sends).
pub fn poisson_arrivals() -> Result<bool, String> {
    match std::env::var("WORKBENCH_ARRIVALS").as_deref() {
        Err(std::env::VarError::NotPresent) | Ok("constant") => Ok(false),
        Ok("poisson") => Ok(true),
        Ok(other) => Err(format!(
            "WORKBENCH_ARRIVALS={other:?} is neither \"constant\" (evenly spaced sends, the default) \
             nor \"poisson\" (exponential gaps)"
        )),
        Err(e) => Err(format!("WORKBENCH_ARRIVALS: {e}")),
    }
}

/// A setting, or its message and exit code 2.
pub fn or_exit<T>(setting: Result<T, String>) -> T {
    setting.unwrap_or_else(|message| {
        eprintln!("error: {message}");
        std::process::exit(2);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn rounds_are_validated() {
        assert_eq!(parse_rounds("WORKBENCH_ROUNDS", " 3").unwrap(), 3);
        for bad in ["", "0", "x", "-2", "51"] {
            let err = parse_rounds("WORKBENCH_SERVER_ROUNDS", bad).unwrap_err();
            assert!(
                err.starts_with("WORKBENCH_SERVER_ROUNDS=") && err.contains("1 to 50"),
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
