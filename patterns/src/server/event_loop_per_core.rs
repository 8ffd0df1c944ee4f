//! **event_loop_per_core**: `event_loop` once per core, the shape of
//! memcached's worker threads and of Redis's I/O threads taken all the
//! way: one thread per core (`config.workers`, one per core by default),
//! each with its own mio loop and its own listener on the same port
//! (`SO_REUSEPORT`: the kernel hashes each new connection to one of them).
//! A connection lives on one loop for its whole life.
//!
//! Who owns what: each loop owns its listener, its poll and its
//! connections' state machines, exactly as `event_loop`'s one loop does
//! (the code is that file's, started once per listener), and its own
//! statistics, summed at shutdown. Shared: the store and the connection
//! limit (the facade's `Admission`, as every blocking style's).
//!
//! What it buys over `event_loop`: every core, with no cross-thread hand-off
//! on the request path. What it costs: balance (the kernel spreads
//! connections, not work, as with `per_core_tokio`), and one slow request
//! still delays every connection of its loop. And one thing the single loop
//! never needed: a loop that frees a place must wake the others, because a
//! connection waiting for a place may sit in *their* backlog, and its
//! readiness edge has already fired. Without that wake the limit check
//! fails (a client waits while a place is free).
//!
//! Shutdown: a shared flag, then every loop's waker; each drains as
//! `event_loop` does (answers what has arrived, within [`SHUTDOWN_GRACE`]),
//! and `shutdown` joins them.
//!
//! [`SHUTDOWN_GRACE`]: crate::server::SHUTDOWN_GRACE

use std::io;
use std::net::SocketAddr;

use crate::server::event_loop::Loops;
use crate::server::{Config, Served, Server};

pub struct EventLoopPerCoreServer(Loops);

// ANCHOR: start
impl Server for EventLoopPerCoreServer {
    const STYLE: &'static str = "event_loop_per_core";
    const PER_CORE: bool = true;

    fn start(config: Config) -> io::Result<Self> {
        let listeners = crate::server::listeners_on_one_port(config.address, config.workers)?;
        Loops::start(&config, listeners).map(EventLoopPerCoreServer)
    }
    // ANCHOR_END: start

    fn local_addr(&self) -> SocketAddr {
        self.0.local_addr()
    }

    fn shutdown(self) -> Served {
        self.0.shutdown()
    }
}
