//! Machinery written once and shared by several styles: the bounded queue
//! that actors and pools receive from (and the [`backoff`] it spins with
//! before parking), the per-thread reply queue they
//! answer on, the seed's `SpawnBlocking` future, the jobs' queue,
//! completion and shutdown gate (all on the facade, so loom checks them),
//! where tokio and smol styles run ([`tokio_home`], [`smol_home`]), and the workbench's one random
//! number generator ([`rng`]).

pub mod admission;
pub mod backoff;
pub mod bounded_queue;
pub mod completion;
pub mod gate;
pub mod job_queue;
pub mod reply;
pub mod rng;
#[cfg(not(workbench_loom))]
pub mod smol_home;
pub mod spawn_blocking;
#[cfg(not(workbench_loom))]
pub mod tokio_home;

pub use bounded_queue::BoundedQueue;
pub use spawn_blocking::{SpawnBlocking, spawn_blocking};

/// Capacity of every actor's and pool's inbox, in every workload. A full
/// inbox makes senders wait (backpressure): memory stays bounded however
/// far clients run ahead.
pub const INBOX_CAPACITY: usize = 1024;

/// What the primitives' unit tests share.
#[cfg(all(test, not(any(workbench_loom, workbench_shuttle))))]
pub(crate) mod test_support {
    use std::time::Duration;

    /// Runs `wait` on a thread of its own and fails, naming `what`, if it
    /// has not returned within 10 s: a lost wake-up fails the test instead
    /// of hanging it (and the planted-bug runner's unit tier with it; the
    /// blocked thread is left behind).
    pub fn within<T: Send + 'static>(what: &str, wait: impl FnOnce() -> T + Send + 'static) -> T {
        let (done, outcome) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = done.send(wait());
        });
        outcome
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("{what} never returned: a lost wake-up"))
    }
}
