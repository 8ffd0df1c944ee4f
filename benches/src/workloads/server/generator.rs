//! The load generator: RESP over loopback, the same bytes for every
//! server style and for redis-server, in two modes.
//!
//! - **Open loop** (in the spirit of wrk2): each connection sends on its
//!   own schedule, at a constant rate or with Poisson arrivals, whether or
//!   not earlier replies came back (requests pipeline behind a slow one).
//!   Latency is timed from the *intended* send time, so a server that
//!   stalls is charged for every request it delayed, not only for the one
//!   it was serving (coordinated omission). Requests still unanswered a
//!   grace period after the window are counted, and charged the time they
//!   waited.
//! - **Closed loop**: each connection keeps `depth` requests outstanding
//!   and sends the next when a reply arrives: the peak a style reaches when
//!   clients wait for it. Latency then restates throughput (Little's law),
//!   which is why the latency tables use the open loop.
//!
//! One thread per generator CPU, each pinned, each with its own epoll
//! (mio) over its share of the connections and a `timerfd` for the next
//! due send: epoll's own timeout counts in milliseconds, a timer in
//! nanoseconds. Sends and reads never block: a request due while the
//! socket's buffer is full waits in the connection's buffer, and its
//! lateness (actual write minus intended) is recorded, so a generator
//! that falls behind says so (the cell is then marked client-bound).
//!
//! Each connection works on its own key, set before the window (so
//! redis-server and the styles read populated keys): `INCRBY k 1` and
//! `GET k` alternate; in the mixed scenario one request in `slow_one_in`
//! is slow instead (`SPIN <µs>` on the workbench, a Lua loop of the same
//! wall time on redis-server), in the fan-out scenario a `FANOUT` of the
//! same work in independent steps (the workbench's styles only).

// `unsafe`, allowed in this module only: the timerfd.
#![allow(unsafe_code)]

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use mio::net::TcpStream;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use patterns::primitives::rng::{SplitMix64, mix};

use crate::harness::{histogram, nanos};

/// How requests arrive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arrivals {
    /// `depth` outstanding per connection, the next sent on each reply.
    Closed { depth: usize },
    /// `rate` requests per second over all connections, evenly spaced on
    /// each connection (connections staggered).
    Constant { rate: f64 },
    /// `rate` per second, exponential gaps on each connection.
    Poisson { rate: f64 },
}

impl Arrivals {
    pub fn rate(&self) -> Option<f64> {
        match *self {
            Arrivals::Closed { .. } => None,
            Arrivals::Constant { rate } | Arrivals::Poisson { rate } => Some(rate),
        }
    }
}

/// Who is on the other end: how a slow request is spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Workbench,
    Redis,
}

/// The requests' mix: `slow_one_in == 0` for none slow. A slow request
/// is `SPIN <slow_micros>`, or with `slow_steps > 1` the same work split
/// into that many independent steps, `FANOUT <slow_steps> <slow_micros /
/// slow_steps>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mix {
    pub slow_one_in: u64,
    pub slow_micros: u64,
    pub slow_steps: u64,
}

impl Mix {
    pub const UNIFORM: Mix = Mix {
        slow_one_in: 0,
        slow_micros: 0,
        slow_steps: 1,
    };
}

/// One cell's load.
#[derive(Debug, Clone)]
pub struct Load {
    pub connections: usize,
    pub arrivals: Arrivals,
    pub mix: Mix,
    pub dialect: Dialect,
    pub warm_up: Duration,
    pub window: Duration,
    /// How long after the window replies are still awaited.
    pub grace: Duration,
    /// One generator thread per CPU, pinned there (none pinned if empty).
    pub cpus: Vec<usize>,
    /// Whether to pin the threads to `cpus` (not when they are shared
    /// with the server: the scheduler then places both).
    pub pin: bool,
}

