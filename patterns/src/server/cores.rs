//! What the two io_uring thread-per-core styles (`monoio_per_core`,
//! `glommio_per_core`) share: a thread per core, each with its own listener
//! on one port (`SO_REUSEPORT`), the connection limit across cores, the
//! statistics per core (summed at shutdown), and a shutdown in two stages.
//!
//! Why a thread builds its own runtime: these runtimes are `!Send` (a
//! runtime, its ring and its tasks belong to the thread that made them), so
//! the runtime cannot be built here and moved, as `per_core_tokio` does.
//! Each thread reports whether it could build it ([`Started`]) before
//! [`Cores::start`] returns, so that a ring the kernel refuses is
//! `start`'s error and leaves nothing running.
//!
//! Why two stages: tokio aborts a task from outside (`JoinSet::shutdown`);
//! neither monoio nor glommio offers that for a detached task, so a
//! connection task watches the [`Stage`] itself. At `Draining` it stops
//! reading, answers what has arrived and closes; at `Aborting`, sent
//! [`SHUTDOWN_GRACE`] later to whatever is still running, a task blocked
//! writing to a client that does not read gives up.

use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, mpsc, watch};

use crate::server::task_tokio::Shared;
use crate::server::{Config, SHUTDOWN_GRACE, Served};

/// Where a shutdown is. Ordered: a later stage implies the earlier ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    Serving,
    /// Stop accepting and reading; answer what has arrived; close.
    Draining,
    /// The grace is over: give up writes that have not finished.
    Aborting,
}

/// The stage as a core's tasks see it. tokio's `watch` needs no tokio
/// runtime: it wakes whatever executor polled it, from any thread.
pub type Signal = watch::Receiver<Stage>;

/// Resolves once the shutdown has reached `stage` (at once if it has).
pub async fn reached(signal: &mut Signal, stage: Stage) {
    let _ = signal.wait_for(|now| *now >= stage).await;
}

/// What one core's thread is given.
pub struct Core {
    /// This core's listener (`SO_REUSEPORT`), in blocking mode: io_uring
    /// honours `O_NONBLOCK`, and an accept on a non-blocking listener
    /// would fail with `EAGAIN` whenever the backlog is empty instead of
    /// waiting for the next connection.
    pub listener: std::net::TcpListener,
    /// The connection limit, shared by every core (tokio's `Semaphore`
    /// works under any executor).
    pub places: Arc<Semaphore>,
    pub shared: Arc<Shared>,
    pub signal: Signal,
}

/// A core's report that its runtime is running (or why it is not). Sent
/// once; a thread that panics before sending it fails `start` too.
pub struct Started(std::sync::mpsc::SyncSender<io::Result<()>>);

impl Started {
    pub fn report(self, result: io::Result<()>) {
        let _ = self.0.send(result);
    }
}

/// A core's connection tasks, counted the mini-redis way: each holds a
/// clone of [`Alive`]; once the accept loop drops its own, `ended` resolves
/// when the last task has ended.
pub type Alive = mpsc::Sender<()>;

pub fn alive() -> (Alive, mpsc::Receiver<()>) {
    mpsc::channel(1)
}

/// The threads of a thread-per-core server.
pub struct Cores {
    address: SocketAddr,
    stage: watch::Sender<Stage>,
    threads: Vec<JoinHandle<()>>,
    /// Each core's (one store, statistics per core).
    shared: Vec<Arc<Shared>>,
    /// Whether a core's accept loop must be woken by a connection to stop
    /// (see `glommio_per_core` for why it cannot be cancelled).
    wake_acceptors: bool,
}

impl Cores {
    /// One thread per core (`config.workers`), named `{name}-{core}`, each
    /// running `run`; returns once every one has reported [`Started`].
    pub fn start(
        config: &Config,
        name: &str,
        wake_acceptors: bool,
        run: fn(Core, Started),
    ) -> io::Result<Cores> {
        let listeners = crate::server::listeners_on_one_port(config.address, config.workers)?;
        let address = listeners[0].local_addr()?;
        let shared = Shared::per_core(config, listeners.len());
        let places = Arc::new(Semaphore::new(config.max_connections.max(1)));
        let (stage, signal) = watch::channel(Stage::Serving);
        let mut cores = Cores {
            address,
            stage,
            threads: Vec::new(),
            shared: shared.clone(),
            wake_acceptors,
        };
        for (index, listener) in listeners.into_iter().enumerate() {
            let core = Core {
                listener,
                places: Arc::clone(&places),
                shared: Arc::clone(&shared[index]),
                signal: signal.clone(),
            };
            let (report, reported) = std::sync::mpsc::sync_channel(1);
            let thread = std::thread::Builder::new()
                .name(format!("{name}-{index}"))
                .spawn(move || run(core, Started(report)));
            let started = match thread {
                Ok(thread) => {
                    cores.threads.push(thread);
                    reported.recv().unwrap_or_else(|_| {
                        Err(io::Error::other(
                            "a core's thread ended before its runtime started",
                        ))
                    })
                }
                Err(e) => Err(e),
            };
            if let Err(e) = started {
                cores.shutdown(); // the cores already running stop first
                return Err(e);
            }
        }
        Ok(cores)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// `Draining`; `Aborting` after [`SHUTDOWN_GRACE`] if a core is still
    /// busy; joins the threads and reports what they served.
    pub fn shutdown(self) -> Served {
        let _ = self.stage.send(Stage::Draining);
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        while self.threads.iter().any(|t| !t.is_finished()) {
            if self.wake_acceptors {
                // Reaches a core still in `accept` (a core that stopped
                // accepting has closed its listener, and the kernel hashes
                // new connections among the others); refused once none is.
                crate::server::wake_acceptor(self.address);
            }
            if Instant::now() >= deadline && *self.stage.borrow() < Stage::Aborting {
                let _ = self.stage.send(Stage::Aborting);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        for thread in self.threads {
            let _ = thread.join();
        }
        Served::of_cores(self.shared.iter().map(|core| &core.stats))
    }
}

/// One `recv` that does not wait (`MSG_DONTWAIT`), whatever the socket's
/// mode: at shutdown, what has already arrived is taken this way, outside
/// the ring (nothing of ours is in flight on the socket by then).
#[allow(unsafe_code)]
pub fn recv_ready(socket: &impl AsRawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes, and the
    // caller's borrow of `socket` keeps its descriptor open for the call.
    let n = unsafe {
        libc::recv(
            socket.as_raw_fd(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            libc::MSG_DONTWAIT,
        )
    };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}
