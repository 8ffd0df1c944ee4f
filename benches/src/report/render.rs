//! The Markdown and CSV of a criterion-measured workload: one table per
//! scenario (rows: style and driver; columns: clients; cells: aggregate
//! operations per second, with the fraction of a baseline where one
//! applies), headed by the environment.

use super::criterion::Measurement;
use super::environment::Environment;
use super::table::{MdTable, ScenarioTable, si};
use super::workload::Workload;

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

/// Half an interquartile range of this many percent or more is shown.
const SHOWN_SPREAD_PERCENT: f64 = 5.0;

pub fn render(
    workload: &Workload,
    measurements: &[Measurement],
    environment: &Environment,
) -> (String, String) {
    let cores = environment.cores;
    let mut md = header(workload, environment);
    md.push_str(
        "Cells are aggregate operations per second over all clients (criterion's median; higher is \
         better). Columns marked † have more clients than cores: oversubscribed.\n",
    );
    if !workload.baselines().is_empty() {
        md.push_str(&format!(
            "\nEach style is held against a baseline: the raw primitive it is built on, written \
             by hand with no trait or future, on the runtime the style belongs to, measured with \
             the same clients in the same run (the `baseline_…` rows). A cell gives its \
             throughput as a fraction of that baseline's (×), under every driver. ▼ marks a cell \
             of a correct style on its own runtime, without oversubscription, below the bar of \
             {BAR}× (1.5 times slower than its primitive, or worse).\n"
        ));
    }
    md.push_str(&format!(
        "±: half the interquartile range of criterion's samples, as a share of the median, shown \
         from {SHOWN_SPREAD_PERCENT}% (a cell whose samples disagree that much is noisy or \
         bimodal; the CSV has every cell's). [a–b]: the slowest and fastest of the run's \
         repetitions (`WORKBENCH_REPEAT`), where the cell is their median.\n",
    ));
    let mut rows_out: Vec<crate::results::CriterionRow> = Vec::new();

    for scenario in workload.scenarios() {
        let group = scenario.name.as_str();
        let Some(ScenarioTable {
            clients,
            rows,
            cells,
        }) = ScenarioTable::of(measurements, group)
        else {
            md.push_str(&format!("\n## {group}\n\nNot measured in this run.\n"));
            continue;
        };

        md.push_str(&format!(
            "\n## {group}\n\nClients run in a loop; {}.\n\n",
            scenario.about
        ));
        let mut header = vec!["style".to_string(), "driver".to_string()];
        for c in &clients {
            let mark = if *c > cores { " †" } else { "" };
            header.push(format!(
                "{c} client{}{mark}",
                if *c == 1 { "" } else { "s" }
            ));
        }
        let mut table = MdTable::new(&header, 2);

        let mut below = Vec::new();
        for &row in &rows {
            let (style, driver) = row.split_once('@').unwrap_or((row, "?"));
            let baseline = workload
                .baselines()
                .iter()
                .find(|(s, _)| *s == style)
                .map(|(_, b)| *b);
            let baseline_name = baseline.map(|b| {
                b.split_once('@')
                    .map_or(b, |(s, _)| s)
                    .trim_start_matches("baseline_")
            });
            // The row the bar applies to: the style on its baseline's runtime.
            let own_runtime = baseline.is_some_and(|b| b.ends_with(&format!("@{driver}")));
            let flagged = workload.is_flagged(style);
            let mark = if flagged { " ⚠" } else { "" };
            let mut line = vec![format!("{style}{mark}"), driver.to_string()];
            for c in &clients {
                let Some(m) = cells.get(&(row, *c)) else {
                    line.push("–".to_string());
                    continue;
                };
                let fraction = baseline
                    .and_then(|b| cells.get(&(b, *c)))
                    .map(|b| m.ops_per_sec() / b.ops_per_sec());
                let below_bar =
                    own_runtime && !flagged && *c <= cores && fraction.is_some_and(|f| f < BAR);
                let mut cell = si(m.ops_per_sec());
                if let Some((slowest, fastest)) = m.repeat_range() {
                    cell.push_str(&format!(" [{}–{}]", si(slowest), si(fastest)));
                }
                if let Some(spread) = m.spread.filter(|s| s * 50.0 >= SHOWN_SPREAD_PERCENT) {
                    cell.push_str(&format!(" ±{:.0}%", spread * 50.0));
                }
                if let (Some(f), Some(name)) = (fraction, baseline_name) {
                    cell.push_str(&format!(" ({f:.2}× {name})"));
                }
                if below_bar {
                    cell.push_str(" ▼");
                    below.push(format!(
                        "{style} with {c} client{} ({:.2}×)",
                        if *c == 1 { "" } else { "s" },
                        fraction.unwrap_or(0.0)
                    ));
                }
                line.push(cell);
                let range = m.repeat_range();
                rows_out.push(crate::results::CriterionRow {
                    scenario: group.to_string(),
                    style: style.to_string(),
                    driver: driver.to_string(),
                    clients: *c,
                    oversubscribed: *c > cores,
                    ops_per_sec: m.ops_per_sec(),
                    median_ns_per_op: m.median_ns_per_op,
                    baseline: baseline_name.map(str::to_string),
                    fraction_of_baseline: fraction,
                    breaks_contract: flagged,
                    spread_iqr: m.spread,
                    repeats: m.repeats.len().max(1),
                    ops_per_sec_slowest: range.map(|r| r.0),
                    ops_per_sec_fastest: range.map(|r| r.1),
                    below_bar,
                });
            }
            table.row(&line);
        }
        md.push_str(&table.finish());
        if !below.is_empty() {
            md.push_str(&format!(
                "\n▼ Below the bar of {BAR}× its own baseline: {}. The book's chapter says which \
                 gaps are inherent to the style and which are not.\n",
                below.join(", ")
            ));
        }
        for (style, why) in &workload.flagged {
            if rows.iter().any(|r| r.split('@').next() == Some(*style)) {
                md.push_str(&format!("\n⚠ {style}: {why}.\n"));
            }
        }
    }
    md.push_str(FOOTER);
    (md, crate::results::write(&rows_out))
}
