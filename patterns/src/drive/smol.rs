//! The smol driver: each client is a task on an `async_executor::Executor`
//! (smol's executor) run by one thread per core, which this driver owns and
//! joins when dropped. Its threads, and styles built in [`Driver::enter`],
//! see the executor as their ambient one
//! ([`smol_home`](crate::primitives::smol_home)).

use std::future::Future;
use std::sync::Arc as StdArc;
use std::thread::JoinHandle;
use std::time::Duration;

use smol::Executor;
use smol::channel::{Sender, unbounded};

use super::{AsyncDriver, Driver, Timed, pin_this_thread, run_spawned, worker_threads};
use crate::ClientId;
use crate::primitives::smol_home::with_ambient;

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
                    // Runs tasks until `stop` is closed; tasks find the
                    // executor as their ambient one (see `smol_home`).
                    with_ambient(&executor, || {
                        let _ = smol::block_on(executor.run(stopped.recv()));
                    });
                })
            })
            .collect();
        Smol {
            executor,
            stop,
            workers,
        }
    }

    /// Builds a style with this driver's executor as the ambient one, so
    /// that it can put its tasks beside the clients' (`smol_home`).
    fn enter<R>(&self, make: impl FnOnce() -> R) -> R {
        with_ambient(&self.executor, make)
    }

    fn between_ops() -> impl Future<Output = ()> + Send {
        smol::future::yield_now()
    }

    fn run_each<F, Fut, T>(&self, clients: usize, client: F) -> Timed<T>
    where
        F: Fn(ClientId) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = T> + Send + 'static,
        T: Send + 'static,
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
