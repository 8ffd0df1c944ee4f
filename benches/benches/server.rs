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

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use benches::harness::{Harness, histogram, nanos, percentiles};
use benches::report::chart;
use benches::report::criterion::Measurement;
use benches::report::environment::Environment;
use benches::report::table::{MdTable, ScenarioTable, bytes, si};
use benches::results::ServerRow;
use benches::workloads::server::workload;
use hdrhistogram::Histogram;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Mutex, Semaphore};
use tokio::time::{Instant, timeout_at};

const CONNECTIONS: [usize; 5] = [1, 10, 100, 1_000, 10_000];
const DEPTHS: [usize; 2] = [1, 16];
const WARM_UP: Duration = Duration::from_millis(300);
const MEASURE: Duration = Duration::from_secs(1);
/// Idle connections held for the memory figure: the slope between these.
const IDLE_FEW: usize = 1_000;
const IDLE_MANY: usize = 19_000;
/// Connections opened at once while setting up (more overflow the listen
/// backlog, and the kernel then retries a dropped SYN after a second).
const CONNECTING_AT_ONCE: usize = 256;

// ANCHOR: server_process
/// A server style in its own process: started with `--port 0`, its address
/// read from its first line, stopped by closing its standard input.
struct ServerProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    address: SocketAddr,
}

/// A connection limit no cell reaches, but one this process's descriptor
/// limit can hold (the server binary refuses more, and a child inherits
/// our limit): 20,000, or what fits.
fn no_limit() -> usize {
    let fits = patterns::server::descriptor_limits().map_or(usize::MAX, |(soft, _)| {
        soft.saturating_sub(patterns::server::DESCRIPTOR_RESERVE) as usize
    });
    20_000.min(fits)
}

impl ServerProcess {
    fn start(style: &str, limit: usize) -> ServerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
            .args([
                "--style",
                style,
                "--port",
                "0",
                "--limit",
                &limit.to_string(),
            ])
            .args(["--idle-timeout", "600"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting the server binary");
        let stdin = child.stdin.take();
        let mut first = String::new();
        BufReader::new(child.stdout.as_mut().expect("piped"))
            .read_line(&mut first)
            .expect("reading the server's address");
        let address = first
            .trim()
            .strip_prefix("listening on ")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("the {style} server said {first:?}, not its address"));
        ServerProcess {
            child,
            stdin,
            address,
        }
    }

    /// The server's resident memory now, from `/proc`.
    fn rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("this bench needs Linux's /proc");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kib| kib * 1024)
            .expect("VmRSS in /proc/PID/status")
    }

    /// Graceful shutdown; waits for the process (bounded by its own grace).
    fn stop(mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}
// ANCHOR_END: server_process

/// Sends `PING` on every open connection at once and keeps those answered
/// by `deadline` (the others are closed).
async fn ping_all(streams: Vec<Option<TcpStream>>, deadline: Instant) -> Vec<Option<TcpStream>> {
    let tasks: Vec<_> = streams
        .into_iter()
        .map(|stream| {
            tokio::spawn(async move {
                let mut stream = stream?;
                stream.write_all(b"PING\n").await.ok()?;
                let mut buf = [0u8; 16];
                let n = timeout_at(deadline, stream.read(&mut buf))
                    .await
                    .ok()?
                    .ok()?;
                (n > 0).then_some(stream)
            })
        })
        .collect();
    gather(tasks).await
}

/// Every task's result, in order (`None` for one that failed or panicked).
async fn gather<T>(tasks: Vec<tokio::task::JoinHandle<Option<T>>>) -> Vec<Option<T>> {
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        results.push(task.await.ok().flatten());
    }
    results
}

struct LoadCell {
    style: &'static str,
    connections: usize,
    depth: usize,
    requests: u64,
    elapsed: Duration,
    latency: Histogram<u64>,
    /// Connections that got at least one reply while measuring.
    answered: usize,
}

