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
use patterns::server::Server;

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

/// `joins`: the style's `JOINS_ITS_THREADS`. One that does not join is
/// only built and dropped (the drop must return): its work would start a
/// process-wide pool's threads, which stay and would count against every
/// style checked after it.
fn leaves_no_thread<C: Counter>(joins: bool) {
    let before = thread_count();
    let counter = C::new(4);
    if !joins {
        return;
    }
    common::stress::<C, Threads>(&Threads, 4, 50, 1).unwrap();
    block_on(counter.add(patterns::ClientId(0), 1));
    assert_eq!(block_on(counter.get()), 1);
    drop(counter);
    assert_joined(C::STYLE, before);
}

fn bank_leaves_no_thread<B: Bank>(joins: bool) {
    let before = thread_count();
    let bank = B::new(&[3, 4]);
    if !joins {
        return;
    }
    block_on(bank.transfer(AccountId(0), AccountId(1), 2)).unwrap();
    assert_eq!(block_on(bank.audit()), 7);
    drop(bank);
    assert_joined(B::STYLE, before);
}

fn store_leaves_no_thread<S: SessionStore>(joins: bool) {
    let before = thread_count();
    let store = S::new(8);
    if !joins {
        return;
    }
    block_on(store.insert(1, Session::default()));
    assert_eq!(block_on(store.update(1, 2)).map(|s| s.hits), Some(2));
    drop(store);
    assert_joined(S::STYLE, before);
}

fn table_leaves_no_thread<T: RouteTable>(joins: bool) {
    let before = thread_count();
    let table = T::new(Table::new(1, 4));
    if !joins {
        return;
    }
    block_on(table.replace(Table::new(2, 4)));
    assert_eq!(block_on(table.route(3)).version, 2);
    drop(table);
    assert_joined(T::STYLE, before);
}

fn runner_leaves_no_thread<R: JobRunner>(joins: bool) {
    let before = thread_count();
    let runner = R::new(2);
    if !joins {
        return;
    }
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

fn server_leaves_no_thread<S: patterns::server::Server>(joins: bool) {
    use std::io::{BufRead, BufReader, Write};
    // Starting it would start the process-wide executor it runs on.
    if !joins {
        return;
    }
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

/// Every style of every registry leaves no thread behind once dropped: a
/// facade or torn style always (its threads are its own, whatever it
/// declares); a library style as it declares (`JOINS_ITS_THREADS`): one on
/// a process-wide executor or blocking pool (async-std's, or
/// `smol::unblock` on that same pool) is not the implementation's to join,
/// and for it the check is that drop returns (an actor waits for its task,
/// a runner for its admitted jobs). A broken style is kept for its bug,
/// which is not in its drop.
#[test]
fn dropping_joins_every_thread() {
    macro_rules! joins {
        ([$check:ident] facade $name:ident: $style:ty) => {
            $check::<$style>(true);
        };
        ([$check:ident] torn $name:ident: $style:ty) => {
            $check::<$style>(true);
        };
        ([$check:ident] library $name:ident: $style:ty) => {
            $check::<$style>(<$style>::JOINS_ITS_THREADS);
        };
        ([$check:ident] broken $name:ident: $style:ty) => {};
    }
    patterns::for_each_counter!(joins[leaves_no_thread]);
    patterns::for_each_bank!(joins[bank_leaves_no_thread]);
    patterns::for_each_store!(joins[store_leaves_no_thread]);
    patterns::for_each_route_table!(joins[table_leaves_no_thread]);
    patterns::for_each_runner!(joins[runner_leaves_no_thread]);
    patterns::for_each_server!(joins[server_leaves_no_thread]);
}
