//! The server workload's checks, for every style of the registry: the
//! protocol's replies, 100 concurrent clients checking their own answers,
//! bad input, the connection limit (and the broken style it must catch),
//! graceful shutdown with requests in flight and idle connections open.
//! Every test that could hang runs under a watchdog that fails it with a
//! message naming the style.

#![cfg(not(workbench_loom))]

#[macro_use]
mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::linearizability::{self, Clock, Event};
use common::watchdog;
use patterns::check::models::{KeyOp, SharedKey};
use patterns::primitives::rng::SplitMix64;

use patterns::server::protocol::MAX_LINE;
use patterns::server::{Config, CoreServed, Served, Server, StepCounts};

/// Sixteen workers: `thread_pool` serves at most as many connections at
/// once as it has workers (its point), and the tests hold up to sixteen
/// open together; the other styles do not need them but are not hurt.
fn config(limit: usize) -> Config {
    Config {
        max_connections: limit,
        workers: 16,
        idle_timeout: Duration::from_secs(30),
        ..Config::default()
    }
}

/// A line client with a read timeout, so a missing reply is an error, not
/// a hang.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    fn connect(address: SocketAddr) -> Client {
        let stream = TcpStream::connect(address).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Client {
            writer: stream.try_clone().unwrap(),
            reader: BufReader::new(stream),
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("send");
    }

    /// The next reply line, or `None` at end of stream.
    fn line(&mut self) -> Option<String> {
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) => None,
            Ok(_) => Some(line.trim_end_matches('\n').to_string()),
            Err(e) => panic!("no reply: {e}"),
        }
    }

    fn ask(&mut self, request: &str) -> String {
        self.send(format!("{request}\n").as_bytes());
        self.line().expect("a reply, not a closed connection")
    }

    /// Whether a reply arrives within `wait`.
    fn answered_within(&mut self, wait: Duration) -> bool {
        self.writer.set_read_timeout(Some(wait)).unwrap();
        let mut line = String::new();
        let answered = matches!(self.reader.read_line(&mut line), Ok(n) if n > 0);
        self.writer
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        answered
    }
}

// ANCHOR: contract
fn answers_every_command<S: Server>() {
    let server = S::start(config(64)).expect("start");
    let mut c = Client::connect(server.local_addr());
    let exchanges = [
        ("PING", "PONG"),
        ("ping", "PONG"),
        ("WHOAMI", "ANONYMOUS"),
        ("LOGIN alice", "OK"),
        ("WHOAMI", "alice"),
        ("GET 7", "NIL"),
        ("INCR 7 1", "NIL"),
        ("SET 7 41", "OK"),
        ("INCR 7 1", "42"),
        ("GET 7", "42"),
        ("FLY 7", "ERR unknown command 'FLY'"),
        ("GET", "ERR wrong number of arguments for GET (expected 1)"),
        (
            "SET 7",
            "ERR wrong number of arguments for SET (expected 2)",
        ),
        ("GET seven", "ERR not a number: 'seven'"),
        ("INCR 7 -1", "ERR not a number: '-1'"),
        ("", "ERR empty request"),
        (
            "PING extra",
            "ERR wrong number of arguments for PING (expected 0)",
        ),
        ("FANOUT 4 50", "OK"),
        ("FANOUT 1 0", "OK"),
        (
            "FANOUT 0 50",
            "ERR FANOUT takes 1 to 16 steps of at most 1000 microseconds",
        ),
        (
            "FANOUT 17 1",
            "ERR FANOUT takes 1 to 16 steps of at most 1000 microseconds",
        ),
        (
            "FANOUT 2 1001",
            "ERR FANOUT takes 1 to 16 steps of at most 1000 microseconds",
        ),
    ];
    for (request, expected) in exchanges {
        assert_eq!(c.ask(request), expected, "{}: {request:?}", S::STYLE);
    }
    c.send(b"GET \xff\n");
    assert_eq!(
        c.line().as_deref(),
        Some("ERR invalid UTF-8"),
        "{}",
        S::STYLE
    );
    c.send(b"PING\r\n");
    assert_eq!(c.line().as_deref(), Some("PONG"), "{}: CRLF", S::STYLE);
    // A fan-out's reply keeps its place among pipelined requests.
    c.send(b"PING\nFANOUT 3 200\nGET 7\nFANOUT 2 100\nINCR 7 0\n");
    for expected in ["PONG", "OK", "42", "OK", "42"] {
        assert_eq!(
            c.line().as_deref(),
            Some(expected),
            "{}: fan-out in a pipeline",
            S::STYLE
        );
    }
    // Another connection has its own session but the same store.
    let mut other = Client::connect(server.local_addr());
    assert_eq!(other.ask("WHOAMI"), "ANONYMOUS", "{}", S::STYLE);
    assert_eq!(other.ask("GET 7"), "42", "{}", S::STYLE);
    assert_eq!(c.ask("QUIT"), "BYE", "{}", S::STYLE);
    assert_eq!(c.line(), None, "{}: QUIT closes the connection", S::STYLE);
    drop(other);
    let served = server.shutdown();
    assert_eq!(served.connections, 2, "{}", S::STYLE);
    assert_eq!(served.requests, 32, "{}", S::STYLE);
}
// ANCHOR_END: contract

