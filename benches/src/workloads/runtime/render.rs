//! The runtime report's rows (from the measurements), and its tables and
//! seed 001's claims against them (from the rows alone, so a rebuild
//! makes the same report).

use super::measure::{AMORTISED, MemoryCell, PerOp, Timing, ns, verdict};
use crate::report::environment::Environment;
use crate::report::table::{MdTable, bytes};
use crate::report::workload::{Rendered, Workload};
use crate::results::RuntimeRow;

/// The measurements as rows: a time under `kind`, its CPU and
/// allocations under `kind_cpu` and `kind_allocations` (where the run was
/// long enough to cost them); memory as `rss_per_task`, `vsz_per_task`
/// and, for tasks, `future_size`.
pub fn rows(timing: &[Timing], memory: &[MemoryCell]) -> Vec<RuntimeRow> {
    let mut rows: Vec<RuntimeRow> = Vec::new();
    // Times to a tenth of a nanosecond, bytes whole: what the figures mean.
    let mut figure = |kind: &str, runtime: &str, n: usize, value: f64, unit: Unit| {
        let (value, unit) = match unit {
            Unit::Ns => ((value * 10.0).round() / 10.0, "ns"),
            Unit::Bytes => (value.round(), "bytes"),
            Unit::Allocations => ((value * 1000.0).round() / 1000.0, "allocations"),
        };
        rows.push(RuntimeRow {
            kind: kind.to_string(),
            runtime: runtime.to_string(),
            n,
            value,
            unit: unit.to_string(),
        });
    };
    let mut per_op = |kind: &str, runtime: &str, n: usize, cost: PerOp| {
        figure(kind, runtime, n, cost.wall_ns, Unit::Ns);
        if cost.costed() {
            figure(&format!("{kind}_cpu"), runtime, n, cost.cpu_ns, Unit::Ns);
            figure(
                &format!("{kind}_allocations"),
                runtime,
                n,
                cost.allocations,
                Unit::Allocations,
            );
        }
    };
    for t in timing {
        per_op("spawn_join", t.runtime, 1, t.spawn);
        for (n, a) in AMORTISED.iter().zip(&t.amortised) {
            if let Some(a) = a {
                per_op("spawn_then_join_all", t.runtime, *n, *a);
            }
        }
    }
    for t in timing {
        per_op("ping_pong", t.runtime, 2, t.switch);
        per_op("yield", t.runtime, 1, t.yielded);
    }
    for m in memory {
        figure("rss_per_task", m.runtime, m.n, m.rss_per, Unit::Bytes);
        figure("vsz_per_task", m.runtime, m.n, m.vsz_per, Unit::Bytes);
        if m.runtime != "threads" {
            figure(
                "future_size",
                m.runtime,
                m.n,
                m.future_size as f64,
                Unit::Bytes,
            );
        }
    }
    rows
}

/// The runtime report, from its rows (it needs nothing else).
pub fn report(
    workload: &Workload,
    rows: &str,
    environment: &Environment,
) -> Result<Rendered, String> {
    crate::report::from_rows(workload, rows, environment, |md, rows| {
        render(md, rows);
        Ok(Vec::new())
    })
}

/// A time as the rows hold it: the time, and its CPU time and allocations
/// where they were costed.
#[derive(Clone, Copy)]
struct Cost {
    wall_ns: f64,
    costed: Option<(f64, f64)>,
}

