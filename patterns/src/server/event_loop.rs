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
//! shutdown (a mio `Waker`). And two things a runtime's task gets for free
//! by awaiting its write before it reads again:
//!
//! - **Backpressure.** Reading until `WouldBlock` and queueing every reply
//!   lets a client that pipelines and never reads grow the server without
//!   bound (an empty line is 1 byte in, 18 out; an earlier version grew by
//!   1.6 GiB in eight seconds that way). A connection with more than
//!   [`OUTPUT_LIMIT`] unsent is not read; the socket's `WRITABLE` edge,
//!   when the client takes some replies, resumes it. After a `QUIT`, an
//!   error that closes, or the peer's end of stream, it is not read at all.
//! - **Fairness.** One connection whose client keeps its socket full would
//!   keep the one thread reading it; after [`READS_PER_TURN`] reads the
//!   loop moves on and comes back to it on the next turn (its readiness
//!   edge is spent, so the loop remembers it), so every other connection
//!   and the idle sweep get their turn.
//!
//! A connection counts as active when bytes move either way; one that
//! neither sends nor takes replies for `idle_timeout` is closed by the
//! sweep, which is this style's write timeout. The sweep also closes a
//! connection whose half-received request is past `request_timeout`.
//!
//! Shutdown: the waker stops the loop; it drops the listener, reads what
//! every connection has already sent (within the same bound), answers it,
//! flushes every reply, for at most [`SHUTDOWN_GRACE`] in all, closes
//! everything, and the thread ends.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering, fence};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token, Waker};

use crate::primitives::admission::{Admission, Ticket};
use crate::server::protocol::{Connection, Flow, Store, new_store};
use crate::server::{Config, Deadlines, OUTPUT_LIMIT, SHUTDOWN_GRACE, Served, Server, Stats};

/// Reads (of up to 16 KiB each) one connection gets per turn of the loop.
pub const READS_PER_TURN: usize = 16;

const LISTENER: Token = Token(0);
const WAKER: Token = Token(1);
const FIRST_CONNECTION: usize = 2;

pub struct EventLoopServer(Loops);

/// One or more event loops serving one port and one store: the handles
/// `shutdown` needs.
pub(crate) struct Loops {
    address: SocketAddr,
    stopping: Arc<AtomicBool>,
    wakers: Vec<Arc<Waker>>,
    threads: Vec<JoinHandle<()>>,
    /// Each loop's.
    stats: Vec<Arc<Stats>>,
}

// ANCHOR: state
/// One connection's state machine.
struct Conn {
    stream: TcpStream,
    protocol: Connection,
    /// Replies not yet taken by the socket.
    unsent: Vec<u8>,
    /// When bytes last moved, either way.
    last_active: Instant,
    /// The request deadline (its idle part is `last_active`'s sweep).
    deadlines: Deadlines,
    /// Read no more; close once `unsent` is flushed (QUIT, too long a
    /// line, peer closed, shutdown).
    closing: bool,
    _place: Ticket,
}
// ANCHOR_END: state

struct Loop {
    poll: Poll,
    listener: Option<TcpListener>,
    connections: HashMap<Token, Conn>,
    next_token: usize,
    store: Arc<Store>,
    stats: Arc<Stats>,
    admission: Arc<Admission>,
    /// Set before the loops are woken to stop (a wake without it means a
    /// place was freed elsewhere).
    stopping: Arc<AtomicBool>,
    /// Whether this loop found no place for a connection in its backlog.
    starved: Arc<AtomicBool>,
    /// The other loops of this server (none for `event_loop`), with their
    /// `starved` flags: woken when this one frees a place they may need.
    peers: Vec<(Arc<Waker>, Arc<AtomicBool>)>,
    idle_timeout: Duration,
    request_timeout: Duration,
    /// Each connection starts from a copy.
    deadlines: Deadlines,
    buf: Box<[u8; 16 * 1024]>,
    /// Connections that used their turn's reads with more perhaps waiting:
    /// their readiness edge is spent, so the loop must come back to them.
    again: Vec<Token>,
}

