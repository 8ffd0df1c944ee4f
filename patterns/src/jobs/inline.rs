//! **inline** (the danger): the job runs inside the caller's future, on
//! whatever thread polls it, which under an async runtime is one of the
//! runtime's few worker threads. While a 1 ms job runs, that worker runs
//! nothing else: every other task queued on it waits, timers fire late,
//! and with as many long jobs as workers the whole runtime stops. The
//! jobs benchmark's heartbeat task measures exactly that lag.
//!
//! It is also the fastest style for tiny jobs, since nothing is handed
//! off: the baseline that every hand-off's cost is measured against.

use crate::jobs::{Job, JobError, JobRunner, run_caught};
use crate::sync::{AtomicBool, Ordering};

// ANCHOR: state
pub struct InlineRunner {
    shut_down: AtomicBool,
}
// ANCHOR_END: state

impl JobRunner for InlineRunner {
    const STYLE: &'static str = "inline";
    // Runs the job in the caller's poll: nothing waits in a queue.
    const BOUNDED_QUEUE: bool = false;

    fn new(_workers: usize) -> Self {
        InlineRunner {
            shut_down: AtomicBool::new(false),
        }
    }

    // ANCHOR: run
    async fn run(&self, job: Job) -> Result<u64, JobError> {
        if self.shut_down.load(Ordering::Acquire) {
            return Err(JobError::ShutDown);
        }
        // Right here, on the executor's thread.
        run_caught(job)
    }
    // ANCHOR_END: run

    fn shutdown(&self) {
        // Nothing runs anywhere but in callers' own futures.
        self.shut_down.store(true, Ordering::Release);
    }
}
