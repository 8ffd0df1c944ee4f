//! The idle-connection memory probe: many connections opened at once
//! (tokio, a task each), each answered one `PING`, then the server's RSS.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::time::{Instant, timeout_at};

use super::CONNECTING_AT_ONCE;
use super::process::ServerProcess;

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

#[derive(Debug, Clone)]
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
    cpus: &[usize],
) -> MemoryCell {
    let server = ServerProcess::start_on(binary, style, many + 16, None, cpus);
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
