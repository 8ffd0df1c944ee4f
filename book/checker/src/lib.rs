//! Checks that keep the book's prose tied to its snapshot
//! (`book/src/results/`): every figure the prose quotes sits in a marked
//! span naming the CSV cell it comes from, and is verified against it; the
//! snapshot comes from one run; every registered style appears in its
//! chapter and in the guide's summary. `tests/book.rs` runs them on the
//! real book (part of `cargo test`); the tests below run them on
//! hand-made inputs, each check shown failing on a planted mistake. The
//! binary runs the figure and claim checks alone (`book-checker check`)
//! and rewrites every figure from a new snapshot (`book-checker refill`,
//! see [`refill`]).
//!
//! A figure is written in the Markdown as
//!
//! ```text
//! <span class="fig" data-fig="counter[scenario=counter-add,style=atomic,driver=threads,clients=1].ops_per_sec">480 M</span>
//! ```
//!
//! (rendered as plain "480 M"), or as a ratio of two cells,
//! `data-fig="SEL / SEL"`, shown as `0.84×` or `0.84 times`. A selector
//! is `workload[column=value,...].column`: the filters must pick exactly
//! one row of `results/<workload>.csv`.
//!
//! The shown number must round to the cell: it may differ from it by half
//! a unit of its last significant digit (`2.2 M` covers 2.15 M to 2.25 M;
//! trailing zeros of a whole number are not significant, so `29,000`
//! covers 28,500 to 29,500). Units: `k`, `M`, `G` multiply; `ns`, `µs`,
//! `ms`, `s` are converted to the cell's time unit (a column named `…ns…`
//! or `…_us`, or the row's `unit` column), `B`, `KiB`, `MiB`, `GiB` to
//! bytes.

pub mod refill;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// One results CSV, read by the one reader ([`benches::results::Table`]).
pub type Csv = benches::results::Table;

/// The snapshot: every workload's CSV, by workload name.
pub type Snapshot = BTreeMap<String, Csv>;

/// Reads every `<workload>.csv` in `dir`.
pub fn read_snapshot(dir: &Path) -> Result<Snapshot, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut snapshot = Snapshot::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "csv") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let table = Csv::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            snapshot.insert(name, table);
        }
    }
    Ok(snapshot)
}

/// The book's committed snapshot, `book/src/results/` (where `report
/// --book` writes it: [`benches::report::paths::book_results_dir`]).
pub fn results_dir() -> PathBuf {
    benches::report::paths::book_results_dir()
}

/// The book's sources, `book/src/`: the directory of its snapshot.
pub fn book_src() -> PathBuf {
    results_dir()
        .parent()
        .expect("the snapshot sits in the book's sources")
        .to_path_buf()
}

/// One chapter of the book: its file name (as figures and claims cite
/// it), its path and its text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Chapter {
    pub name: String,
    pub path: PathBuf,
    pub text: String,
}

/// Every chapter of the book in `src` (its `*.md`, not the generated
/// results pages below it), by file name.
pub fn chapters(src: &Path) -> Result<Vec<Chapter>, String> {
    let entries =
        std::fs::read_dir(src).map_err(|e| format!("cannot read {}: {e}", src.display()))?;
    let mut chapters = Vec::new();
    for path in entries.flatten().map(|e| e.path()) {
        if path.extension().is_some_and(|e| e == "md") {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            chapters.push(Chapter { name, path, text });
        }
    }
    chapters.sort();
    Ok(chapters)
}

/// `workload[col=val,...].column`
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    pub workload: String,
    pub filters: Vec<(String, String)>,
    pub column: String,
}

impl Selector {
    pub fn parse(text: &str) -> Result<Selector, String> {
        let text = text.trim();
        let bad = || format!("`{text}` is not of the form workload[column=value,...].column");
        let (workload, rest) = text.split_once('[').ok_or_else(bad)?;
        let (filters, column) = rest.rsplit_once("].").ok_or_else(bad)?;
        let filters = filters
            .split(',')
            .map(|f| {
                f.split_once('=')
                    .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                    .ok_or_else(bad)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Selector {
            workload: workload.trim().to_string(),
            filters,
            column: column.trim().to_string(),
        })
    }

    /// The cell's value and its unit (see [`Unit`]).
    pub fn value(&self, snapshot: &Snapshot) -> Result<(f64, Unit), String> {
        let csv = snapshot
            .get(&self.workload)
            .ok_or_else(|| format!("the snapshot has no {}.csv", self.workload))?;
        let mut filters = Vec::new();
        for (k, v) in &self.filters {
            let i = csv
                .column(k)
                .ok_or_else(|| format!("{}.csv has no column `{k}`", self.workload))?;
            filters.push((i, v));
        }
        let column = csv
            .column(&self.column)
            .ok_or_else(|| format!("{}.csv has no column `{}`", self.workload, self.column))?;
        let rows: Vec<&Vec<String>> = csv
            .records
            .iter()
            .filter(|row| filters.iter().all(|(i, v)| row.get(*i) == Some(*v)))
            .collect();
        let row = match rows.as_slice() {
            [row] => *row,
            [] => return Err(format!("no row of {}.csv matches", self.workload)),
            more => {
                return Err(format!(
                    "{} rows of {}.csv match: add a filter",
                    more.len(),
                    self.workload
                ));
            }
        };
        let cell = row.get(column).map(String::as_str).unwrap_or("");
        let value: f64 = cell
            .parse()
            .map_err(|_| format!("the cell is `{cell}`, not a number"))?;
        let unit_column = csv.column("unit").and_then(|i| row.get(i));
        Ok((
            value,
            Unit::of_column(&self.column, unit_column.map(String::as_str)),
        ))
    }
}

/// What a CSV cell or a shown figure measures, with its scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Unit {
    /// A count or rate; the factor a shown `k`, `M`, `G` multiplies by.
    Plain,
    /// A duration, in nanoseconds per unit of the cell.
    Time(f64),
    /// Memory, in bytes per unit of the cell.
    Bytes(f64),
}