/// Where a connection stands after its turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Turn {
    /// Done: close it.
    Close,
    /// Read until `WouldBlock`: everything the client sent is answered.
    Drained,
    /// Waiting for the socket to take replies (over the output bound, or
    /// closing with replies unsent): the `WRITABLE` edge brings it back.
    Blocked,
    /// Used its reads; more may be waiting.
    Again,
}

// ANCHOR: ready
impl Loop {
    /// One turn of a connection: flush, then read and answer while its
    /// unsent replies are under the bound, for at most `READS_PER_TURN`
    /// reads, flushing as it goes.
    fn on_ready(&mut self, token: Token) -> Turn {
        let Some(conn) = self.connections.get_mut(&token) else {
            return Turn::Close; // closed earlier in this batch of events
        };
        let mut moved = false;
        let mut reads = 0;
        let turn = loop {
            match flush(conn) {
                Some(wrote) => moved |= wrote,
                None => return Turn::Close,
            }
            if conn.closing {
                break if conn.unsent.is_empty() {
                    Turn::Close
                } else {
                    Turn::Blocked
                };
            }
            if conn.unsent.len() >= OUTPUT_LIMIT {
                break Turn::Blocked; // backpressure: leave the rest in the socket
            }
            if reads == READS_PER_TURN {
                break Turn::Again;
            }
            reads += 1;
            match conn.stream.read(&mut self.buf[..]) {
                Ok(0) => conn.closing = true, // the peer closed its side
                Ok(n) => {
                    moved = true;
                    let (flow, answered) =
                        conn.protocol
                            .receive(&self.buf[..n], &self.store, &mut conn.unsent);
                    self.stats.requests(answered);
                    conn.deadlines.received(conn.protocol.has_partial_request());
                    if flow == Flow::Close {
                        conn.closing = true;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Turn::Drained,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Turn::Close,
            }
        };
        if moved {
            conn.last_active = Instant::now();
        }
        turn
    }
    // ANCHOR_END: ready

    /// Accepts while there are places; the rest stay in the backlog until
    /// a place frees (then this is called again: no new event would come).
    /// Returns whether it gave back a place it took and could not use (its
    /// backlog was empty): the other loops may be waiting for one.
    fn accept(&mut self) -> bool {
        let Some(listener) = &self.listener else {
            return false;
        };
        loop {
            // Starved until this loop's backlog is seen empty. Said before
            // trying for a place, and fenced, so that a loop releasing one
            // either sees this flag or leaves the place for this `try_admit`
            // (see `wake_starved_peers`).
            self.starved.store(true, Ordering::SeqCst);
            fence(Ordering::SeqCst);
            let Some(place) = Admission::try_admit(&self.admission) else {
                return false; // no place: starved, a release will wake us
            };
            let (mut stream, _) = match listener.accept() {
                Ok(accepted) => accepted,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.starved.store(false, Ordering::SeqCst);
                    drop(place);
                    return true;
                }
                // Out of descriptors: retry when one frees. Not reported as
                // a place given back: the peers could not use it either,
                // and waking them would only have them wake us.
                Err(_) => return false,
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
                    deadlines: self.deadlines,
                    closing: false,
                    _place: place,
                },
            );
        }
    }

    // ANCHOR: peers
    /// After this loop gave places back: wakes the other loops that found
    /// none (their backlog holds a connection whose readiness edge has
    /// fired already, so no event of their own would bring them back). Only
    /// the starved: waking every loop on every release would have loops with
    /// empty backlogs take the place, give it back, and wake each other.
    fn wake_starved_peers(&self) {
        fence(Ordering::SeqCst); // the release before, the flags after
        for (waker, starved) in &self.peers {
            if starved.swap(false, Ordering::SeqCst) {
                let _ = waker.wake();
            }
        }
    }
    // ANCHOR_END: peers

