//! Jobs benchmarks, on the workbench's latency harness rather than the
//! throughput runner:
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

use std::time::Duration;

use benches::harness::Harness;
use benches::workloads::jobs::measure::{
    CALLERS, COSTS_US, IDLE, MEASURE, RUNNERS, idle_heartbeat, rounds_per_us, run_every_runner,
};
use benches::workloads::jobs::render::render;
use benches::workloads::jobs::workload;
use patterns::drive::{AsyncStd, Driver, Tokio};

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
