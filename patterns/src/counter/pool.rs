//! **pool**: the seed's worker pool, written from first principles on the
//! facade, applied to state. N worker threads (one per client, at most one
//! per core); each owns a shard of the total as a plain `u64` and receives
//! from its own bounded inbox. `add` goes to the client's worker
//! (`client % N`); `get` asks every worker at once and sums the answers
//! (scatter, then gather).
//!
//! Why an inbox per worker and not the seed's one shared queue: a shared
//! queue hands a request to whichever worker is free, so `get` could not
//! reach every shard, and all clients would contend on one queue lock. With
//! one inbox per worker, clients on different workers never meet. This is
//! the sharded actor; the jobs workload has the shared-queue pool, where any
//! worker may run any job.
//!
//! Full inbox: the caller blocks (backpressure). Drop: every inbox is
//! closed, every worker drains and exits, and all are joined.

use crate::ClientId;
use crate::Helpers;
use crate::counter::Counter;
use crate::primitives::BoundedQueue;
use crate::primitives::INBOX_CAPACITY;
use crate::primitives::reply::{MAX_ANSWERS, ReplyTo, with_this_thread_reply_queue};
use crate::sync::{Arc, JoinHandle, cores, spawn};

// ANCHOR: state
pub struct PoolCounter {
    workers: Vec<Worker>,
}

struct Worker {
    inbox: Arc<BoundedQueue<Job>>,
    thread: Option<JoinHandle<()>>,
}

enum Job {
    Add { n: u64, reply: ReplyTo },
    Report { reply: ReplyTo },
}
// ANCHOR_END: state

// ANCHOR: owner
fn run_worker(inbox: &BoundedQueue<Job>) {
    let mut shard: u64 = 0;
    while let Some(job) = inbox.pop() {
        match job {
            Job::Add { n, reply } => {
                shard = shard.wrapping_add(n);
                let _ = reply.push(0);
            }
            Job::Report { reply } => {
                let _ = reply.push(shard);
            }
        }
    }
}
// ANCHOR_END: owner

impl PoolCounter {
    fn send(worker: &Worker, job: Job) {
        if worker.inbox.push(job).is_err() {
            unreachable!("inboxes close only in drop, after every caller");
        }
    }
}

impl Counter for PoolCounter {
    const STYLE: &'static str = "pool";
    // Busy besides its callers: one worker per client, at most one per core (`new`).
    const HELPERS: Helpers = Helpers::Threads(|clients| clients.clamp(1, cores().min(MAX_ANSWERS)));
    // `get` gathers the workers' shards one by one: see the header.
    const LINEARIZABLE: bool = false;

    fn new(clients: usize) -> Self {
        let size = clients.clamp(1, cores().min(MAX_ANSWERS));
        let workers = (0..size)
            .map(|_| {
                let inbox = Arc::new(BoundedQueue::new(INBOX_CAPACITY));
                let thread = spawn({
                    let inbox = Arc::clone(&inbox);
                    move || run_worker(&inbox)
                });
                Worker {
                    inbox,
                    thread: Some(thread),
                }
            })
            .collect();
        PoolCounter { workers }
    }

    // ANCHOR: add
    async fn add(&self, client: ClientId, n: u64) {
        let worker = &self.workers[client.0 % self.workers.len()];
        with_this_thread_reply_queue(|reply| {
            let reply_to = Arc::clone(reply);
            Self::send(worker, Job::Add { n, reply: reply_to });
            reply.pop().expect("reply queues are never closed");
        })
    }
    // ANCHOR_END: add

    // ANCHOR: get
    async fn get(&self) -> u64 {
        with_this_thread_reply_queue(|reply| {
            for worker in &self.workers {
                Self::send(
                    worker,
                    Job::Report {
                        reply: Arc::clone(reply),
                    },
                );
            }
            (0..self.workers.len()).fold(0u64, |sum, _| {
                sum.wrapping_add(reply.pop().expect("reply queues are never closed"))
            })
        })
    }
    // ANCHOR_END: get
}

impl Drop for PoolCounter {
    fn drop(&mut self) {
        for worker in &self.workers {
            worker.inbox.close();
        }
        for worker in &mut self.workers {
            if let Some(thread) = worker.thread.take() {
                let _ = thread.join();
            }
        }
    }
}
