//! Model checks. loom checks every facade-based implementation under every
//! interleaving of small models; shuttle samples schedules (random and PCT)
//! of larger ones, over the facade styles and the library styles it has
//! stand-ins for. The models live in `tests/`; each compiles only under its
//! project switch, in a target directory of its own:
//!
//! ```sh
//! RUSTFLAGS="--cfg workbench_loom" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test -p loom-tests --release --target-dir target-loom
//! RUSTFLAGS="--cfg workbench_shuttle" \
//!     cargo test -p loom-tests --release --target-dir target-shuttle --test shuttle
//! ```
//!
//! Without a switch this crate is empty, so ordinary `cargo test` skips it.

/// Runs `model` under shuttle's random scheduler and then its PCT
/// scheduler (depth 3: up to two priority changes, which finds bugs that
/// need two badly timed preemptions with a known probability per run),
/// `WORKBENCH_SHUTTLE_ITERATIONS` schedules each (10,000 by default; the
/// whole suite then takes about 20 s here). A failing schedule panics with
/// the model's own message, after shuttle has printed the schedule: run
/// that one test again with `WORKBENCH_SHUTTLE_REPLAY=<the schedule>` and
/// only that schedule runs, the same way every time.
#[cfg(workbench_shuttle)]
pub fn explore(model: impl Fn() + Send + Sync + 'static) {
    if let Ok(schedule) = std::env::var("WORKBENCH_SHUTTLE_REPLAY") {
        shuttle::replay(model, schedule.trim());
        return;
    }
    let iterations = match std::env::var("WORKBENCH_SHUTTLE_ITERATIONS") {
        Ok(n) => n.parse().unwrap_or_else(|_| {
            panic!("WORKBENCH_SHUTTLE_ITERATIONS must be a whole number, not {n:?}")
        }),
        Err(_) => 10_000,
    };
    let model = std::sync::Arc::new(model);
    let random = std::sync::Arc::clone(&model);
    shuttle::check_random(move || random(), iterations);
    shuttle::check_pct(move || model(), iterations, 3);
}

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

/// What a model that must fail reported: the message of the panic that
/// ended it (shuttle passes the failing schedule's panic on). Panics if the
/// model passed, that is if shuttle found no failing schedule.
#[cfg(workbench_shuttle)]
pub fn failure_of(model: impl FnOnce()) -> String {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(model)) {
        Ok(()) => panic!("the model passed: shuttle found no failing schedule"),
        Err(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default(),
    }
}

/// A module named after a library-backed style, which loom cannot model,
/// whose one test is ignored with the reason, so that `cargo test --
/// --ignored --list` shows every style of the registry and none passes
/// unchecked.
#[macro_export]
macro_rules! not_modelled {
    ($style:ident: library) => {
        mod $style {
            #[test]
            #[ignore = "built on a library whose threads and atomics loom cannot see; shuttle (tests/shuttle/) and the stress tests check it"]
            fn not_modelled() {}
        }
    };
}
