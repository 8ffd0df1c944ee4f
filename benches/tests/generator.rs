//! The load generator against servers whose behaviour is known: a style
//! of the registry (everything answered), a server that never reads
//! (everything unanswered, and charged), and one that stalls once (the
//! open loop charges the stall to every request it delayed; the closed
//! loop, which stops sending while it waits, does not: coordinated
//! omission, shown).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use benches::workloads::server::generator::{Arrivals, Dialect, Load, Mix, Outcome, run};
use benches::workloads::server::process::ServerProcess;

fn load(connections: usize, arrivals: Arrivals, window_ms: u64, grace_ms: u64) -> Load {
    Load {
        connections,
        arrivals,
        mix: Mix::UNIFORM,
        dialect: Dialect::Workbench,
        warm_up: Duration::from_millis(50),
        window: Duration::from_millis(window_ms),
        grace: Duration::from_millis(grace_ms),
        cpus: Vec::new(),
        pin: false,
    }
}

fn drive(address: SocketAddr, load: &Load) -> Outcome {
    run(address, load, || {}, || {})
}

/// A fake server on a thread of its own, stopped when dropped: each
/// connection is handled by `serve` on its own thread.
struct Fake {
    address: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl Fake {
    fn start(serve: fn(std::net::TcpStream, Instant, &AtomicBool)) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let address = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let flag = Arc::clone(&stop);
        std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let flag = Arc::clone(&flag);
                        std::thread::spawn(move || serve(stream, started, &flag));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(1)),
                }
            }
        });
        Fake { address, stop }
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Answers `+OK` to every RESP array it reads (the generator's requests
/// hold no `*` but at their start), after one stall of 200 ms that begins
/// 150 ms after the server started (inside the generator's window).
fn stalls_once(mut stream: std::net::TcpStream, started: Instant, stop: &AtomicBool) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(20)));
    let mut buf = [0u8; 16 * 1024];
    let mut stalled = false;
    while !stop.load(Ordering::Relaxed) {
        if !stalled && started.elapsed() >= Duration::from_millis(150) {
            stalled = true;
            std::thread::sleep(Duration::from_millis(200));
        }
        match stream.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                let requests = buf[..n].iter().filter(|b| **b == b'*').count();
                if stream.write_all(&b"+OK\r\n".repeat(requests)).is_err() {
                    return;
                }
            }
            Err(_) => {}
        }
    }
}

