//! The book's figures against its snapshot, from the command line.
//!
//! ```sh
//! cargo run -p book-checker -- check    # every figure and claim of book/src/*.md against book/src/results/
//! cargo run -p book-checker -- refill   # after a new snapshot: rewrite every marked figure from it
//! ```
//!
//! `check` prints every figure that disagrees with its cell, every claim
//! that does not hold and every figure quoted unmarked, and exits 1 if
//! there is any. `refill` rewrites the chapters' marked figures from the
//! snapshot (`report --book` writes it), lists those that moved by over
//! 25% (the sentences a writer must reread) and the claims that no longer
//! hold, and exits 1 while any fails. The snapshot's being one run of one
//! commit and every style's place in the book are checked by `cargo test`
//! (`tests/book.rs`), not here.

use std::process::ExitCode;

use book_checker::refill::refill;
use book_checker::{
    Chapter, Snapshot, book_src, chapters, check_claim, check_figure, claims, figures,
    read_snapshot, results_dir, unmarked_figures,
};

const USAGE: &str = "usage: book-checker COMMAND
  check     check every marked figure and claim of the book's chapters (book/src/*.md)
            against its snapshot (book/src/results/*.csv), and that no figure is quoted
            unmarked; print each that fails (exit 1 if any does)
  refill    after a new snapshot (report --book): rewrite every marked figure of the
            chapters from it, list the figures that moved by over 25% and the claims
            that no longer hold (exit 1 while any fails)
  -h, --help  this help";

/// What went wrong: the book's failures (exit 1), or a bad command line
/// (exit 2).
enum Failure {
    Book(String),
    Usage(String),
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["check"] => check(),
        ["refill"] => refill_book(),
        ["-h" | "--help" | "help"] => {
            println!("{USAGE}");
            Ok(())
        }
        [] => Err(Failure::Usage("no command given".into())),
        [option] if option.starts_with('-') => {
            Err(Failure::Usage(format!("unknown option `{option}`")))
        }
        [command] => Err(Failure::Usage(format!("unknown command `{command}`"))),
        [command, rest @ ..] => Err(Failure::Usage(format!(
            "`{command}` takes no arguments (got {})",
            rest.join(" ")
        ))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Book(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The snapshot and the chapters, or why they cannot be read.
fn book() -> Result<(Snapshot, Vec<Chapter>), Failure> {
    let snapshot = read_snapshot(&results_dir()).map_err(Failure::Book)?;
    let chapters = chapters(&book_src()).map_err(Failure::Book)?;
    Ok((snapshot, chapters))
}

/// Checks every marked figure and claim against the snapshot, and looks
/// for figures quoted unmarked.
fn check() -> Result<(), Failure> {
    let (snapshot, chapters) = book()?;
    let (mut checked_figures, mut checked_claims, mut failures) = (0, 0, Vec::new());
    for Chapter { name, text, .. } in &chapters {
        for figure in figures(name, text) {
            checked_figures += 1;
            if let Err(why) = check_figure(&figure, &snapshot) {
                failures.push(format!("figure wrong: {figure}: {why}"));
            }
        }
        for claim in claims(name, text) {
            checked_claims += 1;
            if let Err(why) = check_claim(&claim, &snapshot) {
                failures.push(format!("claim fails: {claim}: {why}"));
            }
        }
        for unmarked in unmarked_figures(name, text) {
            failures.push(format!("figure unmarked: {unmarked}"));
        }
    }
    for failure in &failures {
        println!("{failure}");
    }
    println!(
        "{checked_figures} figures and {checked_claims} claims checked in {} chapters of {} against {}",
        chapters.len(),
        book_src().display(),
        results_dir().display()
    );
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Failure::Book(format!(
            "{} figures or claims fail (above)",
            failures.len()
        )))
    }
}

/// Rewrites the chapters' marked figures from the book's snapshot, then
/// checks its claims: what moved a lot and what no longer holds are the
/// sentences a writer must reread.
fn refill_book() -> Result<(), Failure> {
    let (snapshot, chapters) = book()?;
    let (mut figures, mut changed, mut failures) = (0, 0, Vec::new());
    for Chapter { name, path, text } in &chapters {
        let out = refill(name, text, &snapshot);
        figures += out.figures;
        changed += out.changes.len();
        for change in &out.changes {
            if !(0.8..=1.25).contains(&change.moved) {
                println!(
                    "moved {:.2}x  {}:{}: \"{}\" -> \"{}\" ({})",
                    change.moved,
                    change.file,
                    change.line,
                    change.before,
                    change.after,
                    change.source
                );
            }
        }
        failures.extend(out.errors.iter().map(|e| format!("not refilled: {e}")));
        if out.text != *text {
            std::fs::write(path, &out.text)
                .map_err(|e| Failure::Book(format!("cannot write {}: {e}", path.display())))?;
        }
        for claim in claims(name, &out.text) {
            if let Err(why) = check_claim(&claim, &snapshot) {
                failures.push(format!("claim fails: {claim}: {why}"));
            }
        }
    }
    println!(
        "{changed} of {figures} figures rewritten in {}",
        book_src().display()
    );
    for failure in &failures {
        println!("{failure}");
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Failure::Book(format!(
            "{} figures or claims need a writer (above)",
            failures.len()
        )))
    }
}
