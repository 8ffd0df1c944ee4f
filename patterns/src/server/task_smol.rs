//! **task_smol**: `task_tokio`'s model on smol, async-std's successor: an
//! `async_executor::Executor` run by one thread per worker (the server
//! owns and joins them), an accept loop that takes a permit from an
//! `async_lock::Semaphore` before accepting, a task per connection holding
//! its permit, a shutdown signal (a closed channel) raced against every
//! wait, and a count of live connection tasks (each holds a clone of a
//! channel sender; the channel reports closed when the last one is gone).
//!
//! The accept loop and the connection loop are written once, on the
//! `futures-io` traits that both smol and async-std implement, and shared
//! with `task_async_std`; each runtime brings its own listener, spawn and
//! timer (through [`AsyncDriver::sleep`]).
//!
//! Shutdown: the signal closes; the accept loop stops and drops the
//! listener; each connection task answers what has already arrived and
//! ends; the server waits for the last one (at most [`SHUTDOWN_GRACE`]),
//! then stops and joins the executor's threads.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use smol::channel::{Receiver, Sender, bounded};
use smol::future::{or, poll_once};
use smol::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use smol::lock::{Semaphore, SemaphoreGuardArc};
use smol::{Executor, net::TcpListener};

use crate::drive::{AsyncDriver, Smol};
use crate::server::protocol::{Connection, Flow, Store, new_store};
use crate::server::{Config, Deadlines, OUTPUT_LIMIT, SHUTDOWN_GRACE, Served, Server, Stats};

/// What the connections of a futures-io server share.
pub struct Shared {
    pub store: Store,
    pub stats: Stats,
    pub idle_timeout: Duration,
    /// Each connection starts from a copy.
    pub deadlines: Deadlines,
    /// Closed at shutdown: `recv` then fails at once for everyone.
    pub signal: Receiver<()>,
}

impl Shared {
    pub fn new(config: &Config, signal: Receiver<()>) -> Arc<Shared> {
        Arc::new(Shared {
            store: new_store(),
            stats: Stats::default(),
            idle_timeout: config.idle_timeout,
            deadlines: Deadlines::new(config),
            signal,
        })
    }
}

enum Event<T> {
    Stop,
    Ready(T),
}

/// `work`, unless shutdown begins first.
async fn unless_stopped<T>(signal: &Receiver<()>, work: impl Future<Output = T>) -> Event<T> {
    or(async { Event::Ready(work.await) }, async {
        let _ = signal.recv().await; // fails when closed: shutdown
        Event::Stop
    })
    .await
}

