//! The server report: its rows (from what the bench measured), and its
//! tables and charts (from the rows alone, so a rebuild makes the same
//! report).

use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;

use super::memory::MemoryCell;
use super::placement::Placement;
use super::redis::{REDIS_SCENARIOS, RedisCell};
use super::sweep::LoadCell;
use super::{DEPTHS, LoadScenario, SCENARIOS};
use crate::report::chart::{self, LatencyLine};
use crate::report::environment::{Environment, Parameters};
use crate::report::render::chart_marker;
use crate::report::table::{MdTable, bytes, si, time};
use crate::report::workload::{Rendered, Workload};
use crate::results::{PerCore, ServerRow};
use patterns::server::CoreServed;

/// Everything one server bench run measured.
#[derive(Debug, Default)]
pub struct Measured {
    pub closed: Vec<LoadCell>,
    /// The closed-loop peaks the open-loop rates were drawn from.
    pub peaks: Vec<LoadCell>,
    pub open: Vec<LoadCell>,
    pub memory: Vec<MemoryCell>,
    pub limit: Vec<LoadCell>,
    pub redis: Vec<RedisCell>,
}

impl Measured {
    pub fn is_empty(&self) -> bool {
        self.closed.is_empty()
            && self.peaks.is_empty()
            && self.open.is_empty()
            && self.memory.is_empty()
            && self.limit.is_empty()
            && self.redis.is_empty()
    }
}

fn quantile(h: &Histogram<u64>, q: f64) -> Option<u64> {
    (!h.is_empty()).then(|| h.value_at_quantile(q))
}

/// A load cell as a row.
fn row(kind: &str, cell: &LoadCell) -> ServerRow {
    let o = &cell.outcome;
    let depth = match cell.arrivals {
        super::generator::Arrivals::Closed { depth } => Some(depth),
        _ => None,
    };
    let open = depth.is_none();
    ServerRow {
        depth,
        scenario: Some(cell.scenario.to_string()),
        offered_per_sec: cell.offered(),
        requests_per_sec: Some(o.throughput()),
        // Latency only where it means something: from the intended send.
        p50_ns: quantile(&o.fast, 0.5).filter(|_| open),
        p99_ns: quantile(&o.fast, 0.99).filter(|_| open),
        p999_ns: quantile(&o.fast, 0.999).filter(|_| open),
        max_ns: quantile(&o.fast, 1.0).filter(|_| open),
        slow_p50_ns: quantile(&o.slow, 0.5).filter(|_| open),
        slow_p99_ns: quantile(&o.slow, 0.99).filter(|_| open),
        service_p99_ns: quantile(&o.service, 0.99),
        due: open.then_some(o.due),
        unanswered: open.then_some(o.unanswered),
        answered: Some((o.connections - o.silent) as u64),
        server_cpu_ns_per_request: cell.server_cpu_per_request(),
        server_cores: cell.server_cores(),
        generator_busy: Some(o.generator_busy()),
        lateness_p99_ns: quantile(&o.lateness, 0.99).filter(|_| open),
        client_bound: Some(o.client_bound()),
        core_connections: spread(cell, |c| c.connections),
        core_requests: spread(cell, |c| c.requests),
        ..ServerRow::empty(kind, &cell.server, o.connections)
    }
}

/// One count of each core, where a per-core style ran on more than one.
fn spread(cell: &LoadCell, count: fn(&CoreServed) -> u64) -> Option<PerCore> {
    (cell.per_core.len() > 1).then(|| PerCore(cell.per_core.iter().map(count).collect()))
}

/// One row per cell from its rounds' rows (in the order cells first
/// appear): each figure the median of its rounds, field by field (a
/// round's p99 beside another round's throughput: the median of each),
/// the headline figures with their lowest and highest round. The counts
/// take the worst round, not the median: the fewest connections answered,
/// the most requests unanswered; a cell is marked client-bound if any
/// round was. The per-core spread and `due` are the median-throughput
/// round's.
pub fn over_rounds(rows: Vec<ServerRow>) -> Vec<ServerRow> {
    let key = |r: &ServerRow| {
        (
            r.kind.clone(),
            r.style.clone(),
            r.connections,
            r.depth,
            r.scenario.clone(),
            r.offered_per_sec.map(f64::to_bits),
        )
    };
    let mut cells: Vec<Vec<ServerRow>> = Vec::new();
    for r in rows {
        match cells.iter_mut().find(|c| key(&c[0]) == key(&r)) {
            Some(cell) => cell.push(r),
            None => cells.push(vec![r]),
        }
    }
    cells.into_iter().map(merge_rounds).collect()
}

