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

pub fn render(
    workload: &Workload,
    measurements: &[Measurement],
    environment: &Environment,
) -> (String, String) {
    let cores = environment.cores;
    let mut md = header(workload, environment);
    md.push_str(
        "Cells are aggregate operations per second over all clients (criterion's median; higher is \
         better). Where a row has a baseline, the cell also gives its throughput as a fraction of \
         the baseline's with the same clients in the same run. Columns marked † have more clients \
         than cores: oversubscribed.\n",
    );
    let mut csv = String::from(
        "scenario,style,driver,clients,oversubscribed,ops_per_sec,median_ns_per_op,baseline,fraction_of_baseline,breaks_contract\n",
    );

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

        for &row in &rows {
            let (style, driver) = row.split_once('@').unwrap_or((row, "?"));
            let baseline = workload
                .baselines()
                .iter()
                .find(|(r, _)| *r == row)
                .map(|(_, b)| *b);
            let baseline_name = baseline.map(|b| {
                b.split_once('@')
                    .map_or(b, |(s, _)| s)
                    .trim_start_matches("baseline_")
            });
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
                line.push(match (fraction, baseline_name) {
                    (Some(f), Some(name)) => format!("{} ({f:.2}× {name})", si(m.ops_per_sec())),
                    _ => si(m.ops_per_sec()),
                });
                csv.push_str(&format!(
                    "{group},{style},{driver},{c},{},{:.0},{:.2},{},{},{flagged}\n",
                    *c > cores,
                    m.ops_per_sec(),
                    m.median_ns_per_op,
                    baseline_name.unwrap_or(""),
                    fraction.map_or(String::new(), |f| format!("{f:.3}"))
                ));
            }
            table.row(&line);
        }
        md.push_str(&table.finish());
        for (style, why) in &workload.flagged {
            if rows.iter().any(|r| r.split('@').next() == Some(*style)) {
                md.push_str(&format!("\n⚠ {style}: {why}.\n"));
            }
        }
    }
    md.push_str(FOOTER);
    (md, csv)
}
