//! # The server workload
//!
//! How to serve many connections: one line protocol over TCP
//! ([`protocol`]) served by every classic connection model, so that only
//! the model differs between rows. Seed 001 (the Ferrite ADR) lists four
//! answers (a thread per connection, a pool of threads doing blocking I/O,
//! an event loop on epoll, async tasks) and picks tokio with a task per
//! connection, a semaphore limit and graceful shutdown; seed 000 argues for
//! sessions, one task per session owning its state and driving its own
//! `select!` loop, against handlers around a central loop. Each is a style
//! here:
//!
//! | style | a connection is served by | waits by |
//! |---|---|---|
//! | `thread_per_conn` | its own OS thread, blocking I/O | blocking in `read` |
//! | `thread_pool` | one of N threads, blocking I/O, for the connection's whole life | a queue, then `read` |
//! | `event_loop` | one thread for all, mio readiness and a state machine per connection | `epoll_wait` |
//! | `task_tokio`, `task_async_std`, `task_smol` | its own task | the runtime's reactor |
//! | `session_tokio` | its own task that owns its session and `select!`s over socket, idle timer, pushes and shutdown | the runtime's reactor |
//! | `central_tokio` | a task that only frames and forwards; one owner task executes every request | a channel round trip |
//! | `event_loop_per_core` | one mio loop per core, each with its own listener on the port | `epoll_wait`, per core |
//! | `per_core_tokio` | its own task on one core's current-thread runtime | that runtime's reactor |
//! | `monoio_per_core`, `glommio_per_core` | its own task on one core's io_uring runtime | the core's ring: a completed `recv` (monoio), a readiness poll (glommio) |
//!
//! ## Contract (what every style promises)
//!
//! - Replies are those of [`protocol::execute`], one line per request, in
//!   order; a malformed line gets `ERR <reason>` and the connection goes
//!   on; a line over [`protocol::MAX_LINE`] gets an error and a close. The
//!   server keeps serving every other connection whatever one client sends.
//! - At most `Config::max_connections` connections are served at once; a
//!   further client waits (in the listen backlog) until one closes.
//! - A connection idle for `Config::idle_timeout` is closed; so is one
//!   whose replies the client has not taken for that long (a client that
//!   never reads holds its place for at most that long).
//! - A request begun and not finished within `Config::request_timeout` is
//!   abandoned and its connection closed: a client that sends a byte a
//!   minute (slowloris) keeps its place for that long, not forever. The
//!   idle timeout alone would not do it: every byte resets it.
//! - Backpressure, not buffering: a connection is not read while more than
//!   [`OUTPUT_LIMIT`] bytes of its replies are waiting to be sent, so a
//!   client that pipelines and never reads costs the server a bounded
//!   amount of memory (its kernel buffers and this limit), and the other
//!   connections go on being served. The styles that write every reply
//!   before reading again (all but `event_loop`) hold at most one read's
//!   replies (4 KiB of requests, 72 KiB of replies at worst) and meet the
//!   bound by construction; the event loop checks it.
//! - `shutdown()` stops accepting, answers every request already received
//!   (nothing acknowledged is lost, nothing received goes unanswered),
//!   closes idle connections, joins every thread or task the server
//!   started, and returns what it served. It finishes within
//!   [`SHUTDOWN_GRACE`] (plus the time to close what is left) even with idle
//!   connections open and clients that never read their replies.
//!
//! Listening is on loopback only (`127.0.0.1`, port 0 by default): every
//! test and benchmark stays on this machine.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::time::{Duration, Instant};

pub mod protocol;
pub mod resp;

pub mod central_tokio;
pub mod cores;
pub mod event_loop;
pub mod event_loop_per_core;
pub mod glommio_per_core;
pub mod monoio_per_core;
pub mod per_core_tokio;
pub mod session_tokio;
pub mod task_async_std;
pub mod task_smol;
pub mod task_tokio;
pub mod thread_per_conn;
pub mod thread_per_conn_early_release;
pub mod thread_pool;

