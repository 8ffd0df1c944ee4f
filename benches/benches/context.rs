//! Request context benchmarks, on the latency harness: what asking "who is
//! calling" costs in each correct style, per read and per request, alone
//! and with many requests in flight (tokio multi-thread runtime, one
//! worker per core), as a ratio to `explicit` in the same run; and how
//! often seed 003's visitor ids collide in a burst of registrations,
//! beside an atomic counter and 128-bit random ids.

use std::collections::HashSet;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use benches::cost::Cost;
use benches::harness::Harness;
use benches::results::ContextRow;
use benches::workloads::context::{READS, parameters, workload};
use patterns::context::{ContextStyle, RequestContext, seed_visitor_id};
use patterns::primitives::rng::SplitMix64;

// Allocations per operation are part of every cell's cost.
benches::count_allocations!();

const CONCURRENCY: [usize; 2] = [1, 64];

struct Cell {
    style: &'static str,
    concurrent: usize,
    ns_per_read: f64,
    ns_per_request: f64,
    /// CPU time of the whole process (every worker) per request.
    cpu_ns_per_request: f64,
    allocations_per_request: f64,
}

// ANCHOR: cost
/// Per read: one request reads its context `READS` times. Per request: a
/// request that reads its context once. Both with `concurrent` requests in
/// flight, for about `duration`; the median of five rounds. Each round
/// also reads the process's CPU time and allocations around it
/// (`benches::cost`), charged per request.
fn measure<S: ContextStyle>(
    runtime: &tokio::runtime::Runtime,
    concurrent: usize,
    duration: Duration,
) -> Cell {
    let round = |reads: usize| {
        let before = Cost::now();
        let (ns, requests) = runtime.block_on(async move {
            let requests = AtomicU64::new(0);
            let requests = std::sync::Arc::new(requests);
            let deadline = Instant::now() + duration / 5;
            let start = Instant::now();
            let tasks: Vec<_> = (0..concurrent)
                .map(|i| {
                    let requests = std::sync::Arc::clone(&requests);
                    tokio::spawn(async move {
                        let mut n = 0u64;
                        while Instant::now() < deadline {
                            let context = RequestContext::new("user", i as u64);
                            S::scope(context, |carry| async move {
                                for _ in 0..reads {
                                    black_box(S::current(black_box(&carry)));
                                }
                            })
                            .await;
                            n += 1;
                        }
                        requests.fetch_add(n, Relaxed);
                    })
                })
                .collect();
            for task in tasks {
                task.await.expect("no panic");
            }
            let requests = requests.load(Relaxed).max(1) as f64;
            (start.elapsed().as_nanos() as f64 / requests, requests)
        });
        let cost = Cost::now().since(&before);
        (
            ns,
            cost.cpu.as_nanos() as f64 / requests,
            cost.allocations as f64 / requests,
        )
    };
    let median = |values: Vec<f64>| benches::report::stats::median(&values).unwrap_or(f64::NAN);
    let rounds: Vec<(f64, f64, f64)> = (0..5).map(|_| round(1)).collect();
    let per_request = median(rounds.iter().map(|r| r.0).collect());
    let per_read =
        (median((0..5).map(|_| round(READS).0).collect()) - per_request) / (READS - 1) as f64;
    Cell {
        style: S::STYLE,
        concurrent,
        ns_per_read: per_read.max(0.0),
        ns_per_request: per_request,
        cpu_ns_per_request: median(rounds.iter().map(|r| r.1).collect()),
        allocations_per_request: median(rounds.iter().map(|r| r.2).collect()),
    }
}
// ANCHOR_END: cost

/// Every correct style (a broken one's speed is no result).
fn measure_every_style(
    runtime: &tokio::runtime::Runtime,
    harness: &mut Harness,
    duration: Duration,
    cells: &mut Vec<Cell>,
) {
    for concurrent in CONCURRENCY {
        macro_rules! measure_style {
            (broken $name:ident: $style:ty) => {};
            ($measured:ident $name:ident: $style:ty) => {
                if harness.wants(&format!("context/{}/{concurrent}", stringify!($name))) {
                    let cell = measure::<$style>(runtime, concurrent, duration);
                    eprintln!(
                        "context/{}/{concurrent}: {:.1} ns per read, {:.0} ns per request",
                        cell.style, cell.ns_per_read, cell.ns_per_request
                    );
                    cells.push(cell);
                }
            };
        }
        patterns::for_each_context!(measure_style);
    }
}

