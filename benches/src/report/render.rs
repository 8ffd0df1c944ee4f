//! The Markdown and CSV of a throughput workload: per scenario a one-line
//! summary, the charts (placed by the page), then two tables folded
//! beneath them: throughput (rows: style and driver; columns: clients;
//! cells: aggregate operations per second with their range and the
//! fraction of a baseline with its interval) and what an operation costs
//! (CPU time, context switches, allocations, fairness).

use super::cells::Measurement;
use super::environment::Environment;
use super::stats::MIN_PAIRS;
use super::table::{MdTable, ScenarioTable, si};
use super::workload::Workload;
use crate::results::CellRow;

/// The header every report starts with: title, the book's anchor, the
/// environment, and what the reader must know.
pub fn header(workload: &Workload, environment: &Environment) -> String {
    let mut md = format!(
        "# {} benchmark results\n\n<!-- ANCHOR: body -->\n{}\n",
        workload.name,
        environment.markdown()
    );
    if !workload.about.is_empty() {
        md.push_str(&format!("{}\n\n", workload.about));
    }
    md
}

/// Closes what [`header`] opened.
pub const FOOTER: &str = "<!-- ANCHOR_END: body -->\n";

/// A correct style on its own runtime should reach this fraction of its
/// primitive's throughput (within 1.5 times of it).
pub const BAR: f64 = 0.67;

/// A ratio whose whole interval lies above this says the baseline is not
/// a floor for the style: the report names it, for the baseline to be
/// fixed or the reason explained.
pub const ABOVE_FLOOR: f64 = 1.1;

/// Half an interquartile range of this many percent or more is shown.
const SHOWN_SPREAD_PERCENT: f64 = 5.0;

/// Where the page puts a chart: `<!-- chart: <file stem> -->`.
pub fn chart_marker(stem: &str) -> String {
    format!("<!-- chart: {stem} -->")
}

/// A row's baseline: (its row, its short name), and whether `driver` is
/// the baseline's own runtime (the row the bar applies to).
fn baseline_of<'w>(
    workload: &'w Workload,
    style: &str,
    driver: &str,
) -> Option<(&'w str, &'w str, bool)> {
    let (_, row) = workload.baselines().iter().find(|(s, _)| *s == style)?;
    let name = row
        .split_once('@')
        .map_or(*row, |(s, _)| s)
        .trim_start_matches("baseline_");
    Some((row, name, row.ends_with(&format!("@{driver}"))))
}

/// The best row of a column by one figure (`higher` is better or not),
/// with the figure's range over the rounds.
fn best<'m>(
    cells: &[&'m Measurement],
    figure: impl Fn(&Measurement) -> f64,
    higher: bool,
) -> Option<&'m Measurement> {
    cells
        .iter()
        .copied()
        .filter(|m| figure(m).is_finite())
        .max_by(|a, b| {
            let (x, y) = (figure(a), figure(b));
            if higher {
                x.total_cmp(&y)
            } else {
                y.total_cmp(&x)
            }
        })
}

/// Formats a CPU time per operation: `12.3 ns`, `4.1 µs`.
fn cpu(ns: f64) -> String {
    if !ns.is_finite() {
        return "–".into();
    }
    match ns {
        n if n >= 1e6 => format!("{:.1} ms", n / 1e6),
        n if n >= 1e3 => format!("{:.1} µs", n / 1e3),
        n => format!("{n:.1} ns"),
    }
}

/// Formats a per-operation count with the precision it needs.
fn per_op(x: f64) -> String {
    match x {
        x if !x.is_finite() => "–".into(),
        0.0 => "0".into(),
        x if x >= 10.0 => format!("{x:.0}"),
        x if x >= 0.1 => format!("{x:.2}"),
        x => format!("{x:.4}"),
    }
}