/// Accepts and never reads or writes.
fn never_reads(_stream: std::net::TcpStream, _started: Instant, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_style_answers_every_request_it_was_offered() {
    let server = ServerProcess::start(env!("CARGO_BIN_EXE_server"), "task_tokio", 100);
    let offered = load(20, Arrivals::Constant { rate: 4_000.0 }, 500, 500);
    let o = drive(server.address, &offered);
    server.stop();
    // 4,000 a second for half a second: 2,000 due, by the schedule.
    assert!((1_980..=2_020).contains(&o.due), "due {}", o.due);
    assert_eq!((o.unanswered, o.errors, o.silent, o.opened), (0, 0, 0, 20));
    assert_eq!(o.answered, o.due);
    assert_eq!(
        o.fast.len(),
        o.due,
        "every due request is in the percentiles"
    );
    assert_eq!(o.slow.len(), 0, "no slow request in the uniform mix");
}

#[test]
fn the_mixed_scenario_sends_slow_requests_and_times_them_apart() {
    let server = ServerProcess::start(env!("CARGO_BIN_EXE_server"), "event_loop", 100);
    let mut offered = load(10, Arrivals::Poisson { rate: 2_000.0 }, 500, 500);
    offered.mix = Mix {
        slow_one_in: 10,
        slow_micros: 100,
        slow_steps: 1,
    };
    let o = drive(server.address, &offered);
    server.stop();
    assert_eq!((o.unanswered, o.errors), (0, 0), "SPIN is answered OK");
    assert!(
        !o.slow.is_empty() && o.fast.len() > 5 * o.slow.len(),
        "{} slow of {}",
        o.slow.len(),
        o.due
    );
    assert!(
        o.slow.min() >= 100_000,
        "a slow request takes at least its SPIN: {} ns",
        o.slow.min()
    );
}

/// The fan-out scenario's requests reach both kinds of fan-out style and
/// are answered `OK`, each no sooner than one of its steps' work.
#[test]
fn the_fan_out_scenario_is_answered_by_the_styles_that_split_it() {
    for style in ["session_tokio", "task_tokio"] {
        let server = ServerProcess::start(env!("CARGO_BIN_EXE_server"), style, 100);
        let mut offered = load(10, Arrivals::Poisson { rate: 2_000.0 }, 500, 500);
        offered.mix = Mix {
            slow_one_in: 10,
            slow_micros: 400,
            slow_steps: 4,
        };
        let o = drive(server.address, &offered);
        server.stop();
        assert_eq!(
            (o.unanswered, o.errors),
            (0, 0),
            "{style}: FANOUT is answered OK"
        );
        assert!(!o.slow.is_empty(), "{style}: no fan-out was sent");
        assert!(
            o.slow.min() >= 100_000,
            "{style}: a fan-out takes at least one step's work: {} ns",
            o.slow.min()
        );
    }
}

#[test]
fn a_server_that_never_reads_is_charged_for_everything_it_was_offered() {
    let fake = Fake::start(never_reads);
    let o = drive(
        fake.address,
        &load(10, Arrivals::Constant { rate: 1_000.0 }, 300, 100),
    );
    assert_eq!(o.opened, 10);
    assert_eq!(o.answered, 0);
    assert!(o.due >= 290, "due {}", o.due);
    assert_eq!(o.unanswered, o.due);
    assert_eq!(o.silent, 10, "no connection heard anything");
    assert_eq!(o.fast.len(), o.due, "the unanswered are in the percentiles");
    assert!(
        o.fast.min() >= 100_000_000,
        "each waited at least the grace: {} ns",
        o.fast.min()
    );
    assert_eq!(o.throughput(), 0.0);
}

#[test]
fn the_open_loop_charges_a_stall_to_every_request_it_delayed() {
    // Window from 50 ms to 550 ms after the start; the stall from 150 to
    // 350 ms: two fifths of the window's requests were due during it.
    let fake = Fake::start(stalls_once);
    let open = drive(
        fake.address,
        &load(10, Arrivals::Constant { rate: 2_000.0 }, 500, 300),
    );
    assert_eq!((open.unanswered, open.errors), (0, 0));
    let delayed = open.fast.count_between(50_000_000, u64::MAX);
    assert!(
        delayed as f64 >= 0.2 * open.due as f64,
        "{delayed} of {} over 50 ms",
        open.due
    );
    assert!(open.fast.value_at_quantile(0.9) >= 50_000_000);
    // The same stall under a closed loop: each connection waits for its one
    // outstanding reply, sends nothing meanwhile, and so records one slow
    // request each: a p90 untouched by a stall of 40% of the window.
    let fake = Fake::start(stalls_once);
    let closed = drive(
        fake.address,
        &load(10, Arrivals::Closed { depth: 1 }, 500, 300),
    );
    assert_eq!(closed.errors, 0);
    let slow = closed.fast.count_between(50_000_000, u64::MAX);
    assert!(slow <= 10, "{slow} slow of {}", closed.fast.len());
    assert!(closed.fast.value_at_quantile(0.9) < 50_000_000);
}

#[test]
fn connections_the_server_never_accepts_are_counted_not_waited_for() {
    // A listener nobody accepts from: the kernel completes connections into
    // its backlog, and they are never answered.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let started = Instant::now();
    let o = drive(
        listener.local_addr().unwrap(),
        &load(5, Arrivals::Closed { depth: 1 }, 200, 100),
    );
    assert!(started.elapsed() < Duration::from_secs(10), "bounded");
    assert_eq!(o.silent, 5);
    assert_eq!(o.replies_in_window, 0);
    drop(listener);
}
