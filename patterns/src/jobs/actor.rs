//! **actor**: one worker thread runs every job, one at a time: the pool
//! with a single worker, the degenerate case, kept to show what
//! serialising the jobs costs. Callers never block an executor thread
//! (they await the worker's answer), but every job waits for all the jobs
//! queued before it, so throughput is one core's, and one slow job delays
//! everything behind it.

use crate::jobs::pool::PoolRunner;
use crate::jobs::{Job, JobError, JobRunner};

// ANCHOR: state
pub struct ActorRunner {
    worker: PoolRunner,
}
// ANCHOR_END: state

impl JobRunner for ActorRunner {
    const STYLE: &'static str = "actor";

    fn new(_workers: usize) -> Self {
        ActorRunner {
            worker: PoolRunner::new(1),
        }
    }

    async fn run(&self, job: Job) -> Result<u64, JobError> {
        self.worker.run(job).await
    }

    fn shutdown(&self) {
        self.worker.shutdown();
    }

    fn queued(&self) -> Option<usize> {
        Some(self.worker.queued())
    }
}