/// 100 clients at once, 100 requests each (pipelined in batches of 10)
/// after a login and a SET; each checks every reply against what its own
/// requests must give. Mismatches are counted, and must be zero.
fn concurrent_clients_get_their_own_answers<S: Server>() {
    const CLIENTS: u64 = 100;
    const BATCHES: u64 = 10;
    let server = S::start(config(256)).expect("start");
    let address = server.local_addr();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|id| {
            std::thread::spawn(move || {
                let mut c = Client::connect(address);
                let mut mismatches = 0u64;
                let mut expect = |got: Option<String>, want: &str| {
                    mismatches += u64::from(got.as_deref() != Some(want));
                };
                c.send(format!("LOGIN user{id}\nSET {id} 0\n").as_bytes());
                expect(c.line(), "OK");
                expect(c.line(), "OK");
                let mut value = 0;
                for _ in 0..BATCHES {
                    let mut batch = String::new();
                    for step in 1..=3 {
                        batch.push_str(&format!("INCR {id} {step}\nGET {id}\nWHOAMI\n"));
                    }
                    batch.push_str("PING\n");
                    c.send(batch.as_bytes());
                    for step in 1..=3 {
                        value += step;
                        expect(c.line(), &value.to_string());
                        expect(c.line(), &value.to_string());
                        expect(c.line(), &format!("user{id}"));
                    }
                    expect(c.line(), "PONG");
                }
                mismatches
            })
        })
        .collect();
    let mismatches: u64 = clients.into_iter().map(|c| c.join().unwrap()).sum();
    let served = server.shutdown();
    assert_eq!(
        mismatches,
        0,
        "{}: {mismatches} replies were not the client's own",
        S::STYLE
    );
    assert_eq!(
        (served.connections, served.requests),
        (CLIENTS, CLIENTS * (2 + BATCHES * 10)),
        "{}: connections and requests served",
        S::STYLE
    );
    assert_per_core_sums::<S>(&served, 16);
}

/// A [`Server::PER_CORE`] style reports one entry per core (`workers`),
/// summing to its totals; any other style reports none.
fn assert_per_core_sums<S: Server>(served: &Served, workers: usize) {
    if !S::PER_CORE {
        assert!(
            served.per_core.is_empty(),
            "{}: not PER_CORE, yet reports cores: {served:?}",
            S::STYLE
        );
        return;
    }
    assert_eq!(served.per_core.len(), workers, "{}: {served:?}", S::STYLE);
    let sum = |f: fn(&CoreServed) -> u64| served.per_core.iter().map(f).sum::<u64>();
    assert_eq!(
        (sum(|c| c.connections), sum(|c| c.requests)),
        (served.connections, served.requests),
        "{}: the cores' counts do not sum to the totals",
        S::STYLE
    );
}

/// A per-core style on two cores: the kernel hashes each connection's
/// address to one of the two listeners, so a hundred connections from a
/// hundred ports all landing on one core has odds of 2 in 2^100; each
/// core's requests are those of its own connections.
fn connections_are_spread_across_cores<S: Server>() {
    const CLIENTS: u64 = 100;
    let server = S::start(Config {
        workers: 2,
        ..config(1_000)
    })
    .unwrap();
    for _ in 0..CLIENTS {
        let mut c = Client::connect(server.local_addr());
        assert_eq!(c.ask("PING"), "PONG");
        assert_eq!(c.ask("PING"), "PONG");
    }
    let served = server.shutdown();
    assert_eq!(
        (served.connections, served.requests),
        (CLIENTS, 2 * CLIENTS),
        "{}",
        S::STYLE
    );
    assert_per_core_sums::<S>(&served, 2);
    for core in &served.per_core {
        assert!(
            core.connections > 0 && core.requests == 2 * core.connections,
            "{}: a core got no connection, or counted another's requests: {served:?}",
            S::STYLE
        );
    }
}

