//! The server report's tables, its CSV rows and its charts' cells.

use std::fmt::Write as _;
use std::time::Duration;

use super::DEPTHS;
use super::load::{LoadCell, MemoryCell};
use super::redis::{REDIS_SCENARIOS, RedisCell};
use crate::harness::percentiles;
use crate::report::cells::Measurement;
use crate::report::table::{MdTable, bytes, si};
use crate::results::ServerRow;

pub fn render(
    head: String,
    load: &[LoadCell],
    memory: &[MemoryCell],
    limit: &[LoadCell],
    redis: &[RedisCell],
    (warm_up, measured_for): (Duration, Duration),
) -> (String, String, Vec<Measurement>) {
    let mut md = head;
    let _ = writeln!(
        md,
        "Each load cell measured for {} ms after a {} ms warm-up. *req/s*: replies received per second by all \
         connections; *p50 / p99 / p99.9*: from sending a batch to each of its replies; *answered*: connections \
         that received at least one reply while measuring (a style that serves fewer at once leaves the others \
         waiting). This machine has {} cores, shared by the server and the load generator.",
        measured_for.as_millis(),
        warm_up.as_millis(),
        patterns::sync::cores()
    );
    let mut rows: Vec<ServerRow> = Vec::new();
    let mut chart_cells = Vec::new();
    for depth in DEPTHS {
        let what = if depth == 1 {
            "one request at a time (request/response)"
        } else {
            "16 requests pipelined per batch"
        };
        let _ = write!(
            md,
            "\n## Load, depth {depth} (client: the workbench's load generator)\n\nEach connection sends {what}.\n\n"
        );
        let mut table = MdTable::new(
            &[
                "style",
                "connections",
                "req/s",
                "p50",
                "p99",
                "p99.9",
                "answered",
            ],
            1,
        );
        for cell in load.iter().filter(|c| c.depth == depth) {
            let rate = cell.requests as f64 / cell.elapsed.as_secs_f64();
            let [p50, p99, p999, _] = percentiles(&cell.latency);
            table.row(&[
                cell.style.to_string(),
                cell.connections.to_string(),
                si(rate),
                p50,
                p99,
                p999,
                format!("{} of {}", cell.answered, cell.connections),
            ]);
            rows.push(ServerRow {
                depth: Some(depth),
                requests_per_sec: Some(rate),
                p50_ns: Some(cell.latency.value_at_quantile(0.5)),
                p99_ns: Some(cell.latency.value_at_quantile(0.99)),
                p999_ns: Some(cell.latency.value_at_quantile(0.999)),
                answered: Some(cell.answered as u64),
                ..ServerRow::empty("load", cell.style, cell.connections)
            });
            if rate > 0.0 {
                chart_cells.push(Measurement::single(
                    format!("server-depth-{depth}"),
                    format!("{}@server", cell.style),
                    cell.connections,
                    rate,
                ));
            }
        }
        md.push_str(&table.finish());
    }
    if !memory.is_empty() {
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
            // The slope over the connections actually held (a style may
            // hold fewer than were opened: the pool serves N at a time).
            // Under a hundred more, there is no slope worth quoting.
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
    if !limit.is_empty() {
        let _ = write!(
            md,
            "\n## At the connection limit\n\nLimit {}, {} connections, one request at a time: the connections over the \
             limit wait in the listen backlog for the whole cell.\n\n",
            limit[0].connections / 2,
            limit[0].connections
        );
        let mut table = MdTable::new(&["style", "answered", "req/s", "p50", "p99"], 1);
        for cell in limit {
            let rate = cell.requests as f64 / cell.elapsed.as_secs_f64();
            let [p50, p99, _, _] = percentiles(&cell.latency);
            table.row(&[
                cell.style.to_string(),
                format!("{} of {}", cell.answered, cell.connections),
                si(rate),
                p50,
                p99,
            ]);
            rows.push(ServerRow {
                depth: Some(1),
                requests_per_sec: Some(rate),
                p50_ns: Some(cell.latency.value_at_quantile(0.5)),
                p99_ns: Some(cell.latency.value_at_quantile(0.99)),
                p999_ns: Some(cell.latency.value_at_quantile(0.999)),
                answered: Some(cell.answered as u64),
                ..ServerRow::empty("limit", cell.style, cell.connections)
            });
        }
        md.push_str(&table.finish());
    }
    let _ = write!(md, "\n## Beside Redis (client: redis-benchmark)\n\n");
    if redis.is_empty() {
        md.push_str(
            "Not measured: redis-server and redis-benchmark were not installed \
             (`apt-get install redis-server redis-tools`).\n",
        );
    } else {
        md.push_str(
            "Every style and redis-server 7 itself (persistence off), driven by `redis-benchmark -t get -r 100000` \
             over RESP, the same client for all: an independent check on the workbench's own load generator \
             (the tables above). Cells: requests/s, p99 in brackets; – where redis-benchmark could not finish \
             within its time limit (a server that serves only some of its connections).\n\n",
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
        let mut servers: Vec<&str> = Vec::new();
        for cell in redis {
            if !servers.contains(&cell.server.as_str()) {
                servers.push(&cell.server);
            }
        }
        for server in servers {
            let mut row = vec![server.to_string()];
            for (c, p, _) in REDIS_SCENARIOS {
                row.push(
                    redis
                        .iter()
                        .find(|r| r.server == server && r.connections == c && r.pipeline == p)
                        .map_or("–".to_string(), |r| {
                            format!("{} ({:.2} ms)", si(r.rps), r.p99_ms)
                        }),
                );
            }
            table.row(&row);
        }
        md.push_str(&table.finish());
        for r in redis {
            rows.push(ServerRow {
                depth: Some(r.pipeline),
                requests_per_sec: Some(r.rps),
                p50_ns: Some((r.p50_ms * 1e6).round() as u64),
                p99_ns: Some((r.p99_ms * 1e6).round() as u64),
                ..ServerRow::empty("redis-benchmark", &r.server, r.connections)
            });
        }
    }
    (md, crate::results::write(&rows), chart_cells)
}
