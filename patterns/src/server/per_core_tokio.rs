//! **per_core_tokio**: thread-per-core, the shape many high-throughput Rust
//! servers pick. One thread per core (`config.workers`, one per core by
//! default), each running its own *current-thread* tokio runtime with its
//! own listener on the same port (`SO_REUSEPORT`: the kernel hashes each
//! new connection to one of the listeners), and a task per connection
//! that never leaves the thread that accepted it: no work stealing, no
//! task crossing cores, a connection's state warm in one core's cache.
//!
//! Who owns what: each thread owns its runtime, its listener, its
//! connections' tasks and its statistics (summed at shutdown, so that no
//! counter's cache line moves between cores per request). Shared across
//! threads: the store (as every style shares it), the connection limit
//! (one `Semaphore`) and the shutdown signal (a `watch` channel); tokio's
//! sync primitives work across runtimes.
//!
//! What it costs: balance. The kernel spreads connections, not work: two
//! busy connections hashed to one thread share its core while another
//! core idles, and a slow request blocks every connection of its thread
//! (as in the event loop, once per core). `task_tokio` moves a waiting
//! task to an idle worker; this style cannot.
//!
//! The limit across cores: the ADR's accept loop takes a place before it
//! accepts, which here would let a thread whose backlog is empty hold the
//! freed place while a connection waits in another thread's backlog. So a
//! thread accepts first and then waits for a place, holding at most one
//! accepted, unserved connection: with N threads, at most N connections
//! beyond the limit are open (and not read) at once, the rest wait in the
//! backlogs as elsewhere.
//!
//! Shutdown: the signal is set; each thread stops accepting, drops its
//! listener (and the one connection it may hold accepted but unserved,
//! whose requests were never read), lets its connection tasks answer what
//! has arrived (at most [`SHUTDOWN_GRACE`], then aborts them) and drops its
//! runtime; `shutdown` joins the threads.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::server::task_tokio::{Shared, Signal, serve, stopped};
use crate::server::{Config, SHUTDOWN_GRACE, Served, Server};

// ANCHOR: accept
/// One core's accept loop: a connection, then a place, then a task on this
/// thread's runtime that keeps the place until it ends.
async fn accept_loop(
    listener: TcpListener,
    places: Arc<Semaphore>,
    shared: Arc<Shared>,
    mut signal: Signal,
) {
    let mut connections = JoinSet::new();
    loop {
        let stream = tokio::select! {
            biased;
            () = stopped(&mut signal) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        // Accepted, not yet served: waits here for a place (see the
        // module's note on why not before the accept).
        let place = tokio::select! {
            biased;
            () = stopped(&mut signal) => break,
            place = Arc::clone(&places).acquire_owned() => place.expect("never closed"),
        };
        let _ = stream.set_nodelay(true);
        while connections.try_join_next().is_some() {} // reap finished tasks
        connections.spawn(serve(stream, Arc::clone(&shared), signal.clone(), place));
    }
    drop(listener);
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(SHUTDOWN_GRACE, drained).await.is_err() {
        connections.shutdown().await;
    }
}
// ANCHOR_END: accept

pub struct PerCoreTokioServer {
    address: SocketAddr,
    shutdown: watch::Sender<bool>,
    cores: Vec<JoinHandle<()>>,
    /// Each core's.
    shared: Vec<Arc<Shared>>,
}

impl Server for PerCoreTokioServer {
    const STYLE: &'static str = "per_core_tokio";
    const PER_CORE: bool = true;

    fn start(config: Config) -> std::io::Result<Self> {
        // Every listener is made here, so that a port taken or a limit hit
        // is this call's error, not a thread's.
        let listeners = crate::server::listeners_on_one_port(config.address, config.workers)?;
        let address = listeners[0].local_addr()?;
        let shared = Shared::per_core(&config, listeners.len());
        let places = Arc::new(Semaphore::new(config.max_connections.max(1)));
        let (shutdown, signal) = watch::channel(false);
        // Every runtime too, before any thread starts: a failure here
        // leaves nothing running.
        let mut prepared = Vec::new();
        for listener in listeners {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            listener.set_nonblocking(true)?;
            let listener = {
                let _context = runtime.enter();
                TcpListener::from_std(listener)?
            };
            prepared.push((runtime, listener));
        }
        let mut cores = Vec::new();
        for (core, (runtime, listener)) in prepared.into_iter().enumerate() {
            let (places, shared, signal) = (
                Arc::clone(&places),
                Arc::clone(&shared[core]),
                signal.clone(),
            );
            let thread = std::thread::Builder::new()
                .name(format!("per-core-{core}"))
                .spawn(move || {
                    runtime.block_on(accept_loop(listener, places, shared, signal));
                    runtime.shutdown_timeout(SHUTDOWN_GRACE);
                });
            match thread {
                Ok(thread) => cores.push(thread),
                Err(e) => {
                    // Stop the threads already running before failing.
                    let _ = shutdown.send(true);
                    for thread in cores {
                        let _ = thread.join();
                    }
                    return Err(e);
                }
            }
        }
        Ok(PerCoreTokioServer {
            address,
            shutdown,
            cores,
            shared,
        })
    }

    fn local_addr(&self) -> SocketAddr {
        self.address
    }

    fn shutdown(self) -> Served {
        let _ = self.shutdown.send(true);
        for thread in self.cores {
            let _ = thread.join();
        }
        Served::of_cores(self.shared.iter().map(|core| &core.stats))
    }
}
