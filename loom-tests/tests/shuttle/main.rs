//! shuttle models: the facade styles and the library styles shuttle has
//! stand-ins for (parking_lot, dashmap, tokio's runtime, channels and
//! mutex), every workload that runs in one process. Each model runs under
//! shuttle's random scheduler and its PCT scheduler
//! (`loom_tests::explore`); unlike loom, shuttle samples schedules instead
//! of enumerating them, so the models are larger than loom's: three
//! clients, several operations each.
//!
//! ```sh
//! RUSTFLAGS="--cfg workbench_shuttle" \
//!     cargo test -p loom-tests --release --target-dir target-shuttle --test shuttle
//! ```
//!
//! One module per workload (`counter.rs`, `bank.rs`, `kv.rs`, `jobs.rs`, `routes.rs`
//! beside this file), so that a style's models are found as
//! `<workload>::<style>::`. Every library style of every registry is named
//! in its workload's module, either hosted or with the reason it cannot
//! be: a new library style fails to compile here until someone decides
//! which (`library!` has no catch-all).

#![cfg(workbench_shuttle)]

use std::sync::Arc;

use loom_tests::explore;
use shuttle::future::block_on;
use shuttle::thread;

/// Three clients: main and two spawned threads, each running `client(i)`
/// to completion. Returns what each client returned, in client order.
fn three_clients<T: Send + 'static>(client: impl Fn(usize) -> T + Send + Sync + 'static) -> Vec<T> {
    let client = Arc::new(client);
    let others: Vec<_> = (1..3)
        .map(|i| {
            let client = Arc::clone(&client);
            thread::spawn(move || client(i))
        })
        .collect();
    let mut results = vec![client(0)];
    results.extend(others.into_iter().map(|t| t.join().unwrap()));
    results
}

/// A module named after a hosted style, with a test per model, so that a
/// style's models are found by its name (`bank::ordered::`), as the planted-
/// bug runner does.
macro_rules! host {
    ($style:ident: $t:ty => $($model:ident),+) => {
        mod $style {
            $(#[test]
            fn $model() {
                super::$model::<$t>();
            })+
        }
    };
}

/// A module named after a style shuttle cannot host, whose one test is
/// ignored with the reason: the same reasons in every workload.
macro_rules! not_hosted {
    ($style:ident: crossbeam) => {
        mod $style {
            #[test]
            #[ignore = "crossbeam-channel spins and parks OS threads itself; shuttle's scheduler would never see its waits"]
            fn cannot_host() {}
        }
    };
    ($style:ident: async_std) => {
        mod $style {
            #[test]
            #[ignore = "async-std's executor and blocking pool are OS threads outside shuttle's scheduler"]
            fn cannot_host() {}
        }
    };
    ($style:ident: arc_swap) => {
        mod $style {
            #[test]
            #[ignore = "arc-swap's atomics and its readers' debt slots are its own, outside shuttle's scheduler (and a store waits for readers to pay their debts, which under shuttle's one-thread-at-a-time schedule would never happen)"]
            fn cannot_host() {}
        }
    };
    ($style:ident: smol) => {
        mod $style {
            #[test]
            #[ignore = "smol's executor (and blocking's pool) are OS threads outside shuttle's scheduler"]
            fn cannot_host() {}
        }
    };
}

/// Whether shuttle hosts a library style, decided once per style name for
/// every workload: the styles on parking_lot, dashmap and tokio get a
/// module of `models` (see `host!`); the others a module with one ignored
/// test that names the reason, so that the test list shows every style
/// and none passes unchecked. No catch-all: a new library style does not
/// compile here until it is given a line.
macro_rules! library {
    ([$($m:ident),+] mutex_parking_lot: $t:ty) => { host!(mutex_parking_lot: $t => $($m),+); };
    ([$($m:ident),+] rwlock_parking_lot: $t:ty) => { host!(rwlock_parking_lot: $t => $($m),+); };
    ([$($m:ident),+] dashmap: $t:ty) => { host!(dashmap: $t => $($m),+); };
    ([$($m:ident),+] mutex_tokio: $t:ty) => { host!(mutex_tokio: $t => $($m),+); };
    ([$($m:ident),+] actor_tokio: $t:ty) => { host!(actor_tokio: $t => $($m),+); };
    ([$($m:ident),+] actor_tokio_batched: $t:ty) => { host!(actor_tokio_batched: $t => $($m),+); };
    ([$($m:ident),+] bridge_tokio: $t:ty) => { host!(bridge_tokio: $t => $($m),+); };
    ($m:tt actor_crossbeam: $t:ty) => { not_hosted!(actor_crossbeam: crossbeam); };
    ($m:tt actor_crossbeam_unacked: $t:ty) => { not_hosted!(actor_crossbeam_unacked: crossbeam); };
    ($m:tt pool_crossbeam: $t:ty) => { not_hosted!(pool_crossbeam: crossbeam); };
    ($m:tt actor_async_std: $t:ty) => { not_hosted!(actor_async_std: async_std); };
    ($m:tt bridge_async_std: $t:ty) => { not_hosted!(bridge_async_std: async_std); };
    ($m:tt arc_swap: $t:ty) => { not_hosted!(arc_swap: arc_swap); };
    ($m:tt actor_smol: $t:ty) => { not_hosted!(actor_smol: smol); };
    ($m:tt bridge_smol: $t:ty) => { not_hosted!(bridge_smol: smol); };
}

mod bank;
mod counter;
mod jobs;
mod kv;
mod routes;
