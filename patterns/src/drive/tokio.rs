//! The tokio driver: each client is a task on a multi-thread runtime with one
//! worker per core.

use std::future::Future;
use std::sync::Arc as StdArc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use super::{Driver, pin_this_thread, span, worker_threads};
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

    fn run<F, Fut>(&self, clients: usize, client: F) -> Duration
    where
        F: Fn(ClientId) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.runtime.block_on(async {
            let start_line = StdArc::new(tokio::sync::Barrier::new(clients + 1));
            let finishers: Vec<_> = (0..clients)
                .map(|i| {
                    let work = client(ClientId(i));
                    let start_line = StdArc::clone(&start_line);
                    tokio::spawn(async move {
                        start_line.wait().await;
                        // The last task through the start line wakes the
                        // others into its worker's LIFO slot, which other
                        // workers cannot steal from; a client that never
                        // yields would then run all of them one after
                        // another on that worker. Yielding once lets the
                        // woken tasks run and the idle workers steal.
                        tokio::task::yield_now().await;
                        let start = Instant::now();
                        work.await;
                        (start, Instant::now())
                    })
                })
                .collect();
            start_line.wait().await;
            let mut times = Vec::with_capacity(clients);
            for finisher in finishers {
                match finisher.await {
                    Ok(client_times) => times.push(client_times),
                    Err(e) => std::panic::resume_unwind(e.into_panic()),
                }
            }
            span(times)
        })
    }
}