impl Unit {
    fn of_column(column: &str, unit_cell: Option<&str>) -> Unit {
        if let Some(unit) = unit_cell.and_then(Unit::of_suffix) {
            return unit;
        }
        // `…_ns`, `ns_…`, `…_ns_…` (not `answered`, which contains "ns").
        let words: Vec<&str> = column.split('_').collect();
        if words.contains(&"ns") {
            Unit::Time(1.0)
        } else if column.ends_with("_us") {
            Unit::Time(1e3)
        } else if column.contains("bytes") {
            Unit::Bytes(1.0)
        } else {
            Unit::Plain
        }
    }

    /// A shown unit: its kind and what one of it is worth.
    fn of_suffix(suffix: &str) -> Option<Unit> {
        Some(match suffix {
            "ns" => Unit::Time(1.0),
            "µs" | "us" => Unit::Time(1e3),
            "ms" => Unit::Time(1e6),
            "s" => Unit::Time(1e9),
            "B" | "bytes" => Unit::Bytes(1.0),
            "KiB" => Unit::Bytes(1024.0),
            "MiB" => Unit::Bytes(1024.0 * 1024.0),
            "GiB" => Unit::Bytes(1024.0 * 1024.0 * 1024.0),
            _ => return None,
        })
    }
}

/// A figure as the prose shows it: its value and how far it may be from
/// the cell, both in the cell's units once `Shown::in_units_of` has run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shown {
    pub value: f64,
    pub tolerance: f64,
    unit: Option<Unit>,
    multiplier: f64,
}

impl Shown {
    /// Parses `480 M`, `2.215 M`, `29,000`, `0.84×`, `1.5 times`, `64 ns`,
    /// `13.7 KiB`: the first number, and the unit right after it.
    pub fn parse(text: &str) -> Result<Shown, String> {
        let text = text.trim().trim_start_matches(['~', '±']);
        let end = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
            .unwrap_or(text.len());
        let number = &text[..end];
        if number.is_empty() || !number.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(format!("`{text}` does not start with a number"));
        }
        let digits = number.replace(',', "");
        let value: f64 = digits
            .parse()
            .map_err(|_| format!("`{number}` is not a number"))?;
        // Half a unit of the last significant digit.
        let step = match digits.split_once('.') {
            Some((_, decimals)) => 10f64.powi(-(decimals.len() as i32)),
            None => {
                let zeros = digits.len() - digits.trim_end_matches('0').len();
                // "0" and "100" keep at least one significant digit.
                10f64.powi(zeros.min(digits.len() - 1) as i32)
            }
        };
        let suffix = text[end..]
            .trim_start()
            .split(|c: char| c.is_whitespace() || c == '/' || c == ')')
            .next()
            .unwrap_or("");
        // A percentage may be glued to its number ("27%").
        let suffix = if text[end..].starts_with('%') {
            "%"
        } else {
            suffix
        };
        let (multiplier, unit) = match suffix {
            "%" => (0.01, Some(Unit::Plain)),
            "k" => (1e3, Some(Unit::Plain)),
            "M" => (1e6, Some(Unit::Plain)),
            "G" => (1e9, Some(Unit::Plain)),
            other => match Unit::of_suffix(other) {
                Some(unit) => (1.0, Some(unit)),
                None => (1.0, None),
            },
        };
        Ok(Shown {
            value: value * multiplier,
            tolerance: step / 2.0 * multiplier,
            unit,
            multiplier,
        })
    }

    /// This figure in the cell's units; `Err` if the units cannot agree
    /// (a time shown for a rate, say).
    fn in_units_of(self, cell: Unit) -> Result<Shown, String> {
        let factor = match (self.unit, cell) {
            (None | Some(Unit::Plain), Unit::Plain) => 1.0,
            (Some(Unit::Time(shown)), Unit::Time(stored)) => shown / stored,
            (Some(Unit::Bytes(shown)), Unit::Bytes(stored)) => shown / stored,
            // A bare number for a time or memory cell: in the cell's unit.
            (None, _) => 1.0,
            (Some(shown), stored) => {
                return Err(format!("shown as {shown:?} but the cell is {stored:?}"));
            }
        };
        Ok(Shown {
            value: self.value * factor,
            tolerance: self.tolerance * factor,
            ..self
        })
    }
}

/// A figure's source: one cell, or the ratio of two.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Cell(Selector),
    Ratio(Selector, Selector),
}

impl Source {
    pub fn parse(text: &str) -> Result<Source, String> {
        match text.split_once(" / ") {
            Some((a, b)) => Ok(Source::Ratio(Selector::parse(a)?, Selector::parse(b)?)),
            None => Ok(Source::Cell(Selector::parse(text)?)),
        }
    }
}

/// One marked span of the prose: where it is, what its attribute says (a
/// figure's cell, a claim's relation) and the text it shows.
#[derive(Debug, Clone)]
pub struct Marked {
    pub file: String,
    pub line: usize,
    /// `data-fig` or `data-claim`.
    pub source: String,
    pub shown: String,
}

impl fmt::Display for Marked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: \"{}\" ({})",
            self.file, self.line, self.shown, self.source
        )
    }
}

/// One marked figure of the prose: its `source` is the cell (or ratio).
pub type Figure = Marked;

pub(crate) const FIG_OPEN: &str = "<span class=\"fig\" data-fig=\"";

/// The lines of `text` outside fenced code blocks, with their index: a
/// span or a number shown in a code block is an example, not a figure.
fn prose_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut in_code = false;
    text.lines().enumerate().filter(move |(_, line)| {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            return false;
        }
        !in_code
    })
}

