//! Two runs side by side: this one and a saved one (another machine,
//! another commit). A saved run is a copy of `target/workbench-report/`,
//! or one of its CSV files. Per cell, both figures and their ratio; per
//! group of cells, whether the styles' order changed. Bad input is an error
//! that names what differs: a missing directory, a CSV from another version
//! (other columns), or runs that measured different scenarios.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The figure compared in each kind of CSV, and whether more is better.
const VALUE_COLUMNS: [(&str, bool); 5] = [
    ("ops_per_sec", true),
    ("jobs_per_sec", true),
    ("requests_per_sec", true),
    ("ns_per_request", false),
    ("value", false),
];

/// The column that names the thing compared within a group.
const STYLE_COLUMNS: [&str; 3] = ["style", "runner", "runtime"];

struct Table {
    header: Vec<String>,
    /// Key (every column before the value) -> value.
    cells: BTreeMap<Vec<String>, f64>,
    value_column: usize,
    more_is_better: bool,
}

fn read_table(path: &Path) -> Result<Table, String> {
    let table = crate::results::Table::read(path).map_err(|e| {
        if e.ends_with("empty: no header") {
            format!("{} is empty", path.display())
        } else {
            e
        }
    })?;
    let header = table.header;
    let (value_column, more_is_better) = VALUE_COLUMNS
        .iter()
        .find_map(|(name, more)| header.iter().position(|h| h == name).map(|i| (i, *more)))
        .ok_or_else(|| {
            format!(
                "{} has no column to compare (one of {:?})",
                path.display(),
                VALUE_COLUMNS.map(|v| v.0)
            )
        })?;
    if value_column == 0 {
        return Err(format!(
            "{}: its figure ({}) is the first column, so nothing names its cells (this is not a workbench CSV)",
            path.display(),
            header[0]
        ));
    }
    let mut cells = BTreeMap::new();
    for (number, fields) in table.records.iter().enumerate() {
        let Some(value) = fields.get(value_column).and_then(|v| v.parse::<f64>().ok()) else {
            continue; // a row of another kind in the same CSV (no figure)
        };
        if !value.is_finite() || value < 0.0 {
            return Err(format!(
                "{} line {}: {} is {value}, not a measurement",
                path.display(),
                number + 2,
                header[value_column]
            ));
        }
        let key: Vec<String> = fields[..value_column].to_vec();
        if cells.insert(key.clone(), value).is_some() {
            return Err(format!(
                "{} line {}: the cell {} appears twice (two runs' rows in one file?)",
                path.display(),
                number + 2,
                key.join(" / ")
            ));
        }
    }
    Ok(Table {
        header,
        cells,
        value_column,
        more_is_better,
    })
}

