//! Backpressure: producers that offer messages faster than one owner task
//! can handle them, against each inbox style (unbounded, bounded,
//! shedding), at half and at twice the owner's capacity. Ends by printing
//! its table.
//!
//! The owner spends [`SERVICE`] of CPU on each message (a busy wait), so it
//! handles about 100,000 a second. [`PRODUCERS`] producers each follow a
//! schedule (open loop: a message's intended send time is fixed in
//! advance, and its latency runs from there, so a producer held back by a
//! full inbox is charged for it). Each cell offers load for one window and
//! then closes the inbox and waits for the owner to drain it; the window
//! bounds how far an unbounded queue can grow (at twice the capacity for
//! one second, about 100,000 messages), and a guard stops the producers if
//! the backlog passes [`BACKLOG_GUARD`] anyway. Memory is the process's
//! resident set, sampled every 10 ms, over its value at the cell's start
//! (memory an earlier cell freed can be reused unseen, so the backlog's
//! own bytes are shown beside it).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use benches::harness::{Harness, histogram, nanos};
use benches::results::InboxRow;
use benches::workloads::inbox::{LOADS, PRODUCERS, SERVICE, parameters, workload};
use hdrhistogram::Histogram;
use patterns::inbox::{Handler, Inbox, Message, Refused};

// Allocations are counted in every bench binary (the runner insists).
benches::count_allocations!();

/// The backlog at which the producers stop early: about 320 MB of
/// messages, far beyond what a window makes, so a runaway cannot take the
/// machine down.
const BACKLOG_GUARD: usize = 10_000_000;

/// The owner's handler: a busy wait of [`SERVICE`], then the message's
/// latency from its intended send.
struct Timed {
    latency: Histogram<u64>,
}

impl Handler for Timed {
    fn handle(&mut self, message: Message) {
        let start = Instant::now();
        while start.elapsed() < SERVICE {
            std::hint::spin_loop();
        }
        let _ = self.latency.record(nanos(message.intended.elapsed()));
    }
}

fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

/// What one producer did.
struct Produced {
    due: u64,
    accepted: u64,
    refused: u64,
    send: Histogram<u64>,
}

/// Waits for `instant`: tokio's timer to within a millisecond of it (its
/// resolution), then yields until it has come, so that a producer on
/// schedule sends within microseconds of its intended time (the timer
/// alone would make every message up to a millisecond late, and charge
/// that to the inbox).
async fn wait_until(instant: Instant) {
    if let Some(early) = instant.checked_sub(Duration::from_millis(2))
        && Instant::now() < early
    {
        tokio::time::sleep_until(early.into()).await;
    }
    while Instant::now() < instant {
        tokio::task::yield_now().await;
    }
}

fn one_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

