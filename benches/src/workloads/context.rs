//! The context workload runs on the latency harness; its cells are
//! described in `benches/benches/context.rs`, and [`report`] makes its
//! report from the rows and the cell's duration the bench saved.

use std::fmt::Write as _;
use std::time::Duration;

use crate::report::environment::{Environment, Parameters};
use crate::report::table::MdTable;
use crate::report::workload::{Rendered, Source, Workload};
use crate::results::ContextRow;

/// Reads of its context by one request in the per-read cells.
pub const READS: usize = 1_000;

pub fn workload() -> Workload {
    Workload {
        name: "context",
        source: Source::Rows { render: report },
        flagged: super::flag("context", ""),
        about: "tokio multi-thread runtime, one worker per core. The broken styles (global, thread_local) are not measured.",
        typical_seconds: 15,
    }
}

/// What the report needs besides the rows: how long each cell measured.
pub fn parameters(duration: Duration) -> Parameters {
    Parameters::durations(&[("duration", duration)])
}

/// The context report, from its rows and [`parameters`].
pub fn report(
    workload: &Workload,
    rows: &str,
    environment: &Environment,
) -> Result<Rendered, String> {
    let duration = environment.run.duration("duration")?;
    crate::report::from_rows(workload, rows, environment, |md, rows| {
        render(md, rows, duration);
        Ok(Vec::new())
    })
}

/// The context report's tables, from its rows, after the header: the cost
/// of each style (one row per metric, gathered back per style and
/// concurrency) and, if measured, the visitor-id bursts.
fn render(md: &mut String, rows: &[ContextRow], duration: Duration) {
    let value = |kind: &str, style: &str, concurrent: usize, metric: &str| {
        rows.iter()
            .find(|r| {
                r.kind == kind
                    && r.style == style
                    && r.concurrent == concurrent
                    && r.metric == metric
            })
            .map_or(f64::NAN, |r| r.value)
    };
    // Each (style, concurrency) once, in the order measured.
    let mut cells: Vec<(&str, usize)> = Vec::new();
    for r in rows.iter().filter(|r| r.kind == "cost") {
        if !cells.contains(&(r.style.as_str(), r.concurrent)) {
            cells.push((&r.style, r.concurrent));
        }
    }
    let _ = writeln!(
        md,
        "Each cell: requests that read their context once (per request) or {READS} times (per read: the \
         difference, divided), for about {} ms in five rounds (the median), with 1 or 64 requests in flight. \
         The ratio is to `explicit` with the same concurrency, in the same run. CPU and allocations per \
         request: the whole process's CPU time (every worker) and allocations over the round, per request \
         that read its context once.",
        duration.as_millis()
    );
    md.push_str("\n## Cost of asking who is calling\n\n");
    let mut table = MdTable::new(
        &[
            "style",
            "requests in flight",
            "per read",
            "per request",
            "per request / explicit",
            "CPU per request",
            "allocations per request",
        ],
        1,
    );
    for (style, concurrent) in cells {
        let v = |metric| value("cost", style, concurrent, metric);
        table.row(&[
            style.to_string(),
            concurrent.to_string(),
            format!("{:.1} ns", v("per_read")),
            format!("{:.0} ns", v("per_request")),
            format!("{:.2}×", v("ratio_to_explicit")),
            format!("{:.0} ns", v("cpu_per_request")),
            format!("{:.2}", v("allocations_per_request")),
        ]);
    }
    md.push_str(&table.finish());
    let bursts: Vec<&ContextRow> = rows
        .iter()
        .filter(|r| r.kind == "visitor_ids" && r.metric == "duplicates")
        .collect();
    let Some(first) = bursts.first() else {
        return;
    };
    let burst = first.concurrent;
    let _ = write!(
        md,
        "\n## Visitor ids in a burst\n\n{burst} registrations made as fast as one thread can: how many ids \
         were duplicates. The seed's scheme is unique only across milliseconds; within one, two draws of \
         six base-36 characters (36^6, about 2.2 billion) collide with the birthday odds.\n\n"
    );
    let mut table = MdTable::new(
        &["id scheme", "duplicates", "burst lasted", "ids per ms"],
        1,
    );
    for row in bursts {
        let millis = value("visitor_ids", &row.style, burst, "burst");
        table.row(&[
            row.style.clone(),
            format!("{}", row.value),
            format!("{millis} ms"),
            format!("{:.0}", burst as f64 / millis),
        ]);
    }
    md.push_str(&table.finish());
}