/// Every marked figure in `text`.
pub fn figures(file: &str, text: &str) -> Vec<Figure> {
    spans(file, text, FIG_OPEN)
}

/// What a figure's source says: its cell's value and unit, or the ratio
/// of its two cells (plain).
pub fn figure_value(source: &str, snapshot: &Snapshot) -> Result<(f64, Unit), String> {
    match Source::parse(source)? {
        Source::Cell(cell) => cell.value(snapshot),
        Source::Ratio(a, b) => {
            let ((a, _), (b, _)) = (a.value(snapshot)?, b.value(snapshot)?);
            if b == 0.0 {
                return Err("the ratio's denominator is zero".into());
            }
            Ok((a / b, Unit::Plain))
        }
    }
}

/// Checks one figure against the snapshot; `Err` says what is wrong.
pub fn check_figure(figure: &Figure, snapshot: &Snapshot) -> Result<(), String> {
    let shown = Shown::parse(&figure.shown)?;
    let (actual, unit) = figure_value(&figure.source, snapshot)?;
    let shown = shown.in_units_of(unit)?;
    // A little slack for the float arithmetic of the ratio and the units.
    let slack = shown.tolerance * 1.0001 + f64::EPSILON * actual.abs();
    if (shown.value - actual).abs() <= slack {
        Ok(())
    } else {
        Err(format!(
            "the snapshot says {} (shown: {} ± {})",
            display(actual / shown.multiplier),
            display(shown.value / shown.multiplier),
            display(shown.tolerance / shown.multiplier),
        ))
    }
}

fn display(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.4}")
    }
}

/// Figures that look measured but carry no marked source. Throughput and
/// ratios are the figures the prose quotes most and that drift first:
/// a number followed by `k`, `M`, `G`, `million`, `thousand`, `a second`,
/// `times` or `×`, outside code, outside marked spans, and outside
/// `<span class="run">…</span>` (a figure from another, named run, quoted
/// as history) and `<span class="param">…</span>` (a parameter, not a
/// measurement).
pub fn unmarked_figures(file: &str, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (i, line) in prose_lines(text) {
        if line.trim_start().starts_with("{{#") {
            continue;
        }
        let prose = strip_spans(&strip_inline_code(line));
        for figure in measured_looking(&prose) {
            found.push(format!("{file}:{}: \"{figure}\"", i + 1));
        }
    }
    found
}

fn strip_inline_code(line: &str) -> String {
    let mut out = String::new();
    for (i, part) in line.split('`').enumerate() {
        if i % 2 == 0 {
            out.push_str(part);
        }
    }
    out
}

