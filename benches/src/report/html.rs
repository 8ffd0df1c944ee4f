//! `index.html`: one self-contained page with every workload's report
//! (the same Markdown as `<workload>.md`, rendered), its charts inlined,
//! links to the CSVs, and a legend for the marks. No JavaScript, no
//! network: it opens from the file system.
//!
//! The page may be made from someone else's results (`--page-from`), so
//! nothing in them is trusted as markup: raw HTML in a report's Markdown
//! is shown as text, and a chart is inlined only when it uses nothing but
//! the elements and attributes the workbench's own charts use
//! ([`is_plain_chart`]); any other SVG becomes an `<img>` (a data URI),
//! where a browser runs no script and follows no link.

use std::path::{Path, PathBuf};

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

use super::error::ReportError;
use super::workload::Workload;

const STYLE: &str = "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:1em 0;font-size:90%}td,th{border:1px solid #ccc;padding:2px 8px}\
td:not(:first-child){text-align:right}th{background:#f4f4f4}h1{border-bottom:2px solid #444}\
h2{margin-top:2em}nav a{margin-right:1em}svg{max-width:100%;height:auto;display:block;margin:1em 0}\
.legend{background:#f8f8f0;border:1px solid #ddc;padding:0.5em 1em}";

const LEGEND: &str = "<div class=\"legend\"><b>Reading the tables.</b> Compare cells <i>within</i> one \
table: they were measured in the same run, the throughput workloads in interleaved rounds \
(each figure the median of the rounds, <code>[a–b]</code> the slowest and fastest). † marks a \
column or cell with more threads that may run than cores (oversubscribed). ⚠ marks a style that \
breaks part of its workload's contract, measured to show what the shortcut buys (each table says \
why). A ratio such as <code>0.50× [0.48–0.53] fetch_add</code> is the row's throughput as a \
fraction of the bare primitive it is built on, paired round by round, with its 95% interval; ▼ \
only where the whole interval lies below the bar. Latency percentiles come from HdrHistogram; \
means are never shown as latency.</div>";