    fn close(&mut self, token: Token) {
        if let Some(mut conn) = self.connections.remove(&token) {
            let _ = self.poll.registry().deregister(&mut conn.stream);
        } // dropping it closes the socket and frees its place
    }

    /// Gives `token` its turn; closes it, or remembers to come back.
    fn turn(&mut self, token: Token) -> bool {
        match self.on_ready(token) {
            Turn::Close => {
                self.close(token);
                true
            }
            Turn::Again => {
                self.again.push(token);
                false
            }
            Turn::Drained | Turn::Blocked => false,
        }
    }

    fn run(mut self) {
        let mut events = Events::with_capacity(1024);
        // Idle connections are swept this often: a timer per connection
        // would be more precise and cost more.
        let sweep_every = (self.idle_timeout.min(self.request_timeout) / 4)
            .clamp(Duration::from_millis(10), Duration::from_secs(1));
        let mut next_sweep = Instant::now() + sweep_every;
        'serving: loop {
            // Connections owed a turn: look for events, but do not wait.
            let timeout = if self.again.is_empty() {
                next_sweep.saturating_duration_since(Instant::now())
            } else {
                Duration::ZERO
            };
            if let Err(e) = self.poll.poll(&mut events, Some(timeout))
                && e.kind() != io::ErrorKind::Interrupted
            {
                break;
            }
            let (mut freed, mut freed_unused) = (false, false);
            let owed = std::mem::take(&mut self.again);
            for event in &events {
                match event.token() {
                    LISTENER | WAKER if !self.stopping.load(Ordering::Acquire) => {
                        freed_unused |= self.accept(); // WAKER: a peer freed a place
                    }
                    WAKER => break 'serving,
                    LISTENER => {}
                    token => freed |= self.turn(token),
                }
            }
            for token in owed {
                freed |= self.turn(token);
            }
            if Instant::now() >= next_sweep {
                let now = Instant::now();
                let idle_since = now - self.idle_timeout;
                let idle: Vec<Token> = self
                    .connections
                    .iter()
                    .filter(|(_, c)| c.last_active < idle_since || c.deadlines.request_expired())
                    .map(|(t, _)| *t)
                    .collect();
                freed |= !idle.is_empty();
                for token in idle {
                    self.close(token);
                }
                next_sweep = Instant::now() + sweep_every;
            }
            if freed {
                freed_unused |= self.accept(); // places freed: the backlog may be waiting
            }
            if freed || freed_unused {
                self.wake_starved_peers(); // and theirs
            }
        }
        self.drain();
    }

    /// Shutdown: answer what every connection has sent, flush, close; all
    /// within `SHUTDOWN_GRACE`. A connection read to `WouldBlock` has had
    /// everything it sent answered and is read no more; one that keeps
    /// sending, or does not take its replies, is closed at the deadline.
    fn drain(&mut self) {
        self.listener = None; // no new connections
        self.admission.close();
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        let mut events = Events::with_capacity(1024);
        while !self.connections.is_empty() && Instant::now() < deadline {
            let tokens: Vec<Token> = self.connections.keys().copied().collect();
            let mut busy = false;
            for token in tokens {
                match self.on_ready(token) {
                    Turn::Close => self.close(token),
                    Turn::Drained => {
                        if let Some(conn) = self.connections.get_mut(&token) {
                            conn.closing = true; // answered all it sent
                        }
                        busy = true; // its replies may go out at once
                    }
                    Turn::Again => busy = true,
                    Turn::Blocked => {}
                }
            }
            if !busy {
                let wait = deadline.saturating_duration_since(Instant::now());
                let _ = self
                    .poll
                    .poll(&mut events, Some(wait.min(Duration::from_millis(10))));
            }
        }
        let tokens: Vec<Token> = self.connections.keys().copied().collect();
        for token in tokens {
            self.close(token);
        }
    }
}

