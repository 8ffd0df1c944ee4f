//! **monoio_per_core**: thread-per-core on io_uring's *completion* model.
//! One thread per core (`config.workers`), each running its own monoio
//! runtime on the io_uring driver, its own listener on the shared port
//! (`SO_REUSEPORT`), and a task per connection that never leaves its core.
//! The shape of `per_core_tokio`; what differs is how I/O is done.
//!
//! What monoio does differently from tokio:
//!
//! - **Completion, not readiness.** tokio waits until a socket is readable
//!   (epoll), then calls `read`. monoio submits the `recv` itself to the
//!   kernel's ring and is told when it has *completed*, the bytes already
//!   copied: no readiness wake-up followed by a system call, and the
//!   submissions of every task on the core go to the kernel in one
//!   `io_uring_enter` per turn of the loop.
//! - **Owned buffers.** The kernel writes into the buffer while the
//!   operation is in flight, so the buffer cannot be borrowed from the
//!   task: a read takes the `Vec` and gives it back with the result
//!   (`(result, buf)`). A connection's buffers move in and out of the ring
//!   instead of sitting borrowed in its future.
//! - **Cancelling is a request, not a drop.** Dropping a tokio read that
//!   has not returned loses nothing: no byte was taken. An io_uring `recv`
//!   may have completed in the kernel by the time its future is dropped;
//!   its bytes would be gone. So every wait that can be cut short (the idle
//!   and request deadlines, shutdown) *cancels* the operation and then
//!   still awaits it: the result is either the bytes (the read won) or
//!   `ECANCELED`. The same for `accept`: a connection accepted as shutdown
//!   began is closed, not leaked.
//! - **No work stealing, `!Send` tasks**: a task is spawned onto its
//!   thread's runtime and stays there, as with `per_core_tokio`.
//!
//! What it costs or buys: on a request path of one read and one write per
//! request, io_uring saves the readiness round trip and batches the
//! system calls of a busy core; with one request per wake-up (a lightly
//! loaded core) it is one `io_uring_enter` instead of one `epoll_wait` and
//! two calls, so the gain is at load. Balance is `per_core_tokio`'s: the
//! kernel spreads connections, not work, and a slow request delays every
//! connection of its core.
//!
//! Who owns what, the limit across cores and the stages of shutdown: see
//! [`cores`](crate::server::cores). At shutdown each core cancels its
//! accept, each connection cancels its read, takes what else has arrived
//! without waiting ([`recv_ready`]), answers it and closes.

use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use monoio::io::{AsyncWriteRentExt, CancelableAsyncReadRent, Canceller};
use monoio::net::{TcpListener, TcpStream};
use tokio::sync::OwnedSemaphorePermit;

use crate::server::cores::{
    Alive, Core, Cores, Signal, Stage, Started, alive, reached, recv_ready,
};
use crate::server::protocol::{Connection, Flow};
use crate::server::task_tokio::{Shared, take_received};
use crate::server::{Config, Served, Server};

/// One core's thread: its runtime, then its accept loop until shutdown.
fn run(core: Core, started: Started) {
    let runtime = monoio::RuntimeBuilder::<monoio::IoUringDriver>::new()
        .enable_timer()
        .build();
    let mut runtime = match runtime {
        Ok(runtime) => runtime,
        Err(e) => return started.report(Err(e)),
    };
    runtime.block_on(async move {
        let listener = match TcpListener::from_std(core.listener) {
            Ok(listener) => listener,
            Err(e) => return started.report(Err(e)),
        };
        started.report(Ok(()));
        accept_loop(listener, core.places, core.shared, core.signal).await;
    });
}

// ANCHOR: accept
/// Accepts each core keeps in flight. One accept completes per turn of the
/// runtime's loop (the accept task then runs again only after the next
/// reap), and a turn of a core busy with thousands of connections takes
/// milliseconds: with a single accept, 10,000 connecting clients waited
/// seconds in the backlog (measured: about 3,000 still there after the
/// warm-up). tokio does not have this problem: its accept is a system call
/// that loops while the backlog holds connections. io_uring's answer is a
/// multishot accept, which monoio 0.2 does not offer; several single
/// accepts in flight are the older form of it.
const ACCEPTS_IN_FLIGHT: usize = 16;

/// This core's acceptors, until shutdown, then its connections' end.
async fn accept_loop(
    listener: TcpListener,
    places: Arc<tokio::sync::Semaphore>,
    shared: Arc<Shared>,
    signal: Signal,
) {
    let listener = Rc::new(listener);
    let (alive, mut ended) = alive();
    for _ in 0..ACCEPTS_IN_FLIGHT {
        let acceptor = accept(
            Rc::clone(&listener),
            Arc::clone(&places),
            Arc::clone(&shared),
            signal.clone(),
            alive.clone(),
        );
        monoio::spawn(acceptor);
    }
    drop((listener, alive)); // the last acceptor to stop closes the listener
    let _ = ended.recv().await; // every acceptor and connection task has ended
}