fn merge_rounds(mut rounds: Vec<ServerRow>) -> ServerRow {
    let n = rounds.len();
    if n == 1 {
        let mut only = rounds.pop().expect("one round");
        only.repeats = Some(1);
        return only;
    }
    // The same median as every other report's (the mean of the middle two
    // for an even count); a count of nanoseconds is rounded back.
    let median = |v: Vec<f64>| crate::report::stats::median(&v);
    let median_ns =
        |v: Vec<u64>| median(v.into_iter().map(|x| x as f64).collect()).map(|m| m.round() as u64);
    fn spread<T: Copy + PartialOrd>(v: &[T]) -> (Option<T>, Option<T>) {
        let lowest = v.iter().copied().reduce(|a, b| if b < a { b } else { a });
        let highest = v.iter().copied().reduce(|a, b| if b > a { b } else { a });
        (lowest, highest)
    }
    let each = |f: fn(&ServerRow) -> Option<f64>| rounds.iter().filter_map(f).collect::<Vec<_>>();
    let each_u = |f: fn(&ServerRow) -> Option<u64>| rounds.iter().filter_map(f).collect::<Vec<_>>();
    let throughput = each(|r| r.requests_per_sec);
    let (p50, p99) = (each_u(|r| r.p50_ns), each_u(|r| r.p99_ns));
    let cpu = each(|r| r.server_cpu_ns_per_request);
    let (rps_lowest, rps_highest) = spread(&throughput);
    let (p50_lowest, p50_highest) = spread(&p50);
    let (p99_lowest, p99_highest) = spread(&p99);
    let (cpu_lowest, cpu_highest) = spread(&cpu);
    let merged = ServerRow {
        requests_per_sec: median(throughput),
        p50_ns: median_ns(p50),
        p99_ns: median_ns(p99),
        p999_ns: median_ns(each_u(|r| r.p999_ns)),
        max_ns: median_ns(each_u(|r| r.max_ns)),
        slow_p50_ns: median_ns(each_u(|r| r.slow_p50_ns)),
        slow_p99_ns: median_ns(each_u(|r| r.slow_p99_ns)),
        service_p99_ns: median_ns(each_u(|r| r.service_p99_ns)),
        lateness_p99_ns: median_ns(each_u(|r| r.lateness_p99_ns)),
        server_cpu_ns_per_request: median(cpu),
        server_cores: median(each(|r| r.server_cores)),
        generator_busy: median(each(|r| r.generator_busy)),
        answered: rounds.iter().filter_map(|r| r.answered).min(),
        unanswered: rounds.iter().filter_map(|r| r.unanswered).max(),
        client_bound: rounds
            .iter()
            .filter_map(|r| r.client_bound)
            .reduce(|a, b| a || b),
        repeats: Some(n),
        requests_per_sec_lowest: rps_lowest,
        requests_per_sec_highest: rps_highest,
        p50_ns_lowest: p50_lowest,
        p50_ns_highest: p50_highest,
        p99_ns_lowest: p99_lowest,
        p99_ns_highest: p99_highest,
        server_cpu_ns_per_request_lowest: cpu_lowest,
        server_cpu_ns_per_request_highest: cpu_highest,
        ..ServerRow::empty("", "", 0)
    };
    // The rest (identity, `due`, the per-core counts) from the round whose
    // throughput is the median.
    rounds.sort_by(|a, b| {
        a.requests_per_sec
            .partial_cmp(&b.requests_per_sec)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let middle = rounds.swap_remove((n - 1) / 2);
    ServerRow {
        kind: middle.kind,
        style: middle.style,
        connections: middle.connections,
        depth: middle.depth,
        scenario: middle.scenario,
        offered_per_sec: middle.offered_per_sec,
        due: middle.due,
        core_connections: middle.core_connections,
        core_requests: middle.core_requests,
        rss_bytes: middle.rss_bytes,
        bytes_per_connection: middle.bytes_per_connection,
        ..merged
    }
}

/// Everything measured as rows, of kind `open` (per scenario), `closed`,
/// `peak`, `memory` (at the many idle connections with the slope per
/// connection, then at the few), `limit` and `redis-benchmark`.
pub fn rows(measured: &Measured) -> Vec<ServerRow> {
    let mut rows: Vec<ServerRow> = Vec::new();
    for scenario in SCENARIOS {
        let open = measured.open.iter().filter(|c| c.scenario == scenario.name);
        rows.extend(over_rounds(open.map(|c| row("open", c)).collect()));
    }
    rows.extend(over_rounds(
        measured.closed.iter().map(|c| row("closed", c)).collect(),
    ));
    rows.extend(measured.peaks.iter().map(|c| row("peak", c)));
    for m in &measured.memory {
        // The slope over the connections actually held (a style may hold
        // fewer than were opened: the pool serves N at a time). Under a
        // hundred more, there is no slope worth quoting.
        let held = m.held_many.saturating_sub(m.held_few);
        let per = (held >= 100).then(|| (m.rss_many as f64 - m.rss_few as f64) / held as f64);
        rows.push(ServerRow {
            answered: Some(m.held_many as u64),
            rss_bytes: Some(m.rss_many),
            bytes_per_connection: Some(per.unwrap_or(f64::NAN)),
            ..ServerRow::empty("memory", m.style, m.many)
        });
        rows.push(ServerRow {
            answered: Some(m.held_few as u64),
            rss_bytes: Some(m.rss_few),
            ..ServerRow::empty("memory", m.style, m.few)
        });
    }
    rows.extend(measured.limit.iter().map(|c| row("limit", c)));
    for r in &measured.redis {
        rows.push(ServerRow {
            depth: Some(r.pipeline),
            requests_per_sec: Some(r.rps),
            service_p99_ns: Some((r.p99_ms * 1e6).round() as u64),
            server_cpu_ns_per_request: r.server_cpu_ns_per_request,
            ..ServerRow::empty("redis-benchmark", &r.server, r.connections)
        });
    }
    rows
}

/// What the report needs besides the rows.
pub struct Settings<'a> {
    pub placement: &'a Placement,
    /// `constant-rate` or `Poisson`.
    pub arrivals: &'a str,
    /// Warm-up and window of the closed and of the open loop.
    pub closed: (Duration, Duration),
    pub open: (Duration, Duration),
    pub grace: Duration,
    /// The offered rates' shares of the best peak.
    pub shares: &'a [f64],
    /// Rounds of each closed- and open-loop cell.
    pub rounds: usize,
}

pub fn parameters(settings: &Settings) -> Parameters {
    let mut parameters = Parameters::default();
    parameters
        .set("placement", settings.placement.describe())
        .set(
            "generator_threads",
            settings.placement.generator.len().max(1),
        )
        .set("arrivals", settings.arrivals)
        .set_duration("closed_warm_up", settings.closed.0)
        .set_duration("closed_window", settings.closed.1)
        .set_duration("open_warm_up", settings.open.0)
        .set_duration("open_window", settings.open.1)
        .set_duration("grace", settings.grace)
        .set("load_shares", settings.shares.to_vec())
        .set("rounds", settings.rounds);
    parameters
}

/// The parameters as the tables use them.
struct Run {
    placement: String,
    generator_threads: f64,
    arrivals: String,
    closed: (Duration, Duration),
    open: (Duration, Duration),
    grace: Duration,
    shares: Vec<f64>,
    rounds: usize,
}

impl Run {
    fn of(p: &Parameters) -> Result<Run, String> {
        Ok(Run {
            placement: p.text("placement")?.to_string(),
            generator_threads: p.number("generator_threads")?,
            arrivals: p.text("arrivals")?.to_string(),
            closed: (p.duration("closed_warm_up")?, p.duration("closed_window")?),
            open: (p.duration("open_warm_up")?, p.duration("open_window")?),
            grace: p.duration("grace")?,
            shares: p.numbers("load_shares")?,
            rounds: p.number("rounds")? as usize,
        })
    }
}

/// Servers in the order they first appear, redis-server last.
fn servers<'a>(rows: impl Iterator<Item = &'a ServerRow>) -> Vec<&'a str> {
    let mut names: Vec<&str> = Vec::new();
    for r in rows {
        if !names.contains(&r.style.as_str()) {
            names.push(&r.style);
        }
    }
    names.sort_by_key(|n| (*n == "redis-server", *n));
    names
}

