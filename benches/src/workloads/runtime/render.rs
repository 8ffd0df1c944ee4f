//! The runtime report's tables, seed 001's claims against them, and its
//! CSV rows.

use super::measure::{AMORTISED, MemoryCell, Timing, ns, verdict};
use crate::report::table::{MdTable, bytes};
use crate::results::RuntimeRow;

/// The report's Markdown after `head`, and its CSV.
pub fn render(head: String, timing: &[Timing], memory: &[MemoryCell]) -> (String, String) {
    let mut md = head;
    let mut rows: Vec<RuntimeRow> = Vec::new();
    // Times to a tenth of a nanosecond, bytes whole: what the figures mean.
    let mut figure = |kind: &str, runtime: &str, n: usize, value: f64, tenths: bool| {
        let (value, unit) = if tenths {
            ((value * 10.0).round() / 10.0, "ns")
        } else {
            (value.round(), "bytes")
        };
        rows.push(RuntimeRow {
            kind: kind.to_string(),
            runtime: runtime.to_string(),
            n,
            value,
            unit: unit.to_string(),
        });
    };
    md.push_str(
        "Times are medians of five rounds; memory is measured in a fresh process per cell.\n",
    );

    md.push_str("\n## Seed 001's table, measured\n\n");
    let mut claims = MdTable::new(&["claim (seed 001)", "runtime", "measured", "verdict"], 2);
    for (runtime, spawn, _, switch, _) in timing {
        claims.row(&[
            "task spawn ~300 ns (spawn + await)".to_string(),
            runtime.to_string(),
            ns(*spawn),
            verdict(*spawn, 300.0),
        ]);
        claims.row(&[
            "context switch ~50 ns (ping-pong)".to_string(),
            runtime.to_string(),
            ns(*switch),
            verdict(*switch, 50.0),
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

    md.push_str("\n## Spawn\n\nPer task: spawn an empty task and await it, one after another; and spawn N, then await all.\n\n");
    let mut header = vec!["runtime".to_string(), "spawn + await".to_string()];
    header.extend(AMORTISED.iter().map(|n| format!("spawn {n}, await all")));
    let mut table = MdTable::new(&header, 1);
    for (runtime, spawn, amortised, _, _) in timing {
        let mut row = vec![runtime.to_string(), ns(*spawn)];
        row.extend(
            amortised
                .iter()
                .map(|a| a.map_or("– (not attempted)".to_string(), ns)),
        );
        table.row(&row);
        figure("spawn_join", runtime, 1, *spawn, true);
        for (n, a) in AMORTISED.iter().zip(amortised) {
            if let Some(a) = a {
                figure("spawn_then_join_all", runtime, *n, *a, true);
            }
        }
    }
    md.push_str(&table.finish());

    md.push_str("\n## Switch\n\nPer switch: two tasks (threads) taking turns through the cheapest wake-up (tokio, monoio, glommio: tokio's `Notify`, which needs no tokio runtime; async-std, smol: a bounded(1) `async-channel`; threads: park/unpark); and one task alone calling `yield_now`.\n\n");
    let mut table = MdTable::new(&["runtime", "ping-pong, per switch", "yield_now"], 1);
    for (runtime, _, _, switch, yielded) in timing {
        table.row(&[runtime.to_string(), ns(*switch), ns(*yielded)]);
        figure("ping_pong", runtime, 2, *switch, true);
        figure("yield", runtime, 1, *yielded, true);
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
        figure("rss_per_task", m.runtime, m.n, m.rss_per, false);
        figure("vsz_per_task", m.runtime, m.n, m.vsz_per, false);
    }
    md.push_str(&table.finish());
    (md, crate::results::write(&rows))
}
