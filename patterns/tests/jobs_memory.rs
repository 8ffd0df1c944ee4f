//! The pool's bound, measured as memory: its own test binary with a single
//! test, because it reads the process's resident memory (`/proc`), which
//! tests running in parallel in the same process would change.

// Under the loom switch the facade is loom's; only loom-tests run then.
#![cfg(not(workbench_loom))]

use patterns::drive::block_on;
use patterns::jobs::{Job, JobRunner, run_job};

/// A million submissions from one producer that never waits for a result,
/// to a pool whose one worker is slower than the producer: the producer is
/// held to the worker's pace by the bounded queue, the queue never holds
/// more than its capacity, and the process's memory barely moves.
#[test]
fn a_million_submissions_keep_the_pool_bounded() {
    use patterns::jobs::QUEUE_CAPACITY;
    use patterns::jobs::pool::PoolRunner;
    const SUBMISSIONS: u64 = 1_000_000;
    let rss_kib = || -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").expect("Linux's /proc");
        let line = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .expect("a VmRSS line");
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    let runner = PoolRunner::new(1);
    let before = rss_kib();
    let (mut longest_queue, mut answers) = (0, Vec::new());
    block_on(async {
        for n in 0..SUBMISSIONS {
            let result = runner.submit(Job::spin(600, n)).await.expect("open");
            if n % 100_000 == 0 {
                answers.push((n, result)); // keep a few answers to check
            }
            if n % 1_000 == 0 {
                longest_queue = longest_queue.max(runner.queued());
            }
        }
    });
    let grown_mib = rss_kib().saturating_sub(before) / 1024;
    for (n, result) in answers {
        assert_eq!(block_on(result), Some(Ok(run_job(Job::spin(600, n)))));
    }
    assert!(
        longest_queue <= QUEUE_CAPACITY,
        "the queue held {longest_queue} jobs"
    );
    assert!(
        longest_queue > QUEUE_CAPACITY / 2,
        "the producer never got ahead of the worker: the test tests nothing"
    );
    assert!(
        grown_mib < 32,
        "memory grew by {grown_mib} MiB over {SUBMISSIONS} submissions"
    );
}