fn cpu_per_request(r: &ServerRow) -> String {
    r.server_cpu_ns_per_request
        .map_or("–".into(), |ns| time(ns.round() as u64))
}

fn mark(r: &ServerRow) -> &'static str {
    if r.client_bound == Some(true) {
        " ◦"
    } else {
        ""
    }
}

fn shown(ns: Option<u64>) -> String {
    ns.map_or("–".into(), time)
}

/// Throughput with its range over the rounds, where it has one.
fn rate_shown(r: &ServerRow) -> String {
    match (r.requests_per_sec_lowest, r.requests_per_sec_highest) {
        (Some(lo), Some(hi)) => format!("{} [{}–{}]", si(rate(r)), si(lo), si(hi)),
        _ => si(rate(r)),
    }
}

/// A percentile with its range over the rounds, where it has one.
fn latency_shown(ns: Option<u64>, lowest: Option<u64>, highest: Option<u64>) -> String {
    match (ns, lowest, highest) {
        (Some(ns), Some(lo), Some(hi)) => format!("{} [{}–{}]", time(ns), time(lo), time(hi)),
        _ => shown(ns),
    }
}

/// What the tables' figures are: a median of rounds, or one run.
fn rounds_note(rounds: usize) -> String {
    if rounds > 1 {
        format!(
            " Each cell was measured in {rounds} rounds, interleaved (each round walks every cell, its servers \
             in a fresh shuffled order): a figure is the median of its rounds, [lowest–highest] beside the \
             headline ones; a count of connections answered or requests unanswered is the worst round's."
        )
    } else {
        " Each cell was measured once: no range.".to_string()
    }
}

