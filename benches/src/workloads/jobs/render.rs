//! The jobs report's rows (from the cells and the idle heartbeats), and
//! its tables (from the rows alone, so a rebuild makes the same report).

use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;

use super::measure::{CALLERS, Cell, HEARTBEAT, LOADS};
use crate::report::environment::{Environment, Parameters};
use crate::report::table::MdTable;
use crate::report::workload::{Rendered, Workload};
use crate::report::{si, time};
use crate::results::JobsRow;

/// The idle heartbeats and the cells as rows: an idle heartbeat is a row
/// of kind `idle` with runner `none` and no callers, its percentiles in
/// the heartbeat columns.
pub fn rows(cells: &[Cell], idle: &[(&str, Histogram<u64>)]) -> Vec<JobsRow> {
    let mut rows: Vec<JobsRow> = Vec::new();
    for (executor, h) in idle {
        rows.push(JobsRow {
            executor: executor.to_string(),
            kind: "idle".to_string(),
            cost_us: 0,
            runner: "none".to_string(),
            callers: 0,
            jobs_per_sec: None,
            job_p50_ns: None,
            job_p99_ns: None,
            heartbeat_p50_ns: Some(h.value_at_quantile(0.5)),
            heartbeat_p99_ns: Some(h.value_at_quantile(0.99)),
            heartbeat_max_ns: Some(h.max()),
            offered_per_sec: None,
            due: None,
            unanswered: None,
            idle_callers: None,
        });
    }
    for cell in cells {
        // An empty histogram reads as zero: leave the cell empty instead.
        let of = |h: &Histogram<u64>, q: f64| (!h.is_empty()).then(|| h.value_at_quantile(q));
        rows.push(JobsRow {
            executor: cell.executor.to_string(),
            kind: cell.kind.name().to_string(),
            cost_us: u64::from(cell.cost_us),
            runner: cell.runner.to_string(),
            callers: cell.callers,
            jobs_per_sec: Some(cell.jobs as f64 / cell.elapsed.as_secs_f64()),
            job_p50_ns: of(&cell.latency, 0.5),
            job_p99_ns: of(&cell.latency, 0.99),
            heartbeat_p50_ns: of(&cell.heartbeat, 0.5),
            heartbeat_p99_ns: of(&cell.heartbeat, 0.99),
            heartbeat_max_ns: of(&cell.heartbeat, 1.0),
            offered_per_sec: Some(cell.offered),
            due: Some(cell.due),
            unanswered: Some(cell.unanswered),
            idle_callers: Some(cell.idle_callers as u64),
        });
    }
    rows
}

/// What the report needs besides the rows: each cell's window and the
/// grace after it.
pub fn parameters(window: Duration, grace: Duration) -> Parameters {
    Parameters::durations(&[("window", window), ("grace", grace)])
}

/// The jobs report, from its rows and [`parameters`].
pub fn report(
    workload: &Workload,
    rows: &str,
    environment: &Environment,
) -> Result<Rendered, String> {
    let (window, grace) = (
        environment.run.duration("window")?,
        environment.run.duration("grace")?,
    );
    crate::report::from_rows(workload, rows, environment, |md, rows| {
        render(md, rows, environment.cores, window, grace);
        Ok(Vec::new())
    })
}

fn render(md: &mut String, rows: &[JobsRow], cores: usize, window: Duration, grace: Duration) {
    let _ = writeln!(
        md,
        "Open loop: {CALLERS} callers, each submitting on its own schedule, together at {} of the nominal capacity \
         (one job per core per job cost: {cores} cores here), measured for {} ms. A caller waits for its result \
         before its next job, so at most {CALLERS} are in flight; one behind schedule submits at once and its \
         latency runs from when it should have submitted (one on schedule is timed from its timer's wake: a \
         runtime's timer is a millisecond coarse). *jobs/s*: jobs of the window completed, per second. \
         *unanswered*: jobs due in the window and not completed {} ms after it, charged the time they waited. \
         *idle callers*: callers that completed no job at all. *heartbeat p50 / p99 / max*: how late a task \
         sleeping {} ms at a time on the same executor woke up (its idle figures are below); the executors have \
         one worker per core (async-std: its own count).",
        LOADS
            .iter()
            .map(|l| format!("{:.0}%", l * 100.0))
            .collect::<Vec<_>>()
            .join(" and "),
        window.as_millis(),
        grace.as_millis(),
        HEARTBEAT.as_millis(),
    );
    let shown = |v: Option<u64>| v.map_or("–".to_string(), time);
    md.push_str("\n## The heartbeat alone\n\n");
    let mut table = MdTable::new(&["executor", "p50", "p99", "max"], 1);
    let idle = |r: &&JobsRow| r.runner == "none";
    for r in rows.iter().filter(idle) {
        table.row(&[
            r.executor.clone(),
            shown(r.heartbeat_p50_ns),
            shown(r.heartbeat_p99_ns),
            shown(r.heartbeat_max_ns),
        ]);
    }
    md.push_str(&table.finish());
    // One section per executor, kind and cost, in the order measured.
    let mut sections: Vec<(&str, &str, u64)> = Vec::new();
    for r in rows.iter().filter(|r| !idle(r)) {
        let key = (r.executor.as_str(), r.kind.as_str(), r.cost_us);
        if !sections.contains(&key) {
            sections.push(key);
        }
    }
    for (executor, kind, cost_us) in sections {
        let what = match kind {
            "cpu" => format!("{cost_us} µs of CPU work"),
            "sleep" => format!("a {cost_us} µs blocking sleep"),
            other => format!("of kind {other}, {cost_us} µs"),
        };
        let _ = write!(
            md,
            "\n## {executor}, {kind} {cost_us} µs\n\nEach job is {what}.\n\n"
        );
        let mut table = MdTable::new(
            &[
                "runner",
                "offered",
                "jobs/s",
                "job p50",
                "job p99",
                "unanswered",
                "idle callers",
                "heartbeat p50",
                "heartbeat p99",
                "heartbeat max",
            ],
            1,
        );
        let count = |v: Option<u64>| v.map_or("–".to_string(), |n| n.to_string());
        for r in rows.iter().filter(|r| {
            !idle(r)
                && (r.executor.as_str(), r.kind.as_str(), r.cost_us) == (executor, kind, cost_us)
        }) {
            table.row(&[
                r.runner.clone(),
                r.offered_per_sec.map_or("–".to_string(), si),
                r.jobs_per_sec.map_or("–".to_string(), si),
                shown(r.job_p50_ns),
                shown(r.job_p99_ns),
                format!("{} of {}", count(r.unanswered), count(r.due)),
                format!("{} of {}", count(r.idle_callers), r.callers),
                shown(r.heartbeat_p50_ns),
                shown(r.heartbeat_p99_ns),
                shown(r.heartbeat_max_ns),
            ]);
        }
        md.push_str(&table.finish());
    }
}
