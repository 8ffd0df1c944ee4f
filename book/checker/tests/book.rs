//! The book against the code and the snapshot (see `book_checker`):
//!
//! - every figure the prose marks is what the snapshot's CSV says;
//! - every comparison the prose marks holds between the snapshot's cells,
//!   outside their ranges;
//! - no throughput or ratio is quoted unmarked;
//! - every results page comes from one commit, with no uncommitted changes;
//! - every registered style shows its code in its chapter and has a row in
//!   the guide's summary ("when it fits", figures, checks, verdict);
//! - every term of art a chapter uses is in the glossary, and every
//!   glossary entry is used by some chapter.

use book_checker::{
    Snapshot, TERMS_OF_ART, book_src, check_claim, check_figure, claims, figures, glossary,
    read_snapshot, results_dir, snapshot_commit, summary_row, summary_section, undefined_terms,
    unmarked_figures, unused_glossary_words,
};

/// Every chapter (results pages are generated, not prose).
fn chapters() -> Vec<(String, String)> {
    book_checker::chapters(&book_src())
        .unwrap()
        .into_iter()
        .map(|chapter| (chapter.name, chapter.text))
        .collect()
}

#[test]
fn every_marked_figure_is_what_the_snapshot_says() {
    let snapshot = read_snapshot(&results_dir()).unwrap();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (name, text) in chapters() {
        for figure in figures(&name, &text) {
            checked += 1;
            if let Err(why) = check_figure(&figure, &snapshot) {
                wrong.push(format!("{figure}: {why}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {checked} figures in the book disagree with book/src/results/*.csv:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // The guide alone quotes more than this; fewer means the marks were lost.
    assert!(checked >= 100, "only {checked} marked figures found");
}

#[test]
fn every_marked_claim_holds_outside_the_noise() {
    let snapshot = read_snapshot(&results_dir()).unwrap();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (name, text) in chapters() {
        for claim in claims(&name, &text) {
            checked += 1;
            if let Err(why) = check_claim(&claim, &snapshot) {
                wrong.push(format!("{claim}: {why}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {checked} claims in the book do not hold on book/src/results/*.csv:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(checked >= 8, "only {checked} marked claims found");
}

#[test]
fn no_throughput_or_ratio_is_quoted_unmarked() {
    let unmarked: Vec<String> = chapters()
        .iter()
        .flat_map(|(name, text)| unmarked_figures(name, text))
        .collect();
    assert!(
        unmarked.is_empty(),
        "figures without a source: mark each with <span class=\"fig\" data-fig=\"…\">, \
         or as <span class=\"run\"> (another run's, named) or <span class=\"param\"> (not \
         a measurement):\n{}",
        unmarked.join("\n")
    );
}

#[test]
fn the_snapshot_is_one_run_of_one_commit() {
    let dir = results_dir();
    let mut commits = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "md") {
            let md = std::fs::read_to_string(&path).unwrap();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let commit =
                snapshot_commit(&md).unwrap_or_else(|| panic!("{name}.md names no commit"));
            assert!(
                path.with_extension("csv").exists(),
                "{name}.md has no {name}.csv beside it (report --book copies both)"
            );
            commits.push((name, commit));
        }
    }
    assert!(commits.len() >= 7, "results pages: {commits:?}");
    let (first, commit) = &commits[0];
    for (name, other) in &commits {
        assert_eq!(
            other, commit,
            "{name} was measured at {other}, {first} at {commit}"
        );
    }
    assert!(
        !commit.contains("uncommitted"),
        "the snapshot was measured with uncommitted changes: {commit}"
    );
}

/// The chapter of each workload of the registry.
const CHAPTERS: [(&str, &str); 8] = [
    ("counter", "counter.md"),
    ("bank", "bank.md"),
    ("kv", "kv.md"),
    ("routes", "routes.md"),
    ("jobs", "jobs.md"),
    ("server", "server.md"),
    ("context", "context.md"),
    ("inbox", "inbox.md"),
];

/// Whether the snapshot's CSV of `workload` has a row of `style` (in its
/// `style` column, or the jobs workload's `runner`).
fn in_snapshot(snapshot: &Snapshot, workload: &str, style: &str) -> bool {
    snapshot.get(workload).is_some_and(|csv| {
        ["style", "runner"]
            .iter()
            .filter_map(|name| csv.column(name))
            .any(|c| csv.records.iter().any(|r| r[c] == style))
    })
}

#[test]
fn every_registered_style_is_shown_and_summarised() {
    let chapters = chapters();
    let text = |name: &str| {
        chapters
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
            .unwrap_or_else(|| panic!("the book has no {name}"))
    };
    let guide = text("guide.md");
    let snapshot = read_snapshot(&results_dir()).expect("the snapshot");
    let mut missing = Vec::new();
    let styles = patterns::registry::styles();
    let workloads: std::collections::BTreeSet<&str> = styles.iter().map(|s| s.workload).collect();
    for workload in workloads {
        let Some(&(_, chapter)) = CHAPTERS.iter().find(|(w, _)| *w == workload) else {
            missing.push(format!(
                "the registry's workload {workload} has no chapter in CHAPTERS"
            ));
            continue;
        };
        let Some(section) = summary_section(guide, workload) else {
            missing.push(format!(
                "guide.md has no `<!-- summary: {workload} -->` table"
            ));
            continue;
        };
        for info in styles.iter().filter(|s| s.workload == workload) {
            let (style, broken) = (info.name, info.tier == patterns::registry::Tier::Broken);
            let include = format!("src/{workload}/{style}.rs:");
            if !text(chapter).contains(&include) {
                missing.push(format!("{chapter} includes no code of {workload}/{style}"));
            }
            match summary_row(section, style) {
                None => missing.push(format!(
                    "the guide's {workload} summary has no `{style}` row"
                )),
                Some(cells) => {
                    // style | when it fits | figures | checks | broken twin | verdict
                    if cells.len() < 5 || cells.iter().any(|c| c.is_empty()) {
                        missing.push(format!(
                            "the guide's `{workload}/{style}` row has an empty or missing cell: {cells:?}"
                        ));
                    }
                    let row = cells.join(" | ");
                    // A style the snapshot predates quotes a figure of the
                    // run that measured it, marked as such; once the
                    // snapshot has it, a snapshot figure.
                    let in_snapshot = in_snapshot(&snapshot, workload, style);
                    if !broken && in_snapshot && !row.contains("data-fig=") {
                        missing.push(format!(
                            "the guide's `{workload}/{style}` row quotes no figure"
                        ));
                    }
                    if !broken && !in_snapshot && !row.contains("class=\"run\"") {
                        missing.push(format!(
                            "the guide's `{workload}/{style}` row: the snapshot predates this style, so the row \
                             must quote the run that measured it (`<span class=\"run\">`)"
                        ));
                    }
                }
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn the_glossary_defines_every_term_of_art_the_chapters_use_and_nothing_unused() {
    let chapters = chapters();
    let introduction = &chapters
        .iter()
        .find(|(name, _)| name == "introduction.md")
        .expect("the introduction")
        .1;
    let words = glossary(introduction);
    assert!(
        words.len() >= 40,
        "only {} glossary words found",
        words.len()
    );
    let undefined = undefined_terms(&chapters, &words, TERMS_OF_ART);
    assert!(
        undefined.is_empty(),
        "terms used but not in the glossary (introduction.md, \"Words used in this book\"):\n{}",
        undefined.join("\n")
    );
    let unused = unused_glossary_words(&chapters, &words);
    assert!(
        unused.is_empty(),
        "glossary words no chapter uses: {unused:?}"
    );
}