fn to_html(markdown: &str) -> String {
    let markdown: String = markdown
        .lines()
        .filter(|l| !l.starts_with("<!-- ANCHOR"))
        .collect::<Vec<_>>()
        .join("\n");
    // Raw HTML in the Markdown becomes text, except the few tags the
    // workbench's own reports use to fold tables and place charts: a
    // foreign report's markup must not run in the reader's browser.
    // Links only to a place on the page or to a file beside it (the
    // CSVs), and no images: a foreign report must not run a `javascript:`
    // link or make the page fetch from the network.
    let events =
        Parser::new_ext(&markdown, Options::ENABLE_TABLES).filter_map(|event| match event {
            Event::Html(raw) | Event::InlineHtml(raw) if is_report_markup(&raw) => {
                Some(Event::Html(raw))
            }
            Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
            Event::Start(Tag::Link { ref dest_url, .. }) if !is_local_link(dest_url) => None,
            Event::End(TagEnd::Link) => Some(Event::End(TagEnd::Link)),
            Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
            other => Some(other),
        });
    // A dropped link's end tag would close nothing: rebuild the stream
    // pairing them.
    let mut open_links: Vec<bool> = Vec::new();
    let events = events.collect::<Vec<_>>();
    let mut kept = Vec::with_capacity(events.len());
    for event in events {
        match &event {
            Event::Start(Tag::Link { .. }) => {
                open_links.push(true);
                kept.push(event);
            }
            Event::End(TagEnd::Link) => {
                if open_links.pop().is_some() {
                    kept.push(event);
                }
            }
            _ => kept.push(event),
        }
    }
    let events = kept.into_iter();
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

/// A link to a place on this page (`#...`) or a relative path with no
/// scheme (a CSV beside the page).
fn is_local_link(url: &str) -> bool {
    url.starts_with('#') || !(url.contains(':') || url.starts_with("//"))
}

/// Whether raw HTML is only what the workbench's reports write: folding
/// tags (`<details>`, `<summary>`) around plain text, and chart markers
/// (`<!-- chart: name -->`, a name of letters, digits and dashes).
fn is_report_markup(raw: &str) -> bool {
    let mut rest = raw.to_string();
    for tag in ["<details>", "</details>", "<summary>", "</summary>"] {
        rest = rest.replace(tag, "");
    }
    let rest = rest.trim();
    if let Some(name) = rest
        .strip_prefix("<!-- chart: ")
        .and_then(|r| r.strip_suffix(" -->"))
    {
        return !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    }
    !rest.contains(['<', '>', '&'])
}

/// What the workbench's charts are made of (`chart.rs`).
const CHART_ELEMENTS: [&str; 5] = ["svg", "rect", "text", "line", "title"];
const CHART_ATTRIBUTES: [&str; 20] = [
    "id",
    "xmlns",
    "width",
    "height",
    "viewBox",
    "font-family",
    "font-size",
    "font-weight",
    "fill",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "stroke",
    "text-anchor",
    "transform",
    "stroke-width",
    "stroke-dasharray",
];

/// Whether `svg` uses only the chart's elements and attributes, with
/// quoted values: no script, no event handler, no link, no foreign object.
pub fn is_plain_chart(svg: &str) -> bool {
    let mut rest = svg;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let rest_of_tag = rest.strip_prefix('/').unwrap_or(rest);
        let name_len = rest_of_tag
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest_of_tag.len());
        if !CHART_ELEMENTS.contains(&&rest_of_tag[..name_len]) {
            return false; // also `<!`, `<?`, `<script`, `<a`, `<foreignObject`
        }
        let Some(end) = rest.find('>') else {
            return false;
        };
        let mut attributes = rest_of_tag[name_len..rest_of_tag.len() - (rest.len() - end)].trim();
        attributes = attributes.strip_suffix('/').unwrap_or(attributes).trim();
        while !attributes.is_empty() {
            let Some((name, value)) = attributes.split_once('=') else {
                return false;
            };
            let Some(value) = value.strip_prefix('"') else {
                return false;
            };
            let Some(close) = value.find('"') else {
                return false;
            };
            // No markup, and no reference to anything outside the chart
            // (`fill="url(...)"` can fetch).
            let (name, text) = (name.trim(), value[..close].to_ascii_lowercase());
            let outside = if name == "xmlns" {
                text != "http://www.w3.org/2000/svg"
            } else {
                text.contains("url(") || text.contains(':')
            };
            if !CHART_ATTRIBUTES.contains(&name) || text.contains('<') || outside {
                return false;
            }
            attributes = value[close + 1..].trim_start();
        }
        rest = &rest[end + 1..];
    }
    true
}

/// A chart for the page: inlined when it is plainly one of ours, else an
/// image, where nothing in it can run.
fn embed_chart(svg: &str) -> String {
    if is_plain_chart(svg) {
        svg.to_string()
    } else {
        use base64_free::encode;
        format!(
            "<img alt=\"a chart that is not the workbench's own, shown as an image\" src=\"data:image/svg+xml;base64,{}\">",
            encode(svg.as_bytes())
        )
    }
}