use protocol::{Connection, Flow, Store};

// ANCHOR: trait
/// How a server is started; see the module docs for the contract.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen: loopback, port 0 (any free port) by default.
    pub address: SocketAddr,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Threads: the pool's size, the runtime's workers.
    pub workers: usize,
    /// A connection that sends nothing for this long is closed.
    pub idle_timeout: Duration,
    /// A request still incomplete this long after its first byte is
    /// abandoned and its connection closed.
    pub request_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            max_connections: 10_000,
            workers: crate::sync::cores(),
            idle_timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(10),
        }
    }
}

// ANCHOR: deadlines
/// A connection's two clocks: idle since its last byte, and, while a
/// request is half received, the request deadline from its first byte.
/// Every style asks it how long its next read may wait.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    idle: Duration,
    request: Duration,
    partial_since: Option<Instant>,
}

impl Deadlines {
    pub fn new(config: &Config) -> Deadlines {
        Deadlines::of(config.idle_timeout, config.request_timeout)
    }

    pub fn of(idle: Duration, request: Duration) -> Deadlines {
        Deadlines {
            idle,
            request,
            partial_since: None,
        }
    }

    /// After bytes were answered: whether a request is left half received
    /// starts the request clock (if it is not running) or stops it. The
    /// clock is read only when a request starts being half received: a
    /// connection whose reads end on whole requests never reads it.
    pub fn received(&mut self, partial: bool) {
        self.partial_since = match (partial, self.partial_since) {
            (false, _) => None,
            (true, Some(since)) => Some(since),
            (true, None) => Some(Instant::now()),
        };
    }

    /// How long the next read may wait: the idle timeout, or less if a
    /// half-received request's deadline comes first. Zero once it passed.
    /// Reads the clock only while a request is half received.
    pub fn wait(&self) -> Duration {
        match self.partial_since {
            Some(since) => self
                .idle
                .min((since + self.request).saturating_duration_since(Instant::now())),
            None => self.idle,
        }
    }

    /// Whether a half-received request has outlived its deadline.
    pub fn request_expired(&self) -> bool {
        self.partial_since
            .is_some_and(|since| since.elapsed() >= self.request)
    }
}
// ANCHOR_END: deadlines

/// What a server served, reported by `shutdown`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Served {
    pub connections: u64,
    /// Request lines answered (errors included).
    pub requests: u64,
    /// What each core served, in core order, for the styles whose
    /// connections stay on the core that accepted them
    /// ([`Server::PER_CORE`]); empty for the others. Sums to the totals.
    pub per_core: Vec<CoreServed>,
}

/// One core's share of [`Served`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CoreServed {
    pub connections: u64,
    pub requests: u64,
}

impl Served {
    /// The totals of cores that each kept their own [`Stats`], with the
    /// list of what each served.
    pub fn of_cores<'a>(cores: impl IntoIterator<Item = &'a Stats>) -> Served {
        let per_core: Vec<CoreServed> = cores.into_iter().map(Stats::core_served).collect();
        Served {
            connections: per_core.iter().map(|c| c.connections).sum(),
            requests: per_core.iter().map(|c| c.requests).sum(),
            per_core,
        }
    }
}

/// A server in one connection model.
pub trait Server: Sized + Send {
    /// The style's name in reports, tests and the book.
    const STYLE: &'static str;

    /// Whether dropping it stops and joins every thread it started (its
    /// drop test counts them). False where its work runs on a process-wide
    /// executor or pool that is not the style's to join; the style's file
    /// says which.
    const JOINS_ITS_THREADS: bool = true;

    /// Whether each connection stays on the core (thread) whose listener
    /// accepted it, with the kernel spreading connections across the
    /// listeners (`SO_REUSEPORT`): then each core keeps its own [`Stats`]
    /// (no counter shared across cores) and `shutdown` reports what each
    /// served, [`Served::per_core`], one entry per `config.workers`.
    const PER_CORE: bool = false;

    /// Binds `config.address` and starts serving, before returning.
    fn start(config: Config) -> io::Result<Self>;

