//! Jobs benchmarks, on the workbench's latency harness rather than the
//! throughput runner: each cell needs three results from the same run
//! (throughput, the latency distribution of jobs, and the lag of a
//! heartbeat task on the same runtime), and percentiles rather than a mean.
//!
//! A cell: one runner, one job kind (CPU spin or blocking sleep) and cost
//! (10 µs to 1 ms), on one executor (tokio multi-thread with one worker per
//! core, or async-std's), with jobs *arriving* at a rate (open loop): 16
//! callers, each on its own schedule, at half and at nine tenths of the
//! nominal capacity (a job per core per cost), latency timed from each
//! job's intended submission, jobs never completed counted. Beside them a
//! heartbeat task sleeps 1 ms at a time and records how late each wake-up
//! is: what blocking an executor thread does to everything else on it.
//! Runners are built before the cell and shut down after it.
//!
//! `cargo bench --bench jobs` runs every cell (about four minutes on two
//! cores; a quarter of that with `-- --quick`) and writes
//! `target/workbench-report/jobs.md` and `.csv`; `--test` runs one short
//! cell per runner and executor and writes nothing; a name filter keeps
//! only the cells whose name contains it (`cargo bench --bench jobs --
//! pool`).

use std::time::Duration;

use benches::harness::Harness;
use benches::workloads::jobs::measure::{
    COSTS_US, GRACE, IDLE, LOADS, MEASURE, WARM_UP, idle_heartbeat, rounds_per_us,
    run_every_runner, runners,
};
use benches::workloads::jobs::render::{parameters, rows};
use benches::workloads::jobs::workload;
use patterns::drive::{AsyncStd, Driver, Tokio};

fn main() {
    let Some(mut harness) = Harness::from_args() else {
        return;
    };
    let workload = workload();
    // Two executors, two kinds, every cost and caller count.
    let cells = runners() * 2 * 2 * COSTS_US.len() * LOADS.len();
    harness.plan(
        &workload,
        cells,
        harness.duration(WARM_UP + MEASURE + GRACE / 2) + Duration::from_millis(30),
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

    let parameters = parameters(harness.duration(MEASURE), harness.duration(GRACE));
    let rows = if cells.is_empty() {
        String::new()
    } else {
        benches::results::write(&rows(&cells, &idle))
    };
    harness.finish(&workload, rows, parameters);
}
