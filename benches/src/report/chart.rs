//! Two SVG charts per scenario. The first: a group of horizontal bars per style and
//! driver, one bar per client count, on a logarithmic axis (the styles span
//! five orders of magnitude, from thread spawns to atomic adds). Written by
//! hand: a few rectangles do not need a plotting library.

use std::fmt::Write;

use super::environment::Environment;
use super::table::{ScenarioTable, si};

const WIDTH: f64 = 1000.0;
const LABEL_WIDTH: f64 = 290.0;
const PLOT_LEFT: f64 = LABEL_WIDTH + 10.0;
const PLOT_RIGHT: f64 = WIDTH - 30.0;
const TOP: f64 = 86.0;
const BAR: f64 = 5.0;
const GROUP_GAP: f64 = 7.0;
/// One colour per client count, in sweep order (colour-blind-safe palette).
const COLOURS: [&str; 6] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A chart's opening: the `<svg>` element, a white background, a title
/// and a grey line under it (both already escaped).
fn open(height: f64, font_size: u32, title: &str, subtitle: &str) -> String {
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="{font_size}">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="10" y="20" font-size="15" font-weight="bold">{title}</text>"#
    );
    let _ = writeln!(
        svg,
        r##"<text x="10" y="38" fill="#555">{subtitle}</text>"##
    );
    svg
}

/// One coloured square and label per client count, in sweep order;
/// `mark(clients)` is appended to a label.
fn legend(svg: &mut String, clients: &[usize], mark: impl Fn(usize) -> &'static str) {
    for (i, &c) in clients.iter().enumerate() {
        let lx = 10.0 + i as f64 * 190.0;
        let _ = writeln!(
            svg,
            r#"<rect x="{lx}" y="50" width="12" height="12" fill="{}"/><text x="{}" y="60">{c} client{}{}</text>"#,
            COLOURS[i % COLOURS.len()],
            lx + 16.0,
            if c == 1 { "" } else { "s" },
            mark(c)
        );
    }
}

fn si_axis(value: f64) -> String {
    match value {
        v if v >= 1e9 => format!("{}G", v / 1e9),
        v if v >= 1e6 => format!("{}M", v / 1e6),
        v if v >= 1e3 => format!("{}k", v / 1e3),
        v => format!("{v}"),
    }
}

