//! The server report: its tables, its CSV rows and its charts.

use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;

use super::generator::Mix;
use super::memory::MemoryCell;
use super::placement::Placement;
use super::redis::{REDIS_SCENARIOS, RedisCell};
use super::sweep::LoadCell;
use super::{DEPTHS, GRACE, LoadScenario, SCENARIOS};
use crate::report::chart::{self, LatencyLine};
use crate::report::environment::Environment;
use crate::report::render::chart_marker;
use crate::report::table::{MdTable, bytes, si, time};
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

/// Servers in the order they first appear, redis-server last.
fn servers<'a>(cells: impl Iterator<Item = &'a LoadCell>) -> Vec<&'a str> {
    let mut names: Vec<&str> = Vec::new();
    for cell in cells {
        if !names.contains(&cell.server.as_str()) {
            names.push(&cell.server);
        }
    }
    names.sort_by_key(|n| (*n == "redis-server", *n));
    names
}

fn cpu_per_request(cell: &LoadCell) -> String {
    cell.server_cpu_per_request()
        .map_or("–".into(), |ns| time(ns.round() as u64))
}

fn mark(cell: &LoadCell) -> &'static str {
    if cell.outcome.client_bound() {
        " ◦"
    } else {
        ""
    }
}

fn quantile(h: &Histogram<u64>, q: f64) -> Option<u64> {
    (!h.is_empty()).then(|| h.value_at_quantile(q))
}

fn shown(ns: Option<u64>) -> String {
    ns.map_or("–".into(), time)
}

/// A load cell as a CSV row.
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

pub fn render(
    head: String,
    measured: &Measured,
    placement: &Placement,
    arrivals: &str,
    (closed_for, open_for): ((Duration, Duration), (Duration, Duration)),
) -> (String, String, Vec<(String, String)>) {
    let mut md = head;
    let mut rows: Vec<ServerRow> = Vec::new();
    let mut charts = Vec::new();
    let environment = Environment::detect(&crate::report::workspace_root());
    let _ = writeln!(
        md,
        "Placement: {}. Every server gets the same requests from the same generator (RESP, each connection on \
         its own key, set before the window). ◦ marks a cell where the load generator may have set the pace \
         (its threads over 90% busy, or its sends over a millisecond late at p99): shown, not judged. \
         *server CPU/req*: the server process's CPU time (user + system, every thread, from `/proc`, in 10 ms \
         ticks) over the replies of the window.",
        placement.describe()
    );
    for LoadScenario {
        name: scenario,
        mix,
        ..
    } in SCENARIOS
    {
        let cells: Vec<&LoadCell> = measured
            .open
            .iter()
            .filter(|c| c.scenario == scenario)
            .collect();
        if cells.is_empty() {
            continue;
        }
        open_section(&mut md, scenario, mix, &cells, arrivals, open_for);
        for cell in &cells {
            rows.push(row("open", cell));
        }
        let names = servers(cells.iter().copied());
        let lines: Vec<LatencyLine> = names
            .iter()
            .map(|name| LatencyLine {
                name: (*name).to_string(),
                points: cells
                    .iter()
                    .filter(|c| c.server == *name)
                    .filter_map(|c| {
                        quantile(&c.outcome.fast, 0.99)
                            .map(|p99| (c.outcome.throughput(), p99, c.outcome.client_bound()))
                    })
                    .collect(),
            })
            .collect();
        let stem = format!("server-open-{scenario}");
        let what = if mix.slow_one_in > 0 {
            "p99 of the fast requests"
        } else {
            "p99 latency"
        };
        charts.push((
            stem.clone(),
            chart::latency_svg(&stem, what, &lines, &environment),
        ));
    }
    closed_section(&mut md, measured, closed_for);
    for cell in &measured.closed {
        rows.push(row("closed", cell));
    }
    for cell in &measured.peaks {
        rows.push(row("peak", cell));
    }
    memory_section(&mut md, &measured.memory, &mut rows);
    if !measured.limit.is_empty() {
        let _ = write!(
            md,
            "\n## At the connection limit\n\nLimit {}, {} connections, one request outstanding on each (closed loop): \
             the connections over the limit wait unserved for the whole cell (in the listen backlog; the per-core \
             styles hold one per core accepted but unread, `monoio_per_core` one per accept it keeps in flight).\n\n",
            super::LIMIT,
            measured.limit[0].outcome.connections
        );
        let mut table = MdTable::new(&["style", "answered", "req/s", "server CPU/req"], 1);
        for cell in &measured.limit {
            let o = &cell.outcome;
            table.row(&[
                cell.server.clone(),
                format!("{} of {}", o.connections - o.silent, o.connections),
                si(o.throughput()),
                cpu_per_request(cell),
            ]);
            rows.push(row("limit", cell));
        }
        md.push_str(&table.finish());
    }
    spread_section(&mut md, &rows);
    redis_benchmark_section(&mut md, &measured.redis, placement, &mut rows);
    (md, crate::results::write(&rows), charts)
}

