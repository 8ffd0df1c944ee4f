//! The side-by-side report: one Markdown and CSV file per workload, charts
//! per throughput scenario, and the run's environment saved beside them.
//!
//! The package, bottom to top (no module imports one above it):
//!
//! | module | what it does |
//! |---|---|
//! | [`error`], [`paths`], [`environment`] | errors with actionable messages; where things are; the machine and commit |
//! | [`workload`] | what a workload's report needs: scenarios, baselines, flagged styles, where results come from |
//! | [`stats`] | medians, quantiles, a distribution-free interval for a paired ratio, fairness |
//! | [`cells`] | a throughput workload's cells, summed up from its saved samples |
//! | [`table`] | formatting figures, Markdown tables, a scenario's rows x columns |
//! | [`render`], [`chart`] | a throughput workload's Markdown/CSV; its SVG charts (a row workload's tables are its own, in `workloads`) |
//! | [`html`], [`compare`] | the one page of every report; two runs side by side |
//! | this module | writing reports (after a bench, or rebuilt later, from samples or rows), and the book's snapshot |

pub mod cells;
pub mod chart;
pub mod compare;
pub mod environment;
pub mod error;
pub mod html;
pub mod paths;
pub mod render;
pub mod stats;
pub mod table;
pub mod workload;

use std::collections::BTreeSet;
use std::path::Path;

pub use self::error::ReportError;
pub use self::paths::{default_out_dir, workspace_root};
pub use self::table::{si, time};
pub use self::workload::{Rendered, Source, Workload};

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
    if just_measured {
        let environment = Environment::detect(&workspace_root());
        save_environment(workload, out_dir, &environment)?;
        return Ok(environment);
    }
    let saved = environment_path(out_dir, workload);
    if !saved.exists() {
        return Ok(Environment::detect(&workspace_root()));
    }
    let json = cells::read_json(&saved)?;
    Environment::from_json(&json).ok_or_else(|| ReportError::Unreadable {
        path: saved.clone(),
        reason: "not an environment written by this report".to_string(),
    })
}

fn environment_path(out_dir: &Path, workload: &str) -> std::path::PathBuf {
    out_dir.join(format!("{workload}.environment.json"))
}

/// Saves a run's environment (and its parameters) for its report.
pub fn save_environment(
    workload: &str,
    out_dir: &Path,
    environment: &Environment,
) -> Result<(), ReportError> {
    let saved = environment_path(out_dir, workload);
    std::fs::create_dir_all(out_dir).map_err(|e| ReportError::write(out_dir, e))?;
    std::fs::write(&saved, environment.to_json().to_string())
        .map_err(|e| ReportError::write(&saved, e))
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
/// Throughput workloads are rebuilt from the samples their bench saved
/// there (`<workload>.samples.csv`), row workloads from their rows
/// (`<workload>.csv`) and the parameters saved with their environment.
/// `just_measured`: right after a throughput run (the environment is this
/// machine's now), not a later rebuild; a row workload's bench saved its
/// environment itself.
pub fn write(
    workload: &Workload,
    out_dir: &Path,
    just_measured: bool,
) -> Result<String, ReportError> {
    if let Source::Rows { render } = workload.source {
        return write_rows(workload, render, out_dir);
    }
    let measurements = cells::load(out_dir, workload.name, &groups(workload))?;
    write_measured(workload, &measurements, out_dir, just_measured)
}

/// Makes a row workload's report from what its bench saved in `out_dir`.
fn write_rows(
    workload: &Workload,
    render: workload::RenderRows,
    out_dir: &Path,
) -> Result<String, ReportError> {
    let path = out_dir.join(format!("{}.csv", workload.name));
    let rows = std::fs::read_to_string(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ReportError::NoResults {
            dir: out_dir.to_path_buf(),
            workload: workload.name.to_string(),
        },
        _ => ReportError::Unreadable {
            path: path.clone(),
            reason: e.to_string(),
        },
    })?;
    // The rows' own environment, required: it holds the run's parameters
    // and its machine, which a rebuild must not take from this one.
    let saved = environment_path(out_dir, workload.name);
    if !saved.exists() {
        return Err(ReportError::Unreadable {
            path: saved,
            reason: "missing: a row workload's report is made from its rows and the environment its bench saved beside them".to_string(),
        });
    }
    let environment = run_environment(workload.name, out_dir, false)?;
    let rendered = render(workload, &rows, &environment)
        .map_err(|reason| ReportError::Unreadable { path, reason })?;
    write_files(out_dir, workload.name, &rendered.md, &rendered.csv)?;
    for (stem, svg) in &rendered.charts {
        let path = out_dir.join(format!("{stem}.svg"));
        std::fs::write(&path, svg).map_err(|e| ReportError::write(&path, e))?;
    }
    Ok(rendered.md)
}

/// A row workload's report: the header, then what `body` writes from the
/// rows in `text` (returning its charts), then the footer; the CSV is the
/// rows written again. What each workload's `render` calls.
pub fn from_rows<R: crate::results::Row>(
    workload: &Workload,
    text: &str,
    environment: &Environment,
    body: impl FnOnce(&mut String, &[R]) -> Result<Vec<(String, String)>, String>,
) -> Result<Rendered, String> {
    let rows: Vec<R> = crate::results::read(text)?;
    let mut md = render::header(workload, environment);
    let charts = body(&mut md, &rows)?;
    md.push_str(render::FOOTER);
    Ok(Rendered {
        md,
        csv: crate::results::write(&rows),
        charts,
    })
}

/// The scenario names of a workload.
fn groups(workload: &Workload) -> BTreeSet<&str> {
    workload
        .scenarios()
        .iter()
        .map(|s| s.name.as_str())
        .collect()
}

/// A setting's or a report's error, as a message and exit code 1.
pub fn or_exit<T>(result: Result<T, ReportError>) -> T {
    result.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(1);
    })
}

/// Writes a throughput workload's report from `measurements`: Markdown,
/// CSV, and per scenario a throughput chart and a cost chart.
fn write_measured(
    workload: &Workload,
    measurements: &[cells::Measurement],
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
            let path = out_dir.join(format!("{}-cost.svg", scenario.name));
            let svg = chart::cost_svg(&scenario.name, &table, &environment, &workload.flagged);
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

/// Called at the end of a bench binary: writes and prints the report of
/// what this run measured, from the samples or rows it saved. They stay
/// on disk, and `cargo run -p benches --bin report` can
/// rebuild the report from them; an error here still fails the bench, so
/// that CI sees it.
pub fn after_bench(workload: &Workload) {
    let out_dir = default_out_dir();
    match write(workload, &out_dir, true) {
        Ok(md) => print(&md, &out_dir, workload.name),
        Err(e) => {
            eprintln!("error: report not written: {e}");
            std::process::exit(1);
        }
    }
}

/// Copies a workload's report (`<name>.md`, `.csv`, and for a row
/// workload its `.environment.json`) and its charts (`<name>-*.svg`) from
/// `out_dir` into the book's committed snapshot, `book`.
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
    // against it (book/checker/tests/book.rs).
    copy(&format!("{}.csv", workload.name))?;
    // A row workload's report is made from its rows and environment: with
    // both, the snapshot can be rebuilt (and is, in the report's tests).
    if let Source::Rows { .. } = workload.source {
        copy(&format!("{}.environment.json", workload.name))?;
    }
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
