//! The side-by-side report: one Markdown and CSV file per workload, a chart
//! per criterion scenario, and the run's environment saved beside them.
//!
//! The package, bottom to top (no module imports one above it):
//!
//! | module | what it does |
//! |---|---|
//! | [`error`], [`paths`], [`environment`] | errors with actionable messages; where things are; the machine and commit |
//! | [`workload`] | what a workload's report needs: scenarios, baselines, flagged styles, where results come from |
//! | [`criterion`] | reading criterion's saved results |
//! | [`table`] | formatting figures, Markdown tables, a scenario's rows x columns |
//! | [`render`], [`chart`] | a criterion workload's Markdown/CSV; its SVG charts |
//! | [`html`], [`compare`] | the one page of every report; two runs side by side |
//! | this module | writing reports (after a bench, or rebuilt later), and the book's snapshot |

pub mod chart;
pub mod compare;
pub mod criterion;
pub mod environment;
pub mod error;
pub mod html;
pub mod paths;
pub mod render;
pub mod table;
pub mod workload;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::SystemTime;

pub use self::error::ReportError;
pub use self::paths::{criterion_dir, default_out_dir, workspace_root};
pub use self::table::{si, time};
pub use self::workload::{Source, Workload};

use self::environment::Environment;
use self::table::ScenarioTable;

/// Right after a run, the environment is this machine's now, and is saved
/// as `<out>/<workload>.environment.json`. A later rebuild reads it back, so
/// the report keeps describing the run's machine and commit, not the
/// rebuild's.
pub fn run_environment(
    workload: &str,
    out_dir: &Path,
    just_measured: bool,
) -> Result<Environment, ReportError> {
    let saved = out_dir.join(format!("{workload}.environment.json"));
    if just_measured {
        let environment = Environment::detect(&workspace_root());
        std::fs::create_dir_all(out_dir).map_err(|e| ReportError::write(out_dir, e))?;
        std::fs::write(&saved, environment.to_json().to_string())
            .map_err(|e| ReportError::write(&saved, e))?;
        return Ok(environment);
    }
    if !saved.exists() {
        return Ok(Environment::detect(&workspace_root()));
    }
    let json = criterion::read_json(&saved)?;
    Environment::from_json(&json).ok_or_else(|| ReportError::Unreadable {
        path: saved.clone(),
        reason: "not an environment written by this report".to_string(),
    })
}

/// Writes `<out>/<name>.md` and `.csv`.
pub fn write_files(out_dir: &Path, name: &str, md: &str, csv: &str) -> Result<(), ReportError> {
    std::fs::create_dir_all(out_dir).map_err(|e| ReportError::write(out_dir, e))?;
    for (extension, text) in [("md", md), ("csv", csv)] {
        let path = out_dir.join(format!("{name}.{extension}"));
        std::fs::write(&path, text).map_err(|e| ReportError::write(&path, e))?;
    }
    Ok(())
}

/// Produces a workload's report in `out_dir` and returns its Markdown.
///
/// Criterion workloads are rebuilt from criterion's results (with `since`,
/// only those written after it: right after a run); harness workloads wrote
/// their report themselves at the end of their run, so it is read back as
/// it is.
pub fn write(
    workload: &Workload,
    criterion_dir: &Path,
    out_dir: &Path,
    since: Option<SystemTime>,
) -> Result<String, ReportError> {
    if let Source::Harness = workload.source {
        let path = out_dir.join(format!("{}.md", workload.name));
        return std::fs::read_to_string(&path).map_err(|_| ReportError::NoResults {
            dir: out_dir.to_path_buf(),
            workload: workload.name.to_string(),
        });
    }
    let measurements = criterion::load(criterion_dir, workload.name, &groups(workload), since)?;
    write_measured(workload, &measurements, out_dir, since.is_some())
}

/// The criterion groups of a workload's scenarios.
fn groups(workload: &Workload) -> BTreeSet<&str> {
    workload
        .scenarios()
        .iter()
        .map(|s| s.name.as_str())
        .collect()
}

/// A criterion workload's results written since `started` (one
/// repetition of a repeated run).
pub fn load_since(
    workload: &Workload,
    started: SystemTime,
) -> Result<Vec<criterion::Measurement>, ReportError> {
    criterion::load(
        &criterion_dir(),
        workload.name,
        &groups(workload),
        Some(started),
    )
}

