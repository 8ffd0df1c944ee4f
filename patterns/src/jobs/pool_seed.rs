//! **pool_seed** (broken, as the seed wrote it): seed 002's "Real-World
//! Pattern: Worker Pool", transcribed. Async tasks on async-std share the
//! handler through an `Arc`, take work from one bounded channel (twice as
//! many places as workers), answer on a one-shot channel per job, and stop
//! when they receive a `Shutdown` message; `shutdown` sends one per worker.
//! Two things are this file's and not the seed's: the handler is the
//! workbench's [`run_caught`] (so a panicking job is an answer, and the row
//! is judged on its shutdown alone), and `shutdown` takes `&self`, as the
//! workload's trait does, where the seed's took the pool by value.
//!
//! What it gets right: the handler is shared read-only, with no lock; the
//! bounded channel makes a caller wait when the workers are behind; and a
//! `Shutdown` queues behind the jobs sent before it, so those are done
//! before the workers stop.
//!
//! What it gets wrong, each a way of accepting a job and never answering:
//! - `shutdown` leaves the channel open. A job sent after the last
//!   `Shutdown` (by a caller racing the shutdown, or after it returned) is
//!   accepted by `send`, and no worker will ever receive it: its caller
//!   waits forever, because the pool's own sender keeps the channel, and
//!   the job in it, alive.
//! - A caller already waiting for a place when the `Shutdown`s are sent can
//!   be overtaken by them, with the same result.
//! - `shutdown` returns as soon as the messages are queued, while workers
//!   may still be running jobs: nothing is joined.
//! - The handler runs on the async executor's own threads: a blocking job
//!   stalls one of them (the jobs chapter's first lesson).
//!
//! The fix is the one `pool` makes: close the queue instead of sending
//! messages into it (a closed channel refuses later sends and lets the
//! workers drain what is left), and join the workers. Never registered or
//! measured: its test asserts that the shutdown check catches it.

use std::sync::Arc;

use async_std::channel::{Receiver, Sender, bounded};

use crate::jobs::{Job, JobError, JobRunner, run_caught};

// ANCHOR: pool
enum WorkItem {
    Task(Job, Sender<Result<u64, JobError>>),
    Shutdown,
}

pub struct SeedPoolRunner {
    workers: usize,
    sender: Sender<WorkItem>,
}

impl JobRunner for SeedPoolRunner {
    const STYLE: &'static str = "pool_seed";
    // Its tasks run on async-std's process-wide executor.
    const JOINS_ITS_THREADS: bool = false;

    fn new(workers: usize) -> Self {
        let workers = workers.max(1);
        let (sender, receiver): (Sender<WorkItem>, Receiver<WorkItem>) = bounded(workers * 2);
        let handler = Arc::new(run_caught);
        for _ in 0..workers {
            let receiver = receiver.clone();
            let handler = Arc::clone(&handler);
            async_std::task::spawn(async move {
                while let Ok(item) = receiver.recv().await {
                    match item {
                        WorkItem::Task(task, reply) => {
                            let result = handler(task);
                            reply.send(result).await.ok();
                        }
                        WorkItem::Shutdown => break,
                    }
                }
            });
        }
        SeedPoolRunner { workers, sender }
    }

    async fn run(&self, job: Job) -> Result<u64, JobError> {
        let (reply_tx, reply_rx) = bounded(1);
        self.sender
            .send(WorkItem::Task(job, reply_tx))
            .await
            .map_err(|_| JobError::ShutDown)?;
        reply_rx.recv().await.unwrap_or(Err(JobError::Abandoned))
    }

    fn shutdown(&self) {
        for _ in 0..self.workers {
            async_std::task::block_on(self.sender.send(WorkItem::Shutdown)).ok();
        }
    }

    fn queued(&self) -> Option<usize> {
        Some(self.sender.len())
    }
}
// ANCHOR_END: pool