/// Writes what the socket takes: whether it took anything, or `None` on a
/// write error.
fn flush(conn: &mut Conn) -> Option<bool> {
    let mut wrote = false;
    while !conn.unsent.is_empty() {
        match conn.stream.write(&conn.unsent) {
            Ok(0) => return None,
            Ok(n) => {
                conn.unsent.drain(..n);
                wrote = true;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        }
    }
    if conn.unsent.is_empty() && conn.unsent.capacity() > OUTPUT_LIMIT {
        conn.unsent = Vec::new(); // a burst's buffer is not kept for an idle connection
    }
    Some(wrote)
}

impl Loops {
    /// Starts one loop per listener, all on one store and one limit.
    pub(crate) fn start(
        config: &Config,
        listeners: Vec<std::net::TcpListener>,
    ) -> io::Result<Loops> {
        let address = listeners
            .first()
            .ok_or_else(|| io::Error::other("no listener"))?
            .local_addr()?;
        let store = Arc::new(new_store());
        // One per loop: a loop's counters stay in its core's cache.
        let mut stats = Vec::new();
        let admission = Admission::new(config.max_connections);
        let stopping = Arc::new(AtomicBool::new(false));
        let mut loops = Vec::new();
        let mut wakers = Vec::new();
        let mut starved = Vec::new();
        for std_listener in listeners {
            std_listener.set_nonblocking(true)?;
            let mut listener = TcpListener::from_std(std_listener);
            let poll = Poll::new()?;
            poll.registry()
                .register(&mut listener, LISTENER, Interest::READABLE)?;
            wakers.push(Arc::new(Waker::new(poll.registry(), WAKER)?));
            starved.push(Arc::new(AtomicBool::new(false)));
            stats.push(Arc::new(Stats::default()));
            loops.push(Loop {
                poll,
                listener: Some(listener),
                connections: HashMap::new(),
                next_token: FIRST_CONNECTION,
                store: Arc::clone(&store),
                stats: Arc::clone(stats.last().expect("just pushed")),
                admission: Arc::clone(&admission),
                stopping: Arc::clone(&stopping),
                starved: Arc::clone(starved.last().expect("just pushed")),
                peers: Vec::new(),
                idle_timeout: config.idle_timeout,
                request_timeout: config.request_timeout,
                deadlines: Deadlines::new(config),
                buf: Box::new([0; 16 * 1024]),
                again: Vec::new(),
            });
        }
        let mut threads = Vec::new();
        for (i, mut state) in loops.into_iter().enumerate() {
            state.peers = wakers
                .iter()
                .zip(&starved)
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, (w, s))| (Arc::clone(w), Arc::clone(s)))
                .collect();
            match std::thread::Builder::new()
                .name(format!("event-loop-{i}"))
                .spawn(move || state.run())
            {
                Ok(thread) => threads.push(thread),
                Err(e) => {
                    // Stop the loops already running before failing.
                    let started = Loops {
                        address,
                        stopping,
                        wakers,
                        threads,
                        stats,
                    };
                    started.shutdown();
                    return Err(e);
                }
            }
        }
        Ok(Loops {
            address,
            stopping,
            wakers,
            threads,
            stats,
        })
    }

    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.address
    }

    pub(crate) fn shutdown(self) -> Served {
        self.stopping.store(true, Ordering::Release);
        for waker in &self.wakers {
            waker.wake().expect("waking an event loop");
        }
        for thread in self.threads {
            thread.join().expect("an event loop does not panic");
        }
        Served::of_cores(self.stats.iter().map(|loop_stats| &**loop_stats))
    }
}

impl Server for EventLoopServer {
    const STYLE: &'static str = "event_loop";

    fn start(config: Config) -> io::Result<Self> {
        let listener = crate::server::listen(config.address)?;
        Loops::start(&config, vec![listener]).map(EventLoopServer)
    }

    fn local_addr(&self) -> SocketAddr {
        self.0.local_addr()
    }

    fn shutdown(self) -> Served {
        // One loop: its list would only repeat the totals.
        Served {
            per_core: Vec::new(),
            ..self.0.shutdown()
        }
    }
}
