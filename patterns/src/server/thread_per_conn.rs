//! **thread_per_conn**: the first answer of seed 001, and the simplest: an
//! acceptor thread takes a place from the connection limit, accepts, and
//! starts a thread that serves the connection with blocking I/O until it
//! closes ([`serve_blocking`]). The state of a connection is the thread's
//! stack; nothing is shared but the store.
//!
//! What it costs: a thread per connection, with its stack (Rust's default:
//! 2 MiB of address space, of which only the touched pages count in RSS),
//! a kernel task, and a spawn (tens of µs) per connection. Each request is a
//! `read` and a `write` system call; a blocked `read` costs nothing until
//! data arrives, and the kernel's scheduler is the only scheduler. It
//! scales until the thread count hurts: memory, the scheduler, and the
//! kernel's limit on memory mappings per process (`vm.max_map_count`,
//! 65,530 here): each thread takes four (its stack and guard page, and
//! the signal stack and guard page std gives it), and past the limit std
//! cannot even set up a new thread and aborts the process. So this style
//! caps its connections at [`thread_capacity`] (about 16,000 here),
//! whatever the configured limit: the rest wait in the backlog.
//!
//! The limit and the graceful shutdown rest on the facade's [`Admission`]
//! (loom-checked): a connection's [`Ticket`](crate::primitives::admission::Ticket)
//! is dropped only after its thread has served it.
//!
//! Shutdown: stop admitting, wake the acceptor, shut every open stream's
//! read side (blocked reads return what was received, then end), give the
//! threads [`SHUTDOWN_GRACE`](crate::server::SHUTDOWN_GRACE) to send their
//! last replies, shut whatever is still open (a thread blocked writing to
//! a client that does not read), join every thread, wait for every ticket.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::primitives::admission::Admission;
use crate::server::protocol::{Store, new_store};
use crate::server::{
    Config, Deadlines, OpenStreams, Served, Server, Stats, serve_blocking, wake_acceptor,
};

/// The thread-per-connection server. `RELEASE_EARLY` is the broken
/// variant's one difference (see `thread_per_conn_early_release.rs`).
pub struct ThreadPerConn<const RELEASE_EARLY: bool> {
    address: SocketAddr,
    shared: Arc<Shared>,
    acceptor: JoinHandle<Vec<JoinHandle<()>>>,
}

pub type ThreadPerConnServer = ThreadPerConn<false>;

struct Shared {
    store: Store,
    stats: Stats,
    admission: Arc<Admission>,
    open: OpenStreams,
    /// Set by `shutdown` before it wakes the acceptor. SeqCst: read by the
    /// acceptor right after `accept` returns; the order with the wake-up
    /// connection is what matters, and this is not a hot path.
    stopping: AtomicBool,
    deadlines: Deadlines,
}

// ANCHOR: accept
fn accept_loop<const RELEASE_EARLY: bool>(
    listener: TcpListener,
    shared: Arc<Shared>,
) -> Vec<JoinHandle<()>> {
    let mut threads: Vec<JoinHandle<()>> = Vec::new();
    // Waits while `max_connections` are being served; `None` at shutdown.
    while let Some(ticket) = Admission::admit(&shared.admission) {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors, or a connection reset before we
                // took it: back off briefly, keep serving the others.
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        if shared.stopping.load(SeqCst) {
            break; // the wake-up connection, or a client too late
        }
        let stream = Arc::new(stream);
        let id = shared.open.add(&stream);
        threads.retain(|t| !t.is_finished());
        let serving = Arc::clone(&shared);
        let spawned = std::thread::Builder::new().spawn(move || {
            let shared = serving;
            if RELEASE_EARLY {
                drop(ticket); // BUG: the place is free while still serving
                serve_blocking(&stream, &shared.store, &shared.stats, shared.deadlines);
                shared.open.remove(id);
            } else {
                serve_blocking(&stream, &shared.store, &shared.stats, shared.deadlines);
                shared.open.remove(id);
                drop(ticket); // the place frees only once the connection is done
            }
        });
        match spawned {
            Ok(thread) => {
                shared.stats.connection();
                threads.push(thread);
            }
            Err(_) => {
                // No thread to be had (here: about 16,000 threads use up
                // the kernel's 65,530 memory mappings per process). The
                // closure, with the stream and its place, is dropped: this
                // client is closed unserved, the others go on.
                shared.open.remove(id);
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    threads
}
// ANCHOR_END: accept

/// How many connection threads this process can hold: a quarter of the
/// kernel's mapping limit (four mappings per thread), less a margin for
/// the rest of the process.
pub fn thread_capacity() -> usize {
    let max_map_count = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(65_530);
    max_map_count.saturating_sub(2_000) / 4
}

impl<const RELEASE_EARLY: bool> Server for ThreadPerConn<RELEASE_EARLY> {
    const STYLE: &'static str = if RELEASE_EARLY {
        "thread_per_conn_early_release"
    } else {
        "thread_per_conn"
    };

    fn start(config: Config) -> std::io::Result<Self> {
        let listener = crate::server::listen(config.address)?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            store: new_store(),
            stats: Stats::default(),
            admission: Admission::new(config.max_connections.min(thread_capacity())),
            open: OpenStreams::default(),
            stopping: AtomicBool::new(false),
            deadlines: Deadlines::new(&config),
        });
        let acceptor = std::thread::spawn({
            let shared = Arc::clone(&shared);
            move || accept_loop::<RELEASE_EARLY>(listener, shared)
        });
        Ok(ThreadPerConn {
            address,
            shared,
            acceptor,
        })
    }

    fn local_addr(&self) -> SocketAddr {
        self.address
    }

    fn shutdown(self) -> Served {
        let shared = self.shared;
        shared.stopping.store(true, SeqCst);
        shared.admission.close();
        wake_acceptor(self.address);
        let threads = self.acceptor.join().expect("the acceptor does not panic");
        shared.open.finish(threads);
        shared.admission.wait_empty();
        shared.stats.served()
    }
}
