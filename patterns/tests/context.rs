//! Seed 003's concurrency table, as tests, for every context style: 10, 50
//! and 100 concurrent logins with unique ids; 10 concurrent calls from one
//! client; 50 concurrent streams of 3 chunks; 20 concurrent clients; 100
//! calls from 10 clients; concurrent session writes with no leaks; 20
//! concurrent named user logins; 10 clients with session isolation; and
//! the cases seed 003 names without a test of its own here before: a
//! stream the request returns, polled by its caller after the request's
//! scope ended (its async generators), blocking work, and a request
//! cancelled in the middle of its call chain. Each
//! counts mismatches (a step of a request that saw another request's
//! context, or none): the correct styles must have zero, and the broken
//! ones must be caught, with a control run showing the same check passes
//! them when requests do not overlap. Everything runs under a watchdog.

#![cfg(not(workbench_loom))]

#[macro_use]
mod common;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use patterns::context::{ContextStyle, RequestContext, handle, mismatches};

fn watchdog<T: Send + 'static>(what: &str, check: impl FnOnce() -> T + Send + 'static) -> T {
    common::watchdog(what, Duration::from_secs(60), check)
}

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// What a run of requests found wrong.
#[derive(Debug, Default, PartialEq, Eq)]
struct Outcome {
    /// Steps that saw another request's context, or none.
    mismatches: usize,
    /// Session writes that landed in another user's session.
    leaked_writes: usize,
    requests: usize,
}

// ANCHOR: table
/// `clients` users, each making `calls` requests of `chunks` stream chunks;
/// all at once (`concurrent`), or one after another. Each request also
/// writes to "its" session, found through its context.
fn run_requests<S: ContextStyle>(
    runtime: &tokio::runtime::Runtime,
    clients: usize,
    calls: usize,
    chunks: usize,
    concurrent: bool,
) -> Outcome {
    let sessions: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let request = |client: usize, call: usize| {
        let sessions = Arc::clone(&sessions);
        let (user, id) = (format!("user{client}"), (client * calls + call) as u64);
        async move {
            let context = RequestContext::new(user.clone(), id);
            S::scope(context, move |carry| async move {
                let seen = handle::<S>(carry.clone(), chunks).await;
                // The session write of the seed's table: to whoever the
                // context says is calling.
                if let Some(current) = S::current(&carry) {
                    *sessions
                        .lock()
                        .unwrap()
                        .entry(current.user.clone())
                        .or_default() += 1;
                }
                mismatches(&seen, &user, id)
            })
            .await
        }
    };
    let mismatches: usize = runtime.block_on(async {
        if concurrent {
            let tasks: Vec<_> = (0..clients)
                .flat_map(|c| (0..calls).map(move |k| (c, k)))
                .map(|(c, k)| tokio::spawn(request(c, k)))
                .collect();
            let mut total = 0;
            for task in tasks {
                total += task.await.unwrap();
            }
            total
        } else {
            let mut total = 0;
            for c in 0..clients {
                for k in 0..calls {
                    total += tokio::spawn(request(c, k)).await.unwrap();
                }
            }
            total
        }
    });
    let sessions = sessions.lock().unwrap();
    let leaked_writes = (0..clients)
        .map(|c| calls.abs_diff(sessions.get(&format!("user{c}")).copied().unwrap_or(0)))
        .sum::<usize>()
        / 2
        + sessions.keys().filter(|u| !u.starts_with("user")).count();
    Outcome {
        mismatches,
        leaked_writes,
        requests: clients * calls,
    }
}
// ANCHOR_END: table

/// Seed 003's table: (what, clients, calls per client, chunks per stream).
const TABLE: [(&str, usize, usize, usize); 8] = [
    ("10 concurrent calls from one client", 1, 10, 1),
    ("50 concurrent streams x 3 chunks", 50, 1, 3),
    ("20 concurrent clients", 20, 1, 1),
    ("100 calls from 10 clients", 10, 10, 1),
    ("concurrent session writes, 20 clients x 5", 20, 5, 0),
    ("100 concurrent requests", 100, 1, 1),
    ("10 clients with session isolation", 10, 3, 0),
    ("100 concurrent session operations", 100, 1, 0),
];

