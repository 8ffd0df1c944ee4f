//! Dropping an implementation stops and joins every thread it started.
//!
//! This is its own test binary with a single test, because it counts the
//! process's threads (`/proc/self/task`): other tests running in parallel
//! would change the count.

// Under the loom switch the facade is loom's; only loom-tests run then.
#![cfg(not(workbench_loom))]

mod common;

use std::future::Future;
use std::time::{Duration, Instant};

use patterns::bank::{AccountId, Bank};
use patterns::counter::Counter;
use patterns::drive::{Threads, block_on};
use patterns::jobs::{Job, JobRunner, run_job};
use patterns::kv::{Session, SessionStore};
use patterns::routes::{RouteTable, Table};

fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("this test needs Linux's /proc")
        .count()
}

/// A joined thread can linger in `/proc` for a moment while the kernel
/// reaps it; give it a bounded time to go.
fn settles_to(expected: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = thread_count();
        if now == expected || Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn assert_joined(style: &str, before: usize) {
    let after = settles_to(before);
    assert_eq!(
        after,
        before,
        "{style} left {} thread(s) running",
        after as isize - before as isize
    );
}

fn leaves_no_thread<C: Counter>() {
    let before = thread_count();
    let counter = C::new(4);
    common::stress::<C, Threads>(&Threads, 4, 50, 1).unwrap();
    block_on(counter.add(patterns::ClientId(0), 1));
    assert_eq!(block_on(counter.get()), 1);
    drop(counter);
    assert_joined(C::STYLE, before);
}

fn bank_leaves_no_thread<B: Bank>() {
    let before = thread_count();
    let bank = B::new(&[3, 4]);
    block_on(bank.transfer(AccountId(0), AccountId(1), 2)).unwrap();
    assert_eq!(block_on(bank.audit()), 7);
    drop(bank);
    assert_joined(B::STYLE, before);
}

fn store_leaves_no_thread<S: SessionStore>() {
    let before = thread_count();
    let store = S::new(8);
    block_on(store.insert(1, Session::default()));
    assert_eq!(block_on(store.update(1, 2)).map(|s| s.hits), Some(2));
    drop(store);
    assert_joined(S::STYLE, before);
}

fn table_leaves_no_thread<T: RouteTable>() {
    let before = thread_count();
    let table = T::new(Table::new(1, 4));
    block_on(table.replace(Table::new(2, 4)));
    assert_eq!(block_on(table.route(3)).version, 2);
    drop(table);
    assert_joined(T::STYLE, before);
}

fn runner_leaves_no_thread<R: JobRunner>() {
    let before = thread_count();
    let runner = R::new(2);
    let job = Job::spin(10, 5);
    assert_eq!(block_on(runner.run(job)), Ok(run_job(job)));
    // A caller cancelled mid-job (polled once, then dropped, as a
    // `timeout` would): its job may go on running, but not past the
    // runner's drop.
    let mut cancelled = Box::pin(runner.run(Job::sleep(20_000, 6)));
    let waker = std::task::Waker::noop();
    let _ = cancelled
        .as_mut()
        .poll(&mut std::task::Context::from_waker(waker));
    drop(cancelled);
    drop(runner);
    assert_joined(R::STYLE, before);
}

fn server_leaves_no_thread<S: patterns::server::Server>() {
    use std::io::{BufRead, BufReader, Write};
    let before = thread_count();
    let server = S::start(patterns::server::Config::default()).expect("start");
    let mut client = std::net::TcpStream::connect(server.local_addr()).unwrap();
    client.write_all(b"PING\n").unwrap();
    let mut reply = String::new();
    BufReader::new(&client).read_line(&mut reply).unwrap();
    assert_eq!(reply, "PONG\n");
    let _idle = client; // still open: shutdown must close it and join its thread
    server.shutdown();
    assert_joined(S::STYLE, before);
}

macro_rules! server_drop_checks {
    (
        facade: [$($f:ident: $ft:ty,)*],
        library: [$($l:ident: $lt:ty,)*],
        torn: [$($t:ident: $tt:ty,)*],
        broken: [$($b:ident: $bt:ty,)*],
    ) => {
        fn every_server_joins_its_threads() {
            $(
                // A style on a process-wide executor says so
                // (`JOINS_ITS_THREADS`); its shutdown waits for its tasks.
                if <$lt as patterns::server::Server>::JOINS_ITS_THREADS {
                    server_leaves_no_thread::<$lt>();
                }
            )*
        }
    };
}

patterns::for_each_server!(server_drop_checks);

macro_rules! runner_drop_checks {
    (
        facade: [$($f:ident: $ft:ty,)*],
        library: [$($l:ident: $lt:ty,)*],
        torn: [$($t:ident: $tt:ty,)*],
        broken: [$($b:ident: $bt:ty,)*],
    ) => {
        fn every_runner_joins_its_threads() {
            $(runner_leaves_no_thread::<$ft>();)*
            $(
                // A runner on a process-wide blocking pool says so
                // (`JOINS_ITS_THREADS`); for it the check is that drop
                // returns (after waiting for admitted jobs).
                if <$lt>::JOINS_ITS_THREADS {
                    runner_leaves_no_thread::<$lt>();
                } else {
                    let _runner = <$lt>::new(2); // dropped here
                }
            )*
        }
    };
}

patterns::for_each_runner!(runner_drop_checks);

macro_rules! store_drop_checks {
    (
        facade: [$($f:ident: $ft:ty,)*],
        library: [$($l:ident: $lt:ty,)*],
        torn: [$($t:ident: $tt:ty,)*],
        broken: [$($b:ident: $bt:ty,)*],
    ) => {
        fn every_store_joins_its_threads() {
            $(store_leaves_no_thread::<$ft>();)*
            $(
                // As for the counter: by the style's `JOINS_ITS_THREADS`.
                if <$lt>::JOINS_ITS_THREADS {
                    store_leaves_no_thread::<$lt>();
                } else {
                    let _store = <$lt>::new(8); // dropped here
                }
            )*
        }
    };
}

patterns::for_each_store!(store_drop_checks);

macro_rules! table_drop_checks {
    (
        facade: [$($f:ident: $ft:ty,)*],
        library: [$($l:ident: $lt:ty,)*],
        torn: [],
        broken: [$($b:ident: $bt:ty,)*],
    ) => {
        fn every_table_joins_its_threads() {
            $(table_leaves_no_thread::<$ft>();)*
            $(table_leaves_no_thread::<$lt>();)*
        }
    };
}

patterns::for_each_route_table!(table_drop_checks);

macro_rules! bank_drop_checks {
    (
        facade: [$($f:ident: $ft:ty,)*],
        library: [$($l:ident: $lt:ty,)*],
        torn: [$($t:ident: $tt:ty,)*],
        broken: [$($b:ident: $bt:ty,)*],
    ) => {
        fn every_bank_joins_its_threads() {
            $(bank_leaves_no_thread::<$ft>();)*
            $(bank_leaves_no_thread::<$lt>();)*
            $(bank_leaves_no_thread::<$tt>();)*
        }
    };
}

patterns::for_each_bank!(bank_drop_checks);

macro_rules! drop_checks {
    (
        facade: [$($f:ident: $ft:ty,)*],
        library: [$($l:ident: $lt:ty,)*],
        torn: [$($t:ident: $tt:ty,)*],
        broken: [$($b:ident: $bt:ty,)*],
    ) => {
        #[test]
        fn dropping_joins_every_thread() {
            $(leaves_no_thread::<$ft>();)*
            $(
                // async-std runs on a process-wide executor and blocking pool,
                // and `smol::unblock` on that same pool: not the
                // implementation's to join, and each such style says so
                // (`JOINS_ITS_THREADS`); for those the check is that drop
                // returns (the actor waits for its task).
                if <$lt>::JOINS_ITS_THREADS {
                    leaves_no_thread::<$lt>();
                } else {
                    let _counter = <$lt>::new(4); // dropped here
                }
            )*
            every_bank_joins_its_threads();
            every_store_joins_its_threads();
            every_table_joins_its_threads();
            every_runner_joins_its_threads();
            every_server_joins_its_threads();
        }
    };
}

patterns::for_each_counter!(drop_checks);
