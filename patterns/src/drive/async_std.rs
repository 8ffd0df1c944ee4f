//! The async-std driver: each client is a task on async-std's global
//! executor (one thread per core by default). async-std is discontinued
//! upstream (RUSTSEC-2025-0052); see the `Smol` driver for its successor.

use std::future::Future;
use std::time::Duration;

use super::{AsyncDriver, Driver, Timed, run_spawned};
use crate::ClientId;

pub struct AsyncStd;

impl Driver for AsyncStd {
    const NAME: &'static str = "async_std";

    fn new() -> Self {
        AsyncStd
    }

    fn between_ops() -> impl Future<Output = ()> + Send {
        async_std::task::yield_now()
    }

    fn run_each<F, Fut, T>(&self, clients: usize, client: F) -> Timed<T>
    where
        F: Fn(ClientId) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        async_std::task::block_on(run_spawned(clients, client, async_std::task::spawn, || {
            std::future::ready(())
        }))
    }
}

impl AsyncDriver for AsyncStd {
    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send {
        async_std::task::sleep(duration)
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        async_std::task::yield_now()
    }
}
