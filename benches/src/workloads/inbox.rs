//! The inbox workload runs on the latency harness; its cells are
//! described in `benches/benches/inbox.rs`, and [`report`] makes its
//! report from the rows and the window the bench saved.

use std::fmt::Write as _;
use std::time::Duration;

use crate::harness::nanos;
use crate::report::environment::{Environment, Parameters};
use crate::report::table::{MdTable, bytes};
use crate::report::workload::{Rendered, Source, Workload};
use crate::report::{si, time};
use crate::results::InboxRow;

/// What the owner spends on each message: a CPU-busy wait, so the owner's
/// capacity is about `1 / SERVICE`.
pub const SERVICE: Duration = Duration::from_micros(10);

/// Offered loads, as fractions of the owner's capacity: one it keeps up
/// with, and one twice what it can do.
pub const LOADS: [f64; 2] = [0.5, 2.0];

/// Producers, each on its own schedule.
pub const PRODUCERS: usize = 4;

pub fn workload() -> Workload {
    Workload {
        name: "inbox",
        source: Source::Rows { render: report },
        flagged: super::flag("inbox", ""),
        about: "The owner task runs on a tokio runtime of its own (one worker), the producers on another (one worker), so that a busy owner never delays a producer's schedule and the two share nothing but the channel.",
        typical_seconds: 12,
    }
}

/// What the report needs besides the rows: how long load was offered.
pub fn parameters(window: Duration) -> Parameters {
    Parameters::durations(&[("window", window)])
}

/// The inbox report, from its rows and [`parameters`].
pub fn report(
    workload: &Workload,
    rows: &str,
    environment: &Environment,
) -> Result<Rendered, String> {
    let window = environment.run.duration("window")?;
    crate::report::from_rows(workload, rows, environment, |md, rows| {
        render(md, rows, window);
        Ok(Vec::new())
    })
}

/// The inbox report's table, from its rows, after the header.
fn render(md: &mut String, rows: &[InboxRow], window: Duration) {
    let _ = writeln!(
        md,
        "Each cell: {PRODUCERS} producers on their own schedules offer messages for {} ms to one owner \
         that spends {} of CPU on each (about {} a second), then the inbox is closed and drained. \
         Latency runs from a message's intended send to its handling, for the accepted ones; a producer \
         that a full inbox holds back falls behind its schedule, and the messages it never got to offer \
         are counted as held back. The backlog's bytes are its peak length times a message's size; memory is \
         the process's resident set at its peak (sampled every 10 ms) over its value at the cell's start, \
         which memory an earlier cell freed can hide.\n",
        window.as_millis(),
        time(nanos(SERVICE)),
        si(1.0 / SERVICE.as_secs_f64()),
    );
    let mut table = MdTable::new(
        &[
            "style",
            "offered",
            "accepted",
            "refused",
            "held back",
            "handled / s",
            "latency p50",
            "p99",
            "max",
            "send p99",
            "peak backlog",
            "its bytes",
            "memory",
            "drain",
        ],
        1,
    );
    for row in rows {
        table.row(&[
            row.style.clone(),
            format!("{}/s ({}×)", si(row.offered_per_sec), row.load),
            row.accepted.to_string(),
            row.refused.to_string(),
            row.held_back.to_string(),
            si(row.handled_per_sec),
            time(row.p50_ns),
            time(row.p99_ns),
            time(row.max_ns),
            time(row.send_p99_ns),
            row.peak_backlog.to_string(),
            bytes(row.peak_backlog_bytes as f64),
            bytes(row.peak_rss_growth_bytes as f64),
            time(row.drain_ns),
        ]);
    }
    md.push_str(&table.finish());
}