pub fn render(
    workload: &Workload,
    measurements: &[Measurement],
    environment: &Environment,
) -> (String, String) {
    let cores = environment.cores;
    let mut md = header(workload, environment);
    md.push_str(&format!(
        "Each cell was measured in interleaved rounds: every round runs every row of the cell once, \
         in a shuffled order, for a fixed window after a warm-up, the style built afresh. Cells are \
         aggregate operations per second over all clients, the median of the rounds (higher is \
         better), with [slowest–fastest] round. † marks a cell that may have more threads runnable \
         than there are cores ({cores}): its clients plus what the style keeps busy besides them \
         (an owner thread, a pool's workers, a blocking thread per call); a column whose client \
         count alone exceeds the cores is marked in its header.\n"
    ));
    if !workload.baselines().is_empty() {
        md.push_str(&format!(
            "\nEach style is held against a baseline: the raw primitive it is built on, written \
             by hand with no trait, no registry and no wrapper future per operation, on the \
             runtime the style belongs to, measured in the same rounds (the `baseline_…` rows). A \
             cell gives its throughput as a fraction of that baseline's (×: the median of the \
             rounds' paired ratios, with a distribution-free interval for it: with five rounds, \
             the pairs' range, which holds the true median with 94% probability), under every \
             driver. ▼ marks a cell of a correct style on its own runtime, without †, from at \
             least {MIN_PAIRS} pairs, whose whole interval lies below the bar of {BAR}× (1.5 times \
             slower than its primitive, or worse); ▲ one whose whole interval lies above \
             {ABOVE_FLOOR}×: the baseline is then no floor for that style, which the book must \
             explain.\n"
        ));
    }
    md.push_str(&format!(
        "\n±: half the interquartile range of the rounds, as a share of the median, shown from \
         {SHOWN_SPREAD_PERCENT}%. The cost table gives, per operation and as medians of the rounds: \
         the CPU time of the whole process (user and system, every thread: clients, owners, \
         workers, blocking pools), voluntary and involuntary context switches, allocations, and \
         the slowest client's share of an even split of the work (1.00: every client did as much; \
         near 0: one starved). The CSV has every figure, with Jain's index and the VM's steal \
         time; `{}.samples.csv` has every round.\n",
        workload.name
    ));
    let mut rows_out: Vec<CellRow> = Vec::new();

    for scenario in workload.scenarios() {
        let group = scenario.name.as_str();
        let Some(table) = ScenarioTable::of(measurements, group) else {
            md.push_str(&format!("\n## {group}\n\nNot measured in this run.\n"));
            continue;
        };
        md.push_str(&format!(
            "\n## {group}\n\nClients run in a loop; {}.\n\n",
            scenario.about
        ));
        md.push_str(&summary(&table, cores));
        md.push_str(&format!(
            "\n{}\n\n{}\n",
            chart_marker(group),
            chart_marker(&format!("{group}-cost"))
        ));

        let mut header = vec!["style".to_string(), "driver".to_string()];
        for c in &table.clients {
            let mark = if *c > cores { " †" } else { "" };
            header.push(format!(
                "{c} client{}{mark}",
                if *c == 1 { "" } else { "s" }
            ));
        }
        let mut throughput = MdTable::new(&header, 2);
        let mut costs = MdTable::new(&header, 2);

        let (mut below, mut above) = (Vec::new(), Vec::new());
        for &row in &table.rows {
            let (style, driver) = row.split_once('@').unwrap_or((row, "?"));
            let baseline = baseline_of(workload, style, driver);
            let flagged = workload.is_flagged(style);
            let mark = if flagged { " ⚠" } else { "" };
            let mut line = vec![format!("{style}{mark}"), driver.to_string()];
            let mut cost_line = line.clone();
            for c in &table.clients {
                let Some(m) = table.cells.get(&(row, *c)) else {
                    line.push("–".to_string());
                    cost_line.push("–".to_string());
                    continue;
                };
                let ratio = baseline
                    .and_then(|(b, _, _)| table.cells.get(&(b, *c)))
                    .and_then(|b| m.ratio_to(b));
                let judged = baseline.is_some_and(|(_, _, own)| own)
                    && !flagged
                    && !m.oversubscribed()
                    && ratio.is_some_and(|(_, pairs)| pairs >= MIN_PAIRS);
                let below_bar = judged && ratio.is_some_and(|(r, _)| r.high < BAR);
                let above_floor = judged && ratio.is_some_and(|(r, _)| r.low > ABOVE_FLOOR);
                let mut cell = si(m.ops_per_sec());
                if let Some((slowest, fastest)) = m.range() {
                    cell.push_str(&format!(" [{}–{}]", si(slowest), si(fastest)));
                }
                if let Some(spread) = m.spread().filter(|s| s * 50.0 >= SHOWN_SPREAD_PERCENT) {
                    cell.push_str(&format!(" ±{:.0}%", spread * 50.0));
                }
                if m.oversubscribed() && *c <= cores {
                    cell.push_str(" †");
                }
                if let (Some((r, pairs)), Some((_, name, _))) = (ratio, baseline) {
                    if pairs > 1 {
                        cell.push_str(&format!(
                            " ({:.2}× [{:.2}–{:.2}] {name})",
                            r.median, r.low, r.high
                        ));
                    } else {
                        cell.push_str(&format!(" ({:.2}× {name})", r.median));
                    }
                }
                let plural = if *c == 1 { "" } else { "s" };
                if below_bar {
                    cell.push_str(" ▼");
                    below.push(format!(
                        "{style} with {c} client{plural} ({:.2}×)",
                        ratio.map_or(0.0, |(r, _)| r.median)
                    ));
                }
                if above_floor {
                    cell.push_str(" ▲");
                    above.push(format!(
                        "{style} with {c} client{plural} ({:.2}×)",
                        ratio.map_or(0.0, |(r, _)| r.median)
                    ));
                }
                line.push(cell);
                cost_line.push(format!(
                        "{} CPU · {} sw · {} alloc · {:.2} fair",
                        cpu(m.median_of(|r| r.cpu_ns_per_op)),
                        per_op(m.median_of(
                            |r| r.voluntary_switches_per_op + r.involuntary_switches_per_op
                        )),
                        per_op(m.median_of(|r| r.allocations_per_op)),
                        m.median_of(|r| r.slowest_client_share)
                    ));
                rows_out.push(cell_row(
                    group, style, driver, m, baseline, ratio, flagged, below_bar,
                ));
            }
            throughput.row(&line);
            costs.row(&cost_line);
        }
        md.push_str(&format!(
            "\n<details><summary>Throughput, every row</summary>\n\n{}",
            throughput.finish()
        ));
        if !below.is_empty() {
            md.push_str(&format!(
                "\n▼ Below the bar of {BAR}× its own baseline, over the whole interval: {}. The \
                 book's chapter says which gaps are inherent to the style and which are not.\n",
                below.join(", ")
            ));
        }
        if !above.is_empty() {
            md.push_str(&format!(
                "\n▲ Above {ABOVE_FLOOR}× its own baseline, over the whole interval (the baseline \
                 is no floor here): {}.\n",
                above.join(", ")
            ));
        }
        md.push_str("\n</details>\n");
        md.push_str(&format!(
            "\n<details><summary>What an operation costs, every row</summary>\n\n{}\n</details>\n",
            costs.finish()
        ));
        for (style, why) in &workload.flagged {
            if table
                .rows
                .iter()
                .any(|r| r.split('@').next() == Some(*style))
            {
                md.push_str(&format!("\n⚠ {style}: {why}.\n"));
            }
        }
    }
    md.push_str(FOOTER);
    (md, crate::results::write(&rows_out))
}

