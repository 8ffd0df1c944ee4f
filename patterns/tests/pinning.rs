//! The thread driver pins client `i` to the `i`-th core, round robin (see
//! `patterns::drive::pin_this_thread`): with as many clients as cores, each
//! client runs on a core of its own.

#![cfg(all(not(workbench_loom), target_os = "linux"))]

use std::sync::{Arc, Mutex};

use patterns::drive::{Driver, Threads, pin_this_thread};

/// The calling thread's allowed CPUs, as the kernel lists them ("0-1", "3").
fn allowed_cpus() -> String {
    let status = std::fs::read_to_string("/proc/thread-self/status").expect("Linux's /proc");
    status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .expect("a Cpus_allowed_list line")
        .trim()
        .to_string()
}

#[test]
fn each_client_thread_runs_on_a_core_of_its_own() {
    // Whether this process may pin at all (a container may forbid it): ask
    // on a scratch thread, so the test thread keeps its mask.
    let can_pin = std::thread::spawn(|| pin_this_thread(0)).join().unwrap();
    let cores = patterns::sync::cores();
    let seen = Arc::new(Mutex::new(Vec::new()));
    Threads.run(cores, {
        let seen = Arc::clone(&seen);
        move |_| {
            let seen = Arc::clone(&seen);
            async move { seen.lock().unwrap().push(allowed_cpus()) }
        }
    });
    let mut seen = seen.lock().unwrap().clone();
    if !can_pin {
        eprintln!("this process may not set its affinity: clients run unpinned");
        return;
    }
    assert!(
        seen.iter().all(|cpus| !cpus.contains([',', '-'])),
        "a client may run on more than one core: {seen:?}"
    );
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), cores, "two clients share a core: {seen:?}");
}
