//! shuttle models: the facade styles and the library styles shuttle has
//! stand-ins for (parking_lot, dashmap, tokio's runtime, channels and
//! mutex), every workload that runs in one process. Each model runs under
//! shuttle's random scheduler and its PCT scheduler
//! (`loom_tests::explore`); unlike loom, shuttle samples schedules instead
//! of enumerating them, so the models are larger than loom's: three
//! clients, several operations each.
//!
//! ```sh
//! RUSTFLAGS="--cfg workbench_shuttle" \
//!     cargo test -p loom-tests --release --target-dir target-shuttle --test shuttle
//! ```
//!
//! Every library style of every registry is named below, either hosted or
//! with the reason it cannot be: a new library style fails to compile here
//! until someone decides which (`library!` has no catch-all).

#![cfg(workbench_shuttle)]

use std::sync::Arc;

use loom_tests::explore;
use shuttle::future::block_on;
use shuttle::thread;

/// Three clients: main and two spawned threads, each running `client(i)`
/// to completion. Returns what each client returned, in client order.
fn three_clients<T: Send + 'static>(client: impl Fn(usize) -> T + Send + Sync + 'static) -> Vec<T> {
    let client = Arc::new(client);
    let others: Vec<_> = (1..3)
        .map(|i| {
            let client = Arc::clone(&client);
            thread::spawn(move || client(i))
        })
        .collect();
    let mut results = vec![client(0)];
    results.extend(others.into_iter().map(|t| t.join().unwrap()));
    results
}

/// A module named after a hosted style, with a test per model, so that a
/// style's models are found by its name (`bank::ordered::`), as the planted-
/// bug runner does.
macro_rules! host {
    ($style:ident: $t:ty => $($model:ident),+) => {
        mod $style {
            $(#[test]
            fn $model() {
                super::$model::<$t>();
            })+
        }
    };
}

/// Styles shuttle cannot host, and why; the same reasons in every workload.
macro_rules! cannot_host {
    (crossbeam) => {
        "crossbeam-channel spins and parks OS threads itself; shuttle's scheduler would never see its waits"
    };
    (async_std) => {
        "async-std's executor and blocking pool are OS threads outside shuttle's scheduler"
    };
    (smol) => {
        "smol's executor (and blocking's pool) are OS threads outside shuttle's scheduler"
    };
}

/// Whether shuttle hosts a library style, decided once per style name for
/// every workload: the styles on parking_lot, dashmap and tokio get a
/// module of `models` (see `host!`); the others name their reason. No
/// catch-all: a new library style does not compile here until it is
/// given a line.
macro_rules! library {
    ([$($m:ident),+] mutex_parking_lot: $t:ty) => { host!(mutex_parking_lot: $t => $($m),+); };
    ([$($m:ident),+] rwlock_parking_lot: $t:ty) => { host!(rwlock_parking_lot: $t => $($m),+); };
    ([$($m:ident),+] dashmap: $t:ty) => { host!(dashmap: $t => $($m),+); };
    ([$($m:ident),+] mutex_tokio: $t:ty) => { host!(mutex_tokio: $t => $($m),+); };
    ([$($m:ident),+] actor_tokio: $t:ty) => { host!(actor_tokio: $t => $($m),+); };
    ([$($m:ident),+] bridge_tokio: $t:ty) => { host!(bridge_tokio: $t => $($m),+); };
    ($m:tt actor_crossbeam: $t:ty) => { const _: &str = cannot_host!(crossbeam); };
    ($m:tt pool_crossbeam: $t:ty) => { const _: &str = cannot_host!(crossbeam); };
    ($m:tt actor_async_std: $t:ty) => { const _: &str = cannot_host!(async_std); };
    ($m:tt bridge_async_std: $t:ty) => { const _: &str = cannot_host!(async_std); };
    ($m:tt actor_smol: $t:ty) => { const _: &str = cannot_host!(smol); };
    ($m:tt bridge_smol: $t:ty) => { const _: &str = cannot_host!(smol); };
}

mod counter {
    use super::*;
    use patterns::ClientId;
    use patterns::counter::Counter;