/// Eight clients share two keys, one request at a time each (so every
/// request has its own call and return instants): increments, reads and
/// now and then a SET. Each key's recorded history must be linearizable
/// against [`SharedKey`]: whatever the connection model, the store
/// behind it must behave as one value per key, each request taking effect
/// at one instant between its send and its reply.
fn shared_keys_are_linearizable<S: Server>() {
    const CLIENTS: u64 = 8;
    const REQUESTS: usize = 150;
    let server = S::start(config(64)).expect("start");
    let address = server.local_addr();
    let mut setup = Client::connect(address);
    for key in 1..=2 {
        assert_eq!(setup.ask(&format!("SET {key} 0")), "OK", "{}", S::STYLE);
    }
    let clock = Clock::start();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|id| {
            std::thread::spawn(move || {
                let mut c = Client::connect(address);
                let mut rng = SplitMix64::new(0x5E4 ^ (id + 1) << 16);
                let mut history = [Vec::new(), Vec::new()];
                for _ in 0..REQUESTS {
                    let key = (rng.next_u64() % 2) as usize;
                    let op = match rng.next_u64() % 10 {
                        0 => KeyOp::Set(rng.next_u64() % 100),
                        1..=5 => KeyOp::Incr(1 + rng.next_u64() % 3),
                        _ => KeyOp::Get,
                    };
                    let request = match op {
                        KeyOp::Get => format!("GET {}", key + 1),
                        KeyOp::Set(v) => format!("SET {} {v}", key + 1),
                        KeyOp::Incr(n) => format!("INCR {} {n}", key + 1),
                    };
                    let call = clock.now();
                    let reply = c.ask(&request);
                    let ret = clock.now();
                    history[key].push(Event {
                        client: id as usize,
                        call,
                        ret,
                        op,
                        result: reply,
                    });
                }
                history
            })
        })
        .collect();
    let mut histories = [Vec::new(), Vec::new()];
    for client in clients {
        for (all, mine) in histories.iter_mut().zip(client.join().unwrap()) {
            all.extend(mine);
        }
    }
    drop(setup);
    server.shutdown();
    for (key, history) in histories.iter().enumerate() {
        if let Err(report) = linearizability::check::<SharedKey>(0, history) {
            panic!("{}: key {}: {report}", S::STYLE, key + 1);
        }
    }
}

/// Garbage, a 1 MiB line, a client gone mid-request, a half-closed one:
/// each gets an error or a close, and the server goes on serving.
fn bad_input_gets_an_error_or_a_close<S: Server>() {
    let server = S::start(config(64)).expect("start");
    let address = server.local_addr();
    let mut bystander = Client::connect(address);
    assert_eq!(bystander.ask("SET 1 5"), "OK");

    // Binary garbage with newlines: one error per line, connection kept.
    let mut c = Client::connect(address);
    c.send(b"\x00\x01\x02\n\xc3\x28\n");
    assert_eq!(
        c.line().as_deref(),
        Some("ERR unknown command '\u{0}\u{1}\u{2}'"),
        "{}",
        S::STYLE
    );
    assert_eq!(
        c.line().as_deref(),
        Some("ERR invalid UTF-8"),
        "{}",
        S::STYLE
    );
    assert_eq!(c.ask("PING"), "PONG", "{}", S::STYLE);

    // A 1 MiB line: refused once past the limit, then closed.
    let mut big = Client::connect(address);
    let line = vec![b'x'; 1 << 20];
    // The server may close before taking all of it: a failed write is fine.
    let _ = big.writer.write_all(&line);
    let reply = big.line();
    assert_eq!(
        reply.as_deref(),
        Some(format!("ERR line too long (limit {MAX_LINE} bytes)").as_str()),
        "{}",
        S::STYLE
    );

    // Half a request, then gone.
    let mut gone = Client::connect(address);
    gone.send(b"SET 1 9");
    drop(gone);

    // Half-closed: the requests sent before closing the write side are
    // answered, then the server closes.
    let mut half = Client::connect(address);
    half.send(b"GET 1\nPING\n");
    half.writer.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(half.line().as_deref(), Some("5"), "{}", S::STYLE);
    assert_eq!(half.line().as_deref(), Some("PONG"), "{}", S::STYLE);
    assert_eq!(half.line(), None, "{}", S::STYLE);

    // Everyone else is still served, and the half request did nothing.
    assert_eq!(bystander.ask("GET 1"), "5", "{}", S::STYLE);
    drop((c, big, half, bystander));
    server.shutdown();
}

// ANCHOR: limit
/// With a limit of 8, eight clients are served and a ninth is not, until
/// one of the eight leaves. `Err` says what went wrong.
fn check_limit<S: Server>() -> Result<(), String> {
    const LIMIT: usize = 8;
    let server = S::start(config(LIMIT)).expect("start");
    let address = server.local_addr();
    let mut served: Vec<Client> = (0..LIMIT).map(|_| Client::connect(address)).collect();
    for c in &mut served {
        if c.ask("PING") != "PONG" {
            return Err("one of the first eight was not served".into());
        }
    }
    let mut ninth = Client::connect(address); // waits in the backlog
    ninth.send(b"PING\n");
    let answered_early = ninth.answered_within(Duration::from_millis(500));
    drop(served.pop()); // one leaves: a place frees
    let answered_later = answered_early || ninth.answered_within(Duration::from_secs(5));
    drop(served);
    drop(ninth);
    server.shutdown();
    match (answered_early, answered_later) {
        (true, _) => Err(format!(
            "the ninth client was served while {LIMIT} were connected"
        )),
        (false, false) => Err("the ninth client was not served after a place freed".into()),
        (false, true) => Ok(()),
    }
}
// ANCHOR_END: limit