/// Removes every `<span ...>...</span>` (marked figures, runs, params).
fn strip_spans(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find("<span ") {
        out.push_str(&rest[..start]);
        match rest[start..].find("</span>") {
            Some(end) => rest = &rest[start + end + "</span>".len()..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Words that, after a number, make it a measured throughput or ratio
/// ("a second" is matched on its own).
const MEASURED_UNITS: &[&str] = &["k", "M", "G", "million", "thousand", "times", "×"];

/// Numbers in `prose` followed by a unit of throughput or a ratio word.
fn measured_looking(prose: &str) -> Vec<String> {
    let words: Vec<&str> = prose.split_whitespace().collect();
    let mut found = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let trimmed = word.trim_start_matches(['(', '~', '[']);
        let Some(first) = trimmed.chars().next() else {
            continue;
        };
        if !first.is_ascii_digit() {
            continue;
        }
        let number_end = trimmed
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
            .unwrap_or(trimmed.len());
        let glued = trimmed[number_end..].trim_end_matches(['.', ',', ';', ':', ')']);
        let next = words
            .get(i + 1)
            .map(|w| w.trim_end_matches(['.', ',', ';', ':', ')']));
        let hit = match glued {
            "×" | "k" | "M" | "G" => true,
            "" => match next {
                Some("a") => words.get(i + 2).is_some_and(|w| w.starts_with("second")),
                Some(unit) => MEASURED_UNITS.contains(&unit),
                None => false,
            },
            _ => false,
        };
        if hit {
            let shown: Vec<&str> = words[i..(i + 2).min(words.len())].to_vec();
            found.push(shown.join(" "));
        }
    }
    found
}

/// A comparison the prose makes, marked so that it is checked as a
/// relation between cells and not only as digits:
///
/// ```text
/// <span class="claim" data-claim="kv[...style=rwlock...].ops_per_sec > kv[...style=mutex...].ops_per_sec">beats</span>
/// ```
///
/// The relations: `A > B` and `A < B`, each with an optional factor on
/// the right (`A > 2 × B`: more than twice), and `A within P% of B`. A
/// claim across scenarios names them as a set in a filter of both cells
/// (`scenario={kv-mixed-uniform|kv-mixed-zipf}`) and says in how many it
/// holds: `A > B in 1 of 2` holds when the relation holds for exactly one
/// member of the set (taken in the same place by both cells). A
/// `>` or `<` holds only if it holds for the two cells' whole ranges over
/// their rounds (`<column>_slowest` and `<column>_fastest` in the row, or
/// `_lowest` and `_highest`,
/// or, for a row of one repetition, the median plus or minus its
/// `spread_iqr`, the whole interquartile range over the median: twice the
/// ±% the tables show, on purpose wide): a comparison the noise could
/// reverse is not a finding. `within` compares the medians.
/// Its `source` is the relation.
pub type Claim = Marked;

const CLAIM_OPEN: &str = "<span class=\"claim\" data-claim=\"";

/// Every marked claim in `text`.
pub fn claims(file: &str, text: &str) -> Vec<Claim> {
    spans(file, text, CLAIM_OPEN)
}

/// Every span opened by `open` in the prose of `file`.
fn spans(file: &str, text: &str, open: &str) -> Vec<Marked> {
    let mut found = Vec::new();
    for (i, line) in prose_lines(text) {
        let mut rest = line;
        while let Some(start) = rest.find(open) {
            let after = &rest[start + open.len()..];
            let Some((attribute, after)) = after.split_once("\">") else {
                break;
            };
            let Some((shown, after)) = after.split_once("</span>") else {
                break;
            };
            found.push(Marked {
                file: file.to_string(),
                line: i + 1,
                source: attribute.to_string(),
                shown: shown.to_string(),
            });
            rest = after;
        }
    }
    found
}

/// A claim's relation, parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Relation {
    /// `a > factor × b`
    Above(Selector, f64, Selector),
    /// `a < factor × b`
    Below(Selector, f64, Selector),
    /// `a within percent% of b`
    Within(Selector, f64, Selector),
}

impl Relation {
    pub fn parse(text: &str) -> Result<Relation, String> {
        let bad = || {
            format!(
                "`{text}` is not `A > B`, `A < B`, `A > F × B`, `A < F × B` or `A within P% of B`"
            )
        };
        // The right side, with an optional `F ×` (or `F *`) before it.
        let scaled = |right: &str| -> Result<(f64, Selector), String> {
            let right = right.trim();
            match right.split_once(" × ").or_else(|| right.split_once(" * ")) {
                Some((factor, cell)) if !factor.contains('[') => {
                    let factor: f64 = factor.trim().parse().map_err(|_| bad())?;
                    Ok((factor, Selector::parse(cell)?))
                }
                _ => Ok((1.0, Selector::parse(right)?)),
            }
        };
        if let Some((a, rest)) = text.split_once(" within ") {
            let (percent, b) = rest.split_once("% of ").ok_or_else(bad)?;
            let percent: f64 = percent.trim().parse().map_err(|_| bad())?;
            return Ok(Relation::Within(
                Selector::parse(a)?,
                percent,
                Selector::parse(b)?,
            ));
        }
        if let Some((a, b)) = text.split_once(" > ") {
            let (factor, b) = scaled(b)?;
            return Ok(Relation::Above(Selector::parse(a)?, factor, b));
        }
        if let Some((a, b)) = text.split_once(" < ") {
            let (factor, b) = scaled(b)?;
            return Ok(Relation::Below(Selector::parse(a)?, factor, b));
        }
        Err(bad())
    }
}

/// A cell's median and its range over the rounds: the row's
/// `<column>_slowest` and `<column>_fastest` (or `_lowest` and
/// `_highest`) where it has them, else the
/// median plus or minus its `spread_iqr` (a fraction), else the median
/// alone.
fn interval(cell: &Selector, snapshot: &Snapshot) -> Result<(f64, f64, f64), String> {
    let (mid, _) = cell.value(snapshot)?;
    let sibling = |column: String| {
        let mut other = cell.clone();
        other.column = column;
        other.value(snapshot).ok().map(|(v, _)| v)
    };
    // The throughput rows name their rounds' ends `_slowest`/`_fastest`,
    // the server's `_lowest`/`_highest` (a latency's slowest is its highest).
    for (low, high) in [("slowest", "fastest"), ("lowest", "highest")] {
        let low = sibling(format!("{}_{low}", cell.column));
        let high = sibling(format!("{}_{high}", cell.column));
        if let (Some(a), Some(b)) = (low, high) {
            return Ok((a.min(b).min(mid), mid, a.max(b).max(mid)));
        }
    }
    if let Some(spread) = sibling("spread_iqr".to_string()) {
        return Ok((mid * (1.0 - spread), mid, mid * (1.0 + spread)));
    }
    Ok((mid, mid, mid))
}

/// Checks one claim against the snapshot; `Err` says what is wrong.
pub fn check_claim(claim: &Claim, snapshot: &Snapshot) -> Result<(), String> {
    let (relation, count) = match claim.source.rsplit_once(" in ") {
        Some((relation, count)) if count.contains(" of ") => {
            let (n, m) = count.split_once(" of ").expect("checked");
            let parse = |x: &str| {
                x.trim()
                    .parse::<usize>()
                    .map_err(|_| format!("`{count}` is not `N of M`"))
            };
            (relation, Some((parse(n)?, parse(m)?)))
        }
        _ => (claim.source.as_str(), None),
    };
    let expanded = expand_sets(relation)?;
    match count {
        None if expanded.len() == 1 => check_relation(&expanded[0], snapshot),
        None => Err(format!(
            "a claim over a set of {} cells says in how many it holds (`... in N of {}`)",
            expanded.len(),
            expanded.len()
        )),
        Some((_, m)) if m != expanded.len() => Err(format!(
            "it says `of {m}`, and its sets have {} members",
            expanded.len()
        )),
        Some((n, m)) => {
            let mut holding = Vec::new();
            for (i, one) in expanded.iter().enumerate() {
                match check_relation(one, snapshot) {
                    Ok(()) => holding.push(i + 1),
                    Err(why)
                        if why.starts_with("it does not hold")
                            || why.starts_with("the ranges overlap") => {}
                    Err(why) => return Err(format!("member {}: {why}", i + 1)),
                }
            }
            if holding.len() == n {
                Ok(())
            } else {
                Err(format!(
                    "it holds in {} of {m} (members {holding:?}), not {n}",
                    holding.len()
                ))
            }
        }
    }
}

/// The relation once per member of its sets: `{a|b}` in a filter becomes
/// two relations, the first with `a` wherever a set appears, the second
/// with `b`. Every set in one relation must have as many members.
fn expand_sets(relation: &str) -> Result<Vec<String>, String> {
    let mut sets: Vec<Vec<&str>> = Vec::new();
    let mut rest = relation;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| format!("`{relation}` opens a set it does not close"))?;
        sets.push(rest[open + 1..open + close].split('|').collect());
        rest = &rest[open + close + 1..];
    }
    let Some(first) = sets.first() else {
        return Ok(vec![relation.to_string()]);
    };
    let members = first.len();
    if sets.iter().any(|set| set.len() != members) {
        return Err(format!("the sets of `{relation}` differ in size"));
    }
    Ok((0..members)
        .map(|m| {
            let mut out = String::new();
            let mut rest = relation;
            let mut set = 0;
            while let Some(open) = rest.find('{') {
                let close = open + rest[open..].find('}').expect("checked above");
                out.push_str(&rest[..open]);
                out.push_str(sets[set][m]);
                set += 1;
                rest = &rest[close + 1..];
            }
            out.push_str(rest);
            out
        })
        .collect())
}

