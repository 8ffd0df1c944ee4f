//! The async-std driver: each client is a task on async-std's global
//! executor (one thread per core by default). async-std is discontinued
//! upstream (RUSTSEC-2025-0052); see the `Smol` driver for its successor.

use std::future::Future;
use std::sync::Arc as StdArc;
use std::time::{Duration, Instant};

use super::{Driver, span};
use crate::ClientId;

pub struct AsyncStd;

impl Driver for AsyncStd {
    const NAME: &'static str = "async_std";

    fn new() -> Self {
        AsyncStd
    }

    fn run<F, Fut>(&self, clients: usize, client: F) -> Duration
    where
        F: Fn(ClientId) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        async_std::task::block_on(async {
            // tokio's Barrier is runtime-agnostic; it only gates the start.
            let start_line = StdArc::new(tokio::sync::Barrier::new(clients + 1));
            let finishers: Vec<_> = (0..clients)
                .map(|i| {
                    let work = client(ClientId(i));
                    let start_line = StdArc::clone(&start_line);
                    async_std::task::spawn(async move {
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