/// Base64 without a dependency: a few lines, for the data URI above.
mod base64_free {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
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
        // A chart goes where its report placed its marker (beside its
        // scenario's summary), else after the report.
        let mut html = to_html(&md);
        let mut unplaced = Vec::new();
        for chart in charts(out_dir, w.name) {
            let Ok(svg) = std::fs::read_to_string(&chart) else {
                continue;
            };
            let stem = chart
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let marker = super::render::chart_marker(&stem);
            if html.contains(&marker) {
                html = html.replacen(&marker, &embed_chart(&svg), 1);
            } else {
                unplaced.push(embed_chart(&svg));
            }
        }
        body.push_str(&format!(
            "\n<section id=\"{0}\">\n{1}<p><a href=\"{0}.csv\">{0}.csv</a> (every cell, machine-readable)</p>\n",
            w.name, html
        ));
        for svg in unplaced {
            body.push_str(&svg);
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

    /// Someone else's results: a script in the Markdown and in a chart,
    /// an event handler, a link. None of it may become live markup.
    #[test]
    fn foreign_links_and_images_are_not_live() {
        let html = to_html(
            "[a](javascript:alert(1)) [b](https://example.com) <javascript:alert(2)> \
             ![c](https://example.com/p.png) [d](bank.csv) [e](#bank)",
        );
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(!html.contains("href=\"https://"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains("href=\"bank.csv\"") && html.contains("href=\"#bank\""),
            "{html}"
        );
        assert!(!is_plain_chart(
            "<svg><rect fill=\"url(https://example.com/x)\"/></svg>"
        ));
    }

    #[test]
    fn only_the_reports_own_folding_and_chart_markers_stay_markup() {
        assert!(is_report_markup(
            "<details><summary>Throughput, every row</summary>\n"
        ));
        assert!(is_report_markup("</details>\n"));
        assert!(is_report_markup("<!-- chart: counter-add-cost -->\n"));
        for hostile in [
            "<details open onclick=alert(1)>",
            "<summary><img src=x></summary>",
            "<!-- chart: a --><script>",
            "<!-- chart: x\" onload=\"y -->",
            "<details>&lt;script&gt;",
        ] {
            assert!(!is_report_markup(hostile), "{hostile}");
        }
    }

    #[test]
    fn a_chart_goes_where_its_marker_is() {
        let dir =
            std::env::temp_dir().join(format!("workbench-html-marker-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("bank.md"),
            "# bank\n\n## bank-2\n\n<!-- chart: bank-2 -->\n\n<details><summary>rows</summary>\n\n| a | 1 |\n|---|---:|\n| b | 2 |\n\n</details>\n\n## after\n",
        )
        .unwrap();
        std::fs::write(dir.join("bank-2.svg"), "<svg id=\"chart-bank-2\"></svg>").unwrap();
        let page = page(&dir, &crate::workloads::all());
        let _ = std::fs::remove_dir_all(&dir);
        let (chart, after) = (
            page.find("<svg id=\"chart-bank-2\">")
                .expect("the chart is on the page"),
            page.find("<h2>after</h2>").unwrap(),
        );
        assert!(
            chart < after,
            "the chart sits at its marker, not after the report"
        );
        assert!(page.contains("<details><summary>rows</summary>"), "{page}");
    }

    #[test]
    fn foreign_markup_is_shown_not_run() {
        let dir =
            std::env::temp_dir().join(format!("workbench-html-hostile-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("bank.md"),
            "# bank\n\n<script>alert(1)</script>\n\n| style <img src=x onerror=alert(2)> | 1 |\n|---|---:|\n| a | 1 |\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("bank-1.svg"),
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(3)</script></svg>",
        )
        .unwrap();
        std::fs::write(
            dir.join("bank-2.svg"),
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><rect width=\"1\" onclick=\"alert(4)\"/></svg>",
        )
        .unwrap();
        std::fs::write(
            dir.join("bank-3.svg"),
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\"><rect x=\"1\" y=\"2\" width=\"3\" height=\"4\" fill=\"#000\"><title>a &lt; b</title></rect></svg>",
        )
        .unwrap();
        let page = page(&dir, &crate::workloads::all());
        let _ = std::fs::remove_dir_all(&dir);
        for live in ["<script", "<img src=x", "onclick="] {
            assert!(!page.contains(live), "{live} is live in the page:\n{page}");
        }
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "the Markdown's script is shown as text"
        );
        assert_eq!(
            page.matches("src=\"data:image/svg+xml;base64,").count(),
            2,
            "the two foreign charts are images"
        );
        assert!(
            page.contains("<title>a &lt; b</title>"),
            "a plain chart is inlined"
        );
    }

    #[test]
    fn the_workbench_charts_are_plain() {
        for entry in
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../book/src/results")).unwrap()
        {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "svg") {
                let svg = std::fs::read_to_string(&path).unwrap();
                assert!(
                    is_plain_chart(&svg),
                    "{} would be shown as an image",
                    path.display()
                );
            }
        }
        assert!(!is_plain_chart(
            "<svg><a href=\"x\"><text>t</text></a></svg>"
        ));
        assert!(
            !is_plain_chart("<svg><text x=1>t</text></svg>"),
            "unquoted values are refused"
        );
        assert_eq!(base64_free::encode(b"Man"), "TWFu");
        assert_eq!(base64_free::encode(b"Ma"), "TWE=");
        assert_eq!(base64_free::encode(b"M"), "TQ==");
    }
}