/// Checks one relation between two cells (no sets).
fn check_relation(relation: &str, snapshot: &Snapshot) -> Result<(), String> {
    let range = |(lo, mid, hi): (f64, f64, f64)| {
        format!("{} [{}–{}]", display(mid), display(lo), display(hi))
    };
    // `a > f × b` or `a < f × b`, for the medians and then for the ranges'
    // near ends (a's slowest above b's fastest, or a's fastest below b's
    // slowest).
    let compare = |a: &Selector, factor: f64, b: &Selector, above: bool| {
        if factor <= 0.0 || !factor.is_finite() {
            return Err(format!("the factor {factor} is not a positive number"));
        }
        let (a, b) = (interval(a, snapshot)?, interval(b, snapshot)?);
        let holds = |x: f64, y: f64| {
            if above {
                x > factor * y
            } else {
                x < factor * y
            }
        };
        let (near_a, near_b) = if above { (a.0, b.2) } else { (a.2, b.0) };
        let against = format!("{} against {factor} × {}", range(a), range(b));
        if !holds(a.1, b.1) {
            Err(format!("it does not hold: {against}"))
        } else if !holds(near_a, near_b) {
            Err(format!("the ranges overlap: {against}"))
        } else {
            Ok(())
        }
    };
    match Relation::parse(relation)? {
        Relation::Above(a, factor, b) => compare(&a, factor, &b, true),
        Relation::Below(a, factor, b) => compare(&a, factor, &b, false),
        Relation::Within(a, percent, b) => {
            let ((a, _), (b, _)) = (a.value(snapshot)?, b.value(snapshot)?);
            if b == 0.0 {
                return Err("the second cell is zero".into());
            }
            let off = (a / b - 1.0).abs() * 100.0;
            if off <= percent {
                Ok(())
            } else {
                Err(format!(
                    "it does not hold: {} is {off:.1}% from {}, not within {percent}%",
                    display(a),
                    display(b)
                ))
            }
        }
    }
}

/// The commit a results page says it was measured at.
pub fn snapshot_commit(md: &str) -> Option<String> {
    md.lines()
        .find_map(|l| l.strip_prefix("| commit | "))
        .map(|rest| {
            rest.trim_end_matches('|')
                .trim()
                .trim_matches('`')
                .to_string()
        })
}

/// Lines of `text` between `<!-- summary: NAME -->` and the next summary
/// marker or heading of the same or higher level.
pub fn summary_section<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let marker = format!("<!-- summary: {name} -->");
    let start = text.find(&marker)? + marker.len();
    let rest = &text[start..];
    let end = rest
        .find("<!-- summary:")
        .into_iter()
        .chain(rest.find("\n## "))
        .min()
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// The cells of the summary row for `style` (a line starting
/// ``| `style` |``), without the style cell itself.
pub fn summary_row(section: &str, style: &str) -> Option<Vec<String>> {
    let start = format!("| `{style}` |");
    section.lines().find(|l| l.starts_with(&start)).map(|l| {
        l[start.len()..]
            .trim_end()
            .trim_end_matches('|')
            .split(" | ")
            .map(|c| c.trim().to_string())
            .collect()
    })
}

/// Words of the field the book may use. Each one a chapter uses must be
/// a headword of the glossary ([`glossary`]): a learner meets it defined
/// once, whichever chapter they start from. A new term of art goes here
/// and into the glossary together.
pub const TERMS_OF_ART: &[&str] = &[
    "actor",
    "thread-per-core",
    "event loop",
    "epoll",
    "io_uring",
    "SO_REUSEPORT",
    "listen backlog",
    "edge-triggered",
    "happens-before",
    "Acquire",
    "Release",
    "Relaxed",
    "SeqCst",
    "compare-and-swap",
    "fetch_add",
    "lock-free",
    "seqlock",
    "RCU",
    "arc_swap",
    "coherence",
    "cache line",
    "contention",
    "deadlock",
    "livelock",
    "poisoning",
    "spurious wake-up",
    "futex",
    "waker",
    "Pin",
    "Send",
    "Sync",
    "work stealing",
    "LIFO slot",
    "invariant",
    "shard",
    "Zipf",
    "batching",
    "pipelining",
    "blocking",
    "spawn_blocking",
    "park",
    "spin",
    "yield",
    "condvar",
    "semaphore",
    "mpsc",
    "oneshot",
    "executor",
    "runtime",
    "reactor",
    "throughput",
    "p99",
    "tail latency",
    "open loop",
    "closed loop",
    "fairness",
    "Jain's index",
    "RSS",
    "bimodal",
    "NUMA",
    "backpressure",
    "oversubscribed",
    "linearizable",
    "loom",
    "shuttle",
    "watchdog",
    "mutant",
    "snapshot",
];