fn passes_the_table<S: ContextStyle>() {
    let runtime = multi_thread();
    for (what, clients, calls, chunks) in TABLE {
        let outcome = run_requests::<S>(&runtime, clients, calls, chunks, true);
        assert_eq!(
            outcome,
            Outcome {
                mismatches: 0,
                leaked_writes: 0,
                requests: clients * calls
            },
            "{}: {what}",
            S::STYLE
        );
    }
}

/// 10, 50 and 100 concurrent logins: each registers a visitor with a fresh
/// id (an atomic counter) and then reads who it is through its context.
fn concurrent_logins_get_unique_ids_and_their_own_context<S: ContextStyle>() {
    let runtime = multi_thread();
    let next_visitor = Arc::new(AtomicU64::new(0));
    for logins in [10, 50, 100] {
        let (ids, mismatched): (Vec<u64>, Vec<usize>) = runtime.block_on(async {
            let tasks: Vec<_> = (0..logins)
                .map(|_| {
                    let next_visitor = Arc::clone(&next_visitor);
                    tokio::spawn(async move {
                        let id = next_visitor.fetch_add(1, Relaxed);
                        let user = format!("visitor_{id}");
                        let context = RequestContext::new(user.clone(), id);
                        let seen = S::scope(context, |carry| handle::<S>(carry, 1)).await;
                        (id, mismatches(&seen, &user, id))
                    })
                })
                .collect();
            let mut out = Vec::new();
            for t in tasks {
                out.push(t.await.unwrap());
            }
            out.into_iter().unzip()
        });
        let unique: HashSet<u64> = ids.iter().copied().collect();
        assert_eq!(unique.len(), logins, "{}: duplicate visitor ids", S::STYLE);
        assert_eq!(
            mismatched.iter().sum::<usize>(),
            0,
            "{}: {logins} logins",
            S::STYLE
        );
    }
    // 20 concurrent named user logins: each by its own name.
    let mismatched: usize = runtime.block_on(async {
        let tasks: Vec<_> = (0..20u64)
            .map(|n| {
                tokio::spawn(async move {
                    let user = format!("{}_{n}", NAMES[n as usize % NAMES.len()]);
                    let context = RequestContext::new(user.clone(), 1_000 + n);
                    let seen = S::scope(context, |carry| handle::<S>(carry, 2)).await;
                    mismatches(&seen, &user, 1_000 + n)
                })
            })
            .collect();
        let mut total = 0;
        for t in tasks {
            total += t.await.unwrap();
        }
        total
    });
    assert_eq!(mismatched, 0, "{}: 20 named logins", S::STYLE);
}

const NAMES: [&str; 5] = ["alice", "bob", "carol", "dave", "erin"];

fn who<S: ContextStyle>(carry: &S::Carry) -> Option<(String, u64)> {
    S::current(carry).map(|c| (c.user.clone(), c.request))
}

/// A stream of `chunks` items, each asking who is calling after an await:
/// what a request hands back to its caller (seed 003's async generator).
fn generator<S: ContextStyle>(
    carry: S::Carry,
    chunks: usize,
) -> impl smol::stream::Stream<Item = Option<(String, u64)>> + Send + 'static {
    smol::stream::unfold(0, move |produced| {
        let carry = carry.clone();
        async move {
            if produced == chunks {
                return None;
            }
            tokio::task::yield_now().await;
            Some((who::<S>(&carry), produced + 1))
        }
    })
}

/// 50 requests, one after another, each return a stream of 3 chunks
/// through the style's `returned_stream`; their callers then poll the 50
/// streams concurrently, after every request's scope has ended: every
/// chunk must see its own request.
fn a_returned_stream_polled_after_its_scope_sees_its_request<S: ContextStyle>() {
    let runtime = multi_thread();
    let mismatched: usize = runtime.block_on(async {
        let mut streams = Vec::new();
        for n in 0..50u64 {
            let context = RequestContext::new(format!("user{n}"), n);
            let stream = S::scope(context, |carry| async move {
                S::returned_stream(carry.clone(), generator::<S>(carry, 3))
            })
            .await;
            streams.push((n, Box::pin(stream)));
        }
        // Every scope has ended; now the callers poll, concurrently.
        let tasks: Vec<_> = streams
            .into_iter()
            .map(|(n, mut stream)| {
                tokio::spawn(async move {
                    let mut seen = Vec::new();
                    while let Some(chunk) = smol::stream::StreamExt::next(&mut stream).await {
                        seen.push(chunk);
                    }
                    assert_eq!(seen.len(), 3);
                    mismatches(&seen, &format!("user{n}"), n)
                })
            })
            .collect();
        let mut total = 0;
        for t in tasks {
            total += t.await.unwrap();
        }
        total
    });
    assert_eq!(mismatched, 0, "{}: returned streams", S::STYLE);
}