/// What a cell measured.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub connections: usize,
    /// Connections open when the load started.
    pub opened: usize,
    pub window: Duration,
    /// Requests whose intended send fell in the window.
    pub due: u64,
    /// Of those, answered before the grace ran out.
    pub answered: u64,
    pub unanswered: u64,
    /// Replies that arrived during the window, whenever sent: throughput.
    pub replies_in_window: u64,
    /// Error replies (a server that refused the generator's requests).
    pub errors: u64,
    /// Connections with no reply to any request due in the window.
    pub silent: usize,
    /// From intended send to reply; unanswered ones charged their wait.
    pub fast: Histogram<u64>,
    pub slow: Histogram<u64>,
    /// From the request's actual write to its reply (answered only).
    pub service: Histogram<u64>,
    /// Actual write minus intended send: the generator's own delay.
    pub lateness: Histogram<u64>,
    /// CPU time of the generator's threads over the window (the whole
    /// cell if a thread never reached the window's end).
    pub generator_cpu: Duration,
    pub generator_threads: usize,
    /// The wall time that CPU time was read over (for the busy share).
    pub generator_wall: Duration,
}

impl Outcome {
    /// Replies per second during the window.
    pub fn throughput(&self) -> f64 {
        self.replies_in_window as f64 / self.window.as_secs_f64()
    }

    /// Fast and slow requests together.
    pub fn latency(&self) -> Histogram<u64> {
        let mut all = self.fast.clone();
        all.add(&self.slow).expect("same bounds");
        all
    }

    /// The generator's CPU over its threads' wall time: 1.0 is every
    /// generator thread busy all the time.
    pub fn generator_busy(&self) -> f64 {
        self.generator_cpu.as_secs_f64()
            / (self.generator_wall.as_secs_f64() * self.generator_threads.max(1) as f64)
    }

    /// Whether the generator, not the server, may have set the pace: its
    /// threads were nearly always busy, or its sends ran late (p99 over a
    /// millisecond behind their schedule). Such a cell is shown and not
    /// judged.
    pub fn client_bound(&self) -> bool {
        self.generator_busy() > 0.9
            || (!self.lateness.is_empty() && self.lateness.value_at_quantile(0.99) > 1_000_000)
    }
}

/// The bytes of one request.
fn request(out: &mut Vec<u8>, kind: Kind, key: &[u8], mix: Mix, dialect: Dialect) {
    let bulk = |out: &mut Vec<u8>, part: &[u8]| {
        out.extend_from_slice(format!("${}\r\n", part.len()).as_bytes());
        out.extend_from_slice(part);
        out.extend_from_slice(b"\r\n");
    };
    let command = |out: &mut Vec<u8>, parts: &[&[u8]]| {
        out.extend_from_slice(format!("*{}\r\n", parts.len()).as_bytes());
        for part in parts {
            bulk(out, part);
        }
    };
    match (kind, dialect) {
        (Kind::Set, _) => command(out, &[b"SET", key, b"0"]),
        (Kind::Incr, _) => command(out, &[b"INCRBY", key, b"1"]),
        (Kind::Get, _) => command(out, &[b"GET", key]),
        (Kind::Slow, Dialect::Workbench) if mix.slow_steps > 1 => {
            let step = mix.slow_micros / mix.slow_steps;
            command(
                out,
                &[
                    b"FANOUT",
                    mix.slow_steps.to_string().as_bytes(),
                    step.to_string().as_bytes(),
                ],
            );
        }
        (Kind::Slow, Dialect::Workbench) => {
            command(out, &[b"SPIN", mix.slow_micros.to_string().as_bytes()]);
        }
        (Kind::Slow, Dialect::Redis) => {
            let script = redis_spin_script(mix.slow_micros);
            command(out, &[b"EVAL", script.as_bytes(), b"0"]);
        }
    }
}

