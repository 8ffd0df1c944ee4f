//! The jobs workload's contract tests: results reach their callers, panics
//! become errors, shutdown loses no accepted job. (Broken styles are left
//! to loom: a lost wake-up on real threads would hang the test.)

// Under the loom switch the facade is loom's; only loom-tests run then.
#![cfg(not(workbench_loom))]

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use patterns::ClientId;
use patterns::drive::{Driver, Tokio, block_on};
use patterns::jobs::{Job, JobError, JobRunner, run_job};

fn returns_each_jobs_result<R: JobRunner>() {
    let runner = R::new(2);
    for job in [Job::spin(1_000, 7), Job::spin(0, 8), Job::sleep(100, 9)] {
        assert_eq!(
            block_on(runner.run(job)),
            Ok(run_job(job)),
            "{}: {job:?}",
            R::STYLE
        );
    }
}

/// 16 tasks on a two-worker tokio runtime, 20 jobs each, every job's seed
/// unique: each caller must get its own job's result, once.
fn concurrent_callers_each_get_their_own_result<R: JobRunner>() {
    let driver = Tokio::new();
    let runner = Arc::new(driver.enter(|| R::new(2)));
    let wrong = Arc::new(Mutex::new(Vec::new()));
    driver.run(16, {
        let (runner, wrong) = (runner.clone(), wrong.clone());
        move |id: ClientId| {
            let (runner, wrong) = (runner.clone(), wrong.clone());
            async move {
                for n in 0..20u64 {
                    let job = if n % 4 == 0 {
                        Job::sleep(50, (id.0 as u64) << 32 | n)
                    } else {
                        Job::spin(500, (id.0 as u64) << 32 | n)
                    };
                    let got = runner.run(job).await;
                    if got != Ok(run_job(job)) {
                        wrong.lock().unwrap().push(format!("{job:?} gave {got:?}"));
                    }
                }
            }
        }
    });
    let wrong = wrong.lock().unwrap();
    assert!(
        wrong.is_empty(),
        "{}: {} wrong results, first: {}",
        R::STYLE,
        wrong.len(),
        wrong[0]
    );
}

fn a_panicking_job_is_reported_and_the_runner_survives<R: JobRunner>() {
    let runner = R::new(1);
    match block_on(runner.run(Job::panicking(3))) {
        Err(JobError::Panicked(message)) => {
            assert!(
                message.contains("job 3 panics on purpose"),
                "{}: {message}",
                R::STYLE
            )
        }
        other => panic!("{}: a panicking job gave {other:?}", R::STYLE),
    }
    let job = Job::spin(10, 4);
    assert_eq!(
        block_on(runner.run(job)),
        Ok(run_job(job)),
        "{}: after a panic",
        R::STYLE
    );
}

type Running<'r> = Pin<Box<dyn Future<Output = Result<u64, JobError>> + Send + 'r>>;

/// Submits jobs and polls each once (so the runner has accepted it: queued
/// it, started its thread, or run it), shuts the runner down, then awaits
/// them all: every accepted job must have finished with its result, and a
/// job submitted after shutdown is refused.
fn shutdown_finishes_accepted_jobs_and_refuses_new_ones<R: JobRunner>() {
    let runner = R::new(1);
    let jobs: Vec<Job> = (0..8).map(|n| Job::sleep(2_000, n)).collect();
    let mut context = Context::from_waker(Waker::noop());
    let mut running: Vec<(Job, Running<'_>)> = Vec::new();
    let mut finished = Vec::new();
    for job in &jobs {
        let mut future: Running<'_> = Box::pin(runner.run(*job));
        match future.as_mut().poll(&mut context) {
            Poll::Ready(result) => finished.push((*job, result)),
            Poll::Pending => running.push((*job, future)),
        }
    }
    runner.shutdown();
    finished.extend(
        running
            .into_iter()
            .map(|(job, future)| (job, block_on(future))),
    );
    for (job, result) in finished {
        assert_eq!(
            result,
            Ok(run_job(job)),
            "{}: accepted {job:?} was lost",
            R::STYLE
        );
    }
    assert_eq!(
        block_on(runner.run(Job::spin(1, 1))),
        Err(JobError::ShutDown),
        "{}",
        R::STYLE
    );
    runner.shutdown(); // idempotent
}

macro_rules! contract_tests {
    (
        facade: [$($f:ident: $ft:ty,)*],
        library: [$($l:ident: $lt:ty,)*],
        torn: [$($t:ident: $tt:ty,)*],
        broken: [$($b:ident: $bt:ty,)*],
    ) => {
        $(contract_tests!(@one $f: $ft);)*
        $(contract_tests!(@one $l: $lt);)*
    };
    (@one $module:ident: $runner:ty) => {
        mod $module {
            #[test]
            fn returns_each_jobs_result() {
                super::returns_each_jobs_result::<$runner>();
            }

            #[test]
            fn concurrent_callers_each_get_their_own_result() {
                super::concurrent_callers_each_get_their_own_result::<$runner>();
            }

            #[test]
            fn a_panicking_job_is_reported_and_the_runner_survives() {
                super::a_panicking_job_is_reported_and_the_runner_survives::<$runner>();
            }

            #[test]
            fn shutdown_finishes_accepted_jobs_and_refuses_new_ones() {
                super::shutdown_finishes_accepted_jobs_and_refuses_new_ones::<$runner>();
            }
        }
    };
}

patterns::for_each_runner!(contract_tests);

/// With the one worker busy, a thousand more submissions than the queue
/// holds: each submitting future returns `Pending` (the task waits; the
/// thread polling it is free), the queue holds exactly its capacity, and
/// once the worker is free every job still completes with its result.
#[test]
fn a_full_pool_queue_makes_the_task_wait_not_the_thread() {
    use patterns::jobs::QUEUE_CAPACITY;
    use patterns::jobs::pool::PoolRunner;
    const EXTRA: usize = 1_000;
    let runner = PoolRunner::new(1);
    let mut context = Context::from_waker(Waker::noop());
    // Job 0 holds the worker long enough for everything below.
    let mut submitted: Vec<Running<'_>> = Vec::new();
    for n in 0..(1 + QUEUE_CAPACITY + EXTRA) as u64 {
        let micros = if n == 0 { 300_000 } else { 0 };
        let mut future: Running<'_> = Box::pin(runner.run(Job::sleep(micros, n)));
        assert!(future.as_mut().poll(&mut context).is_pending());
        submitted.push(future);
        if n == 0 {
            // Let the worker take job 0 off the queue.
            while runner.queued() > 0 {
                std::thread::yield_now();
            }
        }
    }
    assert_eq!(
        runner.queued(),
        QUEUE_CAPACITY,
        "{EXTRA} submissions beyond the capacity must wait outside the queue"
    );
    for (n, future) in submitted.into_iter().enumerate() {
        assert_eq!(block_on(future), Ok(n as u64));
    }
}
