//! # The jobs workload
//!
//! Async callers hand off work that would block their executor, CPU work or
//! a blocking wait, and await its result. The styles differ in where the
//! job runs: inline on the caller's executor thread (the danger), on a
//! thread per job (the seed's `SpawnBlocking`), on a runtime's blocking
//! pool (`tokio::task::spawn_blocking`, async-std's, smol's `unblock`), on
//! a fixed pool of workers behind a bounded queue, or on one worker.
//!
//! ## Contract (what every implementation promises)
//!
//! - `run(job)` returns the job's result ([`run_job`]) to its caller,
//!   exactly once;
//! - a job that panics gives its caller [`JobError::Panicked`] and leaves
//!   the runner working;
//! - `shutdown()` refuses jobs submitted after it ([`JobError::ShutDown`]),
//!   finishes every job accepted before it and answers its caller, and
//!   returns once the runner's own threads are joined. No accepted job is
//!   silently lost.
//! - Dropping the runner shuts it down.
//! - A runner with a queue (the pools, the actor) holds at most
//!   [`QUEUE_CAPACITY`] waiting jobs: a caller beyond that waits, as a task,
//!   without blocking its thread ([`JobRunner::queued`] says how many wait).
//!   The bridges and `inline` promise no bound: a runtime's blocking pool
//!   queues without limit once its thread cap is reached, a thread per job
//!   is bounded by nothing, and `inline` has no queue at all.

use std::future::Future;
use std::time::Duration;

pub mod actor;
pub mod bridge;
pub mod bridge_lost_wakeup;
pub mod inline;
pub mod pool;

#[cfg(not(workbench_loom))]
pub mod bridge_async_std;
#[cfg(not(workbench_loom))]
pub mod bridge_smol;
#[cfg(not(workbench_loom))]
pub mod bridge_tokio;
#[cfg(not(workbench_loom))]
pub mod pool_crossbeam;
#[cfg(not(workbench_loom))]
pub mod pool_seed;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// CPU work: `rounds` rounds of a hash over a small buffer (about 1 ns
    /// a round on the reference machine, so 1,000 rounds is about 1 µs).
    Spin { rounds: u32 },
    /// A blocking wait standing in for blocking I/O: `thread::sleep`.
    Sleep { micros: u32 },
}

/// One job: its work, a seed that makes its result unique, and whether it
/// panics instead of finishing (to test that a panic reaches its caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    pub work: Work,
    pub seed: u64,
    pub panics: bool,
}

impl Job {
    pub fn spin(rounds: u32, seed: u64) -> Job {
        Job {
            work: Work::Spin { rounds },
            seed,
            panics: false,
        }
    }

    pub fn sleep(micros: u32, seed: u64) -> Job {
        Job {
            work: Work::Sleep { micros },
            seed,
            panics: false,
        }
    }

    pub fn panicking(seed: u64) -> Job {
        Job {
            work: Work::Spin { rounds: 1 },
            seed,
            panics: true,
        }
    }
}

/// Why a job gave no result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// The job panicked; the message, if it was a string.
    Panicked(String),
    /// Submitted after `shutdown`: not accepted, not run.
    ShutDown,
    /// Accepted, then dropped without an answer (its queue entry or task
    /// was discarded). The contract forbids it; a runner reports it as
    /// such instead of passing it off as a refusal, so the checks can tell
    /// the two apart.
    Abandoned,
}

// ANCHOR: run_job
/// What a job computes: the specification every runner must deliver.
pub fn run_job(job: Job) -> u64 {
    if job.panics {
        panic!("job {} panics on purpose", job.seed);
    }
    match job.work {
        Work::Spin { rounds } => {
            // A dependent chain of multiply-xorshift rounds: the compiler
            // cannot skip or vectorise it, so its cost is proportional to
            // `rounds`.
            let mut x = job.seed | 1;
            for _ in 0..rounds {
                x ^= x >> 29;
                x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
                x ^= x >> 32;
            }
            x
        }
        Work::Sleep { micros } => {
            std::thread::sleep(Duration::from_micros(u64::from(micros)));
            job.seed
        }
    }
}
// ANCHOR_END: run_job

/// Runs `job`, catching a panic into [`JobError::Panicked`]: what every
/// runner does on the thread that runs the job.
pub fn run_caught(job: Job) -> Result<u64, JobError> {
    std::panic::catch_unwind(|| run_job(job)).map_err(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a non-string panic".to_string());
        JobError::Panicked(message)
    })
}

// ANCHOR: trait
/// A way to run blocking or CPU-bound jobs for async callers. See the
/// module docs for the contract.
pub trait JobRunner: Send + Sync + 'static {
    /// The style's name in reports, tests and the book, e.g. `"pool"`.
    const STYLE: &'static str;

    /// Whether it bounds the jobs waiting to run (and can count them:
    /// `queued`). False for the runners that start every job at once,
    /// each saying why in its file.
    const BOUNDED_QUEUE: bool = true;

    /// Whether dropping it stops and joins every thread it started (its
    /// drop test counts them). False where its work runs on a process-wide
    /// executor or pool that is not the style's to join; the style's file
    /// says which.
    const JOINS_ITS_THREADS: bool = true;

    /// A runner; pools start `workers` threads (at least one), other styles
    /// ignore it.
    fn new(workers: usize) -> Self;

    /// Runs `job` and returns its result.
    fn run(&self, job: Job) -> impl Future<Output = Result<u64, JobError>> + Send;

    /// Refuses new jobs, finishes the accepted ones, joins the runner's
    /// threads. Blocks the calling thread until then; idempotent.
    fn shutdown(&self);

    /// How many accepted jobs wait for a thread, for a runner that bounds
    /// them to [`QUEUE_CAPACITY`] (backpressure: a caller beyond it waits,
    /// as a task). `None` for a runner that makes no such promise; its
    /// header says why, and the bounded-queue check skips it by name.
    fn queued(&self) -> Option<usize> {
        None
    }
}
// ANCHOR_END: trait

/// Capacity of the pools' job queues: when it is full, callers wait.
pub const QUEUE_CAPACITY: usize = 1024;

// ANCHOR: registry
/// The registry: every job runner, named once, a line each with its tier
/// (see `crate::registry`).
#[macro_export]
macro_rules! for_each_runner {
    ($callback:ident $($args:tt)?) => {
        $crate::walk_registry! { $callback [$($args)?];
            facade inline: $crate::jobs::inline::InlineRunner,
            facade bridge: $crate::jobs::bridge::BridgeRunner,
            facade pool: $crate::jobs::pool::PoolRunner,
            facade actor: $crate::jobs::actor::ActorRunner,
            library bridge_tokio: $crate::jobs::bridge_tokio::TokioBridgeRunner,
            library bridge_async_std: $crate::jobs::bridge_async_std::AsyncStdBridgeRunner,
            library bridge_smol: $crate::jobs::bridge_smol::SmolBridgeRunner,
            library pool_crossbeam: $crate::jobs::pool_crossbeam::CrossbeamPoolRunner,
            broken bridge_lost_wakeup: $crate::jobs::bridge_lost_wakeup::LostWakeupBridgeRunner,
        }
    };
}
// ANCHOR_END: registry
