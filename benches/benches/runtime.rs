//! What a task costs, on every executor the workbench uses, beside OS
//! threads: seed 001's performance table (task spawn ~300 ns, context
//! switch ~50 ns, ~1-2 KB per task, threads ~8 MB), measured.
//!
//! - **Spawn**: spawn an empty task and await it, one at a time; and spawn
//!   N, then await all (N = 1, 1,000, 100,000), per task.
//! - **Switch**: two tasks handing control back and forth through the
//!   cheapest wake-up the runtime offers (tokio's `Notify`; a bounded(1)
//!   `async-channel` on async-std and smol; park/unpark between two OS
//!   threads), and one task calling `yield_now` in a loop; per switch.
//! - **Memory**: the RSS a parked task adds (1,000 to 1,000,000 tasks
//!   waiting on a channel), and the size of its future; for OS threads,
//!   RSS and address space per parked thread (1,000 and 10,000, std's
//!   default 2 MiB stacks). Each count in a fresh process of its own (this
//!   binary, run again with `--memory RUNTIME N`), so one measurement's
//!   memory cannot hide in another's.
//!
//! Times are the median of five rounds, each beside the CPU time the
//! whole process spent per operation (a runtime's other workers, woken to
//! look for work, are charged to it) and its allocations. On the latency harness: `--test`
//! runs each cell briefly, `--quick` shortens the rounds.

use std::time::Duration;

use benches::harness::Harness;
use benches::report::table::bytes;
use benches::workloads::runtime::measure::*;
use benches::workloads::runtime::render::rows;
use benches::workloads::runtime::workload;

// Allocations per task are part of what a spawn costs.
benches::count_allocations!();

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--memory") {
        let name = args.get(at + 1).map(String::as_str).unwrap_or("");
        let n = args.get(at + 2).and_then(|n| n.parse().ok()).unwrap_or(0);
        memory_child(name, n);
        return;
    }
    let Some(mut harness) = Harness::from_args() else {
        return;
    };
    let workload = workload();
    let scale = if harness.smoke {
        100
    } else if benches::settings::quick() {
        4
    } else {
        1
    };
    let rounds = if harness.smoke { 1 } else { ROUNDS };
    let (task_ops, thread_ops) = (100_000 / scale, 2_000 / scale);

    let task_counts: &[usize] = if harness.smoke {
        &[1_000]
    } else {
        &[1_000, 10_000, 100_000, 1_000_000]
    };
    let thread_counts: &[usize] = if harness.smoke {
        &[100]
    } else {
        &[1_000, 10_000]
    };
    let counts = |runtime: &str| {
        if runtime == "threads" {
            thread_counts
        } else {
            task_counts
        }
    };
    // A timing cell per runtime, and a memory cell per runtime and count.
    let cells = RUNTIMES.len() + RUNTIMES.iter().map(|r| counts(r).len()).sum::<usize>();
    harness.plan(&workload, cells, Duration::from_millis(600));
    let mut timing: Vec<Timing> = Vec::new();
    let repeat = |run: &dyn Fn() -> PerOp| PerOp::median((0..rounds).map(|_| run()).collect());
    for runtime in RUNTIMES {
        if !harness.wants(&format!("runtime/time/{runtime}")) {
            continue;
        }
        let row = if runtime == "threads" {
            Timing {
                runtime,
                spawn: repeat(&|| threads_spawn_and_join(thread_ops)),
                // 100,000 threads at once would pass this machine's limits
                // (see the server chapter): not attempted.
                amortised: AMORTISED
                    .iter()
                    .map(|&n| {
                        (n <= 1_000)
                            .then(|| repeat(&|| threads_spawn_then_join_all((n / scale).max(1))))
                    })
                    .collect(),
                switch: repeat(&|| threads_ping_pong(task_ops / 4)),
                yielded: repeat(&|| threads_yields(task_ops)),
            }
        } else {
            let executor = Executor::new(runtime).expect("a known runtime");
            Timing {
                runtime,
                spawn: repeat(&|| spawn_and_join(&executor, task_ops)),
                amortised: AMORTISED
                    .iter()
                    .map(|&n| {
                        Some(repeat(&|| {
                            spawn_then_join_all(&executor, (n / scale).max(1))
                        }))
                    })
                    .collect(),
                switch: repeat(&|| ping_pong(&executor, runtime, task_ops)),
                yielded: repeat(&|| yields(&executor, runtime, task_ops)),
            }
        };
        eprintln!(
            "runtime/time/{runtime}: spawn+join {} ({} CPU), ping-pong {} per switch ({} CPU), yield {}",
            ns(row.spawn.wall_ns),
            ns(row.spawn.cpu_ns),
            ns(row.switch.wall_ns),
            ns(row.switch.cpu_ns),
            ns(row.yielded.wall_ns)
        );
        timing.push(row);
    }

    let mut memory = Vec::new();
    for runtime in RUNTIMES {
        for &n in counts(runtime) {
            if !harness.wants(&format!("runtime/memory/{runtime}/{n}")) {
                continue;
            }
            if let Some(cell) = measure_memory(runtime, n) {
                eprintln!(
                    "runtime/memory/{runtime}/{n}: {} RSS per task",
                    bytes(cell.rss_per)
                );
                memory.push(cell);
            }
        }
    }

    let rows = if timing.len() + memory.len() == 0 {
        String::new()
    } else {
        benches::results::write(&rows(&timing, &memory))
    };
    harness.finish(&workload, rows, Default::default());
}
