//! The runtime report's tables, seed 001's claims against them, and its
//! CSV rows.

use super::measure::{AMORTISED, MemoryCell, PerOp, Timing, ns, verdict};
use crate::report::table::{MdTable, bytes};
use crate::results::RuntimeRow;

/// The report's Markdown after `head`, and its CSV.
pub fn render(head: String, timing: &[Timing], memory: &[MemoryCell]) -> (String, String) {
    let mut md = head;
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
    // A time with its CPU and allocations, as the rows write them: the
    // time under `kind`, the others under `kind_cpu` and `kind_allocations`.
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
    md.push_str(
        "Times are medians of five rounds; memory is measured in a fresh process per cell.\n",
    );

    md.push_str("\n## Seed 001's table, measured\n\n");
    let mut claims = MdTable::new(&["claim (seed 001)", "runtime", "measured", "verdict"], 2);
    for t in timing {
        claims.row(&[
            "task spawn ~300 ns (spawn + await)".to_string(),
            t.runtime.to_string(),
            ns(t.spawn.wall_ns),
            verdict(t.spawn.wall_ns, 300.0),
        ]);
        claims.row(&[
            "context switch ~50 ns (ping-pong)".to_string(),
            t.runtime.to_string(),
            ns(t.switch.wall_ns),
            verdict(t.switch.wall_ns, 50.0),
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
                format!(
                    "{} RSS, {} address space",
                    bytes(m.rss_per),
                    bytes(m.vsz_per)
                ),
                format!(
                    "RSS {}; address space {}",
                    verdict(m.rss_per, 8.0 * 1048576.0),
                    verdict(m.vsz_per, 8.0 * 1048576.0)
                ),
            ]);
        } else {
            claims.row(&[
                "memory per task ~1-2 KB".to_string(),
                m.runtime.to_string(),
                format!("{} (future {} B)", bytes(m.rss_per), m.future_size),
                verdict(m.rss_per, 1536.0),
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
    for t in timing {
        let mut row = vec![t.runtime.to_string(), with_cost(t.spawn)];
        row.extend(
            t.amortised
                .iter()
                .map(|a| a.map_or("– (not attempted)".to_string(), with_cost)),
        );
        table.row(&row);
        per_op("spawn_join", t.runtime, 1, t.spawn);
        for (n, a) in AMORTISED.iter().zip(&t.amortised) {
            if let Some(a) = a {
                per_op("spawn_then_join_all", t.runtime, *n, *a);
            }
        }
    }
    md.push_str(&table.finish());

    md.push_str("\n## Switch\n\nPer switch: two tasks (threads) taking turns through the cheapest wake-up (tokio, monoio, glommio: tokio's `Notify`, which needs no tokio runtime; async-std, smol: a bounded(1) `async-channel`; threads: park/unpark); and one task alone calling `yield_now`. Each time is followed by the process's CPU time and allocations per switch (or yield).\n\n");
    let mut table = MdTable::new(&["runtime", "ping-pong, per switch", "yield_now"], 1);
    for t in timing {
        table.row(&[
            t.runtime.to_string(),
            with_cost(t.switch),
            with_cost(t.yielded),
        ]);
        per_op("ping_pong", t.runtime, 2, t.switch);
        per_op("yield", t.runtime, 1, t.yielded);
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
        table.row(&[
            m.runtime.to_string(),
            m.n.to_string(),
            bytes(m.rss_per),
            // A task's address space is the allocator's arenas growing in
            // steps, not the task's: shown for threads only.
            if m.runtime == "threads" {
                bytes(m.vsz_per)
            } else {
                "–".to_string()
            },
            if m.runtime == "threads" {
                "–".to_string()
            } else {
                format!("{} B", m.future_size)
            },
        ]);
        figure("rss_per_task", m.runtime, m.n, m.rss_per, Unit::Bytes);
        figure("vsz_per_task", m.runtime, m.n, m.vsz_per, Unit::Bytes);
    }
    md.push_str(&table.finish());
    (md, crate::results::write(&rows))
}

/// The unit a figure of the runtime table is written in.
#[derive(Clone, Copy)]
enum Unit {
    Ns,
    Bytes,
    Allocations,
}

/// A time, then its CPU time and allocations: `1.2 µs · 2.3 µs CPU · 1.00
/// alloc` (the time alone for a run too short to cost).
fn with_cost(cost: PerOp) -> String {
    if !cost.costed() {
        return ns(cost.wall_ns);
    }
    format!(
        "{} · {} CPU · {:.2} alloc",
        ns(cost.wall_ns),
        ns(cost.cpu_ns),
        cost.allocations
    )
}
