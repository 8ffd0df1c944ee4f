//! The jobs report's tables and its CSV rows.

use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;

use super::measure::{CALLERS, Cell, GRACE, HEARTBEAT, Kind, LOADS};
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
        measured_for.as_millis(),
        GRACE.as_millis(),
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
            offered_per_sec: None,
            due: None,
            unanswered: None,
            idle_callers: None,
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
        for cell in cells
            .iter()
            .filter(|c| (c.executor, c.kind, c.cost_us) == (executor, kind, cost_us))
        {
            let rate = cell.jobs as f64 / cell.elapsed.as_secs_f64();
            // An empty histogram reads as zero: say "–" instead (and leave
            // the CSV cell empty).
            let of = |h: &Histogram<u64>, q: f64| (!h.is_empty()).then(|| h.value_at_quantile(q));
            let shown = |v: Option<u64>| v.map_or("–".to_string(), time);
            let (h50, h99, hmax) = (
                of(&cell.heartbeat, 0.5),
                of(&cell.heartbeat, 0.99),
                of(&cell.heartbeat, 1.0),
            );
            let (l50, l99) = (of(&cell.latency, 0.5), of(&cell.latency, 0.99));
            table.row(&[
                cell.runner.to_string(),
                si(cell.offered),
                si(rate),
                shown(l50),
                shown(l99),
                format!("{} of {}", cell.unanswered, cell.due),
                format!("{} of {}", cell.idle_callers, cell.callers),
                shown(h50),
                shown(h99),
                shown(hmax),
            ]);
            rows.push(JobsRow {
                executor: executor.to_string(),
                kind: kind.name().to_string(),
                cost_us: u64::from(cost_us),
                runner: cell.runner.to_string(),
                callers: cell.callers,
                jobs_per_sec: Some(rate),
                job_p50_ns: l50,
                job_p99_ns: l99,
                heartbeat_p50_ns: h50,
                heartbeat_p99_ns: h99,
                heartbeat_max_ns: hmax,
                offered_per_sec: Some(cell.offered),
                due: Some(cell.due),
                unanswered: Some(cell.unanswered),
                idle_callers: Some(cell.idle_callers as u64),
            });
        }
        md.push_str(&table.finish());
    }
    (md, crate::results::write(&rows))
}
