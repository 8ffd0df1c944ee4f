//! The server binary refuses what it cannot do, with a clear error and a
//! non-zero exit, before it listens; and it stops the ways it says it does
//! (a signal, `--seconds`), gracefully.

use std::process::Command;

/// Every server style the bench measures, by name, from the registry.
use benches::workloads::server::styles;

fn server(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(args)
        .output()
        .expect("running the server binary");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_limit_over_the_descriptor_limit_is_refused() {
    let Some((soft, _)) = patterns::server::descriptor_limits() else {
        eprintln!("skipped: no /proc/self/limits");
        return;
    };
    // One connection more than fits (the binary's limit is the same as
    // this process's: a child inherits it).
    let limit = (soft - patterns::server::DESCRIPTOR_RESERVE + 1).min(1_000_000);
    if limit == 1_000_000 {
        eprintln!("skipped: this process may open more descriptors than --limit accepts");
        return;
    }
    let (code, stderr) = server(&[
        "--style",
        "event_loop",
        "--port",
        "0",
        "--limit",
        &limit.to_string(),
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("file descriptors") && stderr.contains(&format!("at most {}", limit - 1)),
        "{stderr}"
    );
}

#[test]
fn bad_flags_are_named() {
    for (args, expected) in [
        (&["--style", "nope"][..], "unknown style \"nope\""),
        (
            &["--style", "event_loop", "--limit", "0"],
            "--limit \"0\": expected a number from 1",
        ),
        (
            &["--style", "event_loop", "--address", "10.0.0.1"],
            "only loopback",
        ),
        (
            &["--style", "event_loop", "--request-timeout", "x"],
            "--request-timeout \"x\"",
        ),
        (&["--frobnicate"], "unknown argument"),
    ] {
        let (code, stderr) = server(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

fn rss_kib(pid: u32) -> u64 {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the server's /proc");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmRSS")
}

/// Memory, measured where it is spent: a server process (the binary, one
/// style each) and a client that pipelines empty lines (1 byte in, an
/// 18-byte error out) and never reads. The server's resident memory may
/// grow by its buffers for that one connection (its `OUTPUT_LIMIT` and one
/// read's replies), not by what the client sends: at most 64 MiB over 96
/// MiB sent or 20 s, where an unbounded server grows by gigabytes.
#[test]
fn a_client_that_never_reads_costs_the_server_process_bounded_memory() {
    use std::io::Write;
    use std::time::{Duration, Instant};
    for style in styles() {
        let (mut child, address) = start(
            &["--style", style, "--port", "0", "--seconds", "60"],
            std::process::Stdio::null(),
        );
        let before = rss_kib(child.id());
        let hostile = std::net::TcpStream::connect(&address).unwrap();
        hostile.set_nonblocking(true).unwrap();
        let chunk = vec![b'\n'; 64 * 1024];
        let (mut sent, mut stalled_since) = (0usize, None::<Instant>);
        let give_up = Instant::now() + Duration::from_secs(20);
        while sent < 96 << 20 && Instant::now() < give_up {
            match (&hostile).write(&chunk) {
                Ok(n) => {
                    sent += n;
                    stalled_since = None;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if stalled_since.get_or_insert_with(Instant::now).elapsed()
                        > Duration::from_millis(500)
                    {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(_) => break,
            }
        }
        let grown = rss_kib(child.id()).saturating_sub(before);
        signal(&child, libc::SIGTERM); // ends the server (`--seconds` is only a bound)
        let _ = child.wait();
        drop(hostile);
        eprintln!(
            "{style}: took {} KiB from a client that reads nothing, grew by {grown} KiB",
            sent / 1024
        );
        assert!(
            grown < 64 * 1024,
            "{style}: the server process grew by {grown} KiB for one client that never reads ({} KiB sent)",
            sent / 1024
        );
    }
}

/// Sends `signal` to `child`.
fn signal(child: &std::process::Child, signal: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).expect("a pid fits pid_t");
    // SAFETY: `kill` has no memory-safety preconditions; `pid` is our own
    // child, not yet waited for, so it names no other process.
    let sent = unsafe { libc::kill(pid, signal) };
    assert_eq!(sent, 0, "kill({pid}, {signal}) failed");
}

/// Starts the binary with `args`, standard input as given, and reads its
/// address.
fn start(args: &[&str], stdin: std::process::Stdio) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(args)
        .stdin(stdin)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starting the server binary");
    let mut first = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut first)
        .unwrap();
    let address = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("the server said {first:?}, not its address"))
        .to_string();
    (child, address)
}

/// A connection that has sent `n` PINGs and read every reply.
fn pinged(address: &str, n: usize) -> std::net::TcpStream {
    use std::io::{BufRead, BufReader, Write};
    let mut client = std::net::TcpStream::connect(address).unwrap();
    client
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(client.try_clone().unwrap());
    for _ in 0..n {
        client.write_all(b"PING\n").unwrap();
        let mut reply = String::new();
        reader.read_line(&mut reply).unwrap();
        assert_eq!(reply, "PONG\n");
    }
    client
}

/// SIGTERM and SIGINT each shut the server down gracefully while clients
/// are connected (some mid-conversation, one idle): exit status 0, and the
/// count it prints is exactly the replies its clients received. Standard
/// input is kept open throughout, so only the signal can have stopped it.
#[test]
fn a_signal_shuts_the_server_down_gracefully() {
    for (signal_number, name) in [(libc::SIGTERM, "SIGTERM"), (libc::SIGINT, "SIGINT")] {
        for style in ["task_tokio", "thread_per_conn", "monoio_per_core"] {
            let (child, address) = start(
                &["--style", style, "--port", "0"],
                std::process::Stdio::piped(),
            );
            let clients: Vec<_> = (1..=3).map(|n| pinged(&address, 5 * n)).collect();
            let idle = std::net::TcpStream::connect(&address).unwrap();
            signal(&child, signal_number);
            let out = child.wait_with_output().unwrap();
            let (stdout, stderr) = (
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            );
            assert!(
                out.status.success(),
                "{style} after {name}: {:?}, {stderr}",
                out.status
            );
            // The idle connection may still sit in the backlog, never
            // accepted, when the signal lands: 3 or 4 connections.
            assert!(
                stdout.contains("served 4 connections, 30 requests")
                    || stdout.contains("served 3 connections, 30 requests"),
                "{style} after {name}: the clients got 30 replies; it said {stdout:?}"
            );
            drop((clients, idle));
        }
    }
}

/// `--seconds` serves for its time even when standard input is closed
/// (it once read the immediate end of `/dev/null` as the order to stop),
/// then stops by itself, gracefully.
#[test]
fn seconds_serve_with_standard_input_closed() {
    let (child, address) = start(
        &["--style", "event_loop", "--port", "0", "--seconds", "2"],
        std::process::Stdio::null(),
    );
    // Still serving after standard input ended (at once, /dev/null).
    std::thread::sleep(std::time::Duration::from_millis(300));
    drop(pinged(&address, 2));
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("served 1 connections, 2 requests"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// A per-core style on two cores reports what each core served when it
/// stops, and the bench's `ServerProcess::stop` reads those lines back:
/// two cores, summing to the connections and requests the clients made.
/// A style that is not per-core reports no core.
#[test]
fn a_per_core_server_reports_each_core_at_exit() {
    use benches::workloads::server::process::ServerProcess;
    let binary = env!("CARGO_BIN_EXE_server");
    for (style, cores) in [
        ("per_core_tokio", 2),
        ("event_loop_per_core", 2),
        ("task_tokio", 0),
    ] {
        let server = ServerProcess::start_on(binary, style, 100, Some(2), &[]);
        let address = server.address.to_string();
        for _ in 0..20 {
            drop(pinged(&address, 3));
        }
        let per_core = server.stop();
        assert_eq!(per_core.len(), cores, "{style}: {per_core:?}");
        if cores > 0 {
            let connections: u64 = per_core.iter().map(|c| c.connections).sum();
            let requests: u64 = per_core.iter().map(|c| c.requests).sum();
            assert_eq!((connections, requests), (20, 60), "{style}: {per_core:?}");
        }
    }
}