    /// The address it listens on.
    fn local_addr(&self) -> SocketAddr;

    /// Stops accepting, answers what was received, closes every
    /// connection, joins what it started, and reports what it served.
    fn shutdown(self) -> Served;
}
// ANCHOR_END: trait

/// Counters every style keeps the same way (Relaxed: they are statistics,
/// read after the threads that wrote them were joined). Aligned to two
/// cache lines so that the per-core copies of a [`Server::PER_CORE`]
/// style never share one (adjacent-line prefetch pairs lines of 64 bytes).
#[derive(Debug, Default)]
#[repr(align(128))]
pub struct Stats {
    connections: AtomicU64,
    requests: AtomicU64,
    steps: [AtomicU64; 3],
}

/// `FANOUT` steps run as tasks of their own (by `session_tokio` and
/// `task_tokio`): how many began, ran to their end, and were dropped
/// before it (aborted). `started - finished - abandoned` are still alive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepCounts {
    pub started: u64,
    pub finished: u64,
    pub abandoned: u64,
}

impl StepCounts {
    /// Steps begun and neither finished nor dropped.
    pub fn alive(&self) -> u64 {
        self.started - self.finished - self.abandoned
    }
}

impl Stats {
    /// A step is spawned.
    pub fn step_started(&self) {
        self.steps[0].fetch_add(1, Relaxed);
    }

    /// A step is dropped: after its end, or before it (aborted).
    pub fn step_ended(&self, finished: bool) {
        let which = if finished { 1 } else { 2 };
        // Release: whoever reads this end also reads the step's start.
        self.steps[which].fetch_add(1, Release);
    }

    /// The steps so far. The ends are read first (Acquire), so that a
    /// step counted as ended is also counted as begun.
    pub fn steps(&self) -> StepCounts {
        let finished = self.steps[1].load(Acquire);
        let abandoned = self.steps[2].load(Acquire);
        StepCounts {
            started: self.steps[0].load(Relaxed),
            finished,
            abandoned,
        }
    }

    pub fn connection(&self) {
        self.connections.fetch_add(1, Relaxed);
    }

    pub fn requests(&self, n: u64) {
        self.requests.fetch_add(n, Relaxed);
    }

    /// The totals, for a style that keeps one `Stats` for all its threads.
    pub fn served(&self) -> Served {
        let CoreServed {
            connections,
            requests,
        } = self.core_served();
        Served {
            connections,
            requests,
            per_core: Vec::new(),
        }
    }

    fn core_served(&self) -> CoreServed {
        CoreServed {
            connections: self.connections.load(Relaxed),
            requests: self.requests.load(Relaxed),
        }
    }
}

/// How long `shutdown` waits for connections still mid-request before it
/// closes them anyway: a client that sent half a line and went quiet
/// cannot hold the server up.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Unsent reply bytes past which a connection is not read (see the
/// contract). A read of 16 KiB of empty lines answers 288 KiB, so the
/// event loop's buffer peaks at this plus one read's replies.
pub const OUTPUT_LIMIT: usize = 256 * 1024;

