//! **event_loop**: seed 001's third answer, "efficient but complex": one
//! thread serves every connection. It asks the kernel which sockets are
//! ready (mio, on epoll) and runs each ready connection's state machine as
//! far as it can go without blocking: read everything available, answer
//! every complete request, write as much as the socket takes, and keep the
//! rest for the next readiness event. A connection is a struct (its
//! [`Connection`] state, its unsent bytes, its place in the limit), not a
//! stack, which is why it costs a few hundred bytes instead of a thread.
//!
//! This is Redis's model. It never switches threads, so a request costs a
//! `read`, a `write` and a share of one `epoll_wait`; but it uses one core,
//! and a slow request delays every other connection.
//!
//! What the code must get right by hand, where the other styles get it
//! from a runtime: edge-triggered readiness (read and write until
//! `WouldBlock`, or the event never comes again), partial writes, the
//! listener's backlog when the limit was reached (nobody signals it again:
//! we retry accepting whenever a place frees), idle timers (a sweep), and
//! shutdown (a mio `Waker`).
//!
//! Shutdown: the waker stops the loop; it drops the listener, reads what
//! every connection has already sent, answers it, flushes every reply
//! (for at most [`SHUTDOWN_GRACE`]), closes everything, and the thread ends.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token, Waker};

use crate::primitives::admission::{Admission, Ticket};
use crate::server::protocol::{Connection, Flow, Store, new_store};
use crate::server::{Config, SHUTDOWN_GRACE, Served, Server, Stats};

const LISTENER: Token = Token(0);
const WAKER: Token = Token(1);
const FIRST_CONNECTION: usize = 2;

pub struct EventLoopServer {
    address: SocketAddr,
    waker: Arc<Waker>,
    thread: JoinHandle<Served>,
}

// ANCHOR: state
/// One connection's state machine.
struct Conn {
    stream: TcpStream,
    protocol: Connection,
    /// Replies not yet taken by the socket.
    unsent: Vec<u8>,
    last_active: Instant,
    /// Close once `unsent` is flushed (QUIT, too long a line, peer closed).
    closing: bool,
    _place: Ticket,
}
// ANCHOR_END: state

struct Loop {
    poll: Poll,
    listener: Option<TcpListener>,
    connections: HashMap<Token, Conn>,
    next_token: usize,
    store: Store,
    stats: Stats,
    admission: Arc<Admission>,
    idle_timeout: Duration,
    buf: Box<[u8; 16 * 1024]>,
}

