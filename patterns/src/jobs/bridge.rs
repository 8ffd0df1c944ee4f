//! **bridge**: each job runs on a thread of its own, started by the seed's
//! hand-written `SpawnBlocking` future (on the facade), which the caller
//! awaits. The executor's thread is free while the job runs: the caller's
//! task is parked until the job's thread wakes it.
//!
//! A thread per job costs a spawn and a join (tens of microseconds here),
//! which is noise next to a millisecond of blocking I/O and ruinous next to
//! a microsecond of CPU work; and nothing bounds the number of threads, so
//! a burst of jobs becomes a burst of threads. The runtime bridges
//! (`tokio::task::spawn_blocking` and friends) keep a pool of threads
//! instead.
//!
//! Shutdown: a [`Gate`] refuses new jobs and waits for the admitted ones;
//! each job's thread belongs to its caller's future, which joins it.

use crate::jobs::{Job, JobError, JobRunner, run_caught};
use crate::primitives::gate::Gate;
use crate::primitives::spawn_blocking;
use crate::sync::Arc;

// ANCHOR: state
pub struct BridgeRunner {
    gate: Arc<Gate>,
}
// ANCHOR_END: state

impl JobRunner for BridgeRunner {
    const STYLE: &'static str = "bridge";
    // A thread per job, started at once: no queue, and no bound on the
    // threads (see the header).
    const BOUNDED_QUEUE: bool = false;

    fn new(_workers: usize) -> Self {
        BridgeRunner { gate: Gate::new() }
    }

    // ANCHOR: run
    async fn run(&self, job: Job) -> Result<u64, JobError> {
        let pass = Gate::enter(&self.gate).ok_or(JobError::ShutDown)?;
        spawn_blocking(move || {
            let result = run_caught(job);
            drop(pass); // finished: shutdown may stop waiting for this one
            result
        })
        .await
    }
    // ANCHOR_END: run

    fn shutdown(&self) {
        self.gate.close_and_wait();
    }
}

impl Drop for BridgeRunner {
    fn drop(&mut self) {
        self.shutdown();
    }
}