fn rate(r: &ServerRow) -> f64 {
    r.requests_per_sec.unwrap_or(f64::NAN)
}

/// Connections that got no reply.
fn silent(r: &ServerRow) -> usize {
    r.answered
        .map_or(0, |a| r.connections.saturating_sub(a as usize))
}

/// How the kernel spread each per-core style's connections and requests
/// over its cores, in every cell it served (from the rows, which carry
/// the counts).
fn spread_section(md: &mut String, rows: &[ServerRow]) {
    let spread: Vec<&ServerRow> = rows
        .iter()
        .filter(|r| r.core_connections.is_some())
        .collect();
    if spread.is_empty() {
        return;
    }
    md.push_str(
        "\n## Spread across cores\n\nThe per-core styles (a listener per core on one port, `SO_REUSEPORT`): \
         what each core served over the cell's server process, warm-up included, in core order. The kernel \
         hashes each connection's addresses to a listener, so connections spread evenly only on average, and \
         requests follow connections, never the cores' load. *busiest*: the busiest core's share of the \
         requests (1/cores when even).\n\n",
    );
    let mut table = MdTable::new(
        &[
            "style",
            "cell",
            "connections per core",
            "requests per core",
            "busiest",
        ],
        2,
    );
    for r in spread {
        let cell = match (r.depth, r.offered_per_sec) {
            (Some(depth), _) => format!("{} {} conn. × depth {depth}", r.kind, r.connections),
            (None, Some(rate)) => format!("{} {} conn. at {}/s", r.kind, r.connections, si(rate)),
            (None, None) => format!("{} {} conn.", r.kind, r.connections),
        };
        let scenario = r.scenario.as_deref().unwrap_or("");
        let requests = r.core_requests.as_ref();
        table.row(&[
            r.style.clone(),
            format!("{cell}, {scenario}"),
            r.core_connections
                .as_ref()
                .map_or("–".into(), ToString::to_string),
            requests.map_or("–".into(), ToString::to_string),
            requests
                .and_then(PerCore::busiest_share)
                .map_or("–".into(), |share| format!("{:.0}%", share * 100.0)),
        ]);
    }
    md.push_str(&table.finish());
}

/// The server report, from its rows and [`parameters`].
pub fn report(
    workload: &Workload,
    rows: &str,
    environment: &Environment,
) -> Result<Rendered, String> {
    let run = Run::of(&environment.run)?;
    crate::report::from_rows(workload, rows, environment, |md, rows| {
        Ok(render(md, rows, &run, environment))
    })
}