/// A connection, then a place (`per_core_tokio`'s order, for its reason),
/// then a task on this core. At shutdown the pending accept is cancelled
/// and its outcome still collected. With [`ACCEPTS_IN_FLIGHT`] of these per
/// core, at the limit that many connections per core are accepted and
/// wait, unread, for a place.
async fn accept(
    listener: Rc<TcpListener>,
    places: Arc<tokio::sync::Semaphore>,
    shared: Arc<Shared>,
    mut signal: Signal,
    alive: Alive,
) {
    // One per acceptor: a handle is a reference count, not an allocation;
    // only a cancel (at shutdown) makes a new one.
    let canceller = Canceller::new();
    loop {
        let accepted = {
            let mut accept = pin!(listener.cancelable_accept(canceller.handle()));
            monoio::select! {
                biased;
                accepted = &mut accept => accepted,
                () = reached(&mut signal, Stage::Draining) => {
                    let _ = canceller.cancel();
                    drop(accept.await); // a connection it got is closed here
                    break;
                }
            }
        };
        let Ok((stream, _)) = accepted else {
            // Out of descriptors, or a connection reset before we took it.
            monoio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let place = monoio::select! {
            biased;
            () = reached(&mut signal, Stage::Draining) => break,
            place = Arc::clone(&places).acquire_owned() => place.expect("never closed"),
        };
        let _ = stream.set_nodelay(true);
        let task = serve(
            stream,
            Arc::clone(&shared),
            signal.clone(),
            place,
            alive.clone(),
        );
        monoio::spawn(task);
    }
}
// ANCHOR_END: accept

/// How a read ended.
enum Read {
    Bytes(usize),
    /// Closed, reset, or cut short by a deadline with nothing read.
    Over,
    /// Shutdown began; `n` bytes had already been read.
    Draining(usize),
}

// ANCHOR: connection
/// One connection's task. The read buffer is lent to the kernel for each
/// read and handed back with its result.
async fn serve(
    mut stream: TcpStream,
    shared: Arc<Shared>,
    mut signal: Signal,
    place: OwnedSemaphorePermit,
    _alive: Alive,
) {
    shared.stats.connection();
    let mut connection = Connection::default();
    let mut buf = vec![0u8; 4096];
    let mut out = Vec::new();
    let mut deadlines = shared.deadlines;
    // One per connection, not per read (it allocates): a handle is a
    // reference count; a cancel hands back a fresh canceller.
    let mut canceller = Canceller::new();
    loop {
        let (read, returned) = {
            let mut read = pin!(stream.cancelable_read(buf, canceller.handle()));
            let cut_short = monoio::select! {
                biased;
                done = &mut read => Ok(done),
                () = reached(&mut signal, Stage::Draining) => Err(Stage::Draining),
                () = monoio::time::sleep(deadlines.wait()) => Err(Stage::Serving),
            };
            let (stage, (result, buf)) = match cut_short {
                Ok(done) => (Stage::Serving, done),
                Err(stage) => {
                    // Cancelled: the read may still have completed; collect it.
                    canceller = canceller.cancel();
                    (stage, read.await)
                }
            };
            let n = result.ok().filter(|&n| n > 0);
            let read = match (stage, n) {
                (Stage::Serving, Some(n)) => Read::Bytes(n),
                (Stage::Serving, None) => Read::Over,
                (_, n) => Read::Draining(n.unwrap_or(0)),
            };
            (read, buf)
        };
        buf = returned;
        let n = match read {
            Read::Bytes(n) => n,
            Read::Over => break,
            Read::Draining(n) => {
                // Answer what has arrived, then close.
                let (flow, answered) = connection.receive(&buf[..n], &shared.store, &mut out);
                shared.stats.requests(answered);
                if flow != Flow::Close {
                    take_received(
                        |bytes| recv_ready(&stream, bytes),
                        |bytes| {
                            let (flow, answered) =
                                connection.receive(bytes, &shared.store, &mut out);
                            shared.stats.requests(answered);
                            (flow, out.len())
                        },
                    );
                }
                send(&mut stream, &mut out, &shared, &mut signal).await;
                break;
            }
        };
        let (flow, answered) = connection.receive(&buf[..n], &shared.store, &mut out);
        shared.stats.requests(answered);
        deadlines.received(connection.has_partial_request());
        if !send(&mut stream, &mut out, &shared, &mut signal).await || flow == Flow::Close {
            break;
        }
    }
    drop(place);
}
// ANCHOR_END: connection

/// Writes `out` (lent to the kernel and handed back) and empties it. False
/// on a write error, when the client has taken none of it for the idle
/// timeout, or once the shutdown's grace is over. A write given up on is
/// not awaited: its connection closes, and the ring keeps the buffer until
/// the kernel is done with it.
async fn send(
    stream: &mut TcpStream,
    out: &mut Vec<u8>,
    shared: &Shared,
    signal: &mut Signal,
) -> bool {
    if out.is_empty() {
        return true;
    }
    let pending = std::mem::take(out);
    let written = monoio::select! {
        biased;
        (result, buf) = stream.write_all(pending) => Some((result, buf)),
        () = monoio::time::sleep(shared.idle_timeout) => None,
        () = reached(signal, Stage::Aborting) => None,
    };
    match written {
        Some((result, mut buf)) => {
            buf.clear();
            *out = buf; // the allocation comes back for the next replies
            result.is_ok()
        }
        None => false,
    }
}

pub struct MonoioPerCoreServer(Cores);

impl Server for MonoioPerCoreServer {
    const STYLE: &'static str = "monoio_per_core";
    const PER_CORE: bool = true;

    fn start(config: Config) -> std::io::Result<Self> {
        Cores::start(&config, "monoio", false, run).map(MonoioPerCoreServer)
    }

    fn local_addr(&self) -> std::net::SocketAddr {
        self.0.local_addr()
    }

    fn shutdown(self) -> Served {
        self.0.shutdown()
    }
}
