//! shuttle models of the jobs runners, the job queue and the bridges' gate.

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
    (facade $f:ident: $ft:ty) => {
        host!($f: $ft => callers_racing_a_shutdown, three_callers_one_worker);
    };
    (library $l:ident: $lt:ty) => {
        library!([callers_racing_a_shutdown, three_callers_one_worker] $l: $lt);
    };
    (broken $b:ident: $bt:ty) => {
        mod $b {
            #[test]
            #[should_panic(expected = "deadlock")]
            fn three_callers_one_worker() {
                super::three_callers_one_worker::<$bt>();
            }
        }
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
