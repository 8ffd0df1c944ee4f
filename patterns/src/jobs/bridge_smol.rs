//! **bridge_smol**: each job runs on the `blocking` crate's process-wide
//! thread pool through `smol::unblock`, which works under any executor (it
//! returns a plain future). The pool grows on demand up to 500 threads and
//! retires idle ones.
//! Shutdown: a [`Gate`] refuses new jobs and waits for the admitted ones.

use crate::jobs::{Job, JobError, JobRunner, run_caught};
use crate::primitives::gate::Gate;
use crate::sync::Arc;

pub struct SmolBridgeRunner {
    gate: Arc<Gate>,
}

impl JobRunner for SmolBridgeRunner {
    const STYLE: &'static str = "bridge_smol";
    // Starts every job at once on the `blocking` pool, which is
    // process-wide: no queue of ours, no threads of ours to join.
    const BOUNDED_QUEUE: bool = false;
    const JOINS_ITS_THREADS: bool = false;

    fn new(_workers: usize) -> Self {
        SmolBridgeRunner { gate: Gate::new() }
    }

    // ANCHOR: run
    async fn run(&self, job: Job) -> Result<u64, JobError> {
        let pass = Gate::enter(&self.gate).ok_or(JobError::ShutDown)?;
        smol::unblock(move || {
            let result = run_caught(job);
            drop(pass);
            result
        })
        .await
    }
    // ANCHOR_END: run

    fn shutdown(&self) {
        self.gate.close_and_wait();
    }
}

impl Drop for SmolBridgeRunner {
    fn drop(&mut self) {
        self.shutdown();
    }
}
