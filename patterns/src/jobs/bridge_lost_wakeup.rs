//! **bridge_lost_wakeup** (broken on purpose): the `bridge` style with a
//! hand-written `SpawnBlocking` that checks for the value and stores its
//! waker in two separate critical sections. If the job's thread publishes
//! its value in between, it finds no waker and wakes nobody; the future has
//! already decided to wait, and waits forever. Rare on real hardware (the
//! window is a few instructions), certain under loom, which reports the
//! hang as a deadlock. Never benchmarked.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::jobs::{Job, JobError, JobRunner, run_caught};
use crate::sync::{Arc, JoinHandle, Mutex, lock, spawn};

struct Shared {
    value: Option<Result<u64, JobError>>,
    waker: Option<Waker>,
}

struct BrokenSpawnBlocking {
    shared: Arc<Mutex<Shared>>,
    thread: Option<JoinHandle<()>>,
}

fn spawn_job(job: Job) -> BrokenSpawnBlocking {
    let shared = Arc::new(Mutex::new(Shared {
        value: None,
        waker: None,
    }));
    let thread = spawn({
        let shared = Arc::clone(&shared);
        move || {
            let value = run_caught(job);
            let waker = {
                let mut shared = lock(&shared);
                shared.value = Some(value);
                shared.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    });
    BrokenSpawnBlocking {
        shared,
        thread: Some(thread),
    }
}

// ANCHOR: poll
impl Future for BrokenSpawnBlocking {
    type Output = Result<u64, JobError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let value = lock(&this.shared).value.take(); // lock released here
        if let Some(value) = value {
            if let Some(thread) = this.thread.take() {
                let _ = thread.join();
            }
            return Poll::Ready(value);
        }
        // BUG: the job's thread can publish its value right here, between
        // the two critical sections. It finds no waker, wakes nobody, and
        // the waker stored below is never used.
        lock(&this.shared).waker = Some(cx.waker().clone());
        Poll::Pending
    }
}
// ANCHOR_END: poll

impl Drop for BrokenSpawnBlocking {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub struct LostWakeupBridgeRunner;

impl JobRunner for LostWakeupBridgeRunner {
    const STYLE: &'static str = "bridge_lost_wakeup";
    // A thread per job, as the correct bridge.
    const BOUNDED_QUEUE: bool = false;

    fn new(_workers: usize) -> Self {
        LostWakeupBridgeRunner
    }

    async fn run(&self, job: Job) -> Result<u64, JobError> {
        spawn_job(job).await
    }

    fn shutdown(&self) {}
}