/// A Lua script that keeps redis-server's thread busy for `micros` of
/// wall time, as `SPIN` keeps a style's.
pub fn redis_spin_script(micros: u64) -> String {
    format!(
        "local s=redis.call('TIME') local t=s[1]*1000000+s[2]+{micros} \
         repeat local n=redis.call('TIME') until n[1]*1000000+n[2]>=t return 1"
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Set,
    Incr,
    Get,
    Slow,
}

impl Kind {
    /// In discriminant order (`Kind as usize` indexes by it).
    const ALL: [Kind; 4] = [Kind::Set, Kind::Incr, Kind::Get, Kind::Slow];
}

/// How many complete RESP replies `buf` starts with, and how many of them
/// are errors, and how many bytes they take. A reply this generator can
/// receive is a simple string, an error, an integer or a bulk string
/// (nil included); anything else counts as an error reply.
pub fn complete_replies(buf: &[u8]) -> (u64, u64, usize) {
    let (mut count, mut errors, mut at) = (0, 0, 0);
    while at < buf.len() {
        let Some(line) = buf[at..].windows(2).position(|w| w == b"\r\n") else {
            break;
        };
        let header = &buf[at..at + line];
        let mut end = at + line + 2;
        match header.first() {
            Some(b'$') => {
                let length = std::str::from_utf8(&header[1..])
                    .ok()
                    .and_then(|n| n.parse::<i64>().ok());
                match length {
                    Some(n) if n >= 0 => {
                        end += n as usize + 2;
                        if end > buf.len() {
                            break;
                        }
                    }
                    Some(_) => {}
                    None => errors += 1,
                }
            }
            Some(b'+' | b':') => {}
            _ => errors += 1,
        }
        count += 1;
        at = end;
    }
    (count, errors, at)
}

/// One request sent or due on a connection.
#[derive(Debug, Clone, Copy)]
struct Sent {
    intended: Instant,
    /// The connection's byte count once this request is written.
    ends_at: u64,
    written: Option<Instant>,
    kind: Kind,
}

impl Sent {
    /// Where its latency is timed from: the intended send, or its write if
    /// that came first (a send ahead of schedule), whichever is earlier,
    /// so the figure is never the kinder of the two.
    fn start(&self) -> Instant {
        self.written.map_or(self.intended, |w| w.min(self.intended))
    }
}

struct Connection {
    stream: TcpStream,
    /// Each kind's request bytes for this connection's key, encoded once
    /// (indexed by `Kind as usize`): queueing a send is a copy, not a
    /// format, on the generator's hot path.
    requests: [Vec<u8>; 4],
    out: Vec<u8>,
    /// Bytes of `out` already written, and all bytes ever written.
    flushed: usize,
    written_total: u64,
    queued_total: u64,
    /// In send order; the first `written_upto` have been written.
    pending: VecDeque<Sent>,
    written_upto: usize,
    replies: Vec<u8>,
    sequence: u64,
    rng: SplitMix64,
    next_due: Instant,
    heard: bool,
    open: bool,
}

impl Connection {
    fn queue(&mut self, kind: Kind, intended: Instant) {
        self.out.extend_from_slice(&self.requests[kind as usize]);
        self.queued_total = self.written_total + (self.out.len() - self.flushed) as u64;
        self.pending.push_back(Sent {
            intended,
            ends_at: self.queued_total,
            written: None,
            kind,
        });
    }

    /// The next request of the mix.
    fn next_kind(&mut self, mix: Mix) -> Kind {
        self.sequence += 1;
        if mix.slow_one_in > 0 && self.rng.below(mix.slow_one_in) == 0 {
            Kind::Slow
        } else if self.sequence.is_multiple_of(2) {
            Kind::Incr
        } else {
            Kind::Get
        }
    }

    /// Writes what the socket takes; stamps the requests now fully written.
    fn flush(&mut self, now: Instant, lateness: &mut Histogram<u64>, window: (Instant, Instant)) {
        while self.open && self.flushed < self.out.len() {
            match self.stream.write(&self.out[self.flushed..]) {
                Ok(0) => self.open = false,
                Ok(n) => {
                    self.flushed += n;
                    self.written_total += n as u64;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => self.open = false,
            }
        }
        if self.flushed == self.out.len() {
            self.out.clear();
            self.flushed = 0;
        }
        while let Some(sent) = self.pending.get_mut(self.written_upto) {
            if sent.ends_at > self.written_total {
                break;
            }
            sent.written = Some(now);
            if in_window(sent.intended, window) {
                lateness
                    .record(nanos(now.saturating_duration_since(sent.intended)))
                    .expect("in range");
            }
            self.written_upto += 1;
        }
    }
}

fn in_window(t: Instant, (start, end): (Instant, Instant)) -> bool {
    t >= start && t < end
}

/// A one-shot timer on CLOCK_MONOTONIC, readable in epoll when it fires.
struct Timer(OwnedFd);

impl Timer {
    fn new() -> std::io::Result<Timer> {
        // SAFETY: timerfd_create takes no pointer; a negative result is an
        // error, anything else a new descriptor we own.
        let fd = unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `fd` is a fresh descriptor no one else owns.
        Ok(Timer(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    /// Fires `after` from now (at least a nanosecond: zero would disarm).
    fn arm(&self, after: Duration) {
        let after = after.max(Duration::from_nanos(1));
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: libc::timespec {
                tv_sec: after.as_secs() as libc::time_t,
                tv_nsec: after.subsec_nanos() as libc::c_long,
            },
        };
        // SAFETY: `spec` is a valid itimerspec for the call's duration; the
        // old value is not asked for (null).
        unsafe {
            libc::timerfd_settime(self.0.as_raw_fd(), 0, &spec, std::ptr::null_mut());
        }
    }

    /// Consumes the expiry count so the descriptor is no longer readable.
    fn clear(&self) {
        let mut count = [0u8; 8];
        // SAFETY: reads at most 8 bytes into an 8-byte buffer.
        unsafe {
            libc::read(self.0.as_raw_fd(), count.as_mut_ptr().cast(), count.len());
        }
    }
}

const TIMER: Token = Token(usize::MAX);

/// Sends due this soon go out with those due now: one wake-up for
/// several sends. In a VM a thread's sleep and wake cost tens of
/// microseconds of its CPU, and one wake per send kept a generator thread
/// half busy at 10 k requests a second. A request sent early is timed from
/// its write instead (see [`Sent::start`]), so its latency is never
/// understated; the schedule is kept to within 50 µs, twenty times finer
/// than wrk2's millisecond timer.
const SEND_AHEAD: Duration = Duration::from_micros(50);

impl Partial {
    /// Where a request of `kind`'s latency goes.
    fn latency_of(&mut self, kind: Kind) -> &mut Histogram<u64> {
        if kind == Kind::Slow {
            &mut self.slow
        } else {
            &mut self.fast
        }
    }
}

/// A thread's share of the outcome.
struct Partial {
    due: u64,
    answered: u64,
    replies_in_window: u64,
    errors: u64,
    silent: usize,
    fast: Histogram<u64>,
    slow: Histogram<u64>,
    service: Histogram<u64>,
    lateness: Histogram<u64>,
    cpu: Duration,
    wall: Duration,
}

/// Opens `n` connections to `address`, one after another. A server that
/// stops accepting leaves the kernel's backlog full and a connect then
/// waits; after three timeouts in a row the rest are not tried (`None`).
pub fn connect(address: SocketAddr, n: usize) -> Vec<Option<std::net::TcpStream>> {
    let mut streams = Vec::with_capacity(n);
    let mut timeouts = 0;
    for _ in 0..n {
        if timeouts >= 3 {
            streams.push(None);
            continue;
        }
        match std::net::TcpStream::connect_timeout(&address, Duration::from_millis(500)) {
            Ok(stream) => {
                timeouts = 0;
                let _ = stream.set_nodelay(true);
                streams.push(Some(stream));
            }
            Err(_) => {
                timeouts += 1;
                streams.push(None);
            }
        }
    }
    streams
}

/// Runs `load` against `address`; `at_start` and `at_end` are called on
/// this thread as the window opens and closes (the bench reads the
/// server's CPU there). Bounded: after the connections are open (each
/// connect waits at most half a second, and after three timeouts in a row
/// the rest are not tried) it returns by the window's end plus the grace,
/// whatever the server does.
pub fn run(
    address: SocketAddr,
    load: &Load,
    mut at_start: impl FnMut(),
    mut at_end: impl FnMut(),
) -> Outcome {
    let streams = connect(address, load.connections);
    let opened = streams.iter().filter(|s| s.is_some()).count();
    let threads = load.cpus.len().max(1);
    let mut shares: Vec<Vec<(usize, std::net::TcpStream)>> =
        (0..threads).map(|_| Vec::new()).collect();
    for (key, stream) in streams.into_iter().enumerate() {
        if let Some(stream) = stream {
            shares[key % threads].push((key, stream));
        }
    }
    let begin = Instant::now() + Duration::from_millis(20);
    let start = begin + load.warm_up;
    let end = start + load.window;
    let partials: Vec<Partial> = std::thread::scope(|scope| {
        let handles: Vec<_> = shares
            .into_iter()
            .enumerate()
            .map(|(t, share)| {
                let cpu = load.cpus.get(t).copied();
                scope.spawn(move || {
                    if let (true, Some(cpu)) = (load.pin, cpu) {
                        let _ = super::placement::pin_this_thread(&[cpu]);
                    }
                    drive(share, load, (begin, start, end))
                })
            })
            .collect();
        sleep_until(start);
        at_start();
        sleep_until(end);
        at_end();
        handles
            .into_iter()
            .map(|h| h.join().expect("a generator thread panicked"))
            .collect()
    });
    let mut outcome = Outcome {
        connections: load.connections,
        opened,
        window: load.window,
        due: 0,
        answered: 0,
        unanswered: 0,
        replies_in_window: 0,
        errors: 0,
        // Connections that never opened heard nothing either.
        silent: load.connections - opened,
        fast: histogram(),
        slow: histogram(),
        service: histogram(),
        lateness: histogram(),
        generator_cpu: Duration::ZERO,
        generator_threads: threads,
        generator_wall: Duration::ZERO,
    };
    for p in partials {
        outcome.due += p.due;
        outcome.answered += p.answered;
        outcome.replies_in_window += p.replies_in_window;
        outcome.errors += p.errors;
        outcome.silent += p.silent;
        outcome.fast.add(&p.fast).expect("same bounds");
        outcome.slow.add(&p.slow).expect("same bounds");
        outcome.service.add(&p.service).expect("same bounds");
        outcome.lateness.add(&p.lateness).expect("same bounds");
        outcome.generator_cpu += p.cpu;
        outcome.generator_wall = outcome.generator_wall.max(p.wall);
    }
    outcome.unanswered = outcome.due - outcome.answered;
    outcome
}

fn sleep_until(t: Instant) {
    let now = Instant::now();
    if t > now {
        std::thread::sleep(t - now);
    }
}

/// One generator thread: its connections from `begin`, measured from
/// `start` to `end`, replies awaited until `end + grace`.
fn drive(
    share: Vec<(usize, std::net::TcpStream)>,
    load: &Load,
    (begin, start, end): (Instant, Instant, Instant),
) -> Partial {
    let (cpu_before, wall_before) = (crate::cost::thread_cpu(), Instant::now());
    let window = (start, end);
    let mut p = Partial {
        due: 0,
        answered: 0,
        replies_in_window: 0,
        errors: 0,
        silent: 0,
        fast: histogram(),
        slow: histogram(),
        service: histogram(),
        lateness: histogram(),
        cpu: Duration::ZERO,
        wall: Duration::ZERO,
    };
    let poll = Poll::new();
    let timer = Timer::new();
    let (Ok(mut poll), Ok(timer)) = (poll, timer) else {
        p.silent = share.len();
        return p;
    };
    let per_connection = load
        .arrivals
        .rate()
        .map(|rate| rate / load.connections.max(1) as f64);
    let mut connections: Vec<Connection> = Vec::with_capacity(share.len());
    let mut schedule: BinaryHeap<Reverse<(Instant, usize)>> = BinaryHeap::new();
    for (key, stream) in share {
        let _ = stream.set_nonblocking(true);
        let mut stream = TcpStream::from_std(stream);
        let token = Token(connections.len());
        if poll
            .registry()
            .register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)
            .is_err()
        {
            p.silent += 1;
            continue;
        }
        let mut c = Connection {
            stream,
            requests: Kind::ALL.map(|kind| {
                let mut bytes = Vec::new();
                request(
                    &mut bytes,
                    kind,
                    key.to_string().as_bytes(),
                    load.mix,
                    load.dialect,
                );
                bytes
            }),
            out: Vec::new(),
            flushed: 0,
            written_total: 0,
            queued_total: 0,
            pending: VecDeque::new(),
            written_upto: 0,
            replies: Vec::new(),
            sequence: 0,
            rng: SplitMix64::new(mix(key as u64 + 1)),
            next_due: begin,
            heard: false,
            open: true,
        };
        // The key first (not measured: due before the window).
        c.queue(Kind::Set, begin);
        match load.arrivals {
            Arrivals::Closed { depth } => {
                for _ in 0..depth {
                    let kind = c.next_kind(load.mix);
                    c.queue(kind, begin);
                }
            }
            Arrivals::Constant { .. } | Arrivals::Poisson { .. } => {
                let gap = 1.0 / per_connection.unwrap_or(1.0);
                // Staggered: the connections spread over one gap.
                let phase = key as f64 / load.connections.max(1) as f64;
                c.next_due = begin + Duration::from_secs_f64(gap * phase);
                schedule.push(Reverse((c.next_due, connections.len())));
            }
        }
        c.flush(Instant::now(), &mut p.lateness, window);
        connections.push(c);
    }
    if poll
        .registry()
        .register(
            &mut SourceFd(&timer.0.as_raw_fd()),
            TIMER,
            Interest::READABLE,
        )
        .is_err()
    {
        p.silent += connections.len();
        return p;
    }
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 64 * 1024];
    let last = end + load.grace;
    let mut armed: Option<Instant> = None;
    // The generator's CPU over the window only (setup, warm-up and grace
    // would dilute its busy share): read as the loop first passes the
    // window's start and its end.
    let mut window_from: Option<(Duration, Instant)> = None;
    let mut window_usage: Option<(Duration, Duration)> = None;
    loop {
        let now = Instant::now();
        if window_from.is_none() && now >= start {
            window_from = Some((crate::cost::thread_cpu(), now));
        }
        if let (None, Some((cpu, at))) = (window_usage, window_from)
            && now >= end
        {
            window_usage = Some((crate::cost::thread_cpu().saturating_sub(cpu), now - at));
        }
        // ANCHOR: schedule
        // Sends now due, while the window is open: each is queued with its
        // intended time (`due`), however late this loop got to it.
        while let Some(&Reverse((due, i))) = schedule.peek() {
            if due > now + SEND_AHEAD || due >= end {
                break;
            }
            schedule.pop();
            // A connection the server closed keeps its schedule: what it
            // would have sent is due, and unanswered.
            let c = &mut connections[i];
            let kind = c.next_kind(load.mix);
            c.queue(kind, due);
            c.flush(now, &mut p.lateness, window);
            let gap = per_connection.map_or(1.0, |r| match load.arrivals {
                Arrivals::Poisson { .. } => -(1.0 - c.rng.unit()).ln() / r,
                _ => 1.0 / r,
            });
            c.next_due = due + Duration::from_secs_f64(gap);
            schedule.push(Reverse((c.next_due, i)));
        }
        // ANCHOR_END: schedule
        // After the sends: a loop that reaches the end late still queues
        // (and so counts) everything that was due before it.
        if now >= last || (now >= end && all_answered(&connections, window)) {
            break;
        }
        let wake = schedule
            .peek()
            .map(|Reverse((due, _))| *due)
            .filter(|due| *due < end)
            .unwrap_or(last)
            .min(last);
        // Re-armed only when the next wake moved (a system call saved on
        // most turns of the loop, which are replies, not sends).
        if armed != Some(wake) {
            timer.arm(wake.saturating_duration_since(Instant::now()));
            armed = Some(wake);
        }
        if let Err(e) = poll.poll(
            &mut events,
            Some(last.saturating_duration_since(Instant::now())),
        ) && e.kind() != ErrorKind::Interrupted
        {
            break;
        }
        let now = Instant::now();
        for event in &events {
            if event.token() == TIMER {
                timer.clear();
                armed = None;
                continue;
            }
            let i = event.token().0;
            let c = &mut connections[i];
            if event.is_writable() {
                c.flush(now, &mut p.lateness, window);
            }
            if event.is_readable() || event.is_read_closed() {
                read_replies(c, &mut buf, now, load, window, &mut p);
            }
            // A close that came with the last bytes: the short read above
            // stopped before the read that returns 0.
            if event.is_read_closed() {
                c.open = false;
            }
        }
    }
    // What is still outstanding: due in the window, never answered, and
    // charged the time it has waited.
    let now = Instant::now();
    for c in &connections {
        for sent in c.pending.iter().filter(|s| in_window(s.intended, window)) {
            p.due += 1;
            let waited = nanos(now.saturating_duration_since(sent.start()));
            let into = p.latency_of(sent.kind);
            into.record(waited).expect("in range");
        }
        if !c.heard {
            p.silent += 1;
        }
    }
    (p.cpu, p.wall) = window_usage.unwrap_or_else(|| {
        (
            crate::cost::thread_cpu().saturating_sub(cpu_before),
            wall_before.elapsed(),
        )
    });
    p
}

fn all_answered(connections: &[Connection], window: (Instant, Instant)) -> bool {
    connections
        .iter()
        .all(|c| !c.open || !c.pending.iter().any(|s| in_window(s.intended, window)))
}

fn read_replies(
    c: &mut Connection,
    buf: &mut [u8],
    now: Instant,
    load: &Load,
    window: (Instant, Instant),
    p: &mut Partial,
) {
    while c.open {
        match c.stream.read(buf) {
            Ok(0) => c.open = false,
            // Less than a buffer: the socket is drained (a read takes all
            // there is), so the next arrival raises a new edge; skipping
            // the read that would say WouldBlock saves a system call per
            // reply, which on one generator CPU is a tenth of its budget.
            Ok(n) if n < buf.len() => {
                c.replies.extend_from_slice(&buf[..n]);
                break;
            }
            Ok(n) => c.replies.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => c.open = false,
        }
    }
    let (count, errors, used) = complete_replies(&c.replies);
    c.replies.drain(..used);
    p.errors += errors;
    for _ in 0..count {
        let Some(sent) = c.pending.pop_front() else {
            // More replies than requests: a server bug, counted as errors.
            p.errors += 1;
            continue;
        };
        c.written_upto = c.written_upto.saturating_sub(1);
        if sent.kind != Kind::Set && in_window(now, window) {
            p.replies_in_window += 1;
        }
        if in_window(sent.intended, window) {
            p.due += 1;
            p.answered += 1;
            c.heard = true;
            let from_intended = nanos(now.saturating_duration_since(sent.start()));
            let into = p.latency_of(sent.kind);
            into.record(from_intended).expect("in range");
            let from_write = sent.written.unwrap_or(sent.intended);
            p.service
                .record(nanos(now.saturating_duration_since(from_write)))
                .expect("in range");
        }
        // Closed loop: a reply makes room for the next request.
        if let Arrivals::Closed { .. } = load.arrivals
            && sent.kind != Kind::Set
            && now < window.1
        {
            let kind = c.next_kind(load.mix);
            c.queue(kind, now);
        }
    }
    if matches!(load.arrivals, Arrivals::Closed { .. }) && count > 0 {
        c.flush(now, &mut p.lateness, window);
    }
    // A connection the server closed still owes its outstanding requests
    // (charged as unanswered at the end).
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_counted_only_when_complete() {
        let all = b"+OK\r\n:41\r\n$2\r\n42\r\n$-1\r\n-ERR no\r\n";
        assert_eq!(complete_replies(all), (5, 1, all.len()));
        // Cut inside a bulk string's body: only what precedes it counts.
        let cut = b":1\r\n$5\r\nhel";
        assert_eq!(complete_replies(cut), (1, 0, 4));
        let cut_in_header = b":1\r\n$1";
        assert_eq!(complete_replies(cut_in_header), (1, 0, 4));
        assert_eq!(
            complete_replies(b"*1\r\n"),
            (1, 1, 4),
            "an array is not a reply we send for"
        );
    }

    #[test]
    fn requests_are_resp_arrays_of_bulk_strings() {
        let mut out = Vec::new();
        request(
            &mut out,
            Kind::Incr,
            b"12",
            Mix::UNIFORM,
            Dialect::Workbench,
        );
        assert_eq!(out, b"*3\r\n$6\r\nINCRBY\r\n$2\r\n12\r\n$1\r\n1\r\n");
        out.clear();
        let mix = Mix {
            slow_one_in: 100,
            slow_micros: 500,
            slow_steps: 1,
        };
        request(&mut out, Kind::Slow, b"12", mix, Dialect::Workbench);
        assert_eq!(out, b"*2\r\n$4\r\nSPIN\r\n$3\r\n500\r\n");
        out.clear();
        request(
            &mut out,
            Kind::Slow,
            b"12",
            super::super::FAN_OUT,
            Dialect::Workbench,
        );
        assert_eq!(out, b"*3\r\n$6\r\nFANOUT\r\n$1\r\n4\r\n$3\r\n100\r\n");
        assert_eq!(
            patterns::server::protocol::resp_request(&[
                b"FANOUT".to_vec(),
                b"4".to_vec(),
                b"100".to_vec()
            ]),
            Ok(patterns::server::protocol::Request::FanOut(
                patterns::server::protocol::FanOut {
                    steps: 4,
                    micros: 100
                }
            )),
            "the server parses the fan-out the generator sends"
        );
        // Every request reads back through the server's own parser.
        for (kind, dialect) in [
            (Kind::Set, Dialect::Workbench),
            (Kind::Get, Dialect::Workbench),
            (Kind::Slow, Dialect::Redis),
        ] {
            let mut out = Vec::new();
            request(&mut out, kind, b"7", mix, dialect);
            let (args, used) = patterns::server::resp::parse_frame(&out)
                .expect("well formed")
                .expect("complete");
            assert_eq!(used, out.len());
            assert!(!args.is_empty());
        }
    }
}