/// 20 concurrent requests each run blocking work (a 1 ms sleep, then who
/// is calling) through the style's `spawn_blocking`: each must see its own
/// request on the blocking thread.
fn blocking_work_sees_its_request<S: ContextStyle>() {
    let runtime = multi_thread();
    let mismatched: usize = runtime.block_on(async {
        let tasks: Vec<_> = (0..20u64)
            .map(|n| {
                tokio::spawn(async move {
                    let user = format!("user{n}");
                    let context = RequestContext::new(user.clone(), n);
                    let seen = S::scope(context, |carry| async move {
                        let blocking = S::spawn_blocking(&carry, |carry| {
                            std::thread::sleep(Duration::from_millis(1));
                            who::<S>(&carry)
                        });
                        vec![blocking.await.unwrap_or(None)]
                    })
                    .await;
                    mismatches(&seen, &user, n)
                })
            })
            .collect();
        let mut total = 0;
        for t in tasks {
            total += t.await.unwrap();
        }
        total
    });
    assert_eq!(mismatched, 0, "{}: blocking work", S::STYLE);
}

/// Steps a request of the cancellation check takes unless cancelled.
const STEPS: u64 = 200;

/// 10 concurrent requests walk a chain of [`STEPS`] awaits, looking at
/// their context at each. At step [`CANCEL_AT`] every request waits at a
/// barrier; the odd ones are cancelled from outside, and a second barrier
/// lets them all go on. Returns, per request, how many steps it took and
/// how many of its looks found another request's context (or none). The
/// contract: the odd ones stop at their next look, the even ones finish,
/// and nobody looks at anyone else's context.
fn cancel_midway<S: ContextStyle>(runtime: &tokio::runtime::Runtime) -> Vec<(u64, u64, usize)> {
    runtime.block_on(async {
        let (at_step, go) = (
            Arc::new(tokio::sync::Barrier::new(11)),
            Arc::new(tokio::sync::Barrier::new(11)),
        );
        let mut contexts = Vec::new();
        let mut tasks = Vec::new();
        for n in 0..10u64 {
            let context = RequestContext::new(format!("user{n}"), n);
            contexts.push(Arc::clone(&context));
            let (at_step, go) = (Arc::clone(&at_step), Arc::clone(&go));
            tasks.push(tokio::spawn(S::scope(context, move |carry| async move {
                let mut wrong = 0;
                for step in 0..STEPS {
                    tokio::task::yield_now().await;
                    if step == CANCEL_AT {
                        at_step.wait().await;
                        go.wait().await;
                    }
                    match S::current(&carry) {
                        Some(c) if c.user == format!("user{n}") && c.request == n => {
                            if c.is_cancelled() {
                                return (step, wrong);
                            }
                        }
                        _ => wrong += 1,
                    }
                }
                (STEPS, wrong)
            })));
        }
        at_step.wait().await;
        for n in (1..10).step_by(2) {
            contexts[n].cancel();
        }
        go.wait().await;
        let mut out = Vec::new();
        for (n, task) in tasks.into_iter().enumerate() {
            let (steps, wrong) = task.await.unwrap();
            out.push((n as u64, steps, wrong));
        }
        out
    })
}

/// The step at which the odd requests of [`cancel_midway`] are cancelled.
const CANCEL_AT: u64 = 5;

