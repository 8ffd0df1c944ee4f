//! **glommio_per_core**: thread-per-core with glommio, the runtime seed 001
//! names ("thread-per-core, io_uring native"). One thread per core
//! (`config.workers`), each running a glommio `LocalExecutor` with its own
//! io_uring rings, its own listener on the shared port (`SO_REUSEPORT`),
//! and a task per connection that never leaves its core.
//!
//! What glommio does differently from tokio, read in its source (0.9):
//!
//! - **Its rings replace epoll, but its sockets are readiness-based.** A
//!   read first tries a non-blocking `recv`; only if nothing is there does
//!   it submit an io_uring *poll* for readability, then `recv` again. So on
//!   sockets glommio is closer to tokio than to monoio: the bytes are read
//!   by a system call into a borrowed buffer, and dropping a read loses
//!   nothing. (Its completion I/O with owned, registered buffers is for
//!   files: DMA reads and writes.) `accept`, though, is a completion: an
//!   io_uring accept whose result is lost if its future is dropped after
//!   the kernel accepted (the descriptor leaks, the client hangs). Hence
//!   this style never cancels an accept: at shutdown a connection wakes it
//!   ([`Cores`] keeps connecting while a core is still in `accept`), and the
//!   core drops that connection and stops.
//! - **Timeouts live on the socket** (`set_read_timeout`,
//!   `set_write_timeout`), armed as io_uring timeouts: the idle and request
//!   deadlines and the stall limit for a client that does not read are set
//!   on the stream instead of wrapping each call.
//! - **Cooperative scheduling with task queues and shares**, no work
//!   stealing and `!Send` tasks; an executor can be pinned to a CPU
//!   (`Placement::Fixed`). Here it is `Unbound`: the benchmark places the
//!   whole server process on its CPUs, and a pin inside would fight it.
//! - **Memory per core**: each executor reserves its I/O memory (10 MiB by
//!   default, for DMA buffers) whether or not it does file I/O; it shows in
//!   the idle memory figure, once per core.
//!
//! What it costs or buys: what thread-per-core does (no cross-core hand-off,
//! a connection's state in one core's cache; the kernel spreads
//! connections, not work, so a slow request delays its core's
//! connections). On sockets the system calls are epoll's, moved onto a
//! ring: a busy core batches its polls into one `io_uring_enter`, while each
//! read and write is still its own `recv` and `send`.
//!
//! The limit across cores and the stages of shutdown: see
//! [`cores`](crate::server::cores).

use std::os::fd::{FromRawFd, IntoRawFd};
use std::sync::Arc;
use std::time::Duration;

use futures_lite_1::future::or;
use futures_lite_1::io::{AsyncReadExt, AsyncWriteExt};
use glommio::net::{TcpListener, TcpStream};
use tokio::sync::OwnedSemaphorePermit;

use crate::server::cores::{
    Alive, Core, Cores, Signal, Stage, Started, alive, reached, recv_ready,
};
use crate::server::protocol::{Connection, Flow};
use crate::server::task_tokio::{Shared, take_received};
use crate::server::{Config, Served, Server};

/// One core's thread: its executor, then its accept loop until shutdown.
fn run(core: Core, started: Started) {
    let executor = glommio::LocalExecutorBuilder::new(glommio::Placement::Unbound).make();
    let executor = match executor {
        Ok(executor) => executor,
        Err(e) => return started.report(Err(std::io::Error::other(e.to_string()))),
    };
    executor.run(async move {
        let listener = adopt(core.listener);
        started.report(Ok(()));
        accept_loop(listener, core.places, core.shared, core.signal).await;
    });
}

/// The listener bound the way every style's is ([`listen_shared_port`]:
/// the same backlog), handed to glommio: its own `bind` asks for a backlog
/// of 1024.
///
/// [`listen_shared_port`]: crate::server::listen_shared_port
#[allow(unsafe_code)]
fn adopt(listener: std::net::TcpListener) -> TcpListener {
    // SAFETY: `into_raw_fd` gives up ownership of a bound, listening socket;
    // glommio's listener takes it over and is its only owner.
    unsafe { TcpListener::from_raw_fd(listener.into_raw_fd()) }
}

