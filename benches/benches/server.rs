//! Server benchmarks, on the workbench's latency harness: every style of
//! the registry, started as its own process (the `server` binary), loaded
//! by one load generator in this process (a tokio runtime, a task per
//! connection), over loopback only.
//!
//! Three measurements per style:
//!
//! - **Load**: 1, 10, 100, 1,000 and 10,000 connections, each sending
//!   `depth` requests at a time (1: request/response; 16: pipelined) and
//!   waiting for their replies, for a fixed time after a warm-up. Requests
//!   alternate `INCR k 1` and `GET k` on the connection's own key.
//!   Requests/s, latency percentiles (from sending a batch to each reply,
//!   HdrHistogram) and how many connections were answered at all.
//! - **Idle connections**: RSS of the server process with N1 and N2 idle
//!   connections open (each answered one PING, so its state exists); the
//!   slope is the memory per idle connection, and its figure for 100,000
//!   connections is extrapolated (this machine allows 20,000 descriptors
//!   per process, and the client holds one per connection too, in its own
//!   process). Also: how many of N2 each style held and answered.
//! - **The limit**: limit 100, 200 connections: who is served, at what
//!   rate and latency.
//!
//! Every loop is bounded in time and count and stops by itself; every
//! socket is on 127.0.0.1. `--test` runs every style through one small cell
//! of each kind and writes nothing; `--quick` shortens everything.

use std::time::Duration;

use benches::harness::{Harness, percentiles};
use benches::report::chart;
use benches::report::environment::Environment;
use benches::report::table::{ScenarioTable, bytes, si};
use benches::workloads::server::load::{measure_load, measure_memory};
use benches::workloads::server::process::{ServerProcess, no_limit};
use benches::workloads::server::redis::{
    REDIS_SCENARIOS, REDIS_TIME_LIMIT, RedisCell, RedisServer, redis_benchmark,
    redis_tools_installed,
};
use benches::workloads::server::render::render;
use benches::workloads::server::{
    CONNECTIONS, DEPTHS, IDLE_FEW, IDLE_MANY, MEASURE, STYLES, WARM_UP, workload,
};

/// The server binary this bench starts, one process per style.
const SERVER: &str = env!("CARGO_BIN_EXE_server");

fn main() {
    let Some(mut harness) = Harness::from_args() else {
        return;
    };
    let workload = workload();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the load generator's runtime");
    let measure = harness.duration(MEASURE);
    let warm_up = harness.duration(WARM_UP);
    let (connections, few, many): (&[usize], usize, usize) = if harness.smoke {
        (&[10], 20, 60)
    } else if benches::settings::quick() {
        (&CONNECTIONS, IDLE_FEW, 5_000)
    } else {
        (&CONNECTIONS, IDLE_FEW, IDLE_MANY)
    };
    // Per style: the load cells, memory, limit and redis-benchmark; and
    // redis-server's row.
    let cells = STYLES.len() * (connections.len() * DEPTHS.len() + 3) + 1;
    harness.plan(
        &workload,
        cells,
        warm_up + measure + Duration::from_millis(800),
    );
    let (mut load, mut memory, mut limit) = (Vec::new(), Vec::new(), Vec::new());
    let mut redis = Vec::new();
    let redis_tools = redis_tools_installed();
    if !redis_tools {
        eprintln!(
            "note: redis-server or redis-benchmark is not installed: the rows beside Redis are skipped \
             (apt-get install redis-server redis-tools)"
        );
    }
    // Fewer requests in a smoke or quick run.
    let redis_share = if harness.smoke {
        200
    } else if benches::settings::quick() {
        4
    } else {
        1
    };
    let redis_limit = if harness.smoke {
        REDIS_TIME_LIMIT / 10
    } else if benches::settings::quick() {
        REDIS_TIME_LIMIT / 4
    } else {
        REDIS_TIME_LIMIT
    };
    let redis_row = |server: &str, port: u16, redis: &mut Vec<RedisCell>| {
        for (connections, pipeline, requests) in REDIS_SCENARIOS {
            let requests = (requests / redis_share).max(connections * pipeline);
            let Some((rps, p50_ms, p99_ms)) =
                redis_benchmark(port, (connections, pipeline, requests), redis_limit)
            else {
                eprintln!(
                    "server/redis-benchmark/{server}/{connections}x{pipeline}: did not finish"
                );
                continue;
            };
            {
                eprintln!(
                    "server/redis-benchmark/{server}/{connections}x{pipeline}: {} req/s, p99 {p99_ms} ms",
                    si(rps)
                );
                redis.push(RedisCell {
                    server: server.to_string(),
                    connections,
                    pipeline,
                    rps,
                    p50_ms,
                    p99_ms,
                });
            }
        }
    };
    if redis_tools && harness.wants("server/redis-benchmark/redis-server") {
        match RedisServer::start() {
            Some(server) => redis_row("redis-server", server.port, &mut redis),
            None => eprintln!("note: redis-server did not start; its row is skipped"),
        }
    }
    for &style in STYLES {
        for depth in DEPTHS {
            for &n in connections {
                let name = format!("server/load/{style}/{n}x{depth}");
                if !harness.wants(&name) {
                    continue;
                }
                let cell = measure_load(
                    &runtime,
                    SERVER,
                    style,
                    n,
                    depth,
                    (warm_up, measure),
                    no_limit(),
                );
                eprintln!(
                    "{name}: {} req/s, p99 {}, answered {} of {n}",
                    si(cell.requests as f64 / cell.elapsed.as_secs_f64()),
                    percentiles(&cell.latency)[1],
                    cell.answered
                );
                load.push(cell);
            }
        }
        let name = format!("server/memory/{style}/{many}");
        if harness.wants(&name) {
            let cell = measure_memory(&runtime, SERVER, style, few, many);
            eprintln!(
                "{name}: RSS {} at {few}, {} at {many}, held {}",
                bytes(cell.rss_few as f64),
                bytes(cell.rss_many as f64),
                cell.held_many
            );
            memory.push(cell);
        }
        if redis_tools && harness.wants(&format!("server/redis-benchmark/{style}")) {
            let server = ServerProcess::start(SERVER, style, no_limit());
            redis_row(style, server.address.port(), &mut redis);
            server.stop();
        }
        let (cap, clients) = if harness.smoke { (5, 10) } else { (100, 200) };
        let name = format!("server/limit/{style}/{cap}");
        if harness.wants(&name) {
            let cell = measure_load(&runtime, SERVER, style, clients, 1, (warm_up, measure), cap);
            eprintln!("{name}: answered {} of {clients}", cell.answered);
            limit.push(cell);
        }
    }
    drop(runtime);
    if harness.smoke || load.len() + memory.len() + limit.len() + redis.len() == 0 {
        harness.finish(&workload, String::new(), String::new());
        return;
    }
    let head = harness.header(&workload);
    let (md, csv, chart_cells) = render(head, &load, &memory, &limit, &redis, (warm_up, measure));
    let out = benches::report::default_out_dir();
    let environment = Environment::detect(&benches::report::workspace_root());
    for depth in DEPTHS {
        let group = format!("server-depth-{depth}");
        if let Some(table) = ScenarioTable::of(&chart_cells, &group) {
            let _ = std::fs::create_dir_all(&out);
            let _ = std::fs::write(
                out.join(format!("{group}.svg")),
                chart::svg(&group, &table, &environment, &[], false),
            );
        }
    }
    harness.finish(&workload, md, csv);
}
