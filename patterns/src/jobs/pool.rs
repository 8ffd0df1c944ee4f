//! **pool**: the seed's worker pool, written from first principles on the
//! facade: a fixed number of worker threads take jobs from one bounded
//! queue and answer each job's caller through a one-shot [`Completion`].
//!
//! Threads are started once, so a job costs a queue hand-off and a wake-up
//! instead of a thread spawn; the number of jobs running at once is the
//! number of workers, however many callers submit, so a burst cannot
//! become a burst of threads. The queue is bounded: when it is full, a
//! caller's *task* waits (the [`JobQueue`] push is a future), and the pool's
//! memory stays bounded however far callers run ahead.
//!
//! The price of the bound is that a pool of N workers runs at most N
//! blocking jobs at once: N sleeping jobs occupy it completely. A
//! runtime's blocking pool (tokio's `spawn_blocking`) grows instead, up to
//! hundreds of threads.
//!
//! Shutdown: the queue is closed (new jobs are refused), the workers finish
//! every queued job, answer its caller, and are joined.

use crate::jobs::{Job, JobError, JobRunner, QUEUE_CAPACITY, run_caught};
use crate::primitives::completion::{Completed, Completion, completion};
use crate::primitives::job_queue::JobQueue;
use crate::sync::{Arc, JoinHandle, Mutex, lock, spawn};

type Queued = (Job, Completion<Result<u64, JobError>>);

// ANCHOR: state
pub struct PoolRunner {
    queue: Arc<JobQueue<Queued>>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}
// ANCHOR_END: state

// ANCHOR: worker
fn run_worker(queue: &JobQueue<Queued>) {
    while let Some((job, done)) = queue.pop() {
        // A panicking job is caught here: the worker lives on.
        done.complete(run_caught(job));
    }
}
// ANCHOR_END: worker

impl PoolRunner {
    /// Jobs waiting for a worker.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Submits `job` and returns once the pool has accepted it (waiting, as
    /// a task, while the queue is full), with a future of its result. A
    /// producer that submits without awaiting results is slowed to the
    /// workers' pace: the pool's memory stays bounded however many jobs it
    /// submits. Dropping the result future abandons the answer, not the job.
    pub async fn submit(&self, job: Job) -> Result<Completed<Result<u64, JobError>>, JobError> {
        let (done, result) = completion();
        match self.queue.push((job, done)).await {
            Ok(()) => Ok(result),
            Err(_) => Err(JobError::ShutDown),
        }
    }
}

impl JobRunner for PoolRunner {
    const STYLE: &'static str = "pool";

    fn new(workers: usize) -> Self {
        let queue = Arc::new(JobQueue::new(QUEUE_CAPACITY));
        let workers = (0..workers.max(1))
            .map(|_| {
                let queue = Arc::clone(&queue);
                spawn(move || run_worker(&queue))
            })
            .collect();
        PoolRunner {
            queue,
            workers: Mutex::new(workers),
        }
    }

    // ANCHOR: run
    async fn run(&self, job: Job) -> Result<u64, JobError> {
        // Waits (as a task) while the queue is full; refused once closed.
        let result = self.submit(job).await?;
        // A worker always completes an accepted job; `None` would mean it
        // was dropped unrun, which only a closed queue could do.
        result.await.unwrap_or(Err(JobError::Abandoned))
    }
    // ANCHOR_END: run

    fn shutdown(&self) {
        self.queue.close();
        let workers = std::mem::take(&mut *lock(&self.workers));
        for worker in workers {
            let _ = worker.join();
        }
    }

    fn queued(&self) -> Option<usize> {
        Some(PoolRunner::queued(self))
    }
}

impl Drop for PoolRunner {
    fn drop(&mut self) {
        self.shutdown();
    }
}
