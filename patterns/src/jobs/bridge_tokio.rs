//! **bridge_tokio**: each job runs on tokio's blocking pool
//! (`spawn_blocking`), a pool that keeps idle threads alive for a while and
//! grows on demand up to 512 threads by default. A job costs a hand-off to
//! a pooled thread instead of a thread spawn, and any number of blocking
//! jobs can wait at once (up to the cap), where a fixed pool of N workers
//! is full with N sleepers. The cost of that freedom: nothing bounds the
//! queue of jobs waiting for a thread once the cap is reached.
//!
//! Created inside a tokio runtime, the runner uses that runtime's pool;
//! anywhere else it brings a runtime of its own (only for its pool).
//! Shutdown: a [`Gate`] refuses new jobs and waits for the admitted ones.

use crate::sync::tokio::runtime::{Handle, Runtime};

use crate::jobs::{Job, JobError, JobRunner, run_caught};
use crate::primitives::gate::Gate;
use crate::primitives::tokio_home::blocking_pool;
use crate::sync::Arc;

// ANCHOR: state
pub struct TokioBridgeRunner {
    gate: Arc<Gate>,
    pool: Handle,
    /// Keeps the pool alive when the runner had to bring its own runtime.
    _own_runtime: Option<Runtime>,
}
// ANCHOR_END: state

impl JobRunner for TokioBridgeRunner {
    const STYLE: &'static str = "bridge_tokio";
    // tokio's blocking pool queues what its threads cannot take, without
    // a bound we could count.
    const BOUNDED_QUEUE: bool = false;

    fn new(_workers: usize) -> Self {
        // The ambient runtime's blocking pool, or one of its own: see
        // `blocking_pool`.
        let (pool, own_runtime) = blocking_pool();
        TokioBridgeRunner {
            gate: Gate::new(),
            pool,
            _own_runtime: own_runtime,
        }
    }

    // ANCHOR: run
    async fn run(&self, job: Job) -> Result<u64, JobError> {
        let pass = Gate::enter(&self.gate).ok_or(JobError::ShutDown)?;
        let handle = self.pool.spawn_blocking(move || {
            let result = run_caught(job);
            drop(pass);
            result
        });
        // The job's panic was caught inside; the join fails only if the
        // runtime shut down before running it.
        handle.await.unwrap_or(Err(JobError::Abandoned))
    }
    // ANCHOR_END: run

    fn shutdown(&self) {
        self.gate.close_and_wait();
    }
}

impl Drop for TokioBridgeRunner {
    fn drop(&mut self) {
        self.shutdown();
    }
}
