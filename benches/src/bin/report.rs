//! Rebuilds the side-by-side report from criterion's saved results, without
//! re-running anything.
//!
//! ```sh
//! cargo run -p benches --bin report -- [--criterion-dir DIR] [--out DIR] [--book] [WORKLOAD...]
//! ```
//!
//! `--book` also copies each report into `book/src/results/`, the snapshot
//! the book shows (commit it with the machine it came from in its header).

use std::path::PathBuf;
use std::process::ExitCode;

use benches::report::{self, WORKLOADS};

const USAGE: &str = "usage: report [--criterion-dir DIR] [--out DIR] [--book] [WORKLOAD...]
  --criterion-dir DIR  where criterion saved its results (default: <target>/criterion)
  --out DIR            where to write <workload>.md, .csv and <scenario>.svg
                       (default: <target>/workbench-report)
  --book               also copy them into the book's snapshot, book/src/results/
  WORKLOAD             one of the workloads below (default: all with results), or
                       jobs: its report is written by its own bench (not criterion);
                       with --book it is copied into the book as it is";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Copies the report and its charts into the book's committed snapshot.
fn update_book(
    workload: &report::Workload,
    md: &str,
    out_dir: &std::path::Path,
) -> Result<(), String> {
    let book = report::workspace_root().join("book/src/results");
    let path = book.join(format!("{}.md", workload.name));
    std::fs::write(&path, md).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    for (group, _) in workload.scenarios {
        let chart = out_dir.join(format!("{group}.svg"));
        if chart.exists() {
            let to = book.join(format!("{group}.svg"));
            std::fs::copy(&chart, &to)
                .map_err(|e| format!("cannot copy {} to {}: {e}", chart.display(), to.display()))?;
        }
    }
    eprintln!("book snapshot updated: {}", book.display());
    Ok(())
}

/// The jobs bench writes its own report; this only checks it is there and,
/// with `--book`, copies it into the book's snapshot.
fn copy_jobs_report(out_dir: &std::path::Path, book: bool) -> Result<(), String> {
    let path = out_dir.join("jobs.md");
    let md = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "cannot read {}: {e} (run `cargo bench --bench jobs` first; its report is written by the bench)",
            path.display()
        )
    })?;
    println!("{md}");
    if book {
        let to = report::workspace_root().join("book/src/results/jobs.md");
        std::fs::write(&to, md).map_err(|e| format!("cannot write {}: {e}", to.display()))?;
        eprintln!("book snapshot updated: {}", to.display());
    }
    Ok(())
}

fn run() -> Result<(), String> {
    let mut criterion_dir = None;
    let mut out_dir = None;
    let mut book = false;
    let mut chosen = Vec::new();
    let mut jobs = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--criterion-dir" => {
                criterion_dir = Some(PathBuf::from(
                    args.next().ok_or("--criterion-dir needs a directory")?,
                ))
            }
            "--out" => out_dir = Some(PathBuf::from(args.next().ok_or("--out needs a directory")?)),
            "--book" => book = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}\n{USAGE}")),
            "jobs" => jobs = true,
            name => match WORKLOADS.iter().find(|w| w.name == name) {
                Some(workload) => chosen.push(*workload),
                None => {
                    let mut known: Vec<_> = WORKLOADS.iter().map(|w| w.name).collect();
                    known.push("jobs");
                    return Err(format!(
                        "unknown workload {name:?}; known: {}",
                        known.join(", ")
                    ));
                }
            },
        }
    }
    let criterion_dir = criterion_dir.unwrap_or_else(report::criterion_dir);
    let out_dir = out_dir.unwrap_or_else(report::default_out_dir);
    if jobs {
        copy_jobs_report(&out_dir, book)?;
        if chosen.is_empty() {
            return Ok(());
        }
    }
    let explicit = !chosen.is_empty();
    if !explicit {
        chosen = WORKLOADS.to_vec();
    }

    let mut written = 0;
    for workload in chosen {
        match report::write(workload, &criterion_dir, &out_dir, None) {
            Ok(md) => {
                println!("{md}");
                if book {
                    update_book(workload, &md, &out_dir)?;
                }
                written += 1;
            }
            // With no workload named, one that was never benchmarked is not
            // an error; a missing or unreadable criterion output is.
            Err(report::ReportError::NoResults { .. }) if !explicit => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    if written == 0 {
        return Err(format!(
            "no benchmark results under {}: run `cargo bench` first",
            criterion_dir.display()
        ));
    }
    eprintln!("reports written to {}", out_dir.display());
    Ok(())
}