/// The line that opens a scenario: at the most clients that fit the
/// cores, the best row on each cost axis, with its range.
fn summary(table: &ScenarioTable<'_>, cores: usize) -> String {
    let Some(&column) = table.clients.iter().filter(|c| **c <= cores).max() else {
        return String::new();
    };
    let cells: Vec<&Measurement> = table
        .rows
        .iter()
        .filter(|r| !r.starts_with("baseline"))
        .filter_map(|r| table.cells.get(&(*r, column)).copied())
        .collect();
    let mut parts = Vec::new();
    if let Some(m) = best(&cells, Measurement::ops_per_sec, true) {
        let range = m
            .range()
            .map(|(lo, hi)| format!(" [{}–{}]", si(lo), si(hi)))
            .unwrap_or_default();
        parts.push(format!(
            "fastest `{}`, {} ops/s{range}",
            m.row,
            si(m.ops_per_sec())
        ));
    }
    if let Some(m) = best(&cells, |m| m.median_of(|r| r.cpu_ns_per_op), false) {
        parts.push(format!(
            "least CPU per operation `{}`, {}",
            m.row,
            cpu(m.median_of(|r| r.cpu_ns_per_op))
        ));
    }
    if let Some(m) = best(&cells, |m| m.median_of(|r| r.slowest_client_share), false) {
        parts.push(format!(
            "least fair `{}`, slowest client {:.2} of an even share",
            m.row,
            m.median_of(|r| r.slowest_client_share)
        ));
    }
    if parts.is_empty() {
        return String::new();
    }
    format!(
        "With {column} client{}: {}.\n",
        if column == 1 { "" } else { "s" },
        parts.join("; ")
    )
}

#[allow(clippy::too_many_arguments)]
fn cell_row(
    group: &str,
    style: &str,
    driver: &str,
    m: &Measurement,
    baseline: Option<(&str, &str, bool)>,
    ratio: Option<(super::stats::Interval, usize)>,
    flagged: bool,
    below_bar: bool,
) -> CellRow {
    let finite = |x: f64| x.is_finite().then_some(x);
    let range = m.range();
    let cpu_ns = m.median_of(|r| r.cpu_ns_per_op);
    CellRow {
        scenario: group.to_string(),
        style: style.to_string(),
        driver: driver.to_string(),
        clients: m.clients,
        oversubscribed: m.oversubscribed(),
        ops_per_sec: m.ops_per_sec(),
        median_ns_per_op: m.median_ns_per_op(),
        baseline: baseline.map(|(_, name, _)| name.to_string()),
        fraction_of_baseline: ratio.map(|(r, _)| r.median),
        breaks_contract: flagged,
        spread_iqr: m.spread(),
        repeats: m.rounds.len(),
        ops_per_sec_slowest: range.map(|r| r.0),
        ops_per_sec_fastest: range.map(|r| r.1),
        below_bar,
        fraction_low: ratio.map(|(r, _)| r.low),
        fraction_high: ratio.map(|(r, _)| r.high),
        runnable_threads: Some(m.runnable_threads),
        cpu_ns_per_op: finite(cpu_ns),
        ops_per_cpu_sec: finite(1e9 / cpu_ns).filter(|x| *x > 0.0),
        voluntary_switches_per_op: finite(m.median_of(|r| r.voluntary_switches_per_op)),
        involuntary_switches_per_op: finite(m.median_of(|r| r.involuntary_switches_per_op)),
        allocations_per_op: finite(m.median_of(|r| r.allocations_per_op)),
        allocated_bytes_per_op: finite(m.median_of(|r| r.allocated_bytes_per_op)),
        slowest_client_share: finite(m.median_of(|r| r.slowest_client_share)),
        jain: finite(m.median_of(|r| r.jain)),
        steal_share: finite(m.steal_share()),
    }
}
