//! redis-server as the reference row and redis-benchmark as a second,
//! independent client, when they are installed.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::placement::Placement;
use super::process::{ServerProcess, no_limit};
use super::sweep::Target;
use crate::report::table::{si, time};
use crate::settings;

// ANCHOR: redis
/// The Redis tools, if installed: `redis-server` as the reference row and
/// `redis-benchmark` as a second, independent client.
pub fn redis_tools_installed() -> bool {
    ["redis-server", "redis-benchmark"].iter().all(|tool| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// redis-server on a free loopback port, persistence off, stopped on drop.
pub struct RedisServer {
    pub child: Child,
    pub port: u16,
}

impl RedisServer {
    /// Started on `cpus` (anywhere if empty).
    pub fn start(cpus: &[usize]) -> Option<RedisServer> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let mut command = Command::new("redis-server");
        if !cpus.is_empty() {
            super::placement::pin_child(&mut command, cpus);
        }
        let child = command
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

impl RedisServer {
    pub fn cpu(&self) -> Option<Duration> {
        crate::cost::process_cpu(self.child.id())
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The keys redis-benchmark's `-r` draws from: `key:` and twelve digits.
pub const KEYSPACE: usize = 100_000;

/// Sets every key of [`KEYSPACE`] (`SET key:000000000042 xxx`, pipelined
/// a thousand at a time), so that `GET` reads a value on every server, as
/// it would in use. Bounded: gives up after `limit`.
pub fn populate(port: u16, limit: Duration) -> std::io::Result<()> {
    use std::io::{Read, Write};
    let deadline = std::time::Instant::now() + limit;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(limit))?;
    let mut reply = vec![0u8; 64 * 1024];
    for chunk in (0..KEYSPACE).collect::<Vec<_>>().chunks(1_000) {
        let mut batch = Vec::new();
        for key in chunk {
            let key = format!("key:{key:012}");
            batch.extend_from_slice(
                format!(
                    "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n$3\r\nxxx\r\n",
                    key.len()
                )
                .as_bytes(),
            );
        }
        stream.write_all(&batch)?;
        let mut answered = 0;
        while answered < chunk.len() {
            let n = stream.read(&mut reply)?;
            if n == 0 || std::time::Instant::now() > deadline {
                return Err(std::io::Error::other("the server stopped answering SET"));
            }
            answered += reply[..n].iter().filter(|b| **b == b'\n').count();
        }
    }
    Ok(())
}

/// One redis-benchmark run of `GET` on random keys of the populated
/// [`KEYSPACE`], with `threads` client threads: requests/s, p50 and p99 in
/// ms, from its CSV.
pub fn redis_benchmark(
    port: u16,
    (connections, pipeline, requests): (usize, usize, usize),
    (threads, cpus): (usize, &[usize]),
    time_limit: Duration,
) -> Option<(f64, f64, f64)> {
    let mut command = Command::new("redis-benchmark");
    if !cpus.is_empty() {
        super::placement::pin_child(&mut command, cpus);
    }
    let mut child = command
        .args(["--threads", &threads.to_string()])
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-t",
            "get",
            "-r",
            &KEYSPACE.to_string(),
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
    // `--csv`: a header ("test","rps","avg_latency_ms",...), then a row
    // per test; read by the project's one CSV reader.
    let table = crate::results::Table::parse(&text).ok()?;
    let row = table
        .records
        .iter()
        .find(|r| r.first().is_some_and(|t| t == "GET"))?;
    let field = |name: &str| -> Option<f64> { row.get(table.column(name)?)?.parse().ok() };
    Some((
        field("rps")?,
        field("p50_latency_ms")?,
        field("p99_latency_ms")?,
    ))
}

/// How long one redis-benchmark run may take before it is stopped (a
/// smoke run's are a tenth of that).
pub const REDIS_TIME_LIMIT: Duration = Duration::from_secs(10);

/// `(connections, pipeline depth, requests)`: about a second each here.
pub const REDIS_SCENARIOS: [(usize, usize, usize); 4] = [
    (1, 1, 15_000),
    (50, 1, 80_000),
    (1_000, 1, 60_000),
    (50, 16, 1_000_000),
];

#[derive(Debug, Clone)]
pub struct RedisCell {
    pub server: String,
    pub connections: usize,
    pub pipeline: usize,
    pub rps: f64,
    /// redis-benchmark's own percentiles: closed-loop, so they restate
    /// throughput; kept in the CSV, not shown as latency.
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// The server's CPU time over the run, per request.
    pub server_cpu_ns_per_request: Option<f64>,
}
// ANCHOR_END: redis

/// redis-benchmark against `target` (keys populated first), with as many
/// client threads as the generator has CPUs, pinned to them.
pub fn redis_benchmark_row(
    target: Target<'_>,
    placement: &Placement,
    smoke: bool,
    into: &mut Vec<RedisCell>,
) {
    let (server_cpus, client_cpus): (&[usize], &[usize]) = if placement.shared {
        (&[], &[])
    } else {
        (&placement.server, &placement.generator)
    };
    let (style, redis);
    let pid;
    let port = match target {
        Target::Style {
            binary,
            style: s,
            workers,
            ..
        } => {
            let server = ServerProcess::start_on(binary, s, no_limit(), workers, server_cpus);
            let port = server.address.port();
            pid = server.child.id();
            style = Some(server);
            redis = None;
            port
        }
        Target::Redis => {
            let Some(server) = RedisServer::start(server_cpus) else {
                eprintln!("note: redis-server did not start; its redis-benchmark row is skipped");
                return;
            };
            let port = server.port;
            pid = server.child.id();
            redis = Some(server);
            style = None;
            port
        }
    };
    let (share, limit) = if smoke {
        (200, REDIS_TIME_LIMIT / 10)
    } else if settings::quick() {
        (4, REDIS_TIME_LIMIT / 4)
    } else {
        (1, REDIS_TIME_LIMIT)
    };
    if let Err(e) = populate(port, limit) {
        eprintln!(
            "server/redis-benchmark/{}: keys not populated ({e}); row skipped",
            target.name()
        );
    } else {
        let threads = placement.generator.len().max(1);
        for (connections, pipeline, requests) in REDIS_SCENARIOS {
            let requests = (requests / share).max(connections * pipeline);
            let before = crate::cost::process_cpu(pid);
            let run = redis_benchmark(
                port,
                (connections, pipeline, requests),
                (threads, client_cpus),
                limit,
            );
            let cpu = match (before, crate::cost::process_cpu(pid)) {
                (Some(b), Some(a)) => Some(a.saturating_sub(b)),
                _ => None,
            };
            match run {
                Some((rps, p50_ms, p99_ms)) => {
                    eprintln!(
                        "server/redis-benchmark/{}/{connections}x{pipeline}: {} req/s, server {} CPU/req",
                        target.name(),
                        si(rps),
                        cpu.map_or("–".into(), |c| time(
                            (c.as_nanos() / requests.max(1) as u128) as u64
                        ))
                    );
                    into.push(RedisCell {
                        server: target.name().to_string(),
                        connections,
                        pipeline,
                        rps,
                        p50_ms,
                        p99_ms,
                        server_cpu_ns_per_request: cpu
                            .map(|c| c.as_nanos() as f64 / requests as f64),
                    });
                }
                None => eprintln!(
                    "server/redis-benchmark/{}/{connections}x{pipeline}: did not finish",
                    target.name()
                ),
            }
        }
    }
    if let Some(server) = style {
        server.stop();
    }
    drop(redis);
}