/// Compares one workload's CSVs: `ours` (this run) with `theirs`.
fn compare_tables(name: &str, ours: &Table, theirs: &Table, md: &mut String) -> Result<(), String> {
    if ours.header != theirs.header {
        return Err(format!(
            "{name}: the saved run was written by another version of the workbench: its columns are \
             [{}], this run's are [{}]",
            theirs.header.join(", "),
            ours.header.join(", ")
        ));
    }
    let scenarios = |t: &Table| {
        t.cells
            .keys()
            .map(|k| k[0].clone())
            .collect::<BTreeSet<_>>()
    };
    let (mine, saved) = (scenarios(ours), scenarios(theirs));
    if mine != saved {
        let only_mine: Vec<_> = mine.difference(&saved).cloned().collect();
        let only_saved: Vec<_> = saved.difference(&mine).cloned().collect();
        return Err(format!(
            "{name}: the runs measured different scenarios: only in this run [{}], only in the saved one [{}]",
            only_mine.join(", "),
            only_saved.join(", ")
        ));
    }
    let key_header = &ours.header[..ours.value_column];
    let style = key_header
        .iter()
        .position(|h| STYLE_COLUMNS.contains(&h.as_str()));
    let better = if ours.more_is_better {
        "higher"
    } else {
        "lower"
    };
    let _ = write!(
        md,
        "\n## {name}\n\nCompared: `{}` ({better} is better); *ratio* is this run over the saved one.\n",
        ours.header[ours.value_column]
    );
    // Order changes: within each group of cells that differ only in style.
    if let Some(style) = style {
        let mut groups: BTreeMap<Vec<String>, Vec<(String, f64, f64)>> = BTreeMap::new();
        for (key, value) in &ours.cells {
            if let Some(saved) = theirs.cells.get(key) {
                let mut group = key.clone();
                let name = group.remove(style);
                groups
                    .entry(group)
                    .or_default()
                    .push((name, *value, *saved));
            }
        }
        let mut changed = Vec::new();
        for (group, members) in &groups {
            let order = |pick: fn(&(String, f64, f64)) -> f64| {
                let mut names: Vec<(String, f64)> =
                    members.iter().map(|m| (m.0.clone(), pick(m))).collect();
                names.sort_by(|a, b| b.1.total_cmp(&a.1));
                if !ours.more_is_better {
                    names.reverse();
                }
                names.into_iter().map(|n| n.0).collect::<Vec<_>>()
            };
            let (now, before) = (order(|m| m.1), order(|m| m.2));
            if now != before {
                changed.push(format!(
                    "- {}: {} (saved: {})",
                    group.join(" / "),
                    now.join(" > "),
                    before.join(" > ")
                ));
            }
        }
        if changed.is_empty() {
            md.push_str("\nThe styles' order is the same in every group.\n");
        } else {
            let _ = write!(
                md,
                "\nThe styles' order changed in {} group(s) (best first):\n\n{}\n",
                changed.len(),
                changed.join("\n")
            );
        }
    }
    let mut table = super::table::MdTable::new(
        &[&key_header.join(" / "), "this run", "saved run", "ratio"],
        1,
    );
    for (key, value) in &ours.cells {
        let Some(saved) = theirs.cells.get(key) else {
            continue;
        };
        table.row(&[
            key.join(" / "),
            format!("{value:.0}"),
            format!("{saved:.0}"),
            if *saved > 0.0 {
                format!("{:.2}", value / saved)
            } else {
                "—".to_string() // nothing to divide by
            },
        ]);
    }
    md.push('\n');
    md.push_str(&table.finish());
    Ok(())
}

