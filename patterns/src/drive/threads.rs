//! The thread driver: each client is a scoped OS thread that runs its
//! future with [`block_on`](super::block_on).

use std::future::Future;
use std::sync::{Arc, Barrier};
use std::time::Instant;

use super::{ClientOp, Driver, Stop, Timed, block_on, pin_this_thread, span, with_blocker};
use crate::ClientId;

pub struct Threads;

impl Driver for Threads {
    const NAME: &'static str = "threads";
    const CLIENTS_ARE_THREADS: bool = true;

    fn new() -> Self {
        Threads
    }

    fn run_each<F, Fut, T>(&self, clients: usize, client: F) -> Timed<T>
    where
        F: Fn(ClientId) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        run_threads(clients, |id| {
            let work = client(id);
            move || block_on(work)
        })
    }

    fn run_until<B: ClientOp>(&self, clients: usize, stop: &Stop, body: Arc<B>) -> Timed<u64> {
        run_threads(clients, |id| {
            let body = &body;
            move || {
                with_blocker(|blocker| {
                    stop.arm();
                    let mut op = 0;
                    while !stop.is_set() {
                        blocker.block_on(body.op(id, op));
                        op += 1;
                    }
                    op
                })
            }
        })
    }
}

/// Spawns one scoped thread per client; `prepare(id)` runs before the start
/// line and returns the timed work.
fn run_threads<'env, P, W, T>(clients: usize, prepare: P) -> Timed<T>
where
    P: Fn(ClientId) -> W + Sync + 'env,
    W: FnOnce() -> T + Send + 'env,
    T: Send + 'env,
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
                    let output = work();
                    (start, Instant::now(), output)
                })
            })
            .collect();
        start_line.wait();
        let (mut times, mut outputs) = (Vec::new(), Vec::new());
        for finisher in finishers {
            let (start, finish, output) = finisher
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            times.push((start, finish));
            outputs.push(output);
        }
        Timed {
            span: span(times),
            outputs,
        }
    })
}
