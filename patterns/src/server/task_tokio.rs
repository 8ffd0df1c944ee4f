//! **task_tokio**: seed 001's decision, as its ADR writes it. A tokio
//! multi-thread runtime; an accept loop that takes a permit from a
//! `Semaphore` (`acquire_owned`) *before* accepting, so at most
//! `max_connections` are served and the rest wait in the backlog; a task
//! per connection holding its permit until it ends; `select!` on a
//! shutdown signal; and a `JoinSet` that tracks the connection tasks so
//! shutdown can wait for them.
//!
//! A connection's state lives in its task's future (the buffers and the
//! [`Connection`]): a few KiB on the heap, not a thread. A task blocked in
//! `read` is a registration in tokio's reactor; when data arrives, a worker
//! polls the task, which answers and awaits again. The cost per request
//! over the event loop: a wake-up and a poll through the scheduler, and
//! work stealing between the two workers.
//!
//! A `FANOUT`'s steps are spawned detached and report back through a
//! channel (`fan_out_detached`): the connection task awaits the reports
//! but cannot call the steps back, so a client that leaves mid-fan-out
//! leaves them running to their end (`session_tokio` owns and aborts its
//! steps instead). `per_core_tokio` runs this same connection task.
//!
//! The accept loop and the runtime are shared with `session_tokio` and
//! `central_tokio` ([`TokioBase`]), which differ only in what a connection
//! task does.
//!
//! Shutdown: the signal is set; the accept loop stops and drops the
//! listener; each connection task reads what has already arrived, answers
//! it, and ends; the accept loop waits for them (at most
//! [`SHUTDOWN_GRACE`], then aborts the rest) and the runtime is dropped.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;

use crate::server::protocol::{Connection, FanOut, Flow, Store, execute, new_store, spin};
use crate::server::{Config, Deadlines, OUTPUT_LIMIT, SHUTDOWN_GRACE, Served, Server, Stats};

/// What every tokio style's connections share (per-core styles: what one
/// core's connections share; the store is then one for all cores).
pub struct Shared {
    pub store: Arc<Store>,
    pub stats: Stats,
    pub idle_timeout: Duration,
    /// Each connection starts from a copy.
    pub deadlines: Deadlines,
}

impl Shared {
    /// An empty store and zeroed statistics, with `config`'s clocks.
    pub fn new(config: &Config) -> Shared {
        Shared::on(Arc::new(new_store()), config)
    }

    /// One per core, every one on the same store, each with its own
    /// statistics.
    pub fn per_core(config: &Config, cores: usize) -> Vec<Arc<Shared>> {
        let store = Arc::new(new_store());
        (0..cores)
            .map(|_| Arc::new(Shared::on(Arc::clone(&store), config)))
            .collect()
    }

    fn on(store: Arc<Store>, config: &Config) -> Shared {
        Shared {
            store,
            stats: Stats::default(),
            idle_timeout: config.idle_timeout,
            deadlines: Deadlines::new(config),
        }
    }
}

/// The shutdown signal as connection tasks see it.
pub type Signal = watch::Receiver<bool>;

/// Resolves once shutdown has begun (at once if it already has).
pub async fn stopped(signal: &mut Signal) {
    let _ = signal.wait_for(|stopping| *stopping).await;
}

// ANCHOR: accept
/// The ADR's accept loop: a permit, then a connection, then a task that
/// keeps the permit until it ends.
async fn accept_loop<H, F>(listener: TcpListener, limit: usize, mut signal: Signal, serve: H)
where
    H: Fn(TcpStream, Signal, OwnedSemaphorePermit) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(limit.max(1)));
    let mut connections = JoinSet::new();
    loop {
        let permit = tokio::select! {
            biased;
            () = stopped(&mut signal) => break,
            permit = Arc::clone(&permits).acquire_owned() => permit.expect("never closed"),
        };
        let stream = tokio::select! {
            biased;
            () = stopped(&mut signal) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // Out of descriptors, or a connection reset before we
                    // took it: back off, keep serving the others.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        while connections.try_join_next().is_some() {} // reap finished tasks
        connections.spawn(serve(stream, signal.clone(), permit));
    }
    drop(listener);
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(SHUTDOWN_GRACE, drained).await.is_err() {
        connections.shutdown().await; // aborts what is still stuck writing
    }
}
// ANCHOR_END: accept