// ANCHOR: load
/// One connection's load: batches of `depth` requests on its own key, each
/// reply's latency measured from the batch's send; counted only between
/// `start` and `end`.
async fn drive(
    mut stream: TcpStream,
    key: usize,
    depth: usize,
    start: Instant,
    end: Instant,
) -> (u64, Histogram<u64>) {
    let mut batch = String::new();
    for i in 0..depth {
        batch.push_str(&if i % 2 == 0 {
            format!("INCR {key} 1\n")
        } else {
            format!("GET {key}\n")
        });
    }
    let mut own = histogram();
    let mut counted = 0u64;
    let mut buf = vec![0u8; 64 * depth];
    while Instant::now() < end {
        let sent = Instant::now();
        if timeout_at(end, stream.write_all(batch.as_bytes()))
            .await
            .is_err()
        {
            break;
        }
        let mut replies = 0;
        while replies < depth {
            let n = match timeout_at(end, stream.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => n,
                _ => return (counted, own),
            };
            let arrived = Instant::now();
            for _ in buf[..n].iter().filter(|b| **b == b'\n') {
                replies += 1;
                if sent >= start {
                    own.record(nanos(arrived - sent)).expect("in range");
                    counted += 1;
                }
            }
        }
    }
    (counted, own)
}
// ANCHOR_END: load

fn measure_load(
    runtime: &tokio::runtime::Runtime,
    style: &'static str,
    connections: usize,
    depth: usize,
    (warm_up, measure): (Duration, Duration),
    limit: usize,
) -> LoadCell {
    let server = ServerProcess::start(style, limit);
    let address = server.address;
    let cell = runtime.block_on(async move {
        let setup_deadline = Instant::now() + Duration::from_secs(20);
        // Each connection sets its key first; a connection the server does
        // not serve (a full pool, the limit) still takes part, unanswered.
        let streams = open(address, connections, setup_deadline).await;
        let start = Instant::now() + warm_up;
        let end = start + measure;
        let answered = Arc::new(AtomicU64::new(0));
        let latency = Arc::new(Mutex::new(histogram()));
        let tasks: Vec<_> = streams
            .into_iter()
            .enumerate()
            .filter_map(|(key, s)| s.map(|s| (key, s)))
            .map(|(key, stream)| {
                let (answered, latency) = (Arc::clone(&answered), Arc::clone(&latency));
                tokio::spawn(async move {
                    let (count, own) = drive(stream, key, depth, start, end).await;
                    if count > 0 {
                        answered.fetch_add(1, Relaxed);
                    }
                    latency.lock().await.add(&own).expect("same bounds");
                    count
                })
            })
            .collect();
        let mut requests = 0;
        for task in tasks {
            requests += task.await.unwrap_or(0);
        }
        let latency = std::mem::replace(&mut *latency.lock().await, histogram());
        LoadCell {
            style,
            connections,
            depth,
            requests,
            elapsed: measure,
            latency,
            answered: answered.load(Relaxed) as usize,
        }
    });
    server.stop();
    cell
}

/// Opens `n` connections, at most [`CONNECTING_AT_ONCE`] at a time,
/// without waiting for any reply (the kernel completes a connection the
/// server may never serve); `None` for those not open by `deadline`.
async fn open(address: SocketAddr, n: usize, deadline: Instant) -> Vec<Option<TcpStream>> {
    let gate = Arc::new(Semaphore::new(CONNECTING_AT_ONCE));
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let gate = Arc::clone(&gate);
            tokio::spawn(async move {
                let _turn = gate.acquire_owned().await.ok()?;
                let stream = timeout_at(deadline, TcpStream::connect(address))
                    .await
                    .ok()?
                    .ok()?;
                let _ = stream.set_nodelay(true);
                Some(stream)
            })
        })
        .collect();
    gather(tasks).await
}

struct MemoryCell {
    style: &'static str,
    rss_few: u64,
    rss_many: u64,
    few: usize,
    many: usize,
    /// Connections open and answered at each point.
    held_few: usize,
    held_many: usize,
}

fn measure_memory(
    runtime: &tokio::runtime::Runtime,
    style: &'static str,
    few: usize,
    many: usize,
) -> MemoryCell {
    let server = ServerProcess::start(style, many + 16);
    let address = server.address;
    let (rss_few, rss_many, held_few, held_many) = runtime.block_on(async {
        let connected = Instant::now() + Duration::from_secs(60);
        let first = open(address, few, connected).await;
        let first = ping_all(first, Instant::now() + Duration::from_secs(3)).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let rss_few = server.rss_bytes();
        let rest = open(address, many - few, connected).await;
        let rest = ping_all(rest, Instant::now() + Duration::from_secs(3)).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let rss_many = server.rss_bytes();
        let held_few = first.iter().filter(|s| s.is_some()).count();
        let held = held_few + rest.iter().filter(|s| s.is_some()).count();
        drop((first, rest));
        (rss_few, rss_many, held_few, held)
    });
    server.stop();
    MemoryCell {
        style,
        rss_few,
        rss_many,
        few,
        many,
        held_few,
        held_many,
    }
}