// ANCHOR: accept
/// A connection, then a place (`per_core_tokio`'s order, for its reason),
/// then a task on this core. The accept is never cancelled (see the
/// module's note): shutdown wakes it with a connection of its own.
async fn accept_loop(
    listener: TcpListener,
    places: Arc<tokio::sync::Semaphore>,
    shared: Arc<Shared>,
    mut signal: Signal,
) {
    let (alive, mut ended) = alive();
    loop {
        let accepted = listener.accept().await;
        if *signal.borrow() >= Stage::Draining {
            break; // what it accepted (the wake-up, or a late client) closes unserved
        }
        let Ok(stream) = accepted else {
            // Out of descriptors, or a connection reset before we took it.
            glommio::timer::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let place = or(
            async { Some(Arc::clone(&places).acquire_owned().await) },
            async {
                reached(&mut signal, Stage::Draining).await;
                None
            },
        )
        .await;
        let Some(Ok(place)) = place else { break };
        let _ = stream.set_nodelay(true);
        let task = serve(
            stream,
            Arc::clone(&shared),
            signal.clone(),
            place,
            alive.clone(),
        );
        glommio::spawn_local(task).detach();
    }
    drop(listener);
    drop(alive);
    let _ = ended.recv().await; // every connection task has ended
}
// ANCHOR_END: accept

// ANCHOR: connection
/// One connection's task: read, answer, write, until the client closes,
/// goes idle, or shutdown begins.
async fn serve(
    mut stream: TcpStream,
    shared: Arc<Shared>,
    mut signal: Signal,
    place: OwnedSemaphorePermit,
    _alive: Alive,
) {
    shared.stats.connection();
    // A client that takes none of its replies for this long loses its place.
    let _ = stream.set_write_timeout(Some(shared.idle_timeout));
    let mut connection = Connection::default();
    let mut buf = [0u8; 4096];
    let mut out = Vec::new();
    let mut deadlines = shared.deadlines;
    loop {
        // Zero is refused by glommio; a deadline already past times out at once.
        let wait = deadlines.wait().max(Duration::from_millis(1));
        let _ = stream.set_read_timeout(Some(wait));
        let read = or(async { Some(stream.read(&mut buf).await) }, async {
            reached(&mut signal, Stage::Draining).await;
            None
        })
        .await;
        let n = match read {
            Some(Ok(n)) if n > 0 => n,
            Some(_) => break, // closed, reset, idle too long, or a request too slow
            None => {
                // Answer what has arrived (the dropped read took nothing),
                // then close.
                take_received(
                    |bytes| recv_ready(&stream, bytes),
                    |bytes| {
                        let (flow, answered) = connection.receive(bytes, &shared.store, &mut out);
                        shared.stats.requests(answered);
                        (flow, out.len())
                    },
                );
                send(&mut stream, &mut out, &mut signal).await;
                break;
            }
        };
        let (flow, answered) = connection.receive(&buf[..n], &shared.store, &mut out);
        shared.stats.requests(answered);
        deadlines.received(connection.has_partial_request());
        if !send(&mut stream, &mut out, &mut signal).await || flow == Flow::Close {
            break;
        }
    }
    drop(place);
}
// ANCHOR_END: connection

/// Writes `out` and empties it. False on a write error (the stall timeout
/// set on the stream included), or once the shutdown's grace is over.
async fn send(stream: &mut TcpStream, out: &mut Vec<u8>, signal: &mut Signal) -> bool {
    if out.is_empty() {
        return true;
    }
    let written = or(async { stream.write_all(out).await.is_ok() }, async {
        reached(signal, Stage::Aborting).await;
        false
    })
    .await;
    out.clear();
    written
}

pub struct GlommioPerCoreServer(Cores);

impl Server for GlommioPerCoreServer {
    const STYLE: &'static str = "glommio_per_core";
    const PER_CORE: bool = true;

    fn start(config: Config) -> std::io::Result<Self> {
        Cores::start(&config, "glommio", true, run).map(GlommioPerCoreServer)
    }

    fn local_addr(&self) -> std::net::SocketAddr {
        self.0.local_addr()
    }

    fn shutdown(self) -> Served {
        self.0.shutdown()
    }
}
