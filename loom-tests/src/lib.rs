//! loom model checks of every facade-based implementation. The models live
//! in `tests/`; they compile only under the project's loom switch:
//!
//! ```sh
//! RUSTFLAGS="--cfg workbench_loom" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test -p loom-tests --release --target-dir target-loom
//! ```
//!
//! Without the switch this crate is empty, so ordinary `cargo test` skips it.

/// loom reports a deadlock (or a future that is never woken, which
/// `loom::future::block_on` sees as one) by panicking with "deadlock;
/// threads = ...", but loom 0.7.2 then panics again while unwinding the
/// blocked threads and aborts the process (tokio-rs/loom#291), which
/// `#[should_panic]` cannot catch. So such a model runs in a child process
/// (this test binary, asked for that one ignored test), and this asserts on
/// how the child ended: failed, with loom's deadlock report on its stderr.
pub fn expect_deadlock_in_child(test: &str) {
    let exe = std::env::current_exe().expect("the test binary's path");
    let child = std::process::Command::new(exe)
        .args([
            test,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("running the model in a child process");
    let stderr = String::from_utf8_lossy(&child.stderr);
    assert!(
        !child.status.success(),
        "{test} passed: loom found no deadlock"
    );
    assert!(
        stderr.contains("deadlock; threads = "),
        "{test} failed without loom's deadlock report; its stderr:\n{stderr}"
    );
}

/// Keeps the panic hook quiet about panics a model plans (their message
/// contains `marker`): loom runs a model thousands of times, and a job
/// that panics on purpose would print its message on every run. Every
/// other panic (a failed assertion) is printed as usual.
pub fn quiet_planned_panics(marker: &'static str) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied())
                .unwrap_or("");
            if !message.contains(marker) {
                default(info);
            }
        }));
    });
}
