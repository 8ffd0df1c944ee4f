//! The table model every report shares: figures formatted for reading,
//! a Markdown table builder, and one throughput scenario's measurements
//! arranged as rows (style and driver) by columns (clients).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::cells::Measurement;

/// Formats operations per second with an SI prefix: `98.2 M`.
pub fn si(ops: f64) -> String {
    let (value, prefix) = match ops {
        x if x >= 1e9 => (x / 1e9, " G"),
        x if x >= 1e6 => (x / 1e6, " M"),
        x if x >= 1e3 => (x / 1e3, " k"),
        x => (x, " "),
    };
    format!("{value:.3}{prefix}").replace(".000", "")
}

/// A duration in ns as a short human figure: `850 ns`, `12.3 µs`, `4.1 ms`.
pub fn time(ns: u64) -> String {
    match ns {
        n if n >= 1_000_000_000 => format!("{:.2} s", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{:.1} ms", n as f64 / 1e6),
        n if n >= 1_000 => format!("{:.1} µs", n as f64 / 1e3),
        n => format!("{n} ns"),
    }
}

/// A byte count as a short human figure: `312 B`, `2.1 KiB`, `8.0 MiB`.
pub fn bytes(n: f64) -> String {
    match n {
        b if b >= 1024.0 * 1024.0 * 1024.0 => format!("{:.2} GiB", b / (1024.0 * 1024.0 * 1024.0)),
        b if b >= 1024.0 * 1024.0 => format!("{:.1} MiB", b / (1024.0 * 1024.0)),
        b if b >= 1024.0 => format!("{:.1} KiB", b / 1024.0),
        b => format!("{b:.0} B"),
    }
}

/// A Markdown table: a header, then rows. The first `left` columns are
/// left-aligned (names), the rest right-aligned (figures).
pub struct MdTable {
    text: String,
}

impl MdTable {
    pub fn new<S: AsRef<str>>(header: &[S], left: usize) -> MdTable {
        let mut text = String::from("|");
        for h in header {
            let _ = write!(text, " {} |", h.as_ref());
        }
        text.push_str("\n|");
        for i in 0..header.len() {
            text.push_str(if i < left { "---|" } else { "---:|" });
        }
        text.push('\n');
        MdTable { text }
    }

    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) {
        self.text.push('|');
        for c in cells {
            let _ = write!(self.text, " {} |", c.as_ref());
        }
        self.text.push('\n');
    }

    pub fn finish(self) -> String {
        self.text
    }
}

/// Rows are ordered baselines first, then by style, then by driver in the
/// order of [`crate::settings::DRIVERS`].
fn row_sort_key(row: &str) -> (bool, String, usize) {
    let (style, driver) = row.split_once('@').unwrap_or((row, ""));
    let drivers = crate::settings::DRIVERS;
    let driver_rank = drivers
        .iter()
        .position(|d| *d == driver)
        .unwrap_or(drivers.len());
    (
        !style.starts_with("baseline"),
        style.to_string(),
        driver_rank,
    )
}

/// One scenario's measurements arranged as the table shows them.
pub struct ScenarioTable<'m> {
    /// Client counts, ascending: the columns.
    pub clients: BTreeSet<usize>,
    /// `style@driver`, baselines first, then by style and driver: the rows.
    pub rows: Vec<&'m str>,
    pub cells: BTreeMap<(&'m str, usize), &'m Measurement>,
}

impl<'m> ScenarioTable<'m> {
    /// `None` when the scenario was not measured.
    pub fn of(measurements: &'m [Measurement], group: &str) -> Option<ScenarioTable<'m>> {
        let cells: BTreeMap<(&str, usize), &Measurement> = measurements
            .iter()
            .filter(|m| m.group == group)
            .map(|m| ((m.row.as_str(), m.clients), m))
            .collect();
        if cells.is_empty() {
            return None;
        }
        let clients = cells.keys().map(|(_, c)| *c).collect();
        let mut rows: Vec<&str> = cells
            .keys()
            .map(|(r, _)| *r)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        rows.sort_by_key(|r| row_sort_key(r));
        Some(ScenarioTable {
            clients,
            rows,
            cells,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn si_prefixes() {
        assert_eq!(si(186_704_000.0), "186.704 M");
        assert_eq!(si(2_000_000_000.0), "2 G");
        assert_eq!(si(21_942.0), "21.942 k");
    }

    #[test]
    fn human_times_and_sizes() {
        assert_eq!(time(850), "850 ns");
        assert_eq!(time(12_345), "12.3 µs");
        assert_eq!(time(4_100_000), "4.1 ms");
        assert_eq!(bytes(312.0), "312 B");
        assert_eq!(bytes(2150.0), "2.1 KiB");
    }

    #[test]
    fn markdown_tables_align_names_left_and_figures_right() {
        let mut t = MdTable::new(&["style", "ops/s"], 1);
        t.row(&["atomic", "1 M"]);
        assert_eq!(
            t.finish(),
            "| style | ops/s |\n|---|---:|\n| atomic | 1 M |\n"
        );
    }
}
