//! **pool_crossbeam**: the `pool` style with a bounded crossbeam channel as
//! the job queue. Workers receive with crossbeam's spin-then-park; callers
//! await each job's answer on a one-shot [`Completion`].
//!
//! Backpressure: crossbeam's `send` blocks the *thread* when the channel is
//! full, which under an async runtime would stall an executor thread, and
//! crossbeam has no way to register a task's waker for a free slot. So the
//! caller uses `try_send`, and when the queue is full it yields to its
//! executor and retries: it never blocks a thread, but under sustained
//! overload it busy-waits. The facade `pool`'s queue, which parks the
//! waiting task until a worker makes room, is the better design for that
//! case; this row shows what the fast channel buys when the queue has room.
//!
//! Shutdown: the runner drops its sender; once callers still sending have
//! sent, the channel disconnects, the workers drain it and exit, and are
//! joined.

use std::future::poll_fn;
use std::task::Poll;

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};

use crate::jobs::{Job, JobError, JobRunner, QUEUE_CAPACITY, run_caught};
use crate::primitives::completion::{Completion, completion};
use crate::sync::{JoinHandle, Mutex, lock, spawn};

type Queued = (Job, Completion<Result<u64, JobError>>);

pub struct CrossbeamPoolRunner {
    queue: Mutex<Option<Sender<Queued>>>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

fn run_worker(queue: Receiver<Queued>) {
    for (job, done) in queue {
        done.complete(run_caught(job));
    }
}

impl JobRunner for CrossbeamPoolRunner {
    const STYLE: &'static str = "pool_crossbeam";

    fn new(workers: usize) -> Self {
        let (queue, jobs) = bounded(QUEUE_CAPACITY);
        let workers = (0..workers.max(1))
            .map(|_| {
                let jobs = jobs.clone();
                spawn(move || run_worker(jobs))
            })
            .collect();
        CrossbeamPoolRunner {
            queue: Mutex::new(Some(queue)),
            workers: Mutex::new(workers),
        }
    }

    // ANCHOR: run
    async fn run(&self, job: Job) -> Result<u64, JobError> {
        let Some(queue) = lock(&self.queue).clone() else {
            return Err(JobError::ShutDown);
        };
        let (done, result) = completion();
        let mut item = Some((job, done));
        poll_fn(|cx| match queue.try_send(item.take().expect("sent once")) {
            Ok(()) => Poll::Ready(Ok(())),
            Err(TrySendError::Disconnected(_)) => Poll::Ready(Err(JobError::ShutDown)),
            Err(TrySendError::Full(back)) => {
                // Full: yield to the executor and try again.
                item = Some(back);
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })
        .await?;
        drop(queue);
        result.await.unwrap_or(Err(JobError::Abandoned))
    }
    // ANCHOR_END: run

    fn shutdown(&self) {
        // Dropping the last sender disconnects the channel once callers
        // holding a clone have sent: workers drain it and exit.
        drop(lock(&self.queue).take());
        let workers = std::mem::take(&mut *lock(&self.workers));
        for worker in workers {
            let _ = worker.join();
        }
    }

    fn queued(&self) -> Option<usize> {
        // After shutdown nothing can be queued any more.
        Some(lock(&self.queue).as_ref().map_or(0, Sender::len))
    }
}

impl Drop for CrossbeamPoolRunner {
    fn drop(&mut self) {
        self.shutdown();
    }
}