// ANCHOR: redis
/// The Redis tools, if installed: `redis-server` as the reference row and
/// `redis-benchmark` as a second, independent client.
fn redis_tools_installed() -> bool {
    ["redis-server", "redis-benchmark"].iter().all(|tool| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// redis-server on a free loopback port, persistence off, stopped on drop.
struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    fn start() -> Option<RedisServer> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let server = RedisServer { child, port };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(server);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One redis-benchmark run of `GET` on random keys of a 100,000-key space:
/// requests/s, p50 and p99 in ms, from its CSV.
fn redis_benchmark(
    port: u16,
    (connections, pipeline, requests): (usize, usize, usize),
    time_limit: Duration,
) -> Option<(f64, f64, f64)> {
    let mut child = Command::new("redis-benchmark")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-t",
            "get",
            "-r",
            "100000",
            "--csv",
        ])
        .args(["-c", &connections.to_string(), "-P", &pipeline.to_string()])
        .args(["-n", &requests.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    // Bounded: a server that serves only some connections at once (the
    // pool) never lets redis-benchmark finish; it is stopped and the cell
    // left empty.
    let deadline = std::time::Instant::now() + time_limit;
    while child.try_wait().ok()?.is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take()?, &mut text).ok()?;
    let row = text.lines().find(|l| l.starts_with("\"GET\""))?;
    let fields: Vec<f64> = row
        .split(',')
        .skip(1)
        .map(|f| f.trim_matches('"').parse().unwrap_or(f64::NAN))
        .collect();
    // rps, avg, min, p50, p95, p99, max
    Some((*fields.first()?, *fields.get(3)?, *fields.get(5)?))
}

/// How long one redis-benchmark run may take before it is stopped (a
/// smoke run's are a tenth of that).
const REDIS_TIME_LIMIT: Duration = Duration::from_secs(10);

/// `(connections, pipeline depth, requests)`: about a second each here.
const REDIS_SCENARIOS: [(usize, usize, usize); 4] = [
    (1, 1, 15_000),
    (50, 1, 80_000),
    (1_000, 1, 60_000),
    (50, 16, 1_000_000),
];

struct RedisCell {
    server: String,
    connections: usize,
    pipeline: usize,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
}
// ANCHOR_END: redis

macro_rules! style_names {
    (
        facade: [$($f:ident: $ft:ty,)*],
        library: [$($l:ident: $lt:ty,)*],
        torn: [$($t:ident: $tt:ty,)*],
        broken: [$($b:ident: $bt:ty,)*],
    ) => {
        /// The styles measured: never the broken one.
        const STYLES: &[&str] = &[$(stringify!($f),)* $(stringify!($l),)* $(stringify!($t),)*];
    };
}
patterns::for_each_server!(style_names);

fn render(
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
                chart_cells.push(Measurement {
                    group: format!("server-depth-{depth}"),
                    row: format!("{}@server", cell.style),
                    clients: cell.connections,
                    median_ns_per_op: 1e9 / rate,
                    spread: None,
                    repeats: Vec::new(),
                });
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
    (md, benches::results::write(&rows), chart_cells)
}

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
                let cell = measure_load(&runtime, style, n, depth, (warm_up, measure), no_limit());
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
            let cell = measure_memory(&runtime, style, few, many);
            eprintln!(
                "{name}: RSS {} at {few}, {} at {many}, held {}",
                bytes(cell.rss_few as f64),
                bytes(cell.rss_many as f64),
                cell.held_many
            );
            memory.push(cell);
        }
        if redis_tools && harness.wants(&format!("server/redis-benchmark/{style}")) {
            let server = ServerProcess::start(style, no_limit());
            redis_row(style, server.address.port(), &mut redis);
            server.stop();
        }
        let (cap, clients) = if harness.smoke { (5, 10) } else { (100, 200) };
        let name = format!("server/limit/{style}/{cap}");
        if harness.wants(&name) {
            let cell = measure_load(&runtime, style, clients, 1, (warm_up, measure), cap);
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
