//! The thread driver: each client is a scoped OS thread that runs its
//! future with [`block_on`](super::block_on).

use std::future::Future;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use super::{ClientOp, Driver, block_on, pin_this_thread, span, with_blocker};
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
        run_threads(clients, |id| {
            let work = client(id);
            move || block_on(work)
        })
    }

    fn run_ops<B, N>(&self, clients: usize, ops: N, body: Arc<B>) -> Duration
    where
        B: ClientOp,
        N: Fn(ClientId) -> u64 + Send + Sync + 'static,
    {
        run_threads(clients, |id| {
            let (body, count) = (&body, ops(id));
            move || {
                with_blocker(|blocker| {
                    for op in 0..count {
                        blocker.block_on(body.op(id, op));
                    }
                })
            }
        })
    }
}

/// Spawns one scoped thread per client; `prepare(id)` runs before the start
/// line and returns the timed work.
fn run_threads<'env, P, W>(clients: usize, prepare: P) -> Duration
where
    P: Fn(ClientId) -> W + Sync + 'env,
    W: FnOnce() + Send + 'env,
{
    let start_line = Barrier::new(clients + 1);
    std::thread::scope(|scope| {
        let finishers: Vec<_> = (0..clients)
            .map(|i| {
                let (start_line, prepare) = (&start_line, &prepare);
                scope.spawn(move || {
                    pin_this_thread(i);
                    let work = prepare(ClientId(i));
                    start_line.wait();
                    let start = Instant::now();
                    work();
                    (start, Instant::now())
                })
            })
            .collect();
        start_line.wait();
        span(finishers.into_iter().map(|t| {
            t.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        }))
    })
}