/// Compares the run in `out_dir` with `saved` (a directory of reports, or
/// one CSV of one), returning the comparison's Markdown.
pub fn compare(out_dir: &Path, saved: &Path) -> Result<String, String> {
    let pairs: Vec<(String, PathBuf, PathBuf)> = if saved.is_dir() {
        let mut pairs = Vec::new();
        for workload in crate::workloads::all() {
            let file = format!("{}.csv", workload.name);
            let (ours, theirs) = (out_dir.join(&file), saved.join(&file));
            if ours.exists() && theirs.exists() {
                pairs.push((workload.name.to_string(), ours, theirs));
            }
        }
        if pairs.is_empty() {
            return Err(format!(
                "no workload has results in both {} and {}: run `cargo bench` first, and point --compare at a \
                 copy of target/workbench-report/",
                out_dir.display(),
                saved.display()
            ));
        }
        pairs
    } else if saved.is_file() {
        let name = saved
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ours = out_dir.join(format!("{name}.csv"));
        if !ours.exists() {
            return Err(format!(
                "this run has no {name}.csv in {} to compare {} with",
                out_dir.display(),
                saved.display()
            ));
        }
        vec![(name, ours, saved.to_path_buf())]
    } else {
        return Err(format!(
            "no saved run at {}: give a copy of target/workbench-report/ or one of its CSV files",
            saved.display()
        ));
    };
    let mut md = format!("# Comparison with {}\n", saved.display());
    for (name, ours, theirs) in pairs {
        compare_tables(&name, &read_table(&ours)?, &read_table(&theirs)?, &mut md)?;
    }
    Ok(md)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir()
                .join(format!("workbench-compare-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }

        fn csv(&self, name: &str, text: &str) {
            std::fs::write(self.0.join(name), text).unwrap();
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    const HEADER: &str = "scenario,style,driver,clients,oversubscribed,ops_per_sec,median_ns_per_op,baseline,fraction_of_baseline,breaks_contract,spread_iqr,repeats,ops_per_sec_slowest,ops_per_sec_fastest,below_bar\n";

    #[test]
    fn ratios_and_order_changes_are_reported() {
        let (now, saved) = (Scratch::new("now"), Scratch::new("saved"));
        now.csv("bank.csv", &format!("{HEADER}bank-2,mutex,threads,1,false,200,5,,,false,,1,,,false\nbank-2,actor,threads,1,false,100,10,,,false,,1,,,false\n"));
        saved.csv("bank.csv", &format!("{HEADER}bank-2,mutex,threads,1,false,50,20,,,false,,1,,,false\nbank-2,actor,threads,1,false,100,10,,,false,,1,,,false\n"));
        let md = compare(&now.0, &saved.0).unwrap();
        assert!(
            md.contains("| bank-2 / mutex / threads / 1 / false | 200 | 50 | 4.00 |"),
            "{md}"
        );
        assert!(md.contains("order changed in 1 group"), "{md}");
        assert!(md.contains("mutex > actor (saved: actor > mutex)"), "{md}");
        // One CSV works as well as a directory.
        let md = compare(&now.0, &saved.0.join("bank.csv")).unwrap();
        assert!(md.contains("4.00"), "{md}");
    }

    #[test]
    fn bad_input_is_named() {
        let (now, saved) = (Scratch::new("now2"), Scratch::new("saved2"));
        let err = compare(&now.0, Path::new("/nonexistent/run")).unwrap_err();
        assert!(err.contains("no saved run at /nonexistent/run"), "{err}");
        let err = compare(&now.0, &saved.0).unwrap_err();
        assert!(err.contains("no workload has results in both"), "{err}");

        now.csv(
            "kv.csv",
            &format!("{HEADER}kv-mixed-zipf,mutex,threads,1,false,200,5,,,false,,1,,,false\n"),
        );
        saved.csv(
            "kv.csv",
            "scenario,style,ops_per_sec\nkv-mixed-zipf,mutex,100\n",
        );
        let err = compare(&now.0, &saved.0).unwrap_err();
        assert!(
            err.contains("another version") && err.contains("columns"),
            "{err}"
        );

        saved.csv(
            "kv.csv",
            &format!("{HEADER}kv-read-heavy-zipf,mutex,threads,1,false,200,5,,,false,,1,,,false\n"),
        );
        let err = compare(&now.0, &saved.0).unwrap_err();
        assert!(
            err.contains("different scenarios")
                && err.contains("kv-mixed-zipf")
                && err.contains("kv-read-heavy-zipf"),
            "{err}"
        );
    }

    /// Hostile or broken saved runs: a clear error, never a panic.
    #[test]
    fn adversarial_csvs_are_refused_by_name() {
        let (now, saved) = (Scratch::new("now3"), Scratch::new("saved3"));
        let row = |scenario: &str, value: &str| {
            format!("{scenario},mutex,threads,1,false,{value},5,,,false,,1,,,false\n")
        };
        now.csv(
            "kv.csv",
            &format!("{HEADER}{}", row("kv-mixed-zipf", "200")),
        );
        for (text, expected) in [
            ("ops_per_sec,style\n1,mutex\n".to_string(), "first column"),
            (
                format!("{HEADER}{}", row("kv-mixed-zipf", "NaN")),
                "not a measurement",
            ),
            (
                format!("{HEADER}{}", row("kv-mixed-zipf", "inf")),
                "not a measurement",
            ),
            (
                format!("{HEADER}{}", row("kv-mixed-zipf", "-3")),
                "not a measurement",
            ),
            (
                format!(
                    "{HEADER}{}{}",
                    row("kv-mixed-zipf", "1"),
                    row("kv-mixed-zipf", "2")
                ),
                "appears twice",
            ),
            (String::new(), "is empty"),
        ] {
            saved.csv("kv.csv", &text);
            let err = compare(&now.0, &saved.0).unwrap_err();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
        // A zero is a figure (nothing served), not a divisor.
        saved.csv("kv.csv", &format!("{HEADER}{}", row("kv-mixed-zipf", "0")));
        let md = compare(&now.0, &saved.0).unwrap();
        assert!(md.contains("| 200 | 0 | — |"), "{md}");
        // A quoted field with a comma is one field.
        let quoted = format!(
            "{HEADER}\"kv-mixed-zipf\",\"mutex\",threads,1,false,100,5,,,false,,1,,,false\n"
        );
        saved.csv("kv.csv", &quoted);
        let md = compare(&now.0, &saved.0).unwrap();
        assert!(md.contains("| 200 | 100 | 2.00 |"), "{md}");
    }
}
