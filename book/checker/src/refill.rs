//! Refilling the book's figures from a new snapshot: every marked figure
//! (`<span class="fig" data-fig="…">`) gets the number its cell now holds,
//! written in the figure's own unit and to as many significant digits as
//! it had (a unit moves up or down its family, `k` to `M`, `µs` to `ms`,
//! when the number crosses 1,000 or 1). The words around it are not
//! touched: a figure that moved a lot is listed for a writer to reread,
//! and the claims (`data-claim`) are checked again, not rewritten, since a
//! relation that no longer holds needs a sentence changed, not a digit.
//! `book-checker refill` runs it over `book/src/*.md`.

use super::{FIG_OPEN, Marked, Shown, Snapshot, Unit, check_figure, figure_value};

/// One figure rewritten.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub file: String,
    pub line: usize,
    pub source: String,
    pub before: String,
    pub after: String,
    /// The new value over the value shown before (1.0: the same).
    pub moved: f64,
}

/// What [`refill`] did to one file.
#[derive(Debug, Default)]
pub struct Refilled {
    pub text: String,
    /// Figures whose shown text changed.
    pub changes: Vec<Change>,
    /// Figures checked, changed or not.
    pub figures: usize,
    /// Figures it could not rewrite (left as they were), with why.
    pub errors: Vec<String>,
}

/// `text` with every marked figure outside code blocks rewritten from
/// `snapshot`.
pub fn refill(file: &str, text: &str, snapshot: &Snapshot) -> Refilled {
    let mut out = Refilled::default();
    let mut in_code = false;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        if in_code || line.trim_start().starts_with("```") {
            out.text.push_str(line);
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find(FIG_OPEN) {
            let open_end = start + FIG_OPEN.len();
            let after_open = &rest[open_end..];
            let Some((source, after_source)) = after_open.split_once("\">") else {
                break;
            };
            let Some((shown, _)) = after_source.split_once("</span>") else {
                break;
            };
            let shown_at = open_end + source.len() + 2;
            out.text.push_str(&rest[..shown_at]);
            out.figures += 1;
            let figure = Marked {
                file: file.to_string(),
                line: i + 1,
                source: source.to_string(),
                shown: shown.to_string(),
            };
            match rewritten(&figure, snapshot) {
                Ok((after, moved)) => {
                    if after != shown {
                        out.changes.push(Change {
                            file: file.to_string(),
                            line: i + 1,
                            source: source.to_string(),
                            before: shown.to_string(),
                            after: after.clone(),
                            moved,
                        });
                    }
                    out.text.push_str(&after);
                }
                Err(why) => {
                    out.errors.push(format!("{figure}: {why}"));
                    out.text.push_str(shown);
                }
            }
            rest = &rest[shown_at + shown.len()..];
        }
        out.text.push_str(rest);
    }
    out
}

/// The figure's new text, checked against its cell, and how far it moved.
fn rewritten(figure: &Marked, snapshot: &Snapshot) -> Result<(String, f64), String> {
    let (actual, unit) = figure_value(&figure.source, snapshot)?;
    let after = render_like(&figure.shown, actual, unit)?;
    let old = Shown::parse(&figure.shown)?.in_units_of(unit)?.value;
    let new = Marked {
        shown: after.clone(),
        ..figure.clone()
    };
    check_figure(&new, snapshot).map_err(|why| format!("rewritten as \"{after}\", {why}"))?;
    let moved = if old == 0.0 { f64::NAN } else { actual / old };
    Ok((after, moved))
}

/// The units a shown figure may move between, with what each is worth.
const FAMILIES: &[&[(&str, f64)]] = &[
    &[("k", 1e3), ("M", 1e6), ("G", 1e9)],
    &[("ns", 1.0), ("µs", 1e3), ("ms", 1e6), ("s", 1e9)],
    &[
        ("B", 1.0),
        ("KiB", 1024.0),
        ("MiB", 1024.0 * 1024.0),
        ("GiB", 1024.0 * 1024.0 * 1024.0),
    ],
];

/// `actual` (in the cell's `unit`) written as `shown` was written: its
/// leading mark (`~`), its unit (moved within its family if the number
/// leaves 1–999), its digit grouping, its significant digits (at least
/// two), and whatever followed the unit.
pub fn render_like(shown: &str, actual: f64, unit: Unit) -> Result<String, String> {
    let old = Shown::parse(shown)?;
    let body = shown.trim_start().trim_start_matches(['~', '±']);
    let lead = &shown[..shown.len() - body.len()];
    let end = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(body.len());
    let (number, after) = body.split_at(end);
    let (gap, token, tail) = if old.unit.is_none() {
        // No unit of its own: the number is in the cell's unit.
        ("", "", after)
    } else if let Some(tail) = after.strip_prefix('%') {
        ("", "%", tail)
    } else {
        let word = after.trim_start();
        let gap = &after[..after.len() - word.len()];
        let token = word
            .split(|c: char| c.is_whitespace() || c == '/' || c == ')')
            .next()
            .unwrap_or("");
        (gap, token, &word[token.len()..])
    };
    // The cell's value in the shown unit.
    let worth = |u: Unit| match u {
        Unit::Plain => 1.0,
        Unit::Time(ns) => ns,
        Unit::Bytes(b) => b,
    };
    let shown_worth = match old.unit {
        None => worth(unit),
        Some(Unit::Plain) => old.multiplier,
        Some(u) => worth(u),
    };
    let mut value = actual * worth(unit) / shown_worth;
    let mut token = if token == "us" { "µs" } else { token };
    if let Some(family) = FAMILIES.iter().find(|f| f.iter().any(|(t, _)| *t == token)) {
        let mut at = family.iter().position(|(t, _)| *t == token).expect("found");
        while value.abs() >= 999.5 && at + 1 < family.len() {
            value *= family[at].1 / family[at + 1].1;
            at += 1;
        }
        while value.abs() < 1.0 && value != 0.0 && at > 0 {
            value *= family[at].1 / family[at - 1].1;
            at -= 1;
        }
        token = family[at].0;
    }
    let digits = number.replace(',', "");
    let significant = if digits.contains('.') {
        digits.replace('.', "").trim_start_matches('0').len()
    } else {
        digits.trim_end_matches('0').len()
    }
    .max(2);
    let grouped = number.contains(',');
    // A whole count stays whole ("2 of 10", not "1.0 of 10"); a rate or a
    // time in a unit keeps the digits its significance gives it.
    let whole = !digits.contains('.') && matches!(token, "" | "%");
    Ok(format!(
        "{lead}{}{gap}{token}{tail}",
        with_significant(value, significant, grouped, whole)
    ))
}

