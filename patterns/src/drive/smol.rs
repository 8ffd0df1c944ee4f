//! The smol driver: each client is a task on an `async_executor::Executor`
//! (smol's executor) run by one thread per core, which this driver owns and
//! joins when dropped.

use std::future::Future;
use std::sync::Arc as StdArc;
use std::thread::JoinHandle;
use std::time::Duration;

use smol::Executor;
use smol::channel::{Sender, unbounded};

use super::{AsyncDriver, Driver, pin_this_thread, run_spawned, worker_threads};
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
        smol::block_on(run_spawned(
            clients,
            client,
            |task| self.executor.spawn(task),
            || std::future::ready(()),
        ))
    }
}

impl AsyncDriver for Smol {
    async fn sleep(duration: Duration) {
        smol::Timer::after(duration).await;
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        smol::future::yield_now()
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