// ANCHOR: cell
fn measure<I: Inbox>(load: f64, window: Duration) -> InboxRow {
    let (owners, producers) = (one_runtime(), one_runtime());
    let capacity = 1.0 / SERVICE.as_secs_f64();
    let offered_per_sec = load * capacity;
    let gap = Duration::from_secs_f64(PRODUCERS as f64 / offered_per_sec);
    let (inbox, owner) = owners.block_on(async {
        I::start(Timed {
            latency: histogram(),
        })
    });
    let inbox = Arc::new(inbox);
    let rss_before = resident_bytes();
    let stop = Arc::new(AtomicBool::new(false));
    let (peak_backlog, peak_rss) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let start = Instant::now();
    let end = start + window;
    let (produced, backlog_at_end, window_end) = producers.block_on(async {
        let sampler = tokio::spawn({
            let (inbox, stop) = (Arc::clone(&inbox), Arc::clone(&stop));
            let (peak_backlog, peak_rss) = (Arc::clone(&peak_backlog), Arc::clone(&peak_rss));
            async move {
                while !stop.load(Relaxed) {
                    let backlog = inbox.backlog();
                    peak_backlog.fetch_max(backlog as u64, Relaxed);
                    peak_rss.fetch_max(resident_bytes(), Relaxed);
                    if backlog > BACKLOG_GUARD {
                        stop.store(true, Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        });
        let tasks: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let (inbox, stop) = (Arc::clone(&inbox), Arc::clone(&stop));
                tokio::spawn(async move {
                    let mut out = Produced {
                        due: 0,
                        accepted: 0,
                        refused: 0,
                        send: histogram(),
                    };
                    // Producers' schedules interleave: producer p starts
                    // p / PRODUCERS of a gap late.
                    let offset = gap.mul_f64(p as f64 / PRODUCERS as f64);
                    out.due = ((window - offset).as_secs_f64() / gap.as_secs_f64()).ceil() as u64;
                    let mut intended = start + offset;
                    let mut seq = 0;
                    // Until the window's end in both senses: the schedule's
                    // (messages due after it are not offered) and the
                    // clock's (a producer held back stops with the window;
                    // what it never got to offer is held back).
                    while intended < end && Instant::now() < end && !stop.load(Relaxed) {
                        wait_until(intended).await;
                        let sending = Instant::now();
                        let answer = inbox
                            .send(Message {
                                producer: p,
                                seq,
                                intended,
                            })
                            .await;
                        let _ = out.send.record(nanos(sending.elapsed()));
                        match answer {
                            Ok(()) => out.accepted += 1,
                            Err(Refused::Overloaded) => out.refused += 1,
                            Err(Refused::Closed) => break,
                        }
                        seq += 1;
                        intended += gap;
                    }
                    out
                })
            })
            .collect();
        let mut produced = Vec::new();
        for task in tasks {
            produced.push(task.await.expect("a producer panicked"));
        }
        // The window ends here, not after the sampler's last sleep.
        let (backlog_at_end, window_end) = (inbox.backlog(), Instant::now());
        // Cancelled, not awaited through its sleep: it holds a share of
        // the inbox, and the drain is timed from the window's end.
        sampler.abort();
        let _ = sampler.await;
        (produced, backlog_at_end, window_end)
    });
    drop(inbox);
    let handler = owners.block_on(owner).expect("the owner panicked");
    let drain = window_end.elapsed();
    // ANCHOR_END: cell
    let mut send = histogram();
    let (mut due, mut accepted, mut refused) = (0, 0, 0);
    for p in &produced {
        due += p.due;
        accepted += p.accepted;
        refused += p.refused;
        send.add(&p.send).expect("same bounds");
    }
    let latency = &handler.latency;
    InboxRow {
        style: I::STYLE.to_string(),
        load,
        offered_per_sec,
        due,
        accepted,
        refused,
        held_back: due.saturating_sub(accepted + refused),
        handled_per_sec: (accepted.saturating_sub(backlog_at_end as u64)) as f64
            / window.as_secs_f64(),
        p50_ns: latency.value_at_quantile(0.5),
        p99_ns: latency.value_at_quantile(0.99),
        max_ns: latency.max(),
        send_p99_ns: send.value_at_quantile(0.99),
        peak_backlog: peak_backlog.load(Relaxed),
        peak_backlog_bytes: peak_backlog.load(Relaxed) * std::mem::size_of::<Message>() as u64,
        peak_rss_growth_bytes: peak_rss.load(Relaxed).saturating_sub(rss_before),
        drain_ns: nanos(drain),
    }
}

fn measure_every_inbox(harness: &mut Harness, window: Duration, rows: &mut Vec<InboxRow>) {
    for load in LOADS {
        macro_rules! measure_inbox {
            // A broken inbox's figures would be no result.
            (broken $name:ident: $inbox:ty) => {};
            ($measured:ident $name:ident: $inbox:ty) => {
                if harness.wants(&format!("inbox/{}/{load}", stringify!($name))) {
                    rows.push(measure::<$inbox>(load, window));
                }
            };
        }
        patterns::for_each_inbox!(measure_inbox);
    }
}

fn main() {
    let Some(mut harness) = Harness::from_args() else {
        return;
    };
    let workload = workload();
    let window = harness.duration(Duration::from_secs(1));
    // A cell: the window, then the drain (at most about a window more).
    let styles = patterns::registry::measured("inbox").len();
    harness.plan(&workload, styles * LOADS.len(), window * 2);
    let mut rows = Vec::new();
    measure_every_inbox(&mut harness, window, &mut rows);
    if rows.is_empty() {
        harness.finish(&workload, String::new(), parameters(window));
        return;
    }
    harness.finish(
        &workload,
        benches::results::write(&rows),
        parameters(window),
    );
}
