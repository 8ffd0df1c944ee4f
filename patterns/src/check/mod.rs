//! The checks that the tests (`patterns/tests/`), their stress runs and the
//! shuttle models (`loom-tests/tests/shuttle/`) share: the linearizability
//! search and each workload's sequential model for it, the watchdog that
//! turns a hang into a failure, and the seeds of a stress run. Each check
//! returns what it found wrong instead of panicking, so the same check can
//! assert that a correct style passes and that a broken one is caught.
//!
//! Nothing here is used by a style: it is the specification side of the
//! workbench, kept in the library so that every checker reads the same one.

pub mod linearizability;
pub mod models;

/// Runs `check` on its own thread and fails, naming `what`, if it has not
/// finished within `limit`: a hang is a failure with a message, not a stuck
/// CI. A panic inside `check` is passed on as it is.
pub fn watchdog<T: Send + 'static>(
    what: &str,
    limit: std::time::Duration,
    check: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (done, outcome) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(check));
        let _ = done.send(result);
    });
    match outcome.recv_timeout(limit) {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("watchdog: {what} did not finish within {limit:?}"),
    }
}

/// The seeds a stress test runs under: `base`, a second fixed one derived
/// from it, and one drawn from the clock, so that each run also tries a
/// layout no earlier run tried (which keys are hot, which accounts share a
/// shard). A failure names its seed; `WORKBENCH_SEED=<n>` replays that one
/// alone.
pub fn stress_seeds(base: u64) -> Vec<u64> {
    if let Ok(seed) = std::env::var("WORKBENCH_SEED") {
        let seed = seed
            .parse()
            .unwrap_or_else(|_| panic!("WORKBENCH_SEED must be a whole number, not {seed:?}"));
        return vec![seed];
    }
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    vec![base, base.rotate_left(29) ^ 0x9E37_79B9_7F4A_7C15, clock]
}

/// `n` distinct values drawn by `draw` (which must be able to produce at
/// least `n` different values).
pub fn distinct(n: usize, mut draw: impl FnMut() -> u64) -> Vec<u64> {
    let mut values = Vec::with_capacity(n);
    while values.len() < n {
        let value = draw();
        if !values.contains(&value) {
            values.push(value);
        }
    }
    values
}

/// A note for a report whose first violation is not the history check's
/// but which also failed it, so that a reader (and `.ci/mutants`, which
/// credits the linearizability check by what the report says) sees both.
pub fn also_not_linearizable(violations: &[String]) -> &'static str {
    let first_is_history = violations
        .first()
        .is_some_and(|v| v.contains("not linearizable"));
    if !first_is_history && violations.iter().any(|v| v.contains("not linearizable")) {
        "; the recorded history is not linearizable either"
    } else {
        ""
    }
}

/// A stress run's verdict from its violations, in the order found: `Ok` if
/// none, else the first, with how many there were, the run's clients and
/// driver, and whether the history check failed too.
pub fn verdict(violations: &[String], clients: usize, driver: &str) -> Result<(), String> {
    match violations.first() {
        None => Ok(()),
        Some(first) => Err(format!(
            "{first} ({} violation(s) in all, {clients} clients under {driver}){}",
            violations.len(),
            also_not_linearizable(violations)
        )),
    }
}
