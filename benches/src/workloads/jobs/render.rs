//! The jobs report's tables and its CSV rows.

use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;

use super::measure::{Cell, HEARTBEAT, Kind};
use crate::report::table::MdTable;
use crate::report::{si, time};
use crate::results::JobsRow;

pub fn render(
    head: String,
    cells: &[Cell],
    idle: &[(&str, Histogram<u64>)],
    measured_for: Duration,
) -> (String, String) {
    let cores = patterns::sync::cores();
    let mut md = head;
    let _ = writeln!(
        md,
        "Each cell ran its callers for {} ms. *jobs/s*: jobs completed per second by all callers together. \
         *job p50 / p99*: time from submitting a job to having its result. *heartbeat p50 / p99 / max*: how late \
         a task sleeping {} ms at a time on the same executor woke up (its idle figures are below). Caller counts \
         above {cores} are more tasks than cores, which is what async callers are for; the executors have one \
         worker per core (async-std: its own count).",
        measured_for.as_millis(),
        HEARTBEAT.as_millis(),
    );
    md.push_str("\n## The heartbeat alone\n\n");
    let mut table = MdTable::new(&["executor", "p50", "p99", "max"], 1);
    for (executor, h) in idle {
        table.row(&[
            executor.to_string(),
            time(h.value_at_quantile(0.5)),
            time(h.value_at_quantile(0.99)),
            time(h.max()),
        ]);
    }
    md.push_str(&table.finish());
    let mut rows: Vec<JobsRow> = Vec::new();
    // The heartbeat alone, its floor: no runner, no callers, no jobs.
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
        });
    }
    let mut sections: Vec<(&str, Kind, u32)> = Vec::new();
    for cell in cells {
        let key = (cell.executor, cell.kind, cell.cost_us);
        if !sections.contains(&key) {
            sections.push(key);
        }
    }
    for (executor, kind, cost_us) in sections {
        let what = match kind {
            Kind::Spin => format!("{cost_us} µs of CPU work"),
            Kind::Sleep => format!("a {cost_us} µs blocking sleep"),
        };
        let _ = write!(
            md,
            "\n## {executor}, {} {cost_us} µs\n\nEach job is {what}.\n\n",
            kind.name()
        );
        let mut table = MdTable::new(
            &[
                "runner",
                "callers",
                "jobs/s",
                "job p50",
                "job p99",
                "heartbeat p50",
                "heartbeat p99",
                "heartbeat max",
            ],
            1,
        );
        for cell in cells
            .iter()
            .filter(|c| (c.executor, c.kind, c.cost_us) == (executor, kind, cost_us))
        {
            let rate = cell.jobs as f64 / cell.elapsed.as_secs_f64();
            let (l50, l99) = (
                cell.latency.value_at_quantile(0.5),
                cell.latency.value_at_quantile(0.99),
            );
            let (h50, h99, hmax) = (
                cell.heartbeat.value_at_quantile(0.5),
                cell.heartbeat.value_at_quantile(0.99),
                cell.heartbeat.max(),
            );
            table.row(&[
                cell.runner.to_string(),
                cell.callers.to_string(),
                si(rate),
                time(l50),
                time(l99),
                time(h50),
                time(h99),
                time(hmax),
            ]);
            rows.push(JobsRow {
                executor: executor.to_string(),
                kind: kind.name().to_string(),
                cost_us: u64::from(cost_us),
                runner: cell.runner.to_string(),
                callers: cell.callers,
                jobs_per_sec: Some(rate),
                job_p50_ns: Some(l50),
                job_p99_ns: Some(l99),
                heartbeat_p50_ns: Some(h50),
                heartbeat_p99_ns: Some(h99),
                heartbeat_max_ns: Some(hmax),
            });
        }
        md.push_str(&table.finish());
    }
    (md, crate::results::write(&rows))
}
