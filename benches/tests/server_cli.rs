//! The server binary refuses what it cannot do, with a clear error and a
//! non-zero exit, before it listens.

use std::process::Command;

/// Every server style the bench measures, by name, from the registry.
use benches::workloads::server::STYLES;

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
    use std::io::{BufRead, BufReader, Write};
    use std::time::{Duration, Instant};
    for style in STYLES {
        let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
            .args(["--style", style, "--port", "0", "--seconds", "60"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("starting the server binary");
        let mut first = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut first)
            .unwrap();
        let address = first
            .trim()
            .strip_prefix("listening on ")
            .expect("its address")
            .to_string();
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
        drop(child.stdin.take()); // ends the server
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