/// `value` to `significant` digits: decimals where the digits need them,
/// a whole number rounded otherwise (grouped by thousands if `grouped`, or
/// from 10,000 up).
fn with_significant(value: f64, significant: usize, grouped: bool, whole: bool) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = significant as i32 - 1 - magnitude;
    if decimals > 0 && !whole {
        return format!("{value:.0$}", decimals as usize);
    }
    let step = 10f64.powi((-decimals).max(0));
    let rounded = ((value / step).round() * step) as i64;
    let text = rounded.unsigned_abs().to_string();
    let text = if grouped || rounded.unsigned_abs() >= 10_000 {
        let mut out = String::new();
        for (i, c) in text.chars().enumerate() {
            if i > 0 && (text.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else {
        text
    };
    if rounded < 0 {
        format!("-{text}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Csv;

    #[test]
    fn a_figure_keeps_its_unit_and_its_precision() {
        let cases: &[(&str, f64, Unit, &str)] = &[
            ("8.17 k", 12_345.0, Unit::Plain, "12.3 k"),
            ("480 M", 1.234e9, Unit::Plain, "1.2 G"),
            ("123 k", 98_765.0, Unit::Plain, "98.8 k"),
            ("13.7 KiB", 2048.0, Unit::Bytes(1.0), "2.00 KiB"),
            ("349 B", 2048.0, Unit::Bytes(1.0), "2.00 KiB"),
            ("64 ns", 0.5, Unit::Time(1e3), "500 ns"),
            ("1.2 ms", 800_000.0, Unit::Time(1.0), "800 µs"),
            ("987 µs", 1_234_567.0, Unit::Time(1.0), "1.23 ms"),
            ("0.84×", 1.234, Unit::Plain, "1.2×"),
            ("0.84 times", 0.7777, Unit::Plain, "0.78 times"),
            ("15,882", 16_001.0, Unit::Plain, "16,001"),
            ("7,648 of", 9_999.0, Unit::Plain, "9,999 of"),
            ("2", 1.0, Unit::Plain, "1"),
            ("27%", 0.314, Unit::Plain, "31%"),
            ("~2.2 M", 2_049_000.0, Unit::Plain, "~2.0 M"),
            ("29,000", 31_234.0, Unit::Plain, "31,000"),
            ("5.3 KiB/conn.", 6000.0, Unit::Bytes(1.0), "5.9 KiB/conn."),
        ];
        for (shown, actual, unit, expected) in cases {
            assert_eq!(
                render_like(shown, *actual, *unit).as_deref(),
                Ok(*expected),
                "{shown} for {actual}"
            );
        }
    }

    fn snapshot() -> Snapshot {
        let mut s = Snapshot::new();
        s.insert(
            "kv".into(),
            Csv::parse("style,ops_per_sec,p99_ns\na,2345678,1500\nb,1000000,900\n").unwrap(),
        );
        s
    }

    #[test]
    fn refill_rewrites_figures_outside_code_and_reports_what_moved() {
        let text = "a does <span class=\"fig\" data-fig=\"kv[style=a].ops_per_sec\">1.8 M</span> ops, \
                    p99 <span class=\"fig\" data-fig=\"kv[style=a].p99_ns\">1.50 µs</span>, \
                    <span class=\"fig\" data-fig=\"kv[style=a].ops_per_sec / kv[style=b].ops_per_sec\">2.3×</span> b.\n\
                    ```\n<span class=\"fig\" data-fig=\"kv[style=a].ops_per_sec\">1.8 M</span>\n```\n\
                    gone: <span class=\"fig\" data-fig=\"kv[style=z].ops_per_sec\">5 M</span>\n";
        let out = refill("x.md", text, &snapshot());
        let expected = text.replacen(">1.8 M<", ">2.3 M<", 1);
        assert_eq!(out.text, expected, "the code block's copy stays as it was");
        assert_eq!(out.figures, 4);
        assert_eq!(out.changes.len(), 1);
        let change = &out.changes[0];
        assert_eq!(
            (change.before.as_str(), change.after.as_str()),
            ("1.8 M", "2.3 M")
        );
        assert!((change.moved - 2_345_678.0 / 1.8e6).abs() < 1e-9);
        assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
        assert!(out.errors[0].contains("no row"), "{:?}", out.errors);
        // Refilling again changes nothing.
        let again = refill("x.md", &out.text, &snapshot());
        assert_eq!((again.text, again.changes.len()), (out.text, 0));
    }
}