fn render(
    md: &mut String,
    rows: &[ServerRow],
    run: &Run,
    environment: &Environment,
) -> Vec<(String, String)> {
    let mut charts = Vec::new();
    let of = |kind: &'static str| move |r: &&ServerRow| r.kind == kind;
    let _ = writeln!(
        md,
        "Placement: {}. Every server gets the same requests from the same generator (RESP, each connection on \
         its own key, set before the window). ◦ marks a cell where the load generator may have set the pace \
         (its threads over 90% busy, or its sends over a millisecond late at p99): shown, not judged. \
         *server CPU/req*: the server process's CPU time (user + system, every thread, from `/proc`, in 10 ms \
         ticks) over the replies of the window.",
        run.placement
    );
    for scenario in SCENARIOS {
        let cells: Vec<&ServerRow> = rows
            .iter()
            .filter(of("open"))
            .filter(|r| r.scenario.as_deref() == Some(scenario.name))
            .collect();
        if cells.is_empty() {
            continue;
        }
        open_section(md, scenario, &cells, run);
        let lines: Vec<LatencyLine> = servers(cells.iter().copied())
            .iter()
            .map(|name| LatencyLine {
                name: (*name).to_string(),
                points: cells
                    .iter()
                    .filter(|r| r.style == *name)
                    .filter_map(|r| Some((rate(r), r.p99_ns?, r.client_bound == Some(true))))
                    .collect(),
            })
            .collect();
        let stem = format!("server-open-{}", scenario.name);
        let what = if scenario.mix.slow_one_in > 0 {
            "p99 of the fast requests"
        } else {
            "p99 latency"
        };
        charts.push((
            stem.clone(),
            chart::latency_svg(&stem, what, &lines, environment),
        ));
    }
    let closed: Vec<&ServerRow> = rows.iter().filter(of("closed")).collect();
    let peaks: Vec<&ServerRow> = rows.iter().filter(of("peak")).collect();
    closed_section(md, &closed, &peaks, run);
    memory_section(md, &rows.iter().filter(of("memory")).collect::<Vec<_>>());
    let limit: Vec<&ServerRow> = rows.iter().filter(of("limit")).collect();
    if let Some(first) = limit.first() {
        let _ = write!(
            md,
            "\n## At the connection limit\n\nLimit {}, {} connections, one request outstanding on each (closed loop): \
             the connections over the limit wait unserved for the whole cell (in the listen backlog; the per-core \
             styles hold one per core accepted but unread, `monoio_per_core` one per accept it keeps in flight).\n\n",
            super::LIMIT,
            first.connections
        );
        let mut table = MdTable::new(&["style", "answered", "req/s", "server CPU/req"], 1);
        for r in limit {
            table.row(&[
                r.style.clone(),
                format!("{} of {}", r.connections - silent(r), r.connections),
                si(rate(r)),
                cpu_per_request(r),
            ]);
        }
        md.push_str(&table.finish());
    }
    spread_section(md, rows);
    let redis: Vec<&ServerRow> = rows.iter().filter(of("redis-benchmark")).collect();
    redis_benchmark_section(md, &redis, run.generator_threads);
    charts
}

