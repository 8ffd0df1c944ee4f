//! The tokio driver: each client is a task on a multi-thread runtime with one
//! worker per core.

use std::future::Future;
use std::sync::Arc as StdArc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use super::{AsyncDriver, Driver, Timed, pin_this_thread, run_spawned, worker_threads};
use crate::ClientId;

pub struct Tokio {
    runtime: tokio::runtime::Runtime,
}

impl Driver for Tokio {
    const NAME: &'static str = "tokio";

    fn new() -> Self {
        // The runtime starts its workers as it is built, before any blocking
        // thread: the first `workers` threads to start are the workers, and
        // only they are pinned. Later threads (tokio's blocking pool, used
        // by `spawn_blocking` styles) are left to the scheduler.
        let workers = worker_threads();
        let started = StdArc::new(AtomicUsize::new(0));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            // The timer, as every application runtime has it (the seed's
            // `enable_all`); harnesses sleep on it. It costs a parking
            // worker a look at the timer wheel, nothing per task.
            .enable_time()
            .on_thread_start(move || {
                let nth = started.fetch_add(1, Relaxed);
                if nth < workers {
                    pin_this_thread(nth);
                }
            })
            .build()
            .expect("building the tokio driver's runtime");
        Tokio { runtime }
    }

    fn enter<R>(&self, make: impl FnOnce() -> R) -> R {
        let _context = self.runtime.enter();
        make()
    }

    fn between_ops() -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }

    fn run_each<F, Fut, T>(&self, clients: usize, client: F) -> Timed<T>
    where
        F: Fn(ClientId) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        // Spawned at once (`run_spawned` collects the handles before the
        // start line); awaiting the handle re-raises a client's panic.
        let spawn = |task| {
            let handle = tokio::spawn(task);
            async move {
                handle
                    .await
                    .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
            }
        };
        // The last task through the start line wakes the others into its
        // worker's LIFO slot, which other workers cannot steal from; a
        // client that never yields would then run all of them one after
        // another on that worker. Yielding once lets the woken tasks run
        // and the idle workers steal.
        self.runtime
            .block_on(run_spawned(clients, client, spawn, tokio::task::yield_now))
    }
}

impl AsyncDriver for Tokio {
    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(duration)
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }
}