/// `flagged` styles (measured though they break the contract) get a ⚠ after
/// their name, as in the tables. With `mark_oversubscribed`, client counts
/// above the core count say so in the legend (not for the server, whose
/// columns are connections, not running clients).
pub fn svg(
    group: &str,
    table: &ScenarioTable,
    environment: &Environment,
    flagged: &[(&str, &str)],
    mark_oversubscribed: bool,
) -> String {
    let clients: Vec<usize> = table.clients.iter().copied().collect();
    // Only what a log axis can place; the readers refuse other values, and
    // this keeps the decade loop below finite whatever it is given.
    let placeable = |t: f64| t.is_finite() && t > 0.0;
    let throughputs = table
        .cells
        .values()
        .map(|m| m.ops_per_sec())
        .filter(|t| placeable(*t));
    let (low, high) = throughputs.fold((f64::MAX, 0.0f64), |(lo, hi), t| (lo.min(t), hi.max(t)));
    let (low, high) = if high > 0.0 { (low, high) } else { (1.0, 10.0) };
    let first_decade = low.log10().floor();
    let last_decade = high.log10().ceil().max(first_decade + 1.0);
    let x = |ops: f64| {
        PLOT_LEFT
            + (ops.log10() - first_decade) / (last_decade - first_decade) * (PLOT_RIGHT - PLOT_LEFT)
    };
    let group_height = clients.len() as f64 * (BAR + 1.0) + GROUP_GAP;
    let plot_bottom = TOP + table.rows.len() as f64 * group_height;
    let height = plot_bottom + 30.0;

    let mut svg = open(
        height,
        11,
        &format!(
            "{}: aggregate operations per second (log scale; longer is better)",
            escape(group)
        ),
        &format!(
            "{} ({} cores), {}, commit {}",
            escape(&environment.cpu),
            environment.cores,
            escape(&environment.rustc),
            escape(&environment.commit)
        ),
    );
    legend(&mut svg, &clients, |c| {
        if mark_oversubscribed && c > environment.cores {
            " (oversubscribed)"
        } else {
            ""
        }
    });
    // Decade grid lines and labels.
    let mut decade = first_decade;
    while decade <= last_decade {
        let gx = x(10f64.powf(decade));
        let _ = writeln!(
            svg,
            r##"<line x1="{gx:.1}" y1="{}" x2="{gx:.1}" y2="{plot_bottom}" stroke="#ddd"/><text x="{gx:.1}" y="{}" text-anchor="middle" fill="#555">{}</text>"##,
            TOP - 8.0,
            plot_bottom + 14.0,
            si_axis(10f64.powf(decade))
        );
        decade += 1.0;
    }
    // One group of bars per row.
    for (r, row) in table.rows.iter().enumerate() {
        let gy = TOP + r as f64 * group_height;
        let weight = if row.starts_with("baseline") {
            "bold"
        } else {
            "normal"
        };
        let (style, driver) = row.split_once('@').unwrap_or((row, ""));
        let mark = if flagged.iter().any(|(f, _)| *f == style) {
            " ⚠"
        } else {
            ""
        };
        let label = format!("{style}{mark} @ {driver}");
        let _ = writeln!(
            svg,
            r#"<text x="{LABEL_WIDTH}" y="{:.1}" text-anchor="end" font-weight="{weight}">{}</text>"#,
            gy + (group_height - GROUP_GAP) / 2.0 + 4.0,
            escape(&label)
        );
        for (i, c) in clients.iter().enumerate() {
            let Some(m) = table
                .cells
                .get(&(*row, *c))
                .filter(|m| placeable(m.ops_per_sec()))
            else {
                continue;
            };
            let bar_y = gy + i as f64 * (BAR + 1.0);
            let _ = writeln!(
                svg,
                r#"<rect x="{PLOT_LEFT}" y="{bar_y:.1}" width="{:.1}" height="{BAR}" fill="{}"><title>{} with {c} client(s): {} ops/s</title></rect>"#,
                (x(m.ops_per_sec()) - PLOT_LEFT).max(1.0),
                COLOURS[i % COLOURS.len()],
                escape(row),
                si(m.ops_per_sec())
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

/// One SVG per throughput scenario: every row and client count as a point
/// of throughput (x, log axis) against the CPU it kept busy (y: CPU time
/// per second of wall time, in cores; linear from 0). CPU per operation
/// alone falls as throughput rises for every style alike; cores busy
/// separates a style that sleeps while it waits from one that spins: two
/// styles at the same throughput, one at 0.9 cores and one at 2.0. Fast is
/// right, cheap is down, and the rows that no other row of the same client
/// count beats on both are labelled. Points are small squares, so the
/// chart stays within the page's plain elements.
pub fn cost_svg(
    group: &str,
    table: &ScenarioTable,
    environment: &Environment,
    flagged: &[(&str, &str)],
) -> String {
    const HEIGHT: f64 = 560.0;
    const LEFT: f64 = 70.0;
    const BOTTOM: f64 = HEIGHT - 40.0;
    let clients: Vec<usize> = table.clients.iter().copied().collect();
    let placeable = |t: f64| t.is_finite() && t > 0.0;
    let points: Vec<(&str, usize, f64, f64)> = table
        .cells
        .iter()
        .map(|((row, c), m)| {
            // Per round, then the median: CPU time over the span.
            let busy = m.median_of(|r| r.cpu_ns_per_op * r.ops_per_sec / 1e9);
            (*row, *c, m.ops_per_sec(), busy)
        })
        .filter(|(_, _, x, y)| placeable(*x) && y.is_finite() && *y >= 0.0)
        .collect();
    let (lo, hi) = points
        .iter()
        .fold((f64::MAX, 0.0f64), |(lo, hi), p| (lo.min(p.2), hi.max(p.2)));
    let (lo, hi) = if hi > 0.0 { (lo, hi) } else { (1.0, 10.0) };
    let (x0, x1) = (
        lo.log10().floor(),
        hi.log10().ceil().max(lo.log10().floor() + 1.0),
    );
    let top_cores = points
        .iter()
        .map(|p| p.3)
        .fold(environment.cores.max(1) as f64, f64::max)
        .ceil();
    let x = |v: f64| LEFT + (v.log10() - x0) / (x1 - x0) * (PLOT_RIGHT - LEFT);
    let y = |v: f64| BOTTOM - v / top_cores * (BOTTOM - TOP);

    let mut svg = open(
        HEIGHT,
        10,
        &format!(
            "{}: throughput against the CPU kept busy (right is faster, lower is cheaper)",
            escape(group)
        ),
        &format!(
            "{} ({} cores), commit {}; y: CPU time of the whole process per second, in cores; \
             labelled: no other row with as many clients is both faster and cheaper",
            escape(&environment.cpu),
            environment.cores,
            escape(&environment.commit)
        ),
    );
    legend(&mut svg, &clients, |_| "");
    let mut decade = x0;
    while decade <= x1 {
        let gx = x(10f64.powf(decade));
        let _ = writeln!(
            svg,
            r##"<line x1="{gx:.1}" y1="{TOP}" x2="{gx:.1}" y2="{BOTTOM}" stroke="#ddd"/><text x="{gx:.1}" y="{}" text-anchor="middle" fill="#555">{} ops/s</text>"##,
            BOTTOM + 14.0,
            si_axis(10f64.powf(decade))
        );
        decade += 1.0;
    }
    for core in 0..=(top_cores as usize) {
        let gy = y(core as f64);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{gy:.1}" x2="{PLOT_RIGHT}" y2="{gy:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end" fill="#555">{core} core{}</text>"##,
            LEFT - 4.0,
            gy + 3.0,
            if core == 1 { "" } else { "s" }
        );
    }
    let mut labels: Vec<(f64, f64, String)> = Vec::new();
    for &(row, c, ops, busy) in &points {
        let colour = clients.iter().position(|k| *k == c).unwrap_or(0);
        let (px, py) = (x(ops), y(busy));
        let _ = writeln!(
            svg,
            r#"<rect x="{:.1}" y="{:.1}" width="6" height="6" fill="{}"><title>{} with {c} client(s): {} ops/s, {busy:.2} cores busy</title></rect>"#,
            px - 3.0,
            py - 3.0,
            COLOURS[colour % COLOURS.len()],
            escape(row),
            si(ops)
        );
        let dominated = points
            .iter()
            .any(|&(_, k, o, u)| k == c && o >= ops && u <= busy && (o > ops || u < busy));
        if !dominated {
            let (style, driver) = row.split_once('@').unwrap_or((row, ""));
            let mark = if flagged.iter().any(|(f, _)| *f == style) {
                " ⚠"
            } else {
                ""
            };
            labels.push((
                px,
                py,
                format!("{}{mark} @ {} ({c})", escape(style), escape(driver)),
            ));
        }
    }
    // Labels right-aligned left of their point, moved up a line or two
    // where they would overlap one already placed, and left out (the
    // point keeps its tooltip) where that is not enough: a label far from
    // its point would name the wrong one.
    labels.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut placed: Vec<(f64, f64)> = Vec::new();
    for (px, py, text) in labels {
        let overlaps = |ly: f64, placed: &[(f64, f64)]| {
            placed
                .iter()
                .any(|(x2, y2)| (px - x2).abs() < 220.0 && (ly - y2).abs() < 11.0)
        };
        let Some(ly) = [py - 5.0, py - 16.0, py + 12.0]
            .into_iter()
            .find(|ly| !overlaps(*ly, &placed))
        else {
            continue;
        };
        placed.push((px, ly));
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{ly:.1}" text-anchor="end">{text}</text>"#,
            px - 5.0
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// One server's line on a latency chart: (achieved requests/s, latency in
/// ns, whether the cell was client-bound) at each offered rate.
pub struct LatencyLine {
    pub name: String,
    pub points: Vec<(f64, u64, bool)>,
}

/// Latency against throughput, one line per server (the shape of wrk2's
/// plots): x the requests/s achieved (linear), y a latency percentile
/// (logarithmic). A line that bends up is a server reaching its capacity;
/// a point far left of its offered rate, a server that fell behind.
/// Client-bound points are hollow.
pub fn latency_svg(
    name: &str,
    what: &str,
    lines: &[LatencyLine],
    environment: &Environment,
) -> String {
    const HEIGHT: f64 = 560.0;
    const LEFT: f64 = 70.0;
    const BOTTOM: f64 = HEIGHT - 40.0;
    const PALETTE: [&str; 10] = [
        "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#882255",
        "#999933", "#888888",
    ];
    let all = || lines.iter().flat_map(|l| l.points.iter());
    let x_max = all().map(|p| p.0).fold(0.0f64, f64::max).max(1.0) * 1.05;
    let (lo, hi) = all()
        .map(|p| p.1.max(1) as f64)
        .fold((f64::MAX, 1.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let lo = if lo == f64::MAX { 1e3 } else { lo };
    let (y0, y1) = (
        lo.log10().floor(),
        hi.log10().ceil().max(lo.log10().floor() + 1.0),
    );
    let x = |v: f64| LEFT + v / x_max * (PLOT_RIGHT - LEFT);
    let y = |ns: u64| BOTTOM - ((ns.max(1) as f64).log10() - y0) / (y1 - y0) * (BOTTOM - TOP);
    let mut svg = open(
        HEIGHT,
        10,
        &format!("{}: {} against requests served", escape(name), escape(what)),
        &format!(
            "{} ({} cores), commit {}; x: replies per second achieved; y: logarithmic; \
             hollow: the load generator may have set the pace",
            escape(&environment.cpu),
            environment.cores,
            escape(&environment.commit)
        ),
    );
    for (i, line) in lines.iter().enumerate() {
        let (lx, ly) = (10.0 + (i % 5) as f64 * 190.0, 50.0 + (i / 5) as f64 * 14.0);
        let _ = writeln!(
            svg,
            r#"<rect x="{lx}" y="{}" width="12" height="4" fill="{}"/><text x="{}" y="{}">{}</text>"#,
            ly + 4.0,
            PALETTE[i % PALETTE.len()],
            lx + 16.0,
            ly + 10.0,
            escape(&line.name)
        );
    }
    let mut decade = y0;
    while decade <= y1 {
        let gy = y(10f64.powf(decade) as u64);
        let _ = writeln!(
            svg,
            r##"<line x1="{LEFT}" y1="{gy:.1}" x2="{PLOT_RIGHT}" y2="{gy:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end" fill="#555">{}</text>"##,
            LEFT - 4.0,
            gy + 3.0,
            super::table::time(10f64.powf(decade) as u64)
        );
        decade += 1.0;
    }
    for tick in 0..=4 {
        let v = x_max / 4.0 * tick as f64;
        let gx = x(v);
        let _ = writeln!(
            svg,
            r##"<line x1="{gx:.1}" y1="{TOP}" x2="{gx:.1}" y2="{BOTTOM}" stroke="#eee"/><text x="{gx:.1}" y="{}" text-anchor="{}" fill="#555">{} req/s</text>"##,
            BOTTOM + 14.0,
            if tick == 4 { "end" } else { "middle" },
            si(v)
        );
    }
    for (i, line) in lines.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let mut points = line.points.clone();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        for pair in points.windows(2) {
            let _ = writeln!(
                svg,
                r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{colour}" stroke-width="1.5"/>"#,
                x(pair[0].0),
                y(pair[0].1),
                x(pair[1].0),
                y(pair[1].1)
            );
        }
        for &(rate, ns, client_bound) in &points {
            let fill = if client_bound { "white" } else { colour };
            let _ = writeln!(
                svg,
                r#"<rect x="{:.1}" y="{:.1}" width="6" height="6" fill="{fill}" stroke="{colour}"><title>{}: {} req/s, {}</title></rect>"#,
                x(rate) - 3.0,
                y(ns) - 3.0,
                escape(&line.name),
                si(rate),
                super::table::time(ns)
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}