/// The headwords of the glossary (the table under "Words used in this
/// book" in `introduction`): each first cell split at commas, colons and
/// parentheses, backticks removed ("`Relaxed`, `SeqCst`" gives two).
pub fn glossary(introduction: &str) -> Vec<String> {
    let Some((_, table)) = introduction.split_once("## Words used in this book") else {
        return Vec::new();
    };
    let mut words = Vec::new();
    for line in table.lines().skip_while(|l| !l.starts_with('|')) {
        let Some(cell) = line.strip_prefix('|').and_then(|l| l.split('|').next()) else {
            break; // the table ends
        };
        let cell = cell.replace('`', "");
        if cell.trim().is_empty() || cell.contains("---") || cell.trim() == "word" {
            continue;
        }
        words.extend(
            cell.split([',', ':', '(', ')'])
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .map(str::to_string),
        );
    }
    words
}

/// Whether `term` occurs in `line` as a word of its own (a letter, digit
/// or underscore on neither side); a term in lower case matches any case.
fn uses_term(line: &str, term: &str) -> bool {
    let (line, term) = if term.chars().any(char::is_uppercase) {
        (line.to_string(), term.to_string())
    } else {
        (line.to_lowercase(), term.to_lowercase())
    };
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    line.match_indices(&term).any(|(at, _)| {
        !word(line[..at].chars().next_back()) && !word(line[at + term.len()..].chars().next())
    })
}