/// One measurement per cell from several repetitions of a run: each cell
/// the median of its repetitions' medians (see
/// [`criterion::Measurement::combine`]). A cell missing from some
/// repetition is combined from those that have it.
pub fn combine(repetitions: &[Vec<criterion::Measurement>]) -> Vec<criterion::Measurement> {
    let mut cells: std::collections::BTreeMap<(&str, &str, usize), Vec<criterion::Measurement>> =
        std::collections::BTreeMap::new();
    for m in repetitions.iter().flatten() {
        cells
            .entry((m.group.as_str(), m.row.as_str(), m.clients))
            .or_default()
            .push(m.clone());
    }
    cells
        .values()
        .filter_map(|ms| criterion::Measurement::combine(ms))
        .collect()
}

/// A setting's or a report's error, as a message and exit code 1.
pub fn or_exit<T>(result: Result<T, ReportError>) -> T {
    result.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(1);
    })
}

/// Writes a criterion workload's report from `measurements`: Markdown,
/// CSV and a chart per scenario.
fn write_measured(
    workload: &Workload,
    measurements: &[criterion::Measurement],
    out_dir: &Path,
    just_measured: bool,
) -> Result<String, ReportError> {
    let environment = run_environment(workload.name, out_dir, just_measured)?;
    let (md, csv) = render::render(workload, measurements, &environment);
    write_files(out_dir, workload.name, &md, &csv)?;
    for scenario in workload.scenarios() {
        if let Some(table) = ScenarioTable::of(measurements, &scenario.name) {
            let path = out_dir.join(format!("{}.svg", scenario.name));
            let svg = chart::svg(
                &scenario.name,
                &table,
                &environment,
                &workload.flagged,
                true,
            );
            std::fs::write(&path, svg).map_err(|e| ReportError::write(&path, e))?;
        }
    }
    Ok(md)
}

/// Prints a report to the terminal (without the book's anchor comments),
/// and refreshes the one-page `index.html` beside it.
pub fn print(md: &str, out_dir: &Path, name: &str) {
    let printable: Vec<&str> = md
        .lines()
        .filter(|l| !l.starts_with("<!-- ANCHOR"))
        .collect();
    println!("\n{}", printable.join("\n"));
    println!("Report written to {}/{name}.md and .csv", out_dir.display());
    match html::write_index(out_dir, &crate::workloads::all()) {
        Ok(page) => println!("Every report on one page: {}", page.display()),
        Err(e) => eprintln!("warning: {e}"),
    }
}

/// Called at the end of a criterion bench binary: writes and prints the
/// report of what this run measured (from `repetitions` when the run was
/// repeated, else from criterion's files). The measurements themselves are
/// safe on disk, and `cargo run -p benches --bin report` can retry (from
/// criterion's files, which hold the last repetition only); an error here
/// still fails the bench, so that CI sees it.
pub fn after_bench(
    workload: &Workload,
    run_started: SystemTime,
    repetitions: Vec<Vec<criterion::Measurement>>,
) {
    let out_dir = default_out_dir();
    let written = if repetitions.len() > 1 {
        write_measured(workload, &combine(&repetitions), &out_dir, true)
    } else {
        write(workload, &criterion_dir(), &out_dir, Some(run_started))
    };
    match written {
        Ok(md) => print(&md, &out_dir, workload.name),
        Err(e) => {
            eprintln!("error: report not written: {e}");
            std::process::exit(1);
        }
    }
}

/// Copies a workload's report (`<name>.md`) and its charts (`<name>-*.svg`)
/// from `out_dir` into the book's committed snapshot, `book`.
pub fn update_book(workload: &Workload, out_dir: &Path, book: &Path) -> Result<(), ReportError> {
    let copy = |file: &str| {
        let (from, to) = (out_dir.join(file), book.join(file));
        std::fs::copy(&from, &to)
            .map(|_| ())
            .map_err(|e| ReportError::Write {
                path: to,
                reason: format!("copying {}: {e}", from.display()),
            })
    };
    copy(&format!("{}.md", workload.name))?;
    // The CSV too: the book's figure checker reads the prose's numbers
    // against it (benches/tests/book.rs).
    copy(&format!("{}.csv", workload.name))?;
    let entries = std::fs::read_dir(out_dir).map_err(|e| ReportError::Unreadable {
        path: out_dir.to_path_buf(),
        reason: e.to_string(),
    })?;
    let chart_prefix = format!("{}-", workload.name);
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if file.starts_with(&chart_prefix) && file.ends_with(".svg") {
            copy(&file)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
