//! `index.html`: one self-contained page with every workload's report
//! (the same Markdown as `<workload>.md`, rendered), its charts inlined,
//! links to the CSVs, and a legend for the marks. No JavaScript, no
//! network: it opens from the file system.

use std::path::{Path, PathBuf};

use pulldown_cmark::{Options, Parser, html};

use super::error::ReportError;
use super::workload::Workload;

const STYLE: &str = "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:1em 0;font-size:90%}td,th{border:1px solid #ccc;padding:2px 8px}\
td:not(:first-child){text-align:right}th{background:#f4f4f4}h1{border-bottom:2px solid #444}\
h2{margin-top:2em}nav a{margin-right:1em}svg{max-width:100%;height:auto;display:block;margin:1em 0}\
.legend{background:#f8f8f0;border:1px solid #ddc;padding:0.5em 1em}";

const LEGEND: &str = "<div class=\"legend\"><b>Reading the tables.</b> Compare cells <i>within</i> one \
table: they were measured in the same run. † marks a column with more clients than cores \
(oversubscribed). ⚠ marks a style that breaks part of its workload's contract, measured to show what \
the shortcut buys (each table says why). A ratio such as <code>0.50× fetch_add</code> is the row's \
throughput as a fraction of the bare primitive it is built on, measured in the same run. Latency \
percentiles come from HdrHistogram; means are never shown as latency.</div>";

fn to_html(markdown: &str) -> String {
    let markdown: String = markdown
        .lines()
        .filter(|l| !l.starts_with("<!-- ANCHOR"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(&markdown, Options::ENABLE_TABLES));
    out
}

/// The charts of `workload` in `out_dir` (`<name>-*.svg`), sorted by name.
fn charts(out_dir: &Path, workload: &str) -> Vec<PathBuf> {
    let prefix = format!("{workload}-");
    let mut found: Vec<PathBuf> = std::fs::read_dir(out_dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "svg")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
        })
        .collect();
    found.sort();
    found
}

/// The page for every workload with a report in `out_dir` (and the
/// comparison, when `comparison.md` is there).
pub fn page(out_dir: &Path, workloads: &[Workload]) -> String {
    let present: Vec<&Workload> = workloads
        .iter()
        .filter(|w| out_dir.join(format!("{}.md", w.name)).exists())
        .collect();
    let mut body = String::from("<h1>Concurrency workbench results</h1>\n<nav>");
    for w in &present {
        body.push_str(&format!("<a href=\"#{0}\">{0}</a>", w.name));
    }
    let comparison = out_dir.join("comparison.md");
    if comparison.exists() {
        body.push_str("<a href=\"#comparison\">comparison</a>");
    }
    body.push_str("</nav>\n");
    body.push_str(LEGEND);
    if present.is_empty() {
        body.push_str("<p>No results yet: run <code>cargo bench</code>.</p>");
    }
    for w in &present {
        let md =
            std::fs::read_to_string(out_dir.join(format!("{}.md", w.name))).unwrap_or_default();
        body.push_str(&format!(
            "\n<section id=\"{0}\">\n{1}<p><a href=\"{0}.csv\">{0}.csv</a> (every cell, machine-readable)</p>\n",
            w.name,
            to_html(&md)
        ));
        for chart in charts(out_dir, w.name) {
            if let Ok(svg) = std::fs::read_to_string(&chart) {
                body.push_str(&svg);
            }
        }
        body.push_str("</section>\n");
    }
    if let Ok(md) = std::fs::read_to_string(&comparison) {
        body.push_str(&format!(
            "<section id=\"comparison\">\n{}</section>\n",
            to_html(&md)
        ));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Concurrency workbench results</title>\
         <style>{STYLE}</style></head><body>\n{body}</body></html>\n"
    )
}

/// Writes `<out>/index.html`; returns its path.
pub fn write_index(out_dir: &Path, workloads: &[Workload]) -> Result<PathBuf, ReportError> {
    write_page(out_dir, out_dir, workloads)
}

/// Writes the page of the reports in `from` to `<to>/index.html` (the
/// book's snapshot has the reports and charts but is not where a page
/// belongs).
pub fn write_page(from: &Path, to: &Path, workloads: &[Workload]) -> Result<PathBuf, ReportError> {
    let path = to.join("index.html");
    std::fs::create_dir_all(to).map_err(|e| ReportError::write(to, e))?;
    std::fs::write(&path, page(from, workloads)).map_err(|e| ReportError::write(&path, e))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_holds_every_report_its_charts_and_csv_links() {
        let dir = std::env::temp_dir().join(format!("workbench-html-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("bank.md"),
            "# bank benchmark results\n\n<!-- ANCHOR: body -->\n| style | 1 client |\n|---|---:|\n| mutex ⚠ | 5 M |\n<!-- ANCHOR_END: body -->\n",
        )
        .unwrap();
        std::fs::write(dir.join("bank-2.svg"), "<svg id=\"chart-bank-2\"></svg>").unwrap();
        std::fs::write(dir.join("server.md"), "# server benchmark results\n").unwrap();
        let page = page(&dir, &crate::workloads::all());
        let _ = std::fs::remove_dir_all(&dir);
        assert!(page.starts_with("<!DOCTYPE html>") && page.trim_end().ends_with("</html>"));
        for expected in [
            "<section id=\"bank\">",
            "<section id=\"server\">",
            "<td>mutex ⚠</td>",
            "<svg id=\"chart-bank-2\">",
            "<a href=\"bank.csv\">",
            "oversubscribed",
        ] {
            assert!(page.contains(expected), "missing {expected:?} in\n{page}");
        }
        assert!(
            !page.contains("ANCHOR"),
            "the book's anchors leaked into the page"
        );
        assert!(
            !page.contains("<section id=\"counter\">"),
            "a workload with no report got a section"
        );
        assert!(!page.contains("<script"), "the page needs no JavaScript");
    }
}