/// The prose of a line without its HTML tags (a figure's or claim's
/// attribute names cells, not terms).
fn without_tags(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        match rest[open..].find('>') {
            Some(close) => rest = &rest[open + close + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every term of `terms` some chapter's prose uses that `glossary` lacks,
/// with the first chapter and line that uses it.
pub fn undefined_terms(
    chapters: &[(String, String)],
    glossary: &[String],
    terms: &[&str],
) -> Vec<String> {
    let defined = |term: &str| glossary.iter().any(|w| w.eq_ignore_ascii_case(term));
    let mut missing = Vec::new();
    for term in terms.iter().filter(|t| !defined(t)) {
        let first = chapters.iter().find_map(|(name, text)| {
            prose_lines(text)
                .find(|(_, line)| uses_term(&without_tags(line), term))
                .map(|(i, _)| format!("{name}:{}", i + 1))
        });
        if let Some(at) = first {
            missing.push(format!("`{term}` (first at {at})"));
        }
    }
    missing
}

/// Every glossary headword no chapter other than the introduction uses:
/// an entry nothing needs.
pub fn unused_glossary_words(chapters: &[(String, String)], glossary: &[String]) -> Vec<String> {
    glossary
        .iter()
        .filter(|word| {
            !chapters
                .iter()
                .filter(|(name, _)| name != "introduction.md")
                .any(|(_, text)| prose_lines(text).any(|(_, l)| uses_term(&without_tags(l), word)))
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranged() -> Snapshot {
        let mut s = Snapshot::new();
        s.insert(
            "kv".into(),
            Csv::parse(
                "scenario,style,ops_per_sec,spread_iqr,ops_per_sec_slowest,ops_per_sec_fastest\n\
                 s,a,100,,90,110\n\
                 s,b,50,,45,55\n\
                 s,c,96,,91,104\n\
                 s,d,40,0.1,,\n",
            )
            .unwrap(),
        );
        s
    }

    fn claim(relation: &str) -> Claim {
        Claim {
            file: "x.md".into(),
            line: 1,
            source: relation.into(),
            shown: "beats".into(),
        }
    }

    fn cell(style: &str) -> String {
        format!("kv[scenario=s,style={style}].ops_per_sec")
    }

    #[test]
    fn a_claim_holds_only_outside_the_noise() {
        let s = ranged();
        let check = |r: String| check_claim(&claim(&r), &s);
        assert_eq!(check(format!("{} > {}", cell("a"), cell("b"))), Ok(()));
        assert_eq!(check(format!("{} < {}", cell("b"), cell("a"))), Ok(()));
        // Twice 50 is 100: not more.
        let err = check(format!("{} > 2 × {}", cell("a"), cell("b"))).unwrap_err();
        assert!(err.starts_with("it does not hold"), "{err}");
        assert_eq!(
            check(format!("{} > 1.5 × {}", cell("a"), cell("b"))),
            Ok(())
        );
        // 100 [90-110] against 96 [91-104]: the medians agree, the ranges
        // do not separate them.
        let err = check(format!("{} > {}", cell("a"), cell("c"))).unwrap_err();
        assert!(err.starts_with("the ranges overlap"), "{err}");
        // One repetition: the spread is the range (40 ± 10%, 36 to 44).
        assert_eq!(check(format!("{} > {}", cell("b"), cell("d"))), Ok(()));
        let err = check(format!("{} > 1.2 × {}", cell("b"), cell("d"))).unwrap_err();
        assert!(err.starts_with("the ranges overlap"), "{err}");
        assert_eq!(
            check(format!("{} within 5% of {}", cell("c"), cell("a"))),
            Ok(())
        );
        let err = check(format!("{} within 3% of {}", cell("c"), cell("a"))).unwrap_err();
        assert!(err.contains("4.0% from"), "{err}");
        let err = check(format!("{} ≥ {}", cell("a"), cell("b"))).unwrap_err();
        assert!(err.contains("is not `A > B`"), "{err}");
        assert!(check(format!("{} > {}", cell("a"), cell("z"))).is_err());
    }

    #[test]
    fn the_glossary_must_define_each_term_of_art_a_chapter_uses() {
        let intro = "# Intro\n\n## Words used in this book\n\n| word | meaning here |\n|---|---|\n\
                     | `Relaxed`, `SeqCst` | orderings |\n| compare-and-swap (CAS) | an atomic |\n\
                     | channel: mpsc, oneshot | queues |\n\nAfter the table.\n";
        let words = glossary(intro);
        assert_eq!(
            words,
            [
                "Relaxed",
                "SeqCst",
                "compare-and-swap",
                "CAS",
                "channel",
                "mpsc",
                "oneshot"
            ]
        );
        let chapters = vec![
            (
                "counter.md".to_string(),
                "A `Relaxed` add; the factor <span data-fig=\"x[style=futex]\">2</span> is a factor.\n\
                 ```\nlet waker = 1; // code is not prose\n```\nAn actor owns it. A \
                 compare-and-swap loop; work stealing.\n"
                    .to_string(),
            ),
            ("introduction.md".to_string(), intro.to_string()),
        ];
        let terms = [
            "Relaxed",
            "actor",
            "futex",
            "waker",
            "work stealing",
            "SeqCst",
        ];
        // `actor` on line 5 (not inside "factor"), and `work stealing`;
        // `futex` only in a tag and `waker` only in code do not count.
        assert_eq!(
            undefined_terms(&chapters, &words, &terms),
            [
                "`actor` (first at counter.md:5)",
                "`work stealing` (first at counter.md:5)"
            ]
        );
        // The chapters never use SeqCst, CAS, channel, mpsc or oneshot.
        assert_eq!(
            unused_glossary_words(&chapters, &words),
            ["SeqCst", "CAS", "channel", "mpsc", "oneshot"]
        );
    }

    #[test]
    fn a_server_cell_is_judged_by_its_lowest_and_highest_round() {
        let mut s = Snapshot::new();
        s.insert(
            "server".into(),
            Csv::parse(
                "kind,style,p99_ns,p99_ns_lowest,p99_ns_highest,requests_per_sec\n\
                 open,a,1000,900,2500,10\n\
                 open,b,2000,1900,2100,20\n\
                 open,c,3000,2900,3100,30\n",
            )
            .unwrap(),
        );
        let p99 = |style: &str| format!("server[kind=open,style={style}].p99_ns");
        let check = |r: String| check_claim(&claim(&r), &s);
        // The medians say a is half b's p99; one round of a was slower.
        let err = check(format!("{} < {}", p99("a"), p99("b"))).unwrap_err();
        assert!(err.starts_with("the ranges overlap"), "{err}");
        assert_eq!(check(format!("{} < {}", p99("b"), p99("c"))), Ok(()));
        // A column without its range columns is compared as one run.
        let rps = |style: &str| format!("server[kind=open,style={style}].requests_per_sec");
        assert_eq!(check(format!("{} > {}", rps("b"), rps("a"))), Ok(()));
    }

    #[test]
    fn a_claim_over_a_set_counts_where_it_holds() {
        let s = ranged();
        let check = |r: &str| check_claim(&claim(r), &s);
        let set = |style: &str| format!("kv[scenario=s,style={style}].ops_per_sec");
        // a > c overlaps, a > b holds: one of two.
        let over = format!("kv[scenario=s,style={{b|c}}].ops_per_sec < {}", set("a"));
        let err = check(&format!("{over} in 2 of 2")).unwrap_err();
        assert!(err.starts_with("it holds in 1 of 2 (members [1])"), "{err}");
        assert_eq!(check(&format!("{over} in 1 of 2")), Ok(()));
        let err = check(&over).unwrap_err();
        assert!(err.contains("says in how many"), "{err}");
        let err = check(&format!("{over} in 1 of 3")).unwrap_err();
        assert!(err.contains("2 members"), "{err}");
        let err = check("kv[scenario=s,style={a|b}].ops_per_sec > kv[scenario=s,style={a|b|c}].ops_per_sec in 1 of 2").unwrap_err();
        assert!(err.contains("differ in size"), "{err}");
    }

    #[test]
    fn claims_are_found_in_prose_and_not_in_code() {
        let text = "It <span class=\"claim\" data-claim=\"A > B\">beats</span> it.\n```\n<span class=\"claim\" data-claim=\"C > D\">x</span>\n```\n";
        let found = claims("g.md", text);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].line, found[0].source.as_str()), (1, "A > B"));
    }

    fn snapshot() -> Snapshot {
        let mut s = Snapshot::new();
        s.insert(
            "counter".into(),
            Csv::parse(
                "scenario,style,driver,clients,ops_per_sec,median_ns_per_op\n\
                 counter-add,atomic,threads,1,480529000,2.08\n\
                 counter-add,atomic,threads,2,220473000,4.5\n\
                 counter-add,mutex,threads,1,229000,4366.8\n",
            )
            .unwrap(),
        );
        s.insert(
            "runtime".into(),
            Csv::parse(
                "kind,runtime,n,value,unit\nmemory,tokio,1000,538.2,B\nspawn,tokio,1,231.4,ns\n",
            )
            .unwrap(),
        );
        s
    }

    fn fig(source: &str, shown: &str) -> Figure {
        Figure {
            file: "t.md".into(),
            line: 1,
            source: source.into(),
            shown: shown.into(),
        }
    }

    const ONE: &str =
        "counter[scenario=counter-add,style=atomic,driver=threads,clients=1].ops_per_sec";
    const TWO: &str =
        "counter[scenario=counter-add,style=atomic,driver=threads,clients=2].ops_per_sec";

    #[test]
    fn a_figure_that_rounds_to_its_cell_passes_and_one_that_does_not_fails() {
        let s = snapshot();
        for ok in ["480 M", "481 M", "480.5 M", "0.48 G", "480,529 k", "500 M"] {
            assert_eq!(check_figure(&fig(ONE, ok), &s), Ok(()), "{ok}");
        }
        for wrong in ["470 M", "482 M", "480.6 M", "2.2 M"] {
            let err = check_figure(&fig(ONE, wrong), &s).expect_err(wrong);
            assert!(err.contains("the snapshot says 480.5"), "{wrong}: {err}");
        }
    }

    #[test]
    fn trailing_zeros_of_a_whole_number_are_not_significant() {
        let s = snapshot();
        let mutex =
            "counter[scenario=counter-add,style=mutex,driver=threads,clients=1].ops_per_sec";
        assert_eq!(check_figure(&fig(mutex, "229,000"), &s), Ok(()));
        assert_eq!(check_figure(&fig(mutex, "230,000"), &s), Ok(()));
        assert!(check_figure(&fig(mutex, "231,000"), &s).is_err());
        assert!(check_figure(&fig(mutex, "229,500 operations"), &s).is_err());
    }

    #[test]
    fn ratios_times_and_bytes() {
        let s = snapshot();
        let ratio = format!("{TWO} / {ONE}");
        for ok in ["0.46×", "0.46 times", "0.459"] {
            assert_eq!(check_figure(&fig(&ratio, ok), &s), Ok(()), "{ok}");
        }
        assert!(check_figure(&fig(&ratio, "0.50×"), &s).is_err());
        let ns =
            "counter[scenario=counter-add,style=mutex,driver=threads,clients=1].median_ns_per_op";
        assert_eq!(check_figure(&fig(ns, "4.4 µs"), &s), Ok(()));
        assert_eq!(check_figure(&fig(ns, "4,367 ns"), &s), Ok(()));
        assert!(
            check_figure(&fig(ns, "4.4 M"), &s).is_err(),
            "a rate shown for a time"
        );
        let memory = "runtime[kind=memory,runtime=tokio,n=1000].value";
        assert_eq!(check_figure(&fig(memory, "538 B"), &s), Ok(()));
        assert_eq!(check_figure(&fig(memory, "0.53 KiB"), &s), Ok(()));
        assert!(check_figure(&fig(memory, "600 B"), &s).is_err());
        let mut served = snapshot();
        served.insert(
            "server".into(),
            Csv::parse("kind,style,answered,p99_ns\nload,x,8840,1500000\n").unwrap(),
        );
        let answered = "server[kind=load,style=x].answered";
        assert_eq!(
            check_figure(&fig(answered, "8,840"), &served),
            Ok(()),
            "a count, not a time"
        );
        let p99 = "server[kind=load,style=x].p99_ns";
        assert_eq!(check_figure(&fig(p99, "1.5 ms"), &served), Ok(()));
        let spawn = "runtime[kind=spawn,runtime=tokio,n=1].value";
        assert_eq!(check_figure(&fig(spawn, "231 ns"), &s), Ok(()));
        let spread = "counter[scenario=counter-add,style=mutex,driver=threads,clients=1].spread";
        let mut with_spread = snapshot();
        with_spread.insert(
            "counter".into(),
            Csv::parse("scenario,style,driver,clients,spread\ncounter-add,mutex,threads,1,0.27\n")
                .unwrap(),
        );
        assert_eq!(check_figure(&fig(spread, "±27%"), &with_spread), Ok(()));
        assert!(check_figure(&fig(spread, "±36%"), &with_spread).is_err());
    }

    #[test]
    fn a_selector_must_name_exactly_one_row() {
        let s = snapshot();
        let two_rows = "counter[scenario=counter-add,style=atomic].ops_per_sec";
        assert!(
            check_figure(&fig(two_rows, "1 M"), &s)
                .unwrap_err()
                .contains("2 rows")
        );
        let none = "counter[scenario=counter-add,style=pool,driver=threads,clients=1].ops_per_sec";
        assert!(
            check_figure(&fig(none, "1 M"), &s)
                .unwrap_err()
                .contains("no row")
        );
        let column = "counter[scenario=counter-add,styl=atomic].ops_per_sec";
        assert!(
            check_figure(&fig(column, "1 M"), &s)
                .unwrap_err()
                .contains("no column")
        );
        assert!(
            check_figure(&fig("bank[a=b].x", "1"), &s)
                .unwrap_err()
                .contains("no bank.csv")
        );
        assert!(Selector::parse("counter.ops_per_sec").is_err());
    }

    #[test]
    fn figures_are_found_in_spans_and_unmarked_ones_are_reported() {
        let text = format!(
            "One client: <span class=\"fig\" data-fig=\"{ONE}\">480 M</span> a second, \
             two: <span class=\"fig\" data-fig=\"{TWO}\">220 M</span>.\n\
             ```\nlet x = 5 M;\n```\n\
             An unmarked 3.5 M and 20,000 a second, 0.9 times, 2×, a `10 k` in code,\n\
             <span class=\"run\">an older run: 12 k</span>, <span class=\"param\">1 M sessions</span>, 16 shards.\n"
        );
        let found = figures("t.md", &text);
        assert_eq!(found.len(), 2);
        assert_eq!((found[1].line, found[1].shown.as_str()), (1, "220 M"));
        let unmarked = unmarked_figures("t.md", &text);
        assert_eq!(
            unmarked,
            [
                "t.md:5: \"3.5 M\"",
                "t.md:5: \"20,000 a\"",
                "t.md:5: \"0.9 times,\"",
                "t.md:5: \"2×, a\""
            ]
        );
    }

    #[test]
    fn summary_rows_are_found_per_section() {
        let guide = "## Summary\n<!-- summary: counter -->\n| style | fits |\n|---|---|\n| `atomic` | counters | x |\n\
                     <!-- summary: bank -->\n| `mutex` | small | y |\n## Next\n| `ordered` | z |\n";
        let counter = summary_section(guide, "counter").unwrap();
        assert_eq!(summary_row(counter, "atomic").unwrap(), ["counters", "x"]);
        assert!(summary_row(counter, "mutex").is_none());
        let bank = summary_section(guide, "bank").unwrap();
        assert!(summary_row(bank, "mutex").is_some());
        assert!(
            summary_row(bank, "ordered").is_none(),
            "past the next heading"
        );
    }

    #[test]
    fn the_commit_line_is_read() {
        let md = "| | |\n|---|---|\n| commit | `abc123def456` |\n";
        assert_eq!(snapshot_commit(md).as_deref(), Some("abc123def456"));
    }
}