// ANCHOR: ready
impl Loop {
    /// Reads everything available, answers every complete request, and
    /// writes what the socket takes. Returns false once the connection is
    /// done and must be closed.
    fn on_ready(&mut self, token: Token) -> bool {
        let Some(conn) = self.connections.get_mut(&token) else {
            return true; // closed earlier in this batch of events
        };
        conn.last_active = Instant::now();
        loop {
            match conn.stream.read(&mut self.buf[..]) {
                Ok(0) => {
                    conn.closing = true; // the peer closed its side
                    break;
                }
                Ok(n) => {
                    let (flow, answered) =
                        conn.protocol
                            .receive(&self.buf[..n], &self.store, &mut conn.unsent);
                    self.stats.requests(answered);
                    if flow == Flow::Close {
                        conn.closing = true;
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return false,
            }
        }
        flush(conn) && !(conn.closing && conn.unsent.is_empty())
    }
    // ANCHOR_END: ready

    /// Accepts while there are places; the rest stay in the backlog until
    /// a place frees (then this is called again: no new event would come).
    fn accept(&mut self) {
        let Some(listener) = &self.listener else {
            return;
        };
        while let Some(place) = Admission::try_admit(&self.admission) {
            let (mut stream, _) = match listener.accept() {
                Ok(accepted) => accepted,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return, // WouldBlock, or out of descriptors: retry later
            };
            let token = Token(self.next_token);
            self.next_token += 1;
            let _ = stream.set_nodelay(true);
            if self
                .poll
                .registry()
                .register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)
                .is_err()
            {
                continue;
            }
            self.stats.connection();
            self.connections.insert(
                token,
                Conn {
                    stream,
                    protocol: Connection::default(),
                    unsent: Vec::new(),
                    last_active: Instant::now(),
                    closing: false,
                    _place: place,
                },
            );
        }
    }

    fn close(&mut self, token: Token) {
        if let Some(mut conn) = self.connections.remove(&token) {
            let _ = self.poll.registry().deregister(&mut conn.stream);
        } // dropping it closes the socket and frees its place
    }

    fn run(mut self) -> Served {
        let mut events = Events::with_capacity(1024);
        // Idle connections are swept this often: a timer per connection
        // would be more precise and cost more.
        let sweep_every =
            (self.idle_timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
        let mut next_sweep = Instant::now() + sweep_every;
        'serving: loop {
            let timeout = next_sweep.saturating_duration_since(Instant::now());
            if let Err(e) = self.poll.poll(&mut events, Some(timeout))
                && e.kind() != io::ErrorKind::Interrupted
            {
                break;
            }
            let mut freed = false;
            for event in &events {
                match event.token() {
                    LISTENER => self.accept(),
                    WAKER => break 'serving,
                    token => {
                        if !self.on_ready(token) {
                            self.close(token);
                            freed = true;
                        }
                    }
                }
            }
            if Instant::now() >= next_sweep {
                let idle_since = Instant::now() - self.idle_timeout;
                let idle: Vec<Token> = self
                    .connections
                    .iter()
                    .filter(|(_, c)| c.last_active < idle_since)
                    .map(|(t, _)| *t)
                    .collect();
                freed |= !idle.is_empty();
                for token in idle {
                    self.close(token);
                }
                next_sweep = Instant::now() + sweep_every;
            }
            if freed {
                self.accept(); // places freed: the backlog may be waiting
            }
        }
        self.drain();
        self.stats.served()
    }

    /// Shutdown: answer what every connection has sent, flush, close.
    fn drain(&mut self) {
        self.listener = None; // no new connections
        self.admission.close();
        let tokens: Vec<Token> = self.connections.keys().copied().collect();
        for token in &tokens {
            if let Some(conn) = self.connections.get_mut(token) {
                conn.closing = true;
            }
            if !self.on_ready(*token) {
                self.close(*token);
            }
        }
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        let mut events = Events::with_capacity(1024);
        while self.connections.values().any(|c| !c.unsent.is_empty()) && Instant::now() < deadline {
            let _ = self.poll.poll(&mut events, Some(Duration::from_millis(10)));
            for conn in self.connections.values_mut() {
                flush(conn);
            }
        }
        for token in tokens {
            self.close(token);
        }
    }
}

/// Writes what the socket takes. False on a write error.
fn flush(conn: &mut Conn) -> bool {
    while !conn.unsent.is_empty() {
        match conn.stream.write(&conn.unsent) {
            Ok(0) => return false,
            Ok(n) => {
                conn.unsent.drain(..n);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return false,
        }
    }
    true
}

impl Server for EventLoopServer {
    const STYLE: &'static str = "event_loop";

    fn start(config: Config) -> io::Result<Self> {
        let std_listener = crate::server::listen(config.address)?;
        std_listener.set_nonblocking(true)?;
        let address = std_listener.local_addr()?;
        let mut listener = TcpListener::from_std(std_listener);
        let poll = Poll::new()?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let state = Loop {
            poll,
            listener: Some(listener),
            connections: HashMap::new(),
            next_token: FIRST_CONNECTION,
            store: new_store(),
            stats: Stats::default(),
            admission: Admission::new(config.max_connections),
            idle_timeout: config.idle_timeout,
            buf: Box::new([0; 16 * 1024]),
        };
        let thread = std::thread::spawn(move || state.run());
        Ok(EventLoopServer {
            address,
            waker,
            thread,
        })
    }

    fn local_addr(&self) -> SocketAddr {
        self.address
    }

    fn shutdown(self) -> Served {
        self.waker.wake().expect("waking the event loop");
        self.thread.join().expect("the event loop does not panic")
    }
}