    /// Three clients add 1, 2 and 4 twice each, reading after each add: a
    /// read counts at least the reader's own adds so far and never more
    /// than was added, one client's reads never go backwards, and at the
    /// end the total is 14.
    pub fn adds_and_reads<C: Counter>() {
        explore(|| {
            let counter = Arc::new(C::new(3));
            let reads = three_clients({
                let counter = Arc::clone(&counter);
                move |i| {
                    let amount = 1u64 << i;
                    (1..=2)
                        .map(|round| {
                            block_on(counter.add(ClientId(i), amount));
                            (round * amount, block_on(counter.get()))
                        })
                        .collect::<Vec<_>>()
                }
            });
            for client in reads {
                for (own, seen) in &client {
                    assert!(
                        seen >= own,
                        "{}: lost update: a get after own adds of {own} returned {seen}",
                        C::STYLE
                    );
                    assert!(
                        *seen <= 14,
                        "{}: a get returned {seen}, more than was added",
                        C::STYLE
                    );
                }
                assert!(
                    client[0].1 <= client[1].1,
                    "{}: one client's gets went backwards: {} then {}",
                    C::STYLE,
                    client[0].1,
                    client[1].1
                );
            }
            let total = block_on(counter.get());
            assert_eq!(
                total,
                14,
                "{}: lost update: the adds give 14, got {total}",
                C::STYLE
            );
        });
    }

    macro_rules! hosted {
        (
            facade: [$($f:ident: $ft:ty,)*],
            library: [$($l:ident: $lt:ty,)*],
            torn: [],
            broken: [$($b:ident: $bt:ty,)*],
        ) => {
            $(host!($f: $ft => adds_and_reads);)*
            $(library!([adds_and_reads] $l: $lt);)*
            // A lost update shows as a total short of 14, a read short of
            // the reader's own adds, or a read below an earlier one (an
            // add that overwrote a larger total), whichever the failing
            // schedule hits first.
            $(#[test]
            fn $b() {
                let report = loom_tests::failure_of(adds_and_reads::<$bt>);
                assert!(
                    report.contains("lost update") || report.contains("went backwards"),
                    "unexpected report: {report}"
                );
            })*
        };
    }

    patterns::for_each_counter!(hosted);
}

mod bank {
    use super::*;
    use patterns::bank::{AccountId, Bank, BankError};

    /// Three accounts of 10 in a ring: each client moves 3 to the next
    /// account twice and audits between. The three transfers' lock orders
    /// make a cycle (0 then 1, 1 then 2, 2 then 0), which a style that
    /// locks `from` before `to` deadlocks on, and shuttle reports. Every
    /// audit sees 30, every transfer succeeds (no account can drop below
    /// 4), and the ring ends where it started.
    pub fn ring_with_audits<B: Bank>() {
        explore(|| {
            let bank = Arc::new(B::new(&[10, 10, 10]));
            three_clients({
                let bank = Arc::clone(&bank);
                move |i| {
                    for _ in 0..2 {
                        let moved =
                            block_on(bank.transfer(AccountId(i), AccountId((i + 1) % 3), 3));
                        assert_eq!(moved, Ok(()), "{}: a coverable transfer", B::STYLE);
                        let seen = block_on(bank.audit());
                        assert_eq!(
                            seen,
                            30,
                            "{}: torn audit: saw {seen}, the total is 30",
                            B::STYLE
                        );
                    }
                }
            });
            let balances: Vec<_> = (0..3)
                .map(|a| block_on(bank.balance(AccountId(a))).unwrap())
                .collect();
            assert_eq!(balances, [10, 10, 10], "{}: money moved wrongly", B::STYLE);
        });
    }

    /// Three clients each move 4 out of an account holding 10 (to the
    /// other two accounts): exactly two succeed, the third is refused with
    /// the 2 that is left, and nothing is overdrawn. A balance check made
    /// outside the transfer's atomic step lets all three through.
    pub fn one_of_three_overdrafts_is_refused<B: Bank>() {
        explore(|| {
            let bank = Arc::new(B::new(&[10, 0, 0]));
            let outcomes = three_clients({
                let bank = Arc::clone(&bank);
                move |i| block_on(bank.transfer(AccountId(0), AccountId(1 + i % 2), 4))
            });
            let moved = outcomes.iter().filter(|o| o.is_ok()).count();
            assert_eq!(
                moved,
                2,
                "{}: {moved} of three transfers of 4 from 10 went through: {outcomes:?}",
                B::STYLE
            );
            let refused = outcomes.iter().find(|o| o.is_err()).unwrap();
            assert_eq!(
                *refused,
                Err(BankError::InsufficientFunds {
                    account: AccountId(0),
                    available: 2,
                    requested: 4
                }),
                "{}: the refusal",
                B::STYLE
            );
            assert_eq!(
                block_on(bank.balance(AccountId(0))),
                Ok(2),
                "{}: what is left",
                B::STYLE
            );
            assert_eq!(block_on(bank.audit()), 10, "{}: torn audit", B::STYLE);
        });
    }