// ANCHOR: shutdown
/// Shutdown with requests in flight and idle connections open: every
/// request the server took is answered (the replies each client got are
/// exactly the server's count, complete and in order), and shutdown returns
/// within a bound.
fn shutdown_answers_what_it_took<S: Server>() {
    const BUSY: usize = 8;
    const IDLE: usize = 8;
    const REQUESTS: usize = 200;
    let server = S::start(config(64)).expect("start");
    let address = server.local_addr();
    let idle: Vec<Client> = (0..IDLE).map(|_| Client::connect(address)).collect();
    let (ready, all_ready) = mpsc::channel();
    let busy: Vec<_> = (0..BUSY)
        .map(|id| {
            let ready = ready.clone();
            std::thread::spawn(move || {
                let mut c = Client::connect(address);
                c.send(format!("SET {id} 0\n").as_bytes());
                assert_eq!(c.line().as_deref(), Some("OK"));
                ready.send(()).unwrap();
                // Pipeline everything, then read until the server closes.
                // Every tenth request is a fan-out, so that some are in
                // flight when shutdown begins.
                let fan_out = |i: usize| i % 10 == 9;
                let requests: String = (0..REQUESTS)
                    .map(|i| match fan_out(i) {
                        true => "FANOUT 2 50\n".to_string(),
                        false => format!("INCR {id} 1\n"),
                    })
                    .collect();
                let _ = c.writer.write_all(requests.as_bytes());
                let mut got = 0u64;
                let mut rest = String::new();
                let _ = c.reader.read_to_string(&mut rest);
                let mut count = 0;
                for (i, line) in rest.lines().enumerate() {
                    let expected = match fan_out(i) {
                        true => "OK".to_string(),
                        false => {
                            count += 1;
                            count.to_string()
                        }
                    };
                    assert_eq!(line, expected, "replies out of order or torn");
                    got += 1;
                }
                assert!(
                    rest.is_empty() || rest.ends_with('\n'),
                    "a torn last reply: {rest:?}"
                );
                got + 1 // the SET
            })
        })
        .collect();
    for _ in 0..BUSY {
        all_ready.recv().unwrap();
    }
    let started = Instant::now();
    let served = server.shutdown();
    let took = started.elapsed();
    let replies: u64 = busy.into_iter().map(|b| b.join().unwrap()).sum();
    drop(idle);
    assert_eq!(
        served.requests,
        replies,
        "{}: the server counts {} requests answered, its clients received {replies} replies",
        S::STYLE,
        served.requests
    );
    assert!(
        took < Duration::from_secs(5),
        "{}: shutdown took {took:?} with idle connections open",
        S::STYLE
    );
}
// ANCHOR_END: shutdown

/// A connection that says nothing for the idle timeout is closed.
fn idle_connections_are_closed<S: Server>() {
    let server = S::start(Config {
        idle_timeout: Duration::from_millis(200),
        ..config(8)
    })
    .expect("start");
    let mut c = Client::connect(server.local_addr());
    assert_eq!(c.ask("PING"), "PONG");
    std::thread::sleep(Duration::from_millis(1200));
    let mut rest = Vec::new();
    let closed = matches!(c.reader.read_to_end(&mut rest), Ok(0));
    server.shutdown();
    assert!(
        closed,
        "{}: an idle connection was still open after 6 idle timeouts",
        S::STYLE
    );
}

// ANCHOR: resp
/// The same store and commands in RESP, byte for byte as Redis answers
/// (but for `INCR` of a missing key, which does not create it here).
fn speaks_resp<S: Server>() {
    let server = S::start(config(8)).expect("start");
    let mut c = Client::connect(server.local_addr());
    c.send(
        b"*1\r\n$4\r\nPING\r\n\
          *3\r\n$3\r\nSET\r\n$5\r\nkey:1\r\n$3\r\nabc\r\n\
          *2\r\n$3\r\nGET\r\n$5\r\nkey:1\r\n\
          *3\r\n$3\r\nset\r\n$1\r\n7\r\n$2\r\n41\r\n\
          *2\r\n$4\r\nINCR\r\n$1\r\n7\r\n\
          *3\r\n$6\r\nINCRBY\r\n$1\r\n7\r\n$2\r\n10\r\n\
          *3\r\n$6\r\nFANOUT\r\n$1\r\n2\r\n$2\r\n50\r\n\
          *2\r\n$4\r\nINCR\r\n$5\r\nkey:1\r\n\
          *2\r\n$3\r\nGET\r\n$4\r\nnone\r\n\
          *1\r\n$3\r\nFOO\r\n\
          PING\r\n",
    );
    let expected: &[u8] = b"+PONG\r\n+OK\r\n$3\r\nabc\r\n+OK\r\n:42\r\n:52\r\n+OK\r\n\
        -ERR value is not an integer or out of range\r\n$-1\r\n-ERR unknown command 'FOO'\r\n+PONG\r\n";
    let mut got = vec![0u8; expected.len()];
    c.reader.read_exact(&mut got).expect("the replies");
    assert_eq!(
        got.escape_ascii().to_string(),
        expected.escape_ascii().to_string(),
        "{}",
        S::STYLE
    );
    // A line-protocol client sees the same store.
    let mut line = Client::connect(server.local_addr());
    assert_eq!(line.ask("GET 7"), "52", "{}", S::STYLE);
    // A declared bulk length over the limit is refused at its header, and
    // the connection closed.
    c.send(b"*1\r\n$99999999\r\n");
    let mut rest = String::new();
    let _ = c.reader.read_to_string(&mut rest);
    assert_eq!(
        rest,
        "-ERR Protocol error: bulk length 99999999 (at most 4096)\r\n",
        "{}",
        S::STYLE
    );
    drop((c, line));
    server.shutdown();
}
// ANCHOR_END: resp

