//! The thread driver: each client is a scoped OS thread that runs its
//! future with [`block_on`](super::block_on).

use std::future::Future;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use super::{Driver, block_on};
use crate::ClientId;

pub struct Threads;

impl Driver for Threads {
    const NAME: &'static str = "threads";

    fn new() -> Self {
        Threads
    }

    fn run<F, Fut>(&self, clients: usize, client: F) -> Duration
    where
        F: Fn(ClientId) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let start_line = Barrier::new(clients + 1);
        std::thread::scope(|scope| {
            let finishers: Vec<_> = (0..clients)
                .map(|i| {
                    let (start_line, client) = (&start_line, &client);
                    scope.spawn(move || {
                        let work = client(ClientId(i));
                        start_line.wait();
                        block_on(work);
                        Instant::now()
                    })
                })
                .collect();
            start_line.wait();
            let start = Instant::now();
            let finish = finishers
                .into_iter()
                .map(|t| t.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                .max()
                .unwrap_or(start);
            finish.saturating_duration_since(start)
        })
    }
}