// ANCHOR: collisions
/// Duplicates among `n` ids made as fast as possible by `make`, and the
/// milliseconds the burst spanned.
fn collisions(n: usize, mut make: impl FnMut() -> String) -> (usize, u128) {
    let start = Instant::now();
    let ids: Vec<String> = (0..n).map(|_| make()).collect();
    let took = start.elapsed().as_millis().max(1);
    let unique: HashSet<&String> = ids.iter().collect();
    (n - unique.len(), took)
}
// ANCHOR_END: collisions

fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn main() {
    let Some(mut harness) = Harness::from_args() else {
        return;
    };
    let workload = workload();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(patterns::sync::cores())
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let duration = harness.duration(Duration::from_secs(1));
    let styles = patterns::registry::measured("context").len();
    // Every style at every concurrency, and the visitor-id bursts.
    harness.plan(&workload, styles * CONCURRENCY.len() + 1, duration * 2);
    let mut cells = Vec::new();
    measure_every_style(&runtime, &mut harness, duration, &mut cells);

    let burst = if harness.smoke { 10_000 } else { 1_000_000 };
    let mut ids = Vec::new();
    if harness.wants("context/visitor-ids") {
        let mut rng = SplitMix64::new(now_millis());
        let seed = collisions(burst, || seed_visitor_id(now_millis(), rng.next_u64()));
        let counter = AtomicU64::new(0);
        let atomic = collisions(burst, || {
            format!("visitor_{}", counter.fetch_add(1, Relaxed))
        });
        let mut rng = SplitMix64::new(now_millis() ^ 0xA5A5);
        let random = collisions(burst, || {
            format!("visitor_{:016x}{:016x}", rng.next_u64(), rng.next_u64())
        });
        eprintln!(
            "context/visitor-ids: seed scheme {} duplicates in {burst} over {} ms",
            seed.0, seed.1
        );
        ids = vec![
            ("timestamp + 6 random base-36 characters (seed 003)", seed),
            ("an atomic counter", atomic),
            ("128 random bits", random),
        ];
    }
    drop(runtime);
    if cells.len() + ids.len() == 0 {
        harness.finish(&workload, String::new(), parameters(duration));
        return;
    }
    // One measured value a row, named by `metric`, with its unit: the cost
    // cells and the visitor-id counts share the file without sharing
    // columns that mean different things.
    let mut rows: Vec<ContextRow> = Vec::new();
    let mut figure =
        |kind: &str, style: &str, concurrent: usize, metric: &str, value: f64, unit: &str| {
            rows.push(ContextRow {
                kind: kind.to_string(),
                style: style.to_string(),
                concurrent,
                metric: metric.to_string(),
                value,
                unit: unit.to_string(),
            });
        };
    // To the decimals each figure means.
    let round = |value: f64, decimals: i32| {
        let scale = 10f64.powi(decimals);
        (value * scale).round() / scale
    };
    for cell in &cells {
        let explicit = cells
            .iter()
            .find(|c| c.style == "explicit" && c.concurrent == cell.concurrent)
            .map_or(f64::NAN, |e| cell.ns_per_request / e.ns_per_request);
        for (metric, value, unit) in [
            ("per_read", round(cell.ns_per_read, 2), "ns"),
            ("per_request", round(cell.ns_per_request, 1), "ns"),
            ("ratio_to_explicit", round(explicit, 3), "x"),
            ("cpu_per_request", round(cell.cpu_ns_per_request, 1), "ns"),
            (
                "allocations_per_request",
                round(cell.allocations_per_request, 2),
                "allocations",
            ),
        ] {
            figure("cost", cell.style, cell.concurrent, metric, value, unit);
        }
    }
    for (scheme, (duplicates, millis)) in &ids {
        figure(
            "visitor_ids",
            scheme,
            burst,
            "duplicates",
            *duplicates as f64,
            "ids",
        );
        figure("visitor_ids", scheme, burst, "burst", *millis as f64, "ms");
    }
    harness.finish(
        &workload,
        benches::results::write(&rows),
        parameters(duration),
    );
}