fn open_section(
    md: &mut String,
    scenario: &str,
    mix: Mix,
    cells: &[&LoadCell],
    arrivals: &str,
    (warm_up, window): (Duration, Duration),
) {
    let connections = cells[0].outcome.connections;
    let mixed = mix.slow_one_in > 0;
    let shares: &[f64] = if crate::settings::quick() {
        &super::QUICK_LOAD_SHARES
    } else {
        &super::LOAD_SHARES
    };
    let shares = shares
        .iter()
        .map(|s| format!("{:.0}%", s * 100.0))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = write!(
        md,
        "\n## Latency under offered load: {scenario}\n\n{connections} connections, {arrivals} arrivals (open loop), \
         {} ms measured after {} ms of warm-up. {} Latency runs from each request's *intended* send time to its \
         reply, so a server that falls behind is charged for every request it delayed; a request still unanswered \
         {} ms after the window is *unanswered*, and counted in the percentiles at the time it waited. *silent*: \
         connections that got no reply at all. The offered rates are shares ({shares}) of the best \
         closed-loop peak at {connections} connections under the same mix, and one fixed rate.\n\n",
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
        GRACE.as_millis()
    );
    let _ = writeln!(md, "{}\n", chart_marker(&format!("server-open-{scenario}")));
    // At a glance: each server's p99 at each offered rate.
    let mut rates: Vec<f64> = cells.iter().filter_map(|c| c.offered()).collect();
    rates.sort_by(f64::total_cmp);
    rates.dedup();
    let mut header = vec!["server".to_string()];
    header.extend(rates.iter().map(|r| format!("{} req/s offered", si(*r))));
    let mut glance = MdTable::new(&header, 1);
    for name in servers(cells.iter().copied()) {
        let mut line = vec![name.to_string()];
        for rate in &rates {
            let cell = cells
                .iter()
                .find(|c| c.server == name && c.offered() == Some(*rate));
            line.push(cell.map_or("–".into(), |c| {
                let p99 = shown(quantile(&c.outcome.fast, 0.99));
                match c.outcome.unanswered {
                    0 => format!("{p99}{}", mark(c)),
                    n => format!("{p99} ({n} unanswered){}", mark(c)),
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
    let mut sorted: Vec<&&LoadCell> = cells.iter().collect();
    sorted.sort_by(|a, b| {
        (a.server.as_str(), a.offered().unwrap_or(0.0))
            .partial_cmp(&(b.server.as_str(), b.offered().unwrap_or(0.0)))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    for cell in sorted {
        let o = &cell.outcome;
        let mut line = vec![
            format!("{}{}", cell.server, mark(cell)),
            si(cell.offered().unwrap_or(0.0)),
            si(o.throughput()),
            shown(quantile(&o.fast, 0.5)),
            shown(quantile(&o.fast, 0.99)),
            shown(quantile(&o.fast, 0.999)),
            shown(quantile(&o.fast, 1.0)),
        ];
        if mixed {
            line.push(shown(quantile(&o.slow, 0.99)));
        }
        line.extend([
            format!("{} of {}", o.unanswered, o.due),
            o.silent.to_string(),
            cpu_per_request(cell),
            cell.server_cores()
                .map_or("–".into(), |c| format!("{c:.2}")),
            shown(quantile(&o.lateness, 0.99)),
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

fn closed_section(md: &mut String, measured: &Measured, (warm_up, window): (Duration, Duration)) {
    if measured.closed.is_empty() && measured.peaks.is_empty() {
        return;
    }
    let _ = write!(
        md,
        "\n## Closed-loop peak\n\nEach connection keeps `depth` requests outstanding and sends the next as a reply \
         arrives, for {} ms after {} ms of warm-up: the most a server gives clients that wait for it. No latency \
         column: in a closed loop it is connections over throughput. *answered*: connections that got a reply.\n",
        window.as_millis(),
        warm_up.as_millis()
    );
    for depth in DEPTHS {
        let cells: Vec<&LoadCell> = measured
            .closed
            .iter()
            .filter(|c| c.arrivals == super::generator::Arrivals::Closed { depth })
            .collect();
        if cells.is_empty() {
            continue;
        }
        let _ = write!(md, "\n### Depth {depth}\n\n");
        let mut connections: Vec<usize> = cells.iter().map(|c| c.outcome.connections).collect();
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
                    .find(|c| c.server == name && c.outcome.connections == *n);
                line.push(cell.map_or("–".into(), |c| {
                    let o = &c.outcome;
                    let answered = if o.silent > 0 {
                        format!(", {} answered", o.connections - o.silent)
                    } else {
                        String::new()
                    };
                    format!(
                        "{} ({}/req{answered}){}",
                        si(o.throughput()),
                        cpu_per_request(c),
                        mark(c)
                    )
                }));
            }
            table.row(&line);
        }
        md.push_str("Requests/s (server CPU per request):\n\n");
        md.push_str(&table.finish());
    }
    if !measured.peaks.is_empty() {
        let _ = write!(
            md,
            "\n### The peaks the offered rates come from\n\n{} connections, depth 1, under each scenario's mix.\n\n",
            measured.peaks[0].outcome.connections
        );
        let mut header = vec!["server"];
        header.extend(SCENARIOS.iter().map(|s| s.name));
        let mut table = MdTable::new(&header, 1);
        for name in servers(measured.peaks.iter()) {
            let mut line = vec![name.to_string()];
            for LoadScenario { name: scenario, .. } in SCENARIOS {
                let cell = measured
                    .peaks
                    .iter()
                    .find(|c| c.server == name && c.scenario == scenario);
                line.push(cell.map_or("–".into(), |c| {
                    format!(
                        "{} ({}/req){}",
                        si(c.outcome.throughput()),
                        cpu_per_request(c),
                        mark(c)
                    )
                }));
            }
            table.row(&line);
        }
        md.push_str(&table.finish());
    }
}

fn memory_section(md: &mut String, memory: &[MemoryCell], rows: &mut Vec<ServerRow>) {
    if memory.is_empty() {
        return;
    }
    let (few, many) = (memory[0].few, memory[0].many);
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
    for m in memory {
        // The slope over the connections actually held (a style may hold
        // fewer than were opened: the pool serves N at a time). Under a
        // hundred more, there is no slope worth quoting.
        let held = m.held_many.saturating_sub(m.held_few);
        let per = (held >= 100).then(|| (m.rss_many as f64 - m.rss_few as f64) / held as f64);
        let per_text = per.map_or("–".to_string(), |p| bytes(p.max(0.0)));
        let at_100k = per.map_or("–".to_string(), |p| {
            bytes((m.rss_few as f64 + p * (100_000 - m.held_few.min(100_000)) as f64).max(0.0))
        });
        table.row(&[
            m.style.to_string(),
            bytes(m.rss_few as f64),
            bytes(m.rss_many as f64),
            per_text,
            at_100k,
            format!("{} of {}", m.held_many, m.many),
        ]);
        rows.push(ServerRow {
            answered: Some(m.held_many as u64),
            rss_bytes: Some(m.rss_many),
            bytes_per_connection: Some(per.unwrap_or(f64::NAN)),
            ..ServerRow::empty("memory", m.style, m.many)
        });
    }
    md.push_str(&table.finish());
}

fn redis_benchmark_section(
    md: &mut String,
    redis: &[RedisCell],
    placement: &Placement,
    rows: &mut Vec<ServerRow>,
) {
    let _ = write!(md, "\n## A second client: redis-benchmark\n\n");
    if redis.is_empty() {
        md.push_str(
            "Not measured: redis-server and redis-benchmark were not installed \
             (`apt-get install redis-server redis-tools`).\n",
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
        placement.generator.len().max(1)
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
    for cell in redis {
        if !names.contains(&cell.server.as_str()) {
            names.push(&cell.server);
        }
    }
    for server in names {
        let mut line = vec![server.to_string()];
        for (c, p, _) in REDIS_SCENARIOS {
            line.push(
                redis
                    .iter()
                    .find(|r| r.server == server && r.connections == c && r.pipeline == p)
                    .map_or("–".to_string(), |r| {
                        let cpu = r.server_cpu_ns_per_request.map_or("–".to_string(), |ns| {
                            format!("{}/req", time(ns.round() as u64))
                        });
                        format!("{} ({cpu})", si(r.rps))
                    }),
            );
        }
        table.row(&line);
    }
    md.push_str(&table.finish());
    for r in redis {
        rows.push(ServerRow {
            depth: Some(r.pipeline),
            requests_per_sec: Some(r.rps),
            service_p99_ns: Some((r.p99_ms * 1e6).round() as u64),
            server_cpu_ns_per_request: r.server_cpu_ns_per_request,
            ..ServerRow::empty("redis-benchmark", &r.server, r.connections)
        });
    }
}
