//! The server binary refuses what it cannot do, with a clear error and a
//! non-zero exit, before it listens.

use std::process::Command;

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