// ANCHOR: blocking_loop
/// One connection served with blocking I/O until it closes, goes idle, or
/// its read side is shut down by the server's shutdown: the loop of the
/// two thread styles. Every request received is answered before the
/// connection is let go; the reply to a batch of pipelined requests goes
/// out in one write.
pub fn serve_blocking(stream: &TcpStream, store: &Store, stats: &Stats, mut deadlines: Deadlines) {
    // `&TcpStream` reads and writes: the registry of open streams shares
    // the same socket (an `Arc`) instead of a `try_clone`, which would cost
    // a second file descriptor per connection and halve how many fit.
    let mut stream = stream;
    let idle = deadlines.wait();
    let _ = stream.set_read_timeout(Some(idle));
    // A client that stops taking its replies blocks `write_all` once the
    // kernel's buffers fill; it may do so for as long as it may be idle.
    let _ = stream.set_write_timeout(Some(idle));
    let _ = stream.set_nodelay(true);
    let mut connection = Connection::default();
    let mut buf = [0u8; 4096];
    let mut out = Vec::new();
    let mut waiting = idle;
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => break, // the client closed, or shutdown shut our read side
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break, // idle or request timeout (WouldBlock / TimedOut), or a reset
        };
        // One read's replies at most (4 KiB of requests): under OUTPUT_LIMIT.
        let (flow, answered) = connection.receive(&buf[..n], store, &mut out);
        stats.requests(answered);
        deadlines.received(connection.has_partial_request());
        if deadlines.request_expired() {
            break; // a request dripped in for longer than its deadline
        }
        // The read timeout follows the clocks; a system call only while a
        // request is half received (or just finished being).
        let wait = deadlines.wait();
        if wait != waiting {
            let _ = stream.set_read_timeout(Some(wait.max(Duration::from_millis(1))));
            waiting = wait;
        }
        if !out.is_empty() {
            if stream.write_all(&out).is_err() {
                break;
            }
            out.clear();
        }
        if flow == Flow::Close {
            break;
        }
    }
}
// ANCHOR_END: blocking_loop

/// The blocking styles' hold on their open connections: a shared handle to
/// each stream, so that `shutdown` can shut their read sides (a thread blocked
/// in `read` then sees end-of-stream, answers what it had received, and
/// ends) and join the threads serving them.
#[derive(Default)]
pub struct OpenStreams {
    inner: std::sync::Mutex<Open>,
}

#[derive(Default)]
struct Open {
    next_id: u64,
    streams: std::collections::HashMap<u64, std::sync::Arc<TcpStream>>,
}

impl OpenStreams {
    fn open(&self) -> std::sync::MutexGuard<'_, Open> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Remembers `stream`; the id is for [`OpenStreams::remove`].
    pub fn add(&self, stream: &std::sync::Arc<TcpStream>) -> u64 {
        let mut open = self.open();
        let id = open.next_id;
        open.next_id += 1;
        open.streams.insert(id, std::sync::Arc::clone(stream));
        id
    }

    pub fn remove(&self, id: u64) {
        self.open().streams.remove(&id);
    }

    /// Shuts the read side of every open stream: what was received is
    /// still read, then `read` returns 0.
    pub fn shut_reads(&self) {
        for stream in self.open().streams.values() {
            let _ = stream.shutdown(std::net::Shutdown::Read);
        }
    }

    /// Shuts both sides of every open stream: a thread blocked writing to
    /// a client that does not read gets an error at once.
    pub fn shut_all(&self) {
        for stream in self.open().streams.values() {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }

    /// The blocking styles' shutdown of their connections: shut every read
    /// side, so each thread answers what it had received and ends; give
    /// them [`SHUTDOWN_GRACE`] to send those replies; then shut what is
    /// left entirely (a thread still blocked in `write` to a client that
    /// does not read fails out of it) and join every thread.
    pub fn finish(&self, threads: Vec<std::thread::JoinHandle<()>>) {
        self.shut_reads();
        let deadline = std::time::Instant::now() + SHUTDOWN_GRACE;
        while threads.iter().any(|t| !t.is_finished()) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.shut_all();
        for thread in threads {
            let _ = thread.join();
        }
    }
}

/// Descriptors a server process needs besides one per connection: the
/// listener, the runtime's or poller's own, standard streams, the wake-up
/// connection, and a margin for a connection accepted while another closes.
pub const DESCRIPTOR_RESERVE: u64 = 64;

/// This process's limit on open file descriptors, soft and hard (from
/// `/proc/self/limits`; `None` where it cannot be read). A server whose
/// connection limit does not fit under the soft one would spend its time
/// failing to accept.
pub fn descriptor_limits() -> Option<(u64, u64)> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let mut numbers = line["Max open files".len()..].split_whitespace();
    let mut next = || match numbers.next()? {
        "unlimited" => Some(u64::MAX),
        n => n.parse().ok(),
    };
    Some((next()?, next()?))
}