/// What the contract says of a [`cancel_midway`] run, or what broke it.
fn cancel_midway_report(run: &[(u64, u64, usize)]) -> Result<(), String> {
    for &(n, steps, wrong) in run {
        if wrong > 0 {
            return Err(format!(
                "request {n} found another request's context (or none) {wrong} times"
            ));
        }
        if n % 2 == 1 && steps == STEPS {
            return Err(format!("request {n} was cancelled midway and did not stop"));
        }
        if n % 2 == 0 && steps < STEPS {
            return Err(format!(
                "request {n} was not cancelled and stopped after {steps} steps"
            ));
        }
    }
    Ok(())
}

fn a_request_cancelled_midway_stops_and_the_others_finish<S: ContextStyle>() {
    let runtime = multi_thread();
    let run = cancel_midway::<S>(&runtime);
    assert_eq!(cancel_midway_report(&run), Ok(()), "{}: {run:?}", S::STYLE);
    // The odd ones stopped at their first look after the cancel.
    for &(n, steps, _) in &run {
        if n % 2 == 1 {
            assert_eq!(steps, CANCEL_AT, "{}: request {n}", S::STYLE);
        }
    }
}

/// A cancelled request sees it and stops its stream at the next chunk.
fn cancellation_is_seen<S: ContextStyle>() {
    let runtime = multi_thread();
    let seen = runtime.block_on(async {
        let context = RequestContext::new("alice", 1);
        context.cancel();
        S::scope(context, |carry| handle::<S>(carry, 10)).await
    });
    // Entry, after a step, the nested call, then one chunk and stop.
    assert_eq!(seen.len(), 4, "{}: {seen:?}", S::STYLE);
    assert_eq!(mismatches(&seen, "alice", 1), 0, "{}", S::STYLE);
}

/// The broken styles' tests take turns: `global`'s slot is one per
/// process, so two of its tests running at once on the test harness's
/// threads would overwrite each other's context (and fail the control run
/// for a reason that is not the one it tests). A test whose watchdog
/// fires leaves its thread running while the next takes the turn; that
/// test has failed already.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static SLOT: Mutex<()> = Mutex::new(());
    SLOT.lock().unwrap_or_else(|e| e.into_inner())
}

macro_rules! context_tests {
    (library $style:ident: $context:ty) => {
        style_tests! {
            $style: $context {
                limit: std::time::Duration::from_secs(60),
                contract: [
                    passes_the_table,
                    cancellation_is_seen,
                    a_request_cancelled_midway_stops_and_the_others_finish,
                    a_returned_stream_polled_after_its_scope_sees_its_request,
                    blocking_work_sees_its_request,
                ],
                stress: [concurrent_logins_get_unique_ids_and_their_own_context],
                per_driver: [],
            }
        }
    };
    (broken $b:ident: $bt:ty) => {
        mod $b {
            use super::*;

            // ANCHOR: caught
            /// The table, concurrently, catches the broken style: rounds
            /// until it is caught or ten seconds have passed.
            #[test]
            fn is_caught_by_the_seed_table() {
                let _slot = one_at_a_time();
                let outcome = watchdog(concat!(stringify!($b), " caught"), || {
                    let runtime = multi_thread();
                    let deadline = Instant::now() + Duration::from_secs(10);
                    loop {
                        let outcome = run_requests::<$bt>(&runtime, 20, 5, 3, true);
                        if outcome.mismatches > 0 || Instant::now() > deadline {
                            return outcome;
                        }
                    }
                });
                assert!(
                    outcome.mismatches > 0,
                    "{}: the table found no mismatch in {outcome:?}",
                    stringify!($b)
                );
                eprintln!("{} caught: {outcome:?}", stringify!($b));
            }

            /// The control: one request at a time on one thread, the same
            /// check passes. The bug is the overlap, not the checker.
            #[test]
            fn passes_when_requests_do_not_overlap() {
                let _slot = one_at_a_time();
                let outcome = watchdog(concat!(stringify!($b), " control"), || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    run_requests::<$bt>(&runtime, 5, 2, 3, false)
                });
                assert_eq!(outcome.mismatches, 0, "{}: {outcome:?}", stringify!($b));
                assert_eq!(outcome.leaked_writes, 0, "{}: {outcome:?}", stringify!($b));
            }
            // ANCHOR_END: caught

            /// The midway cancellation check catches it too: rounds until
            /// caught or ten seconds have passed.
            #[test]
            fn is_caught_by_the_midway_cancellation_check() {
                let _slot = one_at_a_time();
                let report = watchdog(concat!(stringify!($b), " cancel caught"), || {
                    let runtime = multi_thread();
                    let deadline = Instant::now() + Duration::from_secs(10);
                    loop {
                        let report = cancel_midway_report(&cancel_midway::<$bt>(&runtime));
                        if report.is_err() || Instant::now() > deadline {
                            return report;
                        }
                    }
                });
                let report = report.expect_err("the midway cancellation check passed it");
                eprintln!("{} caught: {report}", stringify!($b));
            }
        }
    };
}

