//! The load generator (a tokio runtime in the bench's process, a task per
//! connection, closed loop: each connection waits for its replies before
//! sending again) and the idle-connection memory probe.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use hdrhistogram::Histogram;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Mutex, Semaphore};
use tokio::time::{Instant, timeout_at};

use super::CONNECTING_AT_ONCE;
use super::process::ServerProcess;
use crate::harness::{histogram, nanos};

/// Sends `PING` on every open connection at once and keeps those answered
/// by `deadline` (the others are closed).
pub async fn ping_all(
    streams: Vec<Option<TcpStream>>,
    deadline: Instant,
) -> Vec<Option<TcpStream>> {
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
pub async fn gather<T>(tasks: Vec<tokio::task::JoinHandle<Option<T>>>) -> Vec<Option<T>> {
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        results.push(task.await.ok().flatten());
    }
    results
}

pub struct LoadCell {
    pub style: &'static str,
    pub connections: usize,
    pub depth: usize,
    pub requests: u64,
    pub elapsed: Duration,
    pub latency: Histogram<u64>,
    /// Connections that got at least one reply while measuring.
    pub answered: usize,
}

// ANCHOR: load
/// One connection's load: batches of `depth` requests on its own key, each
/// reply's latency measured from the batch's send; counted only between
/// `start` and `end`.
pub async fn drive(
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

pub fn measure_load(
    runtime: &tokio::runtime::Runtime,
    binary: &str,
    style: &'static str,
    connections: usize,
    depth: usize,
    (warm_up, measure): (Duration, Duration),
    limit: usize,
) -> LoadCell {
    let server = ServerProcess::start(binary, style, limit);
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
pub async fn open(address: SocketAddr, n: usize, deadline: Instant) -> Vec<Option<TcpStream>> {
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

pub struct MemoryCell {
    pub style: &'static str,
    pub rss_few: u64,
    pub rss_many: u64,
    pub few: usize,
    pub many: usize,
    /// Connections open and answered at each point.
    pub held_few: usize,
    pub held_many: usize,
}

pub fn measure_memory(
    runtime: &tokio::runtime::Runtime,
    binary: &str,
    style: &'static str,
    few: usize,
    many: usize,
) -> MemoryCell {
    let server = ServerProcess::start(binary, style, many + 16);
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
