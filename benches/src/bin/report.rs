//! Rebuilds the side-by-side reports from saved results, without
//! re-running anything.
//!
//! ```sh
//! cargo run -p benches --bin report -- [--out DIR] [--book] [WORKLOAD...]
//! cargo run -p benches --bin report -- --compare SAVED_DIR_OR_CSV
//! ```
//!
//! Throughput workloads are rebuilt from the samples their bench saved
//! (`<out>/<workload>.samples.csv`, every round of every cell); the others
//! (jobs, inbox, server, runtime, context) from their rows
//! (`<out>/<workload>.csv`) and the run's parameters saved with its
//! environment (`<workload>.environment.json`), by the same code their
//! bench ran. `--book` also copies each report and its charts into
//! `book/src/results/`, the snapshot the book shows (commit it with the
//! machine it came from in its header; `cargo run -p book-checker --
//! refill` then rewrites the prose's figures from it). Every run also
//! refreshes `<out>/index.html`, all reports on one page. `--compare` puts
//! this run beside a saved one (a copy of `target/workbench-report/`, or
//! one CSV): per cell the ratio, per group whether the styles' order
//! changed, in `<out>/comparison.md` and on the page.

use std::path::PathBuf;
use std::process::ExitCode;

use benches::report::{self, ReportError, paths};
use benches::workloads;

const USAGE: &str = "usage: report [--out DIR] [--book] [--compare SAVED] [WORKLOAD...]
  --out DIR            where the benches saved their samples or rows and where reports
                       are (re)written: <workload>.md, .csv, <scenario>.svg
                       (default: <target>/workbench-report)
  --book               also copy them into the book's snapshot, book/src/results/
  --page-from DIR      only write <out>/index.html, from the reports in DIR
                       (e.g. the book's snapshot, book/src/results)
  --compare SAVED      put this run beside a saved one: a copy of target/workbench-report/
                       (e.g. from another machine or commit), or one of its CSV files
  WORKLOAD             one of the workloads (default: every one with results)";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let all = workloads::all();
    let known = || all.iter().map(|w| w.name).collect::<Vec<_>>().join(", ");
    let mut out_dir = None;
    let mut book = false;
    let mut compare_with = None;
    let mut page_from = None;
    let mut chosen = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--out" => out_dir = Some(PathBuf::from(args.next().ok_or("--out needs a directory")?)),
            "--book" => book = true,
            "--page-from" => {
                page_from = Some(PathBuf::from(
                    args.next().ok_or("--page-from needs a directory")?,
                ))
            }
            "--compare" => {
                compare_with = Some(PathBuf::from(
                    args.next()
                        .ok_or("--compare needs a directory or a CSV file")?,
                ))
            }
            "-h" | "--help" => {
                println!("{USAGE}\n  known workloads: {}", known());
                return Ok(());
            }
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}\n{USAGE}")),
            name => match all.iter().find(|w| w.name == name) {
                Some(workload) if !chosen.iter().any(|c: &&_| std::ptr::eq(*c, workload)) => {
                    chosen.push(workload)
                }
                Some(_) => {}
                None => return Err(format!("unknown workload {name:?}; known: {}", known())),
            },
        }
    }
    let out_dir = out_dir.unwrap_or_else(paths::default_out_dir);
    if let Some(from) = page_from {
        if !from.is_dir() {
            return Err(format!("--page-from {}: no such directory", from.display()));
        }
        let page = report::html::write_page(&from, &out_dir, &all).map_err(|e| e.to_string())?;
        println!("{}", page.display());
        return Ok(());
    }
    if let Some(saved) = compare_with {
        let md = report::compare::compare(&out_dir, &saved)?;
        let path = out_dir.join("comparison.md");
        std::fs::write(&path, &md).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("{md}");
        let page = report::html::write_index(&out_dir, &all).map_err(|e| e.to_string())?;
        eprintln!(
            "comparison written to {} and {}",
            path.display(),
            page.display()
        );
        return Ok(());
    }
    let explicit = !chosen.is_empty();
    if !explicit {
        chosen = all.iter().collect();
    }

    let mut written = 0;
    for workload in chosen {
        match report::write(workload, &out_dir, false) {
            Ok(md) => {
                report::print(&md, &out_dir, workload.name);
                if book {
                    let to = paths::book_results_dir();
                    report::update_book(workload, &out_dir, &to).map_err(|e| e.to_string())?;
                    eprintln!(
                        "book snapshot of {} updated in {}",
                        workload.name,
                        to.display()
                    );
                }
                written += 1;
            }
            // With no workload named, one that was never measured is not an
            // error; an unreadable result is.
            Err(ReportError::NoResults { .. }) if !explicit => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    if written == 0 {
        return Err(format!(
            "no benchmark results under {}: run `cargo bench` first",
            out_dir.display()
        ));
    }
    Ok(())
}