patterns::for_each_context!(context_tests);

/// Sub-tasks: `tokio::spawn` from inside a task-local scope loses the
/// context; the style's own `spawn` carries it over.
#[test]
fn task_locals_do_not_follow_spawn_unless_carried() {
    use patterns::context::task_local::{TaskLocalContext, spawn_forgetting_context};
    let runtime = multi_thread();
    let (forgotten, carried) = runtime.block_on(async {
        TaskLocalContext::scope(RequestContext::new("alice", 7), |()| async {
            let forgotten = spawn_forgetting_context(async { TaskLocalContext::current(&()) })
                .await
                .unwrap();
            let carried =
                TaskLocalContext::spawn(&(), |()| async { TaskLocalContext::current(&()) })
                    .await
                    .unwrap();
            (forgotten, carried)
        })
        .await
    });
    assert!(forgotten.is_none(), "a plain spawn saw {forgotten:?}");
    assert_eq!(
        carried.map(|c| (c.user.clone(), c.request)),
        Some(("alice".to_string(), 7))
    );
}

/// The seed's visitor ids are unique only while two registrations in the
/// same millisecond draw different random suffixes; in a burst they do not.
/// (How often, and the alternatives, are measured by the context bench.)
#[test]
fn seed_visitor_ids_collide_in_a_burst() {
    let mut rng = patterns::primitives::rng::SplitMix64::new(3);
    // 200,000 registrations in one millisecond: about 9 expected
    // collisions among 36^6 suffixes; the chance of none is e^-9.
    let ids: HashSet<String> = (0..200_000)
        .map(|_| patterns::context::seed_visitor_id(1_700_000_000_000, rng.next_u64()))
        .collect();
    assert!(ids.len() < 200_000, "no collision in a burst of 200,000");
}

/// Blocking work and returned streams: a plain `spawn_blocking`, or a
/// stream returned out of a task-local scope and polled after it, finds no
/// context; the style's own `spawn_blocking` and `returned_stream` carry it.
#[test]
fn task_locals_do_not_follow_blocking_work_or_a_returned_stream_unless_carried() {
    use patterns::context::task_local::TaskLocalContext as T;
    let runtime = multi_thread();
    let (forgotten, carried, raw, wrapped) = runtime.block_on(async {
        let (forgotten, carried, raw, wrapped) =
            T::scope(RequestContext::new("alice", 7), |()| async {
                let forgotten = tokio::task::spawn_blocking(|| T::current(&()))
                    .await
                    .unwrap();
                let carried = T::spawn_blocking(&(), |()| T::current(&())).await.unwrap();
                let raw = generator::<T>((), 1);
                let wrapped = T::returned_stream((), generator::<T>((), 1));
                (forgotten, carried, raw, wrapped)
            })
            .await;
        // Outside the scope now, as the seed's caller iterates a generator.
        let mut raw = Box::pin(raw);
        let mut wrapped = Box::pin(wrapped);
        let raw = smol::stream::StreamExt::next(&mut raw).await.unwrap();
        let wrapped = smol::stream::StreamExt::next(&mut wrapped).await.unwrap();
        (forgotten, carried, raw, wrapped)
    });
    let alice = Some(("alice".to_string(), 7));
    assert!(
        forgotten.is_none(),
        "a plain spawn_blocking saw {forgotten:?}"
    );
    assert_eq!(carried.map(|c| (c.user.clone(), c.request)), alice);
    assert_eq!(raw, None, "a stream polled outside its scope saw a context");
    assert_eq!(wrapped, alice);
}