// ANCHOR: hostile
/// A client that pipelines requests and never reads a reply. The server
/// must stop reading it (backpressure: the client's writes stall once the
/// kernel's buffers and the server's `OUTPUT_LIMIT` are full, instead of
/// the server queueing replies without bound), go on serving everyone
/// else, and still shut down within its grace with that client connected.
/// Empty lines are the worst case: 1 byte in, an 18-byte error out.
fn a_client_that_never_reads_is_held_back<S: Server>() {
    use patterns::server::SHUTDOWN_GRACE;
    // Far above what the kernel's buffers can hold here (a 32 MiB receive
    // buffer at most, 4 MiB to send), far below what an unbounded server
    // takes in the time allowed.
    const TAKEN_AT_MOST: usize = 96 << 20;
    let server = S::start(config(8)).expect("start");
    let hostile = TcpStream::connect(server.local_addr()).expect("connect");
    hostile.set_nonblocking(true).unwrap();
    let chunk = vec![b'\n'; 64 * 1024];
    let (mut taken, mut stalled_since) = (0usize, None::<Instant>);
    let give_up = Instant::now() + Duration::from_secs(30);
    let stalled = loop {
        if taken >= TAKEN_AT_MOST || Instant::now() > give_up {
            break false;
        }
        match (&hostile).write(&chunk) {
            Ok(n) => {
                taken += n;
                stalled_since = None;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                let since = *stalled_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= Duration::from_secs(1) {
                    break true;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => panic!(
                "{}: the connection failed while the client was still within its limits: {e}",
                S::STYLE
            ),
        }
    };
    assert!(
        stalled,
        "{}: the server took {taken} bytes from a client that reads nothing and never stopped reading it: its replies are buffered without bound",
        S::STYLE
    );
    let mut other = Client::connect(server.local_addr());
    assert_eq!(
        other.ask("PING"),
        "PONG",
        "{}: served beside the stalled client",
        S::STYLE
    );
    drop(other);
    let started = Instant::now();
    server.shutdown();
    let took = started.elapsed();
    assert!(
        took < SHUTDOWN_GRACE + Duration::from_secs(3),
        "{}: shutdown took {took:?} with a client that does not read (the bound is the grace, {SHUTDOWN_GRACE:?}, and the time to close)",
        S::STYLE
    );
    drop(hostile);
}
// ANCHOR_END: hostile

/// Slowloris at the connection limit: two clients hold both places and
/// drip a request a byte at a time, never finishing it (each byte resets
/// the idle timer). Past the request deadline their places must free, and
/// a third client, waiting in the backlog, be served.
fn slow_drip_clients_lose_their_places<S: Server>() {
    let server = S::start(Config {
        request_timeout: Duration::from_millis(500),
        ..config(2)
    })
    .expect("start");
    let address = server.local_addr();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let drippers: Vec<_> = (0..2)
        .map(|_| {
            let mut c = Client::connect(address);
            assert_eq!(c.ask("PING"), "PONG", "{}: the dripper is served", S::STYLE);
            let stop = std::sync::Arc::clone(&stop);
            std::thread::spawn(move || {
                // A byte every 50 ms, for at most 20 s; a failed write
                // means the server closed us, which is the point.
                for _ in 0..400 {
                    if stop.load(std::sync::atomic::Ordering::Relaxed)
                        || c.writer.write_all(b"G").is_err()
                    {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let mut third = Client::connect(address); // in the backlog until a place frees
    third.send(b"PING\n");
    let answered = third.answered_within(Duration::from_secs(8));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for d in drippers {
        d.join().unwrap();
    }
    server.shutdown();
    assert!(
        answered,
        "{}: two clients dripping one never-finished request held both places past the request deadline",
        S::STYLE
    );
}

/// Connection churn: three thousand connections opened and dropped at once,
/// every other one reset (RST, so the server may find it dead before or
/// after accepting it), some with half a request sent. The server must
/// shed them all and go on serving, within its limit, and shut down.
fn connection_churn_is_survived<S: Server>() {
    let server = S::start(config(64)).expect("start");
    let address = server.local_addr();
    for i in 0..3000 {
        let Ok(stream) = TcpStream::connect_timeout(&address, Duration::from_secs(5)) else {
            continue; // the backlog was full for a moment: fine, the next one
        };
        if i % 3 == 0 {
            let _ = (&stream).write_all(b"SET 1 ");
        }
        if i % 2 == 0 {
            let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
        }
        drop(stream);
    }
    let mut c = Client::connect(address);
    assert_eq!(
        c.ask("PING"),
        "PONG",
        "{}: served after the churn",
        S::STYLE
    );
    assert_eq!(
        c.ask("GET 1"),
        "NIL",
        "{}: no half request was executed",
        S::STYLE
    );
    drop(c);
    server.shutdown();
}

/// A client that sends its requests and shuts its writing side at once
/// (a half-close), with partial lines across several writes: it gets every
/// reply, then the end of the stream.
fn a_half_closed_client_gets_every_reply<S: Server>() {
    let server = S::start(config(8)).expect("start");
    let mut c = Client::connect(server.local_addr());
    let mut requests = Vec::new();
    for i in 0..300u64 {
        requests.extend_from_slice(format!("SET {i} {i}\nGET {i}\n").as_bytes());
    }
    // More than one read's worth, cut mid-line at odd places.
    for piece in requests.chunks(4093) {
        c.send(piece);
    }
    c.writer.shutdown(std::net::Shutdown::Write).unwrap();
    for i in 0..300u64 {
        assert_eq!(c.line().as_deref(), Some("OK"), "{}: SET {i}", S::STYLE);
        assert_eq!(c.line(), Some(i.to_string()), "{}: GET {i}", S::STYLE);
    }
    assert_eq!(
        c.line(),
        None,
        "{}: the end of the stream after the last reply",
        S::STYLE
    );
    server.shutdown();
}

/// The server side of a connection of this process, found by its ports
/// among our own descriptors, and whether it has Nagle's algorithm off.
/// `None` if no descriptor is that connection.
#[allow(unsafe_code)]
fn server_side_nodelay(server_port: u16, client_port: u16) -> Option<bool> {
    let port_of = |fd: i32, peer: bool| -> Option<u16> {
        // SAFETY: plain data, zeroed is valid; the calls write at most
        // `len` bytes into it. A descriptor closed or reused meanwhile (the
        // tests run in parallel) only makes the call fail or not match.
        unsafe {
            let mut addr: libc::sockaddr_storage = std::mem::zeroed();
            let mut len = std::mem::size_of_val(&addr) as libc::socklen_t;
            let at = (&raw mut addr).cast::<libc::sockaddr>();
            let got = if peer {
                libc::getpeername(fd, at, &mut len)
            } else {
                libc::getsockname(fd, at, &mut len)
            };
            if got != 0 || i32::from(addr.ss_family) != libc::AF_INET {
                return None;
            }
            let v4 = &*(&raw const addr).cast::<libc::sockaddr_in>();
            Some(u16::from_be(v4.sin_port))
        }
    };
    for entry in std::fs::read_dir("/proc/self/fd").ok()?.flatten() {
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if port_of(fd, false) != Some(server_port) || port_of(fd, true) != Some(client_port) {
            continue;
        }
        let mut on: libc::c_int = 0;
        let mut len = std::mem::size_of_val(&on) as libc::socklen_t;
        // SAFETY: `on` and `len` are live and sized for TCP_NODELAY's int.
        let got = unsafe {
            libc::getsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_NODELAY,
                (&raw mut on).cast(),
                &mut len,
            )
        };
        return (got == 0).then_some(on != 0);
    }
    None
}

/// Every accepted connection has Nagle's algorithm off. With it on, a
/// batch of pipelined replies written in more than one `write` holds its
/// last partial segment until the client's delayed ACK (40 ms on Linux):
/// `task_smol` and `task_async_std` answered a pipelined thousand SETs
/// sixty times slower than the others until their accept loops set it.
fn accepted_connections_have_nagle_off<S: Server>() {
    let server = S::start(config(64)).expect("start");
    let mut c = Client::connect(server.local_addr());
    c.send(b"PING\n");
    assert_eq!(c.line().as_deref(), Some("PONG"), "{}", S::STYLE);
    let client_port = c.writer.local_addr().unwrap().port();
    let nodelay = server_side_nodelay(server.local_addr().port(), client_port);
    assert_eq!(
        nodelay,
        Some(true),
        "{}: the server's side of the connection (None: not found among this process's descriptors)",
        S::STYLE
    );
    server.shutdown();
}

fn limit_holds<S: Server>() {
    check_limit::<S>().unwrap();
}

macro_rules! server_tests {
    (library $style:ident: $server:ty) => {
        style_tests! {
            $style: $server {
                // Real sockets and several clients' round trips: more than
                // an in-process check's limit on a loaded CI machine.
                limit: std::time::Duration::from_secs(60),
                contract: [
                    answers_every_command,
                    speaks_resp,
                    bad_input_gets_an_error_or_a_close,
                    limit_holds,
                    shutdown_answers_what_it_took,
                    a_client_that_never_reads_is_held_back,
                    slow_drip_clients_lose_their_places,
                    a_half_closed_client_gets_every_reply,
                    accepted_connections_have_nagle_off,
                    connections_are_spread_across_cores,
                    idle_connections_are_closed,
                ],
                stress: [
                    concurrent_clients_get_their_own_answers,
                    connection_churn_is_survived,
                ],
                per_driver: [],
                linearizability: [shared_keys_are_linearizable],
            }
        }
    };
    // A broken server serves, then breaks the limit: its test asserts that
    // the limit check catches it.
    (broken $style:ident: $server:ty) => {
        style_tests! {
            $style: $server {
                limit: std::time::Duration::from_secs(60),
                contract: [is_caught_by_the_limit_check],
                stress: [],
                per_driver: [],
            }
        }
    };
}

patterns::for_each_server!(server_tests);

/// A broken style (`thread_per_conn_early_release`) frees its place before
/// its connection closes: the
/// limit check must notice that the ninth client was served.
fn is_caught_by_the_limit_check<S: Server>() {
    let report = check_limit::<S>()
        .expect_err("the limit check did not catch the broken style's early release");
    assert!(
        report.contains("served while 8 were connected"),
        "unexpected report: {report}"
    );
}

/// The control: the same check, the same settings, on the correct twin.
#[test]
fn the_limit_check_passes_on_the_correct_twin() {
    use patterns::server::thread_per_conn::ThreadPerConnServer;
    watchdog(
        "limit control",
        Duration::from_secs(60),
        check_limit::<ThreadPerConnServer>,
    )
    .unwrap();
}

/// Waits (at most ten seconds) until `done` holds of the server's step
/// counts, and returns them.
fn steps_once(stats: &patterns::server::Stats, done: impl Fn(&StepCounts) -> bool) -> StepCounts {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let steps = stats.steps();
        if done(&steps) || Instant::now() > deadline {
            return steps;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Sends one long fan-out (16 steps of a millisecond: at least 8 ms of two
/// cores' work) and leaves at once; returns the server's step counts once
/// no step is alive.
fn a_fan_out_whose_client_leaves(
    address: SocketAddr,
    stats: &patterns::server::Stats,
) -> StepCounts {
    let mut c = Client::connect(address);
    c.send(b"FANOUT 16 1000\n");
    c.writer.shutdown(std::net::Shutdown::Both).unwrap();
    drop(c);
    steps_once(stats, |s| s.started == 16 && s.alive() == 0)
}

// ANCHOR: fan_out_leaves
/// Seed 000's argument, shown: the session owns its sub-tasks, so a client
/// that leaves in the middle of a fan-out takes its steps with it (the
/// `JoinSet` is dropped and aborts them); the task style's detached steps
/// cannot be called back and run to their end for nobody. Neither leaves a
/// step behind for long.
#[test]
fn a_session_aborts_the_fan_out_of_a_client_that_left() {
    use patterns::server::session_tokio::TokioSessionServer;
    watchdog("session fan-out abort", Duration::from_secs(30), || {
        let server = TokioSessionServer::start(config(8)).expect("start");
        let steps = a_fan_out_whose_client_leaves(server.local_addr(), server.stats());
        assert_eq!(steps.alive(), 0, "steps left behind: {steps:?}");
        assert!(
            steps.abandoned > 0,
            "every step ran to its end for a client that had left: {steps:?}"
        );
        server.shutdown();
    });
}

#[test]
fn detached_steps_run_on_for_a_client_that_left() {
    use patterns::server::task_tokio::TokioTaskServer;
    watchdog("detached fan-out", Duration::from_secs(30), || {
        let server = TokioTaskServer::start(config(8)).expect("start");
        let steps = a_fan_out_whose_client_leaves(server.local_addr(), server.stats());
        assert_eq!(
            steps,
            StepCounts {
                started: 16,
                finished: 16,
                abandoned: 0
            },
            "detached steps are not cancelled"
        );
        server.shutdown();
    });
}
// ANCHOR_END: fan_out_leaves

/// Shutdown in the middle of a fan-out drains it: the reply is sent (which
/// both styles do only once every step has ended), then the connection is
/// closed.
fn shutdown_finishes_a_fan_out<S: Server>(stats: impl Fn(&S) -> &patterns::server::Stats) {
    let server = S::start(config(8)).expect("start");
    let mut c = Client::connect(server.local_addr());
    c.send(b"FANOUT 16 1000\n");
    let begun = steps_once(stats(&server), |s| s.started == 16);
    assert_eq!(begun.started, 16, "{}: the fan-out never began", S::STYLE);
    server.shutdown();
    assert_eq!(
        c.line().as_deref(),
        Some("OK"),
        "{}: the fan-out's reply",
        S::STYLE
    );
    assert_eq!(c.line(), None, "{}: closed after it", S::STYLE);
}

#[test]
fn shutdown_finishes_a_session_fan_out() {
    use patterns::server::session_tokio::TokioSessionServer;
    watchdog("session fan-out shutdown", Duration::from_secs(30), || {
        shutdown_finishes_a_fan_out::<TokioSessionServer>(TokioSessionServer::stats)
    });
}

#[test]
fn shutdown_finishes_a_detached_fan_out() {
    use patterns::server::task_tokio::TokioTaskServer;
    watchdog("detached fan-out shutdown", Duration::from_secs(30), || {
        shutdown_finishes_a_fan_out::<TokioTaskServer>(TokioTaskServer::stats)
    });
}

/// `session_tokio` tells a user's other session when the user logs in
/// again elsewhere; the push comes between replies, never inside one.
#[test]
fn sessions_push_a_second_login() {
    use patterns::server::session_tokio::TokioSessionServer;
    watchdog("session push", Duration::from_secs(30), || {
        let server = TokioSessionServer::start(config(8)).expect("start");
        let mut first = Client::connect(server.local_addr());
        let mut second = Client::connect(server.local_addr());
        assert_eq!(first.ask("LOGIN alice"), "OK");
        assert_eq!(second.ask("LOGIN bob"), "OK");
        assert!(
            !first.answered_within(Duration::from_millis(200)),
            "a push for someone else"
        );
        assert_eq!(second.ask("LOGIN alice"), "OK");
        assert_eq!(first.line().as_deref(), Some("> alice logged in elsewhere"));
        assert_eq!(first.ask("WHOAMI"), "alice");
        drop((first, second));
        server.shutdown();
    });
}

/// A RESP client is never sent a push: RESP2 has no out-of-band frame, so
/// a pushed line would be read as the reply to its next request (redis-cli
/// would print "> alice logged in elsewhere" for a PING).
#[test]
fn sessions_push_nothing_to_a_resp_client() {
    use patterns::server::session_tokio::TokioSessionServer;
    watchdog("no push to RESP", Duration::from_secs(30), || {
        let server = TokioSessionServer::start(config(8)).expect("start");
        let mut resp = Client::connect(server.local_addr());
        resp.send(b"*2\r\n$5\r\nLOGIN\r\n$5\r\nalice\r\n");
        assert_eq!(resp.line().as_deref(), Some("+OK\r"));
        let mut line = Client::connect(server.local_addr());
        assert_eq!(line.ask("LOGIN alice"), "OK");
        resp.send(b"*1\r\n$4\r\nPING\r\n");
        assert_eq!(
            resp.line().as_deref(),
            Some("+PONG\r"),
            "the RESP client's next reply"
        );
        drop((resp, line));
        server.shutdown();
    });
}

/// One connection repeating `LOGIN alice` while alice's other session
/// never reads: every login is answered (a push to a full queue is
/// dropped, never waited for), and the server shuts down in its grace.
#[test]
fn a_login_flood_against_a_session_that_never_reads() {
    use patterns::server::SHUTDOWN_GRACE;
    use patterns::server::session_tokio::TokioSessionServer;
    watchdog("login flood", Duration::from_secs(60), || {
        let server = TokioSessionServer::start(config(8)).expect("start");
        let mut silent = Client::connect(server.local_addr());
        assert_eq!(silent.ask("LOGIN alice"), "OK");
        let mut flood = Client::connect(server.local_addr());
        let batch = "LOGIN alice\n".repeat(100);
        for _ in 0..200 {
            flood.send(batch.as_bytes());
            for _ in 0..100 {
                assert_eq!(flood.line().as_deref(), Some("OK"));
            }
        }
        let started = Instant::now();
        server.shutdown();
        assert!(started.elapsed() < SHUTDOWN_GRACE + Duration::from_secs(3));
        drop((silent, flood));
    });
}

/// `redis-cli` itself against a style: PING, SET/GET, INCR, an error. When
/// redis-cli is not installed the test says so and passes (CI installs it:
/// `.ci/run`).
#[test]
fn redis_cli_drives_a_server() {
    use patterns::server::task_tokio::TokioTaskServer;
    if std::process::Command::new("redis-cli")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: redis-cli is not installed (apt-get install redis-tools)");
        return;
    }
    watchdog("redis-cli", Duration::from_secs(30), || {
        let server = TokioTaskServer::start(config(8)).expect("start");
        let port = server.local_addr().port().to_string();
        let cli = |args: &[&str]| {
            let out = std::process::Command::new("redis-cli")
                .args(["-h", "127.0.0.1", "-p", &port])
                .args(args)
                .output()
                .expect("running redis-cli");
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        assert_eq!(cli(&["PING"]), "PONG");
        assert_eq!(cli(&["SET", "counter", "41"]), "OK");
        assert_eq!(cli(&["INCR", "counter"]), "42");
        assert_eq!(cli(&["GET", "counter"]), "42");
        assert_eq!(cli(&["SET", "greeting", "hello"]), "OK");
        assert_eq!(cli(&["GET", "greeting"]), "hello");
        assert_eq!(cli(&["HSET", "h", "f", "v"]), "ERR unknown command 'HSET'");
        server.shutdown();
    });
}