/// Refuses a connection limit this process could not hold, with what to do
/// about it.
pub fn check_descriptors(max_connections: usize) -> Result<(), String> {
    let Some((soft, hard)) = descriptor_limits() else {
        return Ok(()); // not Linux: the accept errors will tell
    };
    let needed = max_connections as u64 + DESCRIPTOR_RESERVE;
    if needed <= soft {
        return Ok(());
    }
    let most = soft.saturating_sub(DESCRIPTOR_RESERVE);
    let raise = if soft < hard {
        format!(
            ", or raise the limit first (`ulimit -n {}`)",
            hard.min(needed)
        )
    } else {
        String::new()
    };
    Err(format!(
        "a limit of {max_connections} connections needs {needed} file descriptors, and this process may open {soft} \
         (hard limit {hard}): use a limit of at most {most}{raise}"
    ))
}

/// The listen backlog every style gets: connections the kernel completes
/// before the server accepts them. std's `bind` asks for 128; a burst of a
/// thousand connects then overflows it, and each dropped SYN is retried by
/// the client's kernel a second later, then three, then seven: a benchmark
/// of connection models would measure TCP's retry timer. 4096 is this
/// machine's `somaxconn`, the most the kernel grants.
pub const BACKLOG: i32 = 4096;

/// Binds `address` with [`BACKLOG`], the same for every style.
pub fn listen(address: SocketAddr) -> io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(address), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&address.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

/// As [`listen`], on a port other sockets may bind too (`SO_REUSEPORT`):
/// the kernel hashes each new connection to one of them. The per-core
/// styles bind one per core.
pub fn listen_shared_port(address: SocketAddr) -> io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(address), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.bind(&address.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

/// `n` listeners on one port: the first on `address` (port 0: any), the
/// others on the port it got.
pub fn listeners_on_one_port(
    address: SocketAddr,
    n: usize,
) -> io::Result<Vec<std::net::TcpListener>> {
    let first = listen_shared_port(address)?;
    let port = first.local_addr()?;
    let mut all = vec![first];
    for _ in 1..n.max(1) {
        all.push(listen_shared_port(port)?);
    }
    Ok(all)
}

/// Wakes an acceptor blocked in `accept` after its server set its stop
/// flag: a connection to itself, which the acceptor then drops unserved.
pub fn wake_acceptor(address: SocketAddr) {
    let _ = TcpStream::connect_timeout(&address, Duration::from_secs(1));
}

// ANCHOR: registry
/// The registry: every server style, named once, a line each with its tier
/// (see `crate::registry`). All server styles are library-backed or use
/// real sockets, which loom cannot model; their shared coordination
/// primitive (`primitives::admission`) is loom-checked on its own.
#[macro_export]
macro_rules! for_each_server {
    ($callback:ident $($args:tt)?) => {
        $crate::walk_registry! { $callback [$($args)?];
            library thread_per_conn: $crate::server::thread_per_conn::ThreadPerConnServer,
            library thread_pool: $crate::server::thread_pool::ThreadPoolServer,
            library event_loop: $crate::server::event_loop::EventLoopServer,
            library event_loop_per_core: $crate::server::event_loop_per_core::EventLoopPerCoreServer,
            library task_tokio: $crate::server::task_tokio::TokioTaskServer,
            library per_core_tokio: $crate::server::per_core_tokio::PerCoreTokioServer,
            library monoio_per_core: $crate::server::monoio_per_core::MonoioPerCoreServer,
            library glommio_per_core: $crate::server::glommio_per_core::GlommioPerCoreServer,
            library session_tokio: $crate::server::session_tokio::TokioSessionServer,
            library central_tokio: $crate::server::central_tokio::TokioCentralServer,
            library task_async_std: $crate::server::task_async_std::AsyncStdTaskServer,
            library task_smol: $crate::server::task_smol::SmolTaskServer,
            broken thread_per_conn_early_release: $crate::server::thread_per_conn_early_release::EarlyReleaseServer,
        }
    };
}
// ANCHOR_END: registry