// ANCHOR: accept
/// The accept loop: a permit, then a connection, then a task holding it
/// and a clone of `live` (see [`wait_for_connections`]).
pub async fn accept_loop<D, S, A, AF, Sp>(
    shared: Arc<Shared>,
    limit: usize,
    live: Sender<()>,
    mut accept: A,
    spawn: Sp,
) where
    D: AsyncDriver,
    A: FnMut() -> AF,
    AF: Future<Output = std::io::Result<S>>,
    Sp: Fn(std::pin::Pin<Box<dyn Future<Output = ()> + Send>>),
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(limit.max(1)));
    loop {
        let Event::Ready(permit) = unless_stopped(&shared.signal, permits.acquire_arc()).await
        else {
            break;
        };
        let stream = match unless_stopped(&shared.signal, accept()).await {
            Event::Stop => break,
            Event::Ready(Ok(stream)) => stream,
            Event::Ready(Err(_)) => {
                D::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let (shared, live) = (Arc::clone(&shared), live.clone());
        spawn(Box::pin(async move {
            serve::<S, D>(stream, shared, permit).await;
            drop(live);
        }));
    }
}
// ANCHOR_END: accept

/// Waits until every connection task has ended (each holds a clone of the
/// accept loop's `live` sender; the channel closes when the last is
/// dropped), at most [`SHUTDOWN_GRACE`].
pub async fn wait_for_connections(done: Receiver<()>) {
    let all_gone = async {
        let _ = done.recv().await; // nobody sends: this ends when the last sender drops
    };
    or(all_gone, async {
        smol::Timer::after(SHUTDOWN_GRACE).await;
    })
    .await;
}

// ANCHOR: connection
/// One connection's task, on any runtime whose sockets implement
/// `futures-io` (`D` gives the timer).
pub async fn serve<S, D>(mut stream: S, shared: Arc<Shared>, permit: SemaphoreGuardArc)
where
    S: AsyncRead + AsyncWrite + Unpin,
    D: AsyncDriver,
{
    shared.stats.connection();
    let mut connection = Connection::default();
    let mut buf = [0u8; 4096];
    let mut out = Vec::new();
    let mut deadlines = shared.deadlines;
    loop {
        let wait = deadlines.wait();
        let read = or(async { Some(stream.read(&mut buf).await) }, async {
            D::sleep(wait).await;
            None
        });
        let n = match unless_stopped(&shared.signal, read).await {
            Event::Stop => {
                // Answer what has arrived (a read that is ready at once),
                // then close.
                // then close: at most OUTPUT_LIMIT of replies, as in
                // task_tokio's `received_so_far`.
                while out.len() < OUTPUT_LIMIT
                    && let Some(Ok(n)) = poll_once(stream.read(&mut buf)).await
                {
                    let (flow, answered) = connection.receive(&buf[..n], &shared.store, &mut out);
                    shared.stats.requests(answered);
                    if n == 0 || flow == Flow::Close {
                        break;
                    }
                }
                let _ = write_within::<S, D>(&mut stream, &out, shared.idle_timeout).await;
                break;
            }
            Event::Ready(Some(Ok(n))) if n > 0 => n,
            Event::Ready(_) => break, // closed, reset, idle too long, or a request too slow
        };
        let (flow, answered) = connection.receive(&buf[..n], &shared.store, &mut out);
        shared.stats.requests(answered);
        deadlines.received(connection.has_partial_request());
        if !out.is_empty() {
            if !write_within::<S, D>(&mut stream, &out, shared.idle_timeout).await {
                break;
            }
            out.clear();
        }
        if flow == Flow::Close {
            break;
        }
    }
    drop(permit);
}
// ANCHOR_END: connection

/// Writes `out`; false on an error, or when the client has taken none of
/// it for `stalled` (it does not read: give up its place).
async fn write_within<S, D>(stream: &mut S, out: &[u8], stalled: Duration) -> bool
where
    S: AsyncWrite + Unpin,
    D: AsyncDriver,
{
    or(async { stream.write_all(out).await.is_ok() }, async {
        D::sleep(stalled).await;
        false
    })
    .await
}

pub struct SmolTaskServer {
    address: SocketAddr,
    stop: Sender<()>,
    done: Receiver<()>,
    shared: Arc<Shared>,
    acceptor: smol::Task<()>,
    halt: Sender<()>,
    workers: Vec<JoinHandle<()>>,
}

impl Server for SmolTaskServer {
    const STYLE: &'static str = "task_smol";

    fn start(config: Config) -> std::io::Result<Self> {
        let listener = crate::server::listen(config.address)?;
        let address = listener.local_addr()?;
        let listener = TcpListener::try_from(listener)?;
        let (stop, signal) = bounded::<()>(1);
        let (live, done) = bounded::<()>(1);
        let (halt, halted) = bounded::<()>(1);
        let shared = Shared::new(&config, signal);
        let executor = Arc::new(Executor::new());
        let workers = (0..config.workers.max(1))
            .map(|_| {
                let (executor, halted) = (Arc::clone(&executor), halted.clone());
                // Runs tasks until `halt` closes, after the last connection.
                std::thread::spawn(move || {
                    let _ = smol::block_on(executor.run(halted.recv()));
                })
            })
            .collect();
        let acceptor = executor.spawn({
            let (shared, spawner) = (Arc::clone(&shared), Arc::clone(&executor));
            async move {
                accept_loop::<Smol, _, _, _, _>(
                    shared,
                    config.max_connections,
                    live,
                    || async {
                        // Nagle off: a pipelined batch's replies go out in
                        // more than one write, and the last would wait for
                        // the client's delayed ACK.
                        listener.accept().await.map(|(s, _)| {
                            let _ = s.set_nodelay(true);
                            s
                        })
                    },
                    |task| spawner.spawn(task).detach(),
                )
                .await;
            }
        });
        Ok(SmolTaskServer {
            address,
            stop,
            done,
            shared,
            acceptor,
            halt,
            workers,
        })
    }

    fn local_addr(&self) -> SocketAddr {
        self.address
    }

    fn shutdown(self) -> Served {
        self.stop.close();
        smol::block_on(self.acceptor);
        smol::block_on(wait_for_connections(self.done));
        self.halt.close();
        for worker in self.workers {
            let _ = worker.join();
        }
        self.shared.stats.served()
    }
}
