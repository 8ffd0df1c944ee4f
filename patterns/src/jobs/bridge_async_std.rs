//! **bridge_async_std**: each job runs on async-std's blocking pool
//! (`task::spawn_blocking`, the `blocking` crate's process-wide pool, which
//! grows on demand like tokio's). async-std is discontinued upstream; smol's
//! `unblock` is the same pool (see `bridge_smol`).
//! Shutdown: a [`Gate`] refuses new jobs and waits for the admitted ones.

use async_std::task;

use crate::jobs::{Job, JobError, JobRunner, run_caught};
use crate::primitives::gate::Gate;
use crate::sync::Arc;

pub struct AsyncStdBridgeRunner {
    gate: Arc<Gate>,
}

impl JobRunner for AsyncStdBridgeRunner {
    const STYLE: &'static str = "bridge_async_std";
    // Starts every job at once on async-std's blocking pool, which is
    // process-wide: no queue of ours, no threads of ours to join.
    const BOUNDED_QUEUE: bool = false;
    const JOINS_ITS_THREADS: bool = false;

    fn new(_workers: usize) -> Self {
        AsyncStdBridgeRunner { gate: Gate::new() }
    }

    // ANCHOR: run
    async fn run(&self, job: Job) -> Result<u64, JobError> {
        let pass = Gate::enter(&self.gate).ok_or(JobError::ShutDown)?;
        task::spawn_blocking(move || {
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

impl Drop for AsyncStdBridgeRunner {
    fn drop(&mut self) {
        self.shutdown();
    }
}