    macro_rules! hosted {
        (
            facade: [$($f:ident: $ft:ty,)*],
            library: [$($l:ident: $lt:ty,)*],
            torn: [$($t:ident: $tt:ty,)*],
            broken: [$($b:ident: $bt:ty,)*],
        ) => {
            $(host!($f: $ft => ring_with_audits, one_of_three_overdrafts_is_refused);)*
            $(library!([ring_with_audits, one_of_three_overdrafts_is_refused] $l: $lt);)*
            $(#[test]
            #[should_panic(expected = "torn audit")]
            fn $t() {
                ring_with_audits::<$tt>();
            })*
            $(#[test]
            #[should_panic(expected = "deadlock")]
            fn $b() {
                ring_with_audits::<$bt>();
            })*
        };
    }

    patterns::for_each_bank!(hosted);
}

mod kv {
    use super::*;
    use patterns::kv::{Session, SessionStore};

    const HOT: u64 = 7;

    /// Three clients update one session by 1, 2 and 4, twice each, and
    /// each inserts a key of its own then races the others to insert a
    /// shared one: the updates' answers are six distinct totals ending at
    /// 14, and exactly one of the shared inserts finds the key absent.
    pub fn updates_and_inserts<S: SessionStore>() {
        explore(|| {
            let store = Arc::new(S::new(8));
            block_on(store.insert(HOT, Session::default()));
            let seen = three_clients({
                let store = Arc::clone(&store);
                move |i| {
                    let by = 1u64 << i;
                    let mut answers = Vec::new();
                    for _ in 0..2 {
                        answers.push(block_on(store.update(HOT, by)).expect("the hot key").hits);
                    }
                    let own = Session {
                        user: i as u64,
                        ..Session::default()
                    };
                    assert_eq!(block_on(store.insert(100 + i as u64, own)), None);
                    let first = block_on(store.insert(50, own)).is_none();
                    (answers, first)
                }
            });
            let mut answers: Vec<u64> = seen.iter().flat_map(|(a, _)| a.clone()).collect();
            answers.sort_unstable();
            answers.dedup();
            assert_eq!(
                answers.len(),
                6,
                "{}: lost write: update answers {seen:?}",
                S::STYLE
            );
            let hits = block_on(store.get(HOT)).expect("the hot key").hits;
            assert_eq!(
                hits,
                14,
                "{}: lost write: updates of 14 in all gave {hits}",
                S::STYLE
            );
            let firsts = seen.iter().filter(|(_, first)| *first).count();
            assert_eq!(
                firsts,
                1,
                "{}: {firsts} inserts of one key found it absent",
                S::STYLE
            );
            for i in 0..3u64 {
                assert_eq!(block_on(store.get(100 + i)).map(|s| s.user), Some(i));
            }
        });
    }

    macro_rules! hosted {
        (
            facade: [$($f:ident: $ft:ty,)*],
            library: [$($l:ident: $lt:ty,)*],
            torn: [],
            broken: [$($b:ident: $bt:ty,)*],
        ) => {
            $(host!($f: $ft => updates_and_inserts);)*
            $(library!([updates_and_inserts] $l: $lt);)*
            $(#[test]
            #[should_panic(expected = "lost write")]
            fn $b() {
                updates_and_inserts::<$bt>();
            })*
        };
    }

    patterns::for_each_store!(hosted);
}

mod jobs {
    use super::*;
    use patterns::jobs::{Job, JobError, JobRunner, run_job};

    /// Three callers run two jobs each on a two-worker runner, while the
    /// third caller shuts it down after its first: every job is answered
    /// with its result or refused as shut down, none is lost or left
    /// waiting (shuttle reports a wait nothing ends as a deadlock), and
    /// after the shutdown every job is refused.
    pub fn callers_racing_a_shutdown<R: JobRunner>() {
        explore(|| {
            let runner = Arc::new(R::new(2));
            let outcomes = three_clients({
                let runner = Arc::clone(&runner);
                move |i| {
                    (0..2)
                        .map(|k| {
                            let job = Job::spin(2, (i * 2 + k) as u64);
                            let outcome = block_on(runner.run(job));
                            if i == 2 && k == 0 {
                                runner.shutdown();
                            }
                            (job, outcome)
                        })
                        .collect::<Vec<_>>()
                }
            });
            for (job, outcome) in outcomes.into_iter().flatten() {
                assert!(
                    outcome == Ok(run_job(job)) || outcome == Err(JobError::ShutDown),
                    "{}: a job ended {outcome:?}",
                    R::STYLE
                );
            }
            assert_eq!(
                block_on(runner.run(Job::spin(1, 9))),
                Err(JobError::ShutDown)
            );
        });
    }

