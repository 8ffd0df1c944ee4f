//! **thread_pool**: seed 001's second answer. N worker threads, started
//! once, serve connections with blocking I/O; the acceptor queues each
//! accepted connection and a free worker takes it *for the connection's
//! whole life* ([`serve_blocking`]). No thread is spawned per connection,
//! but a worker blocked in `read` on an idle connection serves no one
//! else: N workers serve at most N connections at once, and the rest wait
//! in the queue however little they ask. That is the limit this style
//! shows, and why blocking pools suit short connections (one request, then
//! close), not long-lived ones.
//!
//! The limit (`max_connections`) counts queued and served connections
//! together, through the facade's [`Admission`]; the queue is the facade's
//! bounded queue.
//!
//! Shutdown: stop admitting, wake the acceptor, close the queue, shut every
//! open stream's read side (so a worker answers what its connection sent
//! and moves on, and queued connections are answered the same way), after
//! `SHUTDOWN_GRACE` shut whatever is still open (a worker blocked writing
//! to a client that does not read), join every worker.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::primitives::BoundedQueue;
use crate::primitives::admission::{Admission, Ticket};
use crate::server::protocol::{Store, new_store};
use crate::server::{
    Config, Deadlines, OpenStreams, Served, Server, Stats, serve_blocking, wake_acceptor,
};

pub struct ThreadPoolServer {
    address: SocketAddr,
    shared: Arc<Shared>,
    acceptor: JoinHandle<()>,
    workers: Vec<JoinHandle<()>>,
}

struct Shared {
    store: Store,
    stats: Stats,
    admission: Arc<Admission>,
    open: OpenStreams,
    /// Accepted connections waiting for a worker, each with its place.
    queue: BoundedQueue<(Arc<TcpStream>, u64, Ticket)>,
    /// SeqCst, as in `thread_per_conn`: ordered with the wake-up connection.
    stopping: AtomicBool,
    deadlines: Deadlines,
}

// ANCHOR: worker
fn worker(shared: &Shared) {
    while let Some((stream, id, ticket)) = shared.queue.pop() {
        serve_blocking(&stream, &shared.store, &shared.stats, shared.deadlines);
        shared.open.remove(id);
        drop(ticket);
    }
}
// ANCHOR_END: worker

fn accept_loop(listener: TcpListener, shared: &Shared) {
    while let Some(ticket) = Admission::admit(&shared.admission) {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(_) => {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        if shared.stopping.load(SeqCst) {
            break;
        }
        shared.stats.connection();
        let stream = Arc::new(stream);
        let id = shared.open.add(&stream);
        // Never full: it holds at most `max_connections`, one per ticket.
        if shared.queue.push((stream, id, ticket)).is_err() {
            break; // closed: shutting down
        }
    }
}

impl Server for ThreadPoolServer {
    const STYLE: &'static str = "thread_pool";

    fn start(config: Config) -> std::io::Result<Self> {
        let listener = crate::server::listen(config.address)?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            store: new_store(),
            stats: Stats::default(),
            admission: Admission::new(config.max_connections),
            open: OpenStreams::default(),
            queue: BoundedQueue::new(config.max_connections.max(1)),
            stopping: AtomicBool::new(false),
            deadlines: Deadlines::new(&config),
        });
        let workers = (0..config.workers.max(1))
            .map(|_| {
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || worker(&shared))
            })
            .collect();
        let acceptor = std::thread::spawn({
            let shared = Arc::clone(&shared);
            move || accept_loop(listener, &shared)
        });
        Ok(ThreadPoolServer {
            address,
            shared,
            acceptor,
            workers,
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
        self.acceptor.join().expect("the acceptor does not panic");
        shared.queue.close();
        shared.open.finish(self.workers);
        shared.admission.wait_empty();
        shared.stats.served()
    }
}