/// The runtime, the signal and the accept loop of a tokio server.
pub struct TokioBase {
    address: SocketAddr,
    runtime: Runtime,
    shutdown: watch::Sender<bool>,
    acceptor: tokio::task::JoinHandle<()>,
    shared: Arc<Shared>,
}

impl TokioBase {
    /// Starts a runtime with `config.workers` workers and the accept loop;
    /// `serve` makes each connection's task.
    pub fn start<H, F>(
        config: &Config,
        serve: impl FnOnce(Arc<Shared>) -> H,
    ) -> std::io::Result<TokioBase>
    where
        H: Fn(TcpStream, Signal, OwnedSemaphorePermit) -> F + Send + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.workers.max(1))
            .enable_all()
            .build()?;
        let listener = crate::server::listen(config.address)?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let listener = {
            let _context = runtime.enter();
            TcpListener::from_std(listener)?
        };
        let shared = Arc::new(Shared::new(config));
        let (shutdown, signal) = watch::channel(false);
        // Inside the runtime, so the factory can spawn tasks of its own.
        let serve = {
            let _context = runtime.enter();
            serve(Arc::clone(&shared))
        };
        let acceptor = runtime.spawn(accept_loop(listener, config.max_connections, signal, serve));
        Ok(TokioBase {
            address,
            runtime,
            shutdown,
            acceptor,
            shared,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// The server's counters, while it runs.
    pub fn stats(&self) -> &Stats {
        &self.shared.stats
    }

    pub fn shutdown(self) -> Served {
        let _ = self.shutdown.send(true);
        let _ = self.runtime.block_on(self.acceptor);
        self.runtime.shutdown_timeout(SHUTDOWN_GRACE);
        self.shared.stats.served()
    }
}

/// Writes `out` and empties it. False on a write error, or when the client
/// has taken none of it for `stalled` (it does not read: give up its place).
pub async fn send(stream: &mut TcpStream, out: &mut Vec<u8>, stalled: Duration) -> bool {
    if out.is_empty() {
        return true;
    }
    let sent = matches!(
        tokio::time::timeout(stalled, stream.write_all(out)).await,
        Ok(Ok(()))
    );
    out.clear();
    sent
}

/// At shutdown: takes what has already arrived without waiting for more.
/// `take` answers some bytes and says how many bytes the connection now
/// holds (its replies, or what it buffered); past [`OUTPUT_LIMIT`] the rest
/// is left unread, so a client that keeps its socket full cannot make this
/// loop, or the buffer, run on.
pub fn received_so_far(stream: &TcpStream, take: impl FnMut(&[u8]) -> (Flow, usize)) {
    take_received(|buf| stream.try_read(buf), take);
}

/// [`received_so_far`] for any socket: `try_read` reads without waiting
/// (an error, `WouldBlock` included, ends the loop).
pub fn take_received(
    mut try_read: impl FnMut(&mut [u8]) -> std::io::Result<usize>,
    mut take: impl FnMut(&[u8]) -> (Flow, usize),
) {
    let mut buf = [0u8; 4096];
    while let Ok(n) = try_read(&mut buf) {
        if n == 0 {
            break;
        }
        let (flow, held) = take(&buf[..n]);
        if flow == Flow::Close || held >= OUTPUT_LIMIT {
            break;
        }
    }
}

/// How long a `FANOUT` step run as a task works between yields: an abort
/// lands within one slice, and the worker can run other tasks between them.
pub const STEP_SLICE_MICROS: u64 = 50;

/// One `FANOUT` step as a task of its own: `micros` of work in slices,
/// counted in the server's [`Stats`] from now (its spawn) until its future
/// is dropped, finished or not: a step aborted before its first poll is
/// counted too, since the tally is moved into the future, not made in it.
pub fn fan_out_step(shared: Arc<Shared>, micros: u64) -> impl Future<Output = ()> + Send {
    let tally = StepTally::new(shared);
    async move {
        // The whole tally, not only the field written below (closures and
        // async blocks capture disjoint fields).
        let mut tally = tally;
        let mut left = micros;
        while left > 0 {
            let slice = left.min(STEP_SLICE_MICROS);
            spin(slice);
            left -= slice;
            tokio::task::yield_now().await;
        }
        tally.finished = true;
    }
}

/// Counts a step in [`Stats`]: started when made, ended when dropped.
struct StepTally {
    shared: Arc<Shared>,
    finished: bool,
}

impl StepTally {
    fn new(shared: Arc<Shared>) -> StepTally {
        shared.stats.step_started();
        StepTally {
            shared,
            finished: false,
        }
    }
}

impl Drop for StepTally {
    fn drop(&mut self) {
        self.shared.stats.step_ended(self.finished);
    }
}

/// A `FANOUT` the way a handler without a loop of its own runs concurrent
/// work: each step is spawned *detached* and reports back through a
/// channel. The connection task waits for the reports, but nothing can
/// call the steps back: if the client goes away meanwhile, they run to
/// their end anyway. (Awaiting `JoinHandle`s is the same design: dropping
/// one detaches its task, it does not cancel it.)
async fn fan_out_detached(shared: &Arc<Shared>, fan_out: FanOut) {
    let (report, mut reports) = tokio::sync::mpsc::channel(fan_out.steps as usize);
    for _ in 0..fan_out.steps {
        let (shared, report) = (Arc::clone(shared), report.clone());
        tokio::spawn(async move {
            fan_out_step(shared, fan_out.micros).await;
            let _ = report.send(()).await;
        });
    }
    drop(report);
    // Ends early only if the runtime drops the steps (at its shutdown).
    for _ in 0..fan_out.steps {
        if reports.recv().await.is_none() {
            break;
        }
    }
}

/// Answers what `connection` holds, running each `FANOUT` detached and
/// awaiting it before the requests behind it.
async fn answer_all(shared: &Arc<Shared>, connection: &mut Connection, out: &mut Vec<u8>) -> Flow {
    loop {
        let (flow, answered, fan_out) = connection.answer_to_fan_out(out, |request, session| {
            execute(&shared.store, session, request)
        });
        shared.stats.requests(answered);
        let Some(fan_out) = fan_out else {
            return flow;
        };
        fan_out_detached(shared, fan_out).await;
        connection.fan_out_done(out);
        shared.stats.requests(1);
    }
}

// ANCHOR: connection
/// One connection's task: read, answer, write, until the client closes,
/// goes idle, or shutdown begins.
pub(crate) async fn serve(
    mut stream: TcpStream,
    shared: Arc<Shared>,
    mut signal: Signal,
    permit: OwnedSemaphorePermit,
) {
    use tokio::io::AsyncReadExt;
    shared.stats.connection();
    let mut connection = Connection::default();
    let mut buf = [0u8; 4096];
    let mut out = Vec::new();
    let mut deadlines = shared.deadlines;
    loop {
        let wait = deadlines.wait();
        let read = tokio::select! {
            biased;
            () = stopped(&mut signal) => {
                // Answer what has arrived, then close.
                received_so_far(&stream, |bytes| {
                    let (flow, answered) = connection.receive(bytes, &shared.store, &mut out);
                    shared.stats.requests(answered);
                    (flow, out.len())
                });
                send(&mut stream, &mut out, shared.idle_timeout).await;
                break;
            }
            read = tokio::time::timeout(wait, stream.read(&mut buf)) => read,
        };
        let n = match read {
            Ok(Ok(n)) if n > 0 => n,
            _ => break, // closed, reset, idle too long, or a request too slow
        };
        connection.feed(&buf[..n]);
        let flow = answer_all(&shared, &mut connection, &mut out).await;
        deadlines.received(connection.has_partial_request());
        if !send(&mut stream, &mut out, shared.idle_timeout).await || flow == Flow::Close {
            break;
        }
    }
    drop(permit); // the place frees once the connection is done
}
// ANCHOR_END: connection

pub struct TokioTaskServer(TokioBase);

impl TokioTaskServer {
    /// The server's counters while it runs (the fan-out tests watch its
    /// steps).
    pub fn stats(&self) -> &crate::server::Stats {
        self.0.stats()
    }
}

impl Server for TokioTaskServer {
    const STYLE: &'static str = "task_tokio";

    fn start(config: Config) -> std::io::Result<Self> {
        TokioBase::start(&config, |shared| {
            move |stream, signal, permit| serve(stream, Arc::clone(&shared), signal, permit)
        })
        .map(TokioTaskServer)
    }

    fn local_addr(&self) -> SocketAddr {
        self.0.local_addr()
    }

    fn shutdown(self) -> Served {
        self.0.shutdown()
    }
}