    /// Three callers with a job each on a one-worker runner, no shutdown:
    /// each gets its own result. With one worker, a job pushed while the
    /// worker waits must wake it (nobody else will take the job); and the
    /// broken bridge, which has no shutdown, must leave a caller waiting
    /// for a wake-up that never comes.
    pub fn three_callers_one_worker<R: JobRunner>() {
        explore(|| {
            let runner = Arc::new(R::new(1));
            let outcomes = three_clients({
                let runner = Arc::clone(&runner);
                move |i| {
                    let job = Job::spin(2, i as u64);
                    (job, block_on(runner.run(job)))
                }
            });
            for (job, outcome) in outcomes {
                assert_eq!(outcome, Ok(run_job(job)), "{}: a job's result", R::STYLE);
            }
        });
    }

    macro_rules! hosted {
        (
            facade: [$($f:ident: $ft:ty,)*],
            library: [$($l:ident: $lt:ty,)*],
            torn: [],
            broken: [$($b:ident: $bt:ty,)*],
        ) => {
            $(host!($f: $ft => callers_racing_a_shutdown, three_callers_one_worker);)*
            $(library!([callers_racing_a_shutdown, three_callers_one_worker] $l: $lt);)*
            $(#[test]
            #[should_panic(expected = "deadlock")]
            fn $b() {
                three_callers_one_worker::<$bt>();
            })*
        };
    }

    patterns::for_each_runner!(hosted);

    /// The pool's queue with a submitter cancelled while it waits: the
    /// loom model's schedule (see `jobs.rs`), with the cancelling thread
    /// spawned too, so shuttle also varies when the drop comes.
    mod job_queue {
        use super::*;
        use patterns::primitives::job_queue::JobQueue;
        use std::future::Future;
        use std::task::{Context, Waker};

        #[test]
        fn a_cancelled_submitter_does_not_strand_another() {
            explore(|| {
                let queue = Arc::new(JobQueue::<u64>::new(1));
                block_on(queue.push(0)).expect("open");
                let spawn_with = |f: fn(&JobQueue<u64>) -> Vec<u64>| {
                    let queue = Arc::clone(&queue);
                    thread::spawn(move || f(&queue))
                };
                let worker = spawn_with(|q| std::iter::from_fn(|| q.pop()).collect());
                let cancelling = spawn_with(|q| {
                    // Polled once: it may find room and get in; otherwise
                    // it is dropped waiting.
                    let mut cancelled = q.push(1);
                    let poll = std::pin::Pin::new(&mut cancelled)
                        .poll(&mut Context::from_waker(Waker::noop()));
                    if poll.is_ready() { vec![1] } else { vec![] }
                });
                block_on(queue.push(2)).expect("open");
                let got_in = cancelling.join().unwrap();
                queue.close();
                let mut got = worker.join().unwrap();
                got.sort_unstable();
                let expected: &[u64] = if got_in.is_empty() {
                    &[0, 2]
                } else {
                    &[0, 1, 2]
                };
                assert_eq!(got, expected, "an item was lost or duplicated");
            });
        }
    }

    /// The bridges' shutdown gate on its own (the runners' models cannot
    /// see a job still running when `shutdown` returns: its answer comes
    /// later either way). Three jobs try to enter while main closes the
    /// gate: when `close_and_wait` returns, every admitted job has
    /// finished, and the gate admits nothing more.
    mod gate {
        use super::*;
        use patterns::primitives::gate::Gate;
        use shuttle::sync::atomic::{AtomicBool, Ordering::SeqCst};

        #[test]
        fn waits_for_every_admitted_job() {
            explore(|| {
                let gate = Gate::new();
                let finished = Arc::new([const { AtomicBool::new(false) }; 3]);
                let jobs: Vec<_> = (0..3)
                    .map(|i| {
                        let (gate, finished) = (Arc::clone(&gate), Arc::clone(&finished));
                        thread::spawn(move || {
                            let pass = Gate::enter(&gate)?;
                            finished[i].store(true, SeqCst);
                            drop(pass);
                            Some(i)
                        })
                    })
                    .collect();
                gate.close_and_wait();
                let done: Vec<bool> = finished.iter().map(|f| f.load(SeqCst)).collect();
                assert!(Gate::enter(&gate).is_none(), "a closed gate admitted a job");
                for job in jobs {
                    if let Some(i) = job.join().unwrap() {
                        assert!(
                            done[i],
                            "shutdown returned while admitted job {i} was still running"
                        );
                    }
                }
            });
        }
    }
}