fn open_section(md: &mut String, scenario: LoadScenario, cells: &[&ServerRow], run: &Run) {
    let LoadScenario {
        name: scenario,
        mix,
        ..
    } = scenario;
    let (warm_up, window) = run.open;
    let connections = cells[0].connections;
    let mixed = mix.slow_one_in > 0;
    let shares = run
        .shares
        .iter()
        .map(|s| format!("{:.0}%", s * 100.0))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = write!(
        md,
        "\n## Latency under offered load: {scenario}\n\n{connections} connections, {} arrivals (open loop), \
         {} ms measured after {} ms of warm-up. {} Latency runs from each request's *intended* send time to its \
         reply, so a server that falls behind is charged for every request it delayed; a request still unanswered \
         {} ms after the window is *unanswered*, and counted in the percentiles at the time it waited. *silent*: \
         connections that got no reply at all. The offered rates are shares ({shares}) of the best \
         closed-loop peak at {connections} connections under the same mix, and one fixed rate.{}\n\n",
        run.arrivals,
        window.as_millis(),
        warm_up.as_millis(),
        if mixed && mix.slow_steps > 1 {
            format!(
                "One request in {} is `FANOUT {} {}`: {} independent steps of {} µs of work, run in turn on the \
                 connection's thread by most styles, as tasks by `session_tokio` (which owns them) and by \
                 `task_tokio` and `per_core_tokio` (detached); the others as in `uniform`; *p99* is the fast \
                 requests', *slow p99* the fan-outs'. Only the styles listed run it.",
                mix.slow_one_in,
                mix.slow_steps,
                mix.slow_micros / mix.slow_steps,
                mix.slow_steps,
                mix.slow_micros / mix.slow_steps
            )
        } else if mixed {
            format!(
                "One request in {} is `SPIN {}` (its thread busy for {} µs; on redis-server, a Lua loop of the same \
                 wall time), the others as in `uniform`; *p99* is the fast requests', *slow p99* the slow ones'.",
                mix.slow_one_in, mix.slow_micros, mix.slow_micros
            )
        } else {
            "`INCRBY k 1` and `GET k` alternate.".to_string()
        },
        run.grace.as_millis(),
        rounds_note(run.rounds)
    );
    let _ = writeln!(md, "{}\n", chart_marker(&format!("server-open-{scenario}")));
    // At a glance: each server's p99 at each offered rate.
    let mut rates: Vec<f64> = cells.iter().filter_map(|r| r.offered_per_sec).collect();
    rates.sort_by(f64::total_cmp);
    rates.dedup();
    let mut header = vec!["server".to_string()];
    header.extend(rates.iter().map(|r| format!("{} req/s offered", si(*r))));
    let mut glance = MdTable::new(&header, 1);
    for name in servers(cells.iter().copied()) {
        let mut line = vec![name.to_string()];
        for offered in &rates {
            let cell = cells
                .iter()
                .find(|r| r.style == name && r.offered_per_sec == Some(*offered));
            line.push(cell.map_or("–".into(), |r| {
                let p99 = latency_shown(r.p99_ns, r.p99_ns_lowest, r.p99_ns_highest);
                match r.unanswered.unwrap_or(0) {
                    0 => format!("{p99}{}", mark(r)),
                    n => format!("{p99} ({n} unanswered){}", mark(r)),
                }
            }));
        }
        glance.row(&line);
    }
    let _ = writeln!(
        md,
        "p99 at each offered rate{}:\n",
        if mixed { " (fast requests)" } else { "" }
    );
    md.push_str(&glance.finish());
    let mut columns = vec![
        "server", "offered", "achieved", "p50", "p99", "p99.9", "max",
    ];
    if mixed {
        columns.push("slow p99");
    }
    columns.extend([
        "unanswered",
        "silent",
        "server CPU/req",
        "server cores",
        "generator late p99",
    ]);
    let mut table = MdTable::new(&columns, 1);
    let mut sorted: Vec<&&ServerRow> = cells.iter().collect();
    sorted.sort_by(|a, b| {
        (a.style.as_str(), a.offered_per_sec.unwrap_or(0.0))
            .partial_cmp(&(b.style.as_str(), b.offered_per_sec.unwrap_or(0.0)))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let count = |v: Option<u64>| v.map_or("–".to_string(), |n| n.to_string());
    for r in sorted {
        let mut line = vec![
            format!("{}{}", r.style, mark(r)),
            si(r.offered_per_sec.unwrap_or(0.0)),
            rate_shown(r),
            latency_shown(r.p50_ns, r.p50_ns_lowest, r.p50_ns_highest),
            latency_shown(r.p99_ns, r.p99_ns_lowest, r.p99_ns_highest),
            shown(r.p999_ns),
            shown(r.max_ns),
        ];
        if mixed {
            line.push(shown(r.slow_p99_ns));
        }
        line.extend([
            format!("{} of {}", count(r.unanswered), count(r.due)),
            silent(r).to_string(),
            cpu_per_request(r),
            r.server_cores.map_or("–".into(), |c| format!("{c:.2}")),
            shown(r.lateness_p99_ns),
        ]);
        table.row(&line);
    }
    let _ = write!(
        md,
        "\n<details><summary>Every cell of {scenario}</summary>\n\n"
    );
    md.push_str(&table.finish());
    md.push_str("\n</details>\n");
}

fn closed_section(md: &mut String, closed: &[&ServerRow], peaks: &[&ServerRow], run: &Run) {
    if closed.is_empty() && peaks.is_empty() {
        return;
    }
    let (warm_up, window) = run.closed;
    let _ = write!(
        md,
        "\n## Closed-loop peak\n\nEach connection keeps `depth` requests outstanding and sends the next as a reply \
         arrives, for {} ms after {} ms of warm-up: the most a server gives clients that wait for it. No latency \
         column: in a closed loop it is connections over throughput. *answered*: connections that got a reply.{}\n",
        window.as_millis(),
        warm_up.as_millis(),
        rounds_note(run.rounds)
    );
    for depth in DEPTHS {
        let cells: Vec<&ServerRow> = closed
            .iter()
            .copied()
            .filter(|r| r.depth == Some(depth))
            .collect();
        if cells.is_empty() {
            continue;
        }
        let _ = write!(md, "\n### Depth {depth}\n\n");
        let mut connections: Vec<usize> = cells.iter().map(|r| r.connections).collect();
        connections.sort_unstable();
        connections.dedup();
        let mut header = vec!["server".to_string()];
        for n in &connections {
            header.push(format!("{n} conn."));
        }
        let mut table = MdTable::new(&header, 1);
        for name in servers(cells.iter().copied()) {
            let mut line = vec![name.to_string()];
            for n in &connections {
                let cell = cells
                    .iter()
                    .find(|r| r.style == name && r.connections == *n);
                line.push(cell.map_or("–".into(), |r| {
                    let answered = match silent(r) {
                        0 => String::new(),
                        silent => format!(", {} answered", r.connections - silent),
                    };
                    format!(
                        "{} ({}/req{answered}){}",
                        rate_shown(r),
                        cpu_per_request(r),
                        mark(r)
                    )
                }));
            }
            table.row(&line);
        }
        md.push_str("Requests/s (server CPU per request):\n\n");
        md.push_str(&table.finish());
    }
    if let Some(first) = peaks.first() {
        let _ = write!(
            md,
            "\n### The peaks the offered rates come from\n\n{} connections, depth 1, under each scenario's mix; \
             one run each (they set the rates; the sweeps above are the measurement).\n\n",
            first.connections
        );
        let mut header = vec!["server"];
        header.extend(SCENARIOS.iter().map(|s| s.name));
        let mut table = MdTable::new(&header, 1);
        for name in servers(peaks.iter().copied()) {
            let mut line = vec![name.to_string()];
            for LoadScenario { name: scenario, .. } in SCENARIOS {
                let cell = peaks
                    .iter()
                    .find(|r| r.style == name && r.scenario.as_deref() == Some(scenario));
                line.push(cell.map_or("–".into(), |r| {
                    format!("{} ({}/req){}", si(rate(r)), cpu_per_request(r), mark(r))
                }));
            }
            table.row(&line);
        }
        md.push_str(&table.finish());
    }
}

/// Each style's RSS at the few and at the many idle connections (the
/// row with the most connections carries the slope).
fn memory_section(md: &mut String, memory: &[&ServerRow]) {
    let many_of = |style: &str| {
        memory
            .iter()
            .filter(|r| r.style == style)
            .max_by_key(|r| r.connections)
            .copied()
    };
    let mut styles: Vec<&str> = Vec::new();
    for r in memory {
        if !styles.contains(&r.style.as_str()) {
            styles.push(&r.style);
        }
    }
    let Some(first) = styles.first().and_then(|s| many_of(s)) else {
        return;
    };
    let many = first.connections;
    // An earlier version saved the many only.
    let few_of = |style: &str| {
        memory
            .iter()
            .find(|r| r.style == style && r.connections < many)
            .copied()
    };
    let few = styles
        .iter()
        .find_map(|s| few_of(s))
        .map_or("fewer (not recorded)".to_string(), |r| {
            r.connections.to_string()
        });
    let _ = write!(
        md,
        "\n## Idle connections\n\nThe server's RSS with {few} and with {many} idle connections open (each answered one \
         `PING`); *per connection* is the slope between the two, over the connections actually held; *100,000* extrapolates it (a process may hold \
         20,000 descriptors here, so 100,000 cannot be opened). *held*: connections of the {many} that were \
         answered.\n\n"
    );
    let mut table = MdTable::new(
        &[
            "style",
            &format!("RSS at {few}"),
            &format!("RSS at {many}"),
            "per connection",
            "at 100,000 (extrapolated)",
            "held",
        ],
        1,
    );
    let rss = |r: Option<&ServerRow>| {
        r.and_then(|r| r.rss_bytes)
            .map_or("–".to_string(), |b| bytes(b as f64))
    };
    for style in styles {
        let Some(m) = many_of(style) else { continue };
        let per = m.bytes_per_connection.filter(|p| !p.is_nan());
        let held = m.answered.unwrap_or(0) as usize;
        // From the many along the slope: the same line as from the few.
        let at_100k = per.zip(m.rss_bytes).map_or("–".to_string(), |(p, rss)| {
            bytes((rss as f64 + p * (100_000f64 - held.min(100_000) as f64)).max(0.0))
        });
        table.row(&[
            style.to_string(),
            rss(few_of(style)),
            rss(Some(m)),
            per.map_or("–".to_string(), |p| bytes(p.max(0.0))),
            at_100k,
            format!("{held} of {}", m.connections),
        ]);
    }
    md.push_str(&table.finish());
}

fn redis_benchmark_section(md: &mut String, redis: &[&ServerRow], generator_threads: f64) {
    let _ = write!(md, "\n## A second client: redis-benchmark\n\n");
    if redis.is_empty() {
        md.push_str(
            "Not measured in this run: redis-server and redis-benchmark were not installed \
             (`apt-get install redis-server redis-tools`), or the run's name filter left these cells out.\n",
        );
        return;
    }
    let _ = write!(
        md,
        "Every style and redis-server itself (persistence off), driven by `redis-benchmark -t get -r {} --threads {}` \
         after every key of that space was set (so every `GET` reads a value), pinned as the generator is: an \
         independent check on the workbench's own generator. Cells: requests/s, and the server's CPU per request \
         in brackets; – where it could not finish in its time limit (a server that serves only some of its \
         connections). Its latency percentiles are left out: it is a closed loop, so they restate throughput \
         (they are in the CSV, as `service_p99_ns`).\n\n",
        super::redis::KEYSPACE,
        generator_threads
    );
    let mut header = vec!["server".to_string()];
    for (c, p, _) in REDIS_SCENARIOS {
        header.push(if p == 1 {
            format!("{c} conn.")
        } else {
            format!("{c} conn. x {p} pipelined")
        });
    }
    let mut table = MdTable::new(&header, 1);
    let mut names: Vec<&str> = Vec::new();
    for r in redis {
        if !names.contains(&r.style.as_str()) {
            names.push(&r.style);
        }
    }
    for server in names {
        let mut line = vec![server.to_string()];
        for (c, p, _) in REDIS_SCENARIOS {
            line.push(
                redis
                    .iter()
                    .find(|r| r.style == server && r.connections == c && r.depth == Some(p))
                    .map_or("–".to_string(), |r| {
                        let cpu = r.server_cpu_ns_per_request.map_or("–".to_string(), |ns| {
                            format!("{}/req", time(ns.round() as u64))
                        });
                        format!("{} ({cpu})", si(rate(r)))
                    }),
            );
        }
        table.row(&line);
    }
    md.push_str(&table.finish());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(rps: f64, p99: u64, answered: u64, unanswered: u64, client_bound: bool) -> ServerRow {
        ServerRow {
            depth: None,
            scenario: Some("uniform".into()),
            offered_per_sec: Some(10_000.0),
            requests_per_sec: Some(rps),
            p99_ns: Some(p99),
            answered: Some(answered),
            unanswered: Some(unanswered),
            due: Some(rps as u64),
            client_bound: Some(client_bound),
            ..ServerRow::empty("open", "event_loop", 100)
        }
    }

    #[test]
    fn a_cell_is_the_median_of_its_rounds_with_their_range_and_its_worst_counts() {
        let other = ServerRow {
            offered_per_sec: Some(20_000.0),
            ..round(5.0, 5, 100, 0, false)
        };
        let rows = over_rounds(vec![
            round(9_000.0, 300, 100, 0, false),
            other.clone(),
            round(9_900.0, 900, 98, 0, false),
            round(9_500.0, 200, 100, 7, true),
        ]);
        assert_eq!(rows.len(), 2, "one row per cell, in first-seen order");
        let cell = &rows[0];
        assert_eq!(cell.repeats, Some(3));
        assert_eq!(
            (
                cell.requests_per_sec,
                cell.requests_per_sec_lowest,
                cell.requests_per_sec_highest
            ),
            (Some(9_500.0), Some(9_000.0), Some(9_900.0))
        );
        // Each figure's own median: the p99 of the 9,000 req/s round.
        assert_eq!(
            (cell.p99_ns, cell.p99_ns_lowest, cell.p99_ns_highest),
            (Some(300), Some(200), Some(900))
        );
        assert_eq!((cell.answered, cell.unanswered), (Some(98), Some(7)));
        assert_eq!(cell.client_bound, Some(true));
        // `due` from the median-throughput round.
        assert_eq!(cell.due, Some(9_500));
        assert_eq!(rows[1].repeats, Some(1));
        assert_eq!(rows[1].requests_per_sec_lowest, None, "one round: no range");
        assert_eq!(rows[1].offered_per_sec, Some(20_000.0));
    }
}
