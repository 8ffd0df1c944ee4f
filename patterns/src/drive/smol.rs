//! The smol driver: each client is a task on an `async_executor::Executor`
//! (smol's executor) run by one thread per core, which this driver owns and
//! joins when dropped.

use std::future::Future;
use std::sync::Arc as StdArc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use smol::Executor;
use smol::channel::{Sender, unbounded};

use super::{Driver, pin_this_thread, span, worker_threads};
use crate::ClientId;

pub struct Smol {
    executor: StdArc<Executor<'static>>,
    stop: Sender<()>,
    workers: Vec<JoinHandle<()>>,
}

impl Driver for Smol {
    const NAME: &'static str = "smol";

    fn new() -> Self {
        let executor = StdArc::new(Executor::new());
        let (stop, stopped) = unbounded::<()>();
        let workers = (0..worker_threads())
            .map(|i| {
                let (executor, stopped) = (StdArc::clone(&executor), stopped.clone());
                std::thread::spawn(move || {
                    pin_this_thread(i);
                    // Runs tasks until `stop` is closed.
                    let _ = smol::block_on(executor.run(stopped.recv()));
                })
            })
            .collect();
        Smol {
            executor,
            stop,
            workers,
        }
    }

    fn run<F, Fut>(&self, clients: usize, client: F) -> Duration
    where
        F: Fn(ClientId) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        smol::block_on(async {
            let start_line = StdArc::new(tokio::sync::Barrier::new(clients + 1));
            let finishers: Vec<_> = (0..clients)
                .map(|i| {
                    let work = client(ClientId(i));
                    let start_line = StdArc::clone(&start_line);
                    self.executor.spawn(async move {
                        start_line.wait().await;
                        let start = Instant::now();
                        work.await;
                        (start, Instant::now())
                    })
                })
                .collect();
            start_line.wait().await;
            let mut times = Vec::with_capacity(clients);
            for finisher in finishers {
                times.push(finisher.await);
            }
            span(times)
        })
    }
}

impl Drop for Smol {
    fn drop(&mut self) {
        self.stop.close();
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}