fn render(md: &mut String, rows: &[RuntimeRow]) {
    let value = |kind: &str, runtime: &str, n: usize| {
        rows.iter()
            .find(|r| r.kind == kind && r.runtime == runtime && r.n == n)
            .map(|r| r.value)
    };
    let cost = |kind: &str, runtime: &str, n: usize| {
        Some(Cost {
            wall_ns: value(kind, runtime, n)?,
            costed: value(&format!("{kind}_cpu"), runtime, n).zip(value(
                &format!("{kind}_allocations"),
                runtime,
                n,
            )),
        })
    };
    // The runtimes timed, in the order measured.
    let mut timed: Vec<&str> = Vec::new();
    for r in rows.iter().filter(|r| r.kind == "spawn_join") {
        if !timed.contains(&r.runtime.as_str()) {
            timed.push(&r.runtime);
        }
    }
    let memory: Vec<&RuntimeRow> = rows.iter().filter(|r| r.kind == "rss_per_task").collect();
    let vsz = |m: &RuntimeRow| value("vsz_per_task", &m.runtime, m.n).unwrap_or(f64::NAN);
    let future = |m: &RuntimeRow| value("future_size", &m.runtime, m.n);
    let shown = |c: Option<Cost>| c.map_or("–".to_string(), |c| ns(c.wall_ns));
    md.push_str(
        "Times are medians of five rounds; memory is measured in a fresh process per cell.\n",
    );

    md.push_str("\n## Seed 001's table, measured\n\n");
    let mut claims = MdTable::new(&["claim (seed 001)", "runtime", "measured", "verdict"], 2);
    let judged =
        |c: Option<Cost>, claimed| c.map_or("–".to_string(), |c| verdict(c.wall_ns, claimed));
    for &runtime in &timed {
        let (spawn, switch) = (
            cost("spawn_join", runtime, 1),
            cost("ping_pong", runtime, 2),
        );
        claims.row(&[
            "task spawn ~300 ns (spawn + await)".to_string(),
            runtime.to_string(),
            shown(spawn),
            judged(spawn, 300.0),
        ]);
        claims.row(&[
            "context switch ~50 ns (ping-pong)".to_string(),
            runtime.to_string(),
            shown(switch),
            judged(switch, 50.0),
        ]);
    }
    for m in memory
        .iter()
        .filter(|m| m.n == 100_000 || (m.runtime == "threads" && m.n == 10_000))
    {
        if m.runtime == "threads" {
            claims.row(&[
                "threads ~8 MB".to_string(),
                "threads".to_string(),
                format!("{} RSS, {} address space", bytes(m.value), bytes(vsz(m))),
                format!(
                    "RSS {}; address space {}",
                    verdict(m.value, 8.0 * 1048576.0),
                    verdict(vsz(m), 8.0 * 1048576.0)
                ),
            ]);
        } else {
            claims.row(&[
                "memory per task ~1-2 KB".to_string(),
                m.runtime.clone(),
                format!(
                    "{} (future {} B)",
                    bytes(m.value),
                    future(m).map_or("?".to_string(), |f| f.to_string())
                ),
                verdict(m.value, 1536.0),
            ]);
        }
    }
    md.push_str(&claims.finish());
    md.push_str(
        "\nThe seed's last claim, 100K+ connections, is the server workload's: its idle-connection table \
         (memory per connection, connections held) is that row.\n",
    );

    md.push_str(&format!("\n## Spawn\n\nPer task: spawn an empty task and await it, one after another; and spawn N, then await all. Each time is followed by the CPU time the whole process spent per task (above the time where more than one thread worked: a worker woken to run or steal the task, a joiner spinning) and the allocations per task, where the run had at least {} tasks (below that, the readings' own cost would show).\n\n", PerOp::COSTED));
    let mut header = vec!["runtime".to_string(), "spawn + await".to_string()];
    header.extend(AMORTISED.iter().map(|n| format!("spawn {n}, await all")));
    let mut table = MdTable::new(&header, 1);
    for &runtime in &timed {
        let mut row = vec![
            runtime.to_string(),
            with_cost(cost("spawn_join", runtime, 1)),
        ];
        row.extend(
            AMORTISED
                .iter()
                .map(|&n| match cost("spawn_then_join_all", runtime, n) {
                    None => "– (not attempted)".to_string(),
                    some => with_cost(some),
                }),
        );
        table.row(&row);
    }
    md.push_str(&table.finish());

    md.push_str("\n## Switch\n\nPer switch: two tasks (threads) taking turns through the cheapest wake-up (tokio, monoio, glommio: tokio's `Notify`, which needs no tokio runtime; async-std, smol: a bounded(1) `async-channel`; threads: park/unpark); and one task alone calling `yield_now`. Each time is followed by the process's CPU time and allocations per switch (or yield).\n\n");
    let mut table = MdTable::new(&["runtime", "ping-pong, per switch", "yield_now"], 1);
    for &runtime in &timed {
        table.row(&[
            runtime.to_string(),
            with_cost(cost("ping_pong", runtime, 2)),
            with_cost(cost("yield", runtime, 1)),
        ]);
    }
    md.push_str(&table.finish());

    md.push_str("\n## Memory\n\nRSS added per parked task (waiting on a channel), per count, and the size of one such task's future; for threads, RSS and address space per parked thread (std's default 2 MiB stacks).\n\n");
    let mut table = MdTable::new(
        &[
            "runtime",
            "parked",
            "RSS per task",
            "address space per task",
            "future size",
        ],
        1,
    );
    for m in memory {
        let threads = m.runtime == "threads";
        table.row(&[
            m.runtime.clone(),
            m.n.to_string(),
            bytes(m.value),
            // A task's address space is the allocator's arenas growing in
            // steps, not the task's: shown for threads only.
            if threads {
                bytes(vsz(m))
            } else {
                "–".to_string()
            },
            match future(m) {
                Some(size) if !threads => format!("{size} B"),
                _ => "–".to_string(),
            },
        ]);
    }
    md.push_str(&table.finish());
}

/// The unit a figure of the runtime table is written in.
#[derive(Clone, Copy)]
enum Unit {
    Ns,
    Bytes,
    Allocations,
}

/// A time, then its CPU time and allocations: `1.2 µs · 2.3 µs CPU · 1.00
/// alloc` (the time alone for a run too short to cost; – if not measured).
fn with_cost(cost: Option<Cost>) -> String {
    match cost {
        None => "–".to_string(),
        Some(Cost {
            wall_ns,
            costed: None,
        }) => ns(wall_ns),
        Some(Cost {
            wall_ns,
            costed: Some((cpu_ns, allocations)),
        }) => format!(
            "{} · {} CPU · {allocations:.2} alloc",
            ns(wall_ns),
            ns(cpu_ns)
        ),
    }
}
