//! Counter benchmarks: every style from the registry under every driver,
//! with 1, cores and 2 x cores clients, in two scenarios, beside the raw
//! primitives they are built on. Ends by printing the side-by-side report.
//!
//! Each measurement: criterion asks for `iters` operations; the driver
//! starts the clients, each does its share (`iters / clients`), all start at
//! a barrier, and the time runs from their release until the last finishes.
//! `Throughput::Elements(1)` per operation turns that into aggregate ops/s.

use std::future::Future;
use std::hint::black_box;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::SystemTime;

use benches::report::{self, COUNTER};
use benches::{Drivers, Either, PerDriver, measure_ops, share};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Throughput};
use patterns::ClientId;
use patterns::counter::Counter;
use patterns::drive::{ClientOp, Driver, Threads, Tokio};

type Group<'a> = BenchmarkGroup<'a, WallTime>;

#[derive(Clone, Copy)]
enum Scenario {
    /// Every operation is `add(client, 1)`.
    Add,
    /// Every tenth operation is `get()`.
    Mixed,
}

impl Scenario {
    fn group(self) -> &'static str {
        match self {
            Scenario::Add => "counter-add",
            Scenario::Mixed => "counter-mixed",
        }
    }

    /// In `Mixed`, operations 9, 19, 29... are reads.
    fn is_tenth(op: u64) -> bool {
        op % 10 == 9
    }

    fn is_get(self, op: u64) -> bool {
        matches!(self, Scenario::Mixed) && Self::is_tenth(op)
    }
}

// ANCHOR: client
/// What a client does, one operation at a time, through the trait; the same
/// for every style. The driver runs the loop. The scenario is a type
/// parameter so that the operation carries no run-time branch on it; the
/// two possible operations are one [`Either`] future.
struct CounterClient<C, const MIXED: bool> {
    counter: C,
}

impl<C: Counter, const MIXED: bool> ClientOp for CounterClient<C, MIXED> {
    fn op(&self, id: ClientId, op: u64) -> impl Future<Output = ()> + Send + '_ {
        if MIXED && Scenario::is_tenth(op) {
            Either::Right(self.counter.get())
        } else {
            Either::Left(self.counter.add(id, 1))
        }
    }
}

// ANCHOR_END: client

fn bench_style_under<C: Counter, D: Driver>(
    group: &mut Group,
    driver: &D,
    scenario: Scenario,
    clients: usize,
) {
    let id = BenchmarkId::new(format!("{}@{}", C::STYLE, D::NAME), clients);
    match scenario {
        Scenario::Add => {
            let counter = driver.enter(|| C::new(clients));
            measure_ops(
                group,
                id,
                driver,
                clients,
                CounterClient::<C, false> { counter },
            )
        }
        Scenario::Mixed => {
            let counter = driver.enter(|| C::new(clients));
            measure_ops(
                group,
                id,
                driver,
                clients,
                CounterClient::<C, true> { counter },
            )
        }
    }
}

/// One style in one scenario with some clients, under each chosen driver.
struct StyleRun<'g, 'c, C> {
    group: &'g mut Group<'c>,
    scenario: Scenario,
    clients: usize,
    style: PhantomData<C>,
}

impl<C: Counter> PerDriver for StyleRun<'_, '_, C> {
    fn under<D: Driver>(&mut self, driver: &D) {
        bench_style_under::<C, D>(self.group, driver, self.scenario, self.clients);
    }
}

fn bench_style<C: Counter>(
    group: &mut Group,
    drivers: &Drivers,
    scenario: Scenario,
    clients: usize,
) {
    drivers.for_each_chosen(&mut StyleRun::<C> {
        group,
        scenario,
        clients,
        style: PhantomData,
    });
}

macro_rules! bench_every_style {
    (
        facade: [$($f:ident: $ft:ty,)*],
        library: [$($l:ident: $lt:ty,)*],
        broken: [$($b:ident: $bt:ty,)*],
    ) => {
        fn bench_every_style(group: &mut Group, drivers: &Drivers, scenario: Scenario, clients: usize) {
            $(bench_style::<$ft>(group, drivers, scenario, clients);)*
            $(bench_style::<$lt>(group, drivers, scenario, clients);)*
            // Broken styles are not benchmarked: the speed of a wrong answer
            // is no result.
        }
    };
}
patterns::for_each_counter!(bench_every_style);

// ANCHOR: baselines
/// The hand-written loop the `atomic` style must match: `fetch_add` on a
/// shared atomic, no trait, no future, same harness.
fn baseline_fetch_add(group: &mut Group, threads: &Threads, scenario: Scenario, clients: usize) {
    let total = Arc::new(AtomicU64::new(0));
    let id = BenchmarkId::new("baseline_fetch_add@threads", clients);
    group.bench_function(id, |b| {
        b.iter_custom(|iters| {
            let total = Arc::clone(&total);
            threads.run(clients, move |id| {
                let (total, ops) = (Arc::clone(&total), share(iters, clients, id.0));
                async move {
                    match scenario {
                        Scenario::Add => {
                            for _ in 0..ops {
                                total.fetch_add(1, Relaxed);
                            }
                        }
                        Scenario::Mixed => {
                            for op in 0..ops {
                                if Scenario::is_tenth(op) {
                                    black_box(total.load(Relaxed));
                                } else {
                                    total.fetch_add(1, Relaxed);
                                }
                            }
                        }
                    }
                }
            })
        })
    });
}

/// A bare crossbeam server: a thread that receives `(n, reply_to)` from a
/// bounded(1024) channel and answers with the running total. Each client
/// makes its reply channel once.
fn baseline_crossbeam_round_trip(
    group: &mut Group,
    threads: &Threads,
    scenario: Scenario,
    clients: usize,
) {
    use crossbeam_channel::{Sender, bounded};
    let (requests, inbox) = bounded::<(u64, Sender<u64>)>(1024);
    let server = std::thread::spawn(move || {
        let mut total = 0u64;
        for (n, reply) in inbox {
            total += n;
            let _ = reply.send(total);
        }
    });
    let id = BenchmarkId::new("baseline_crossbeam_round_trip@threads", clients);
    group.bench_function(id, |b| {
        b.iter_custom(|iters| {
            let requests = requests.clone();
            threads.run(clients, move |id| {
                let (requests, ops) = (requests.clone(), share(iters, clients, id.0));
                async move {
                    let (reply_to, replies) = bounded(1);
                    for op in 0..ops {
                        let n = u64::from(!scenario.is_get(op));
                        requests.send((n, reply_to.clone())).unwrap();
                        black_box(replies.recv().unwrap());
                    }
                }
            })
        })
    });
    drop(requests);
    server.join().unwrap();
}

/// A bare tokio server: a task on the driver's runtime, beside its client
/// tasks (as in the `actor_tokio@tokio` row), receiving `(n, oneshot)` from
/// a bounded(1024) mpsc channel.
fn baseline_tokio_round_trip(
    group: &mut Group,
    tokio_driver: &Tokio,
    scenario: Scenario,
    clients: usize,
) {
    use tokio::sync::{mpsc, oneshot};
    let (requests, mut inbox) = mpsc::channel::<(u64, oneshot::Sender<u64>)>(1024);
    let server = tokio_driver.enter(|| {
        tokio::spawn(async move {
            let mut total = 0u64;
            while let Some((n, reply)) = inbox.recv().await {
                total += n;
                let _ = reply.send(total);
            }
        })
    });
    let id = BenchmarkId::new("baseline_tokio_round_trip@tokio", clients);
    group.bench_function(id, |b| {
        b.iter_custom(|iters| {
            let requests = requests.clone();
            tokio_driver.run(clients, move |id| {
                let (requests, ops) = (requests.clone(), share(iters, clients, id.0));
                async move {
                    for op in 0..ops {
                        let (reply_to, reply) = oneshot::channel();
                        let n = u64::from(!scenario.is_get(op));
                        requests.send((n, reply_to)).await.unwrap();
                        black_box(reply.await.unwrap());
                    }
                }
            })
        })
    });
    drop(requests);
    drop(server); // the task ends once the channel closes
}
// ANCHOR_END: baselines

fn main() {
    let sweep = benches::client_sweep_or_exit();
    let chosen = benches::driver_choice_or_exit(&benches::DRIVERS);
    let run_started = SystemTime::now();
    let mut criterion = benches::criterion();
    let drivers = Drivers::new(chosen);
    for scenario in [Scenario::Add, Scenario::Mixed] {
        let mut group = criterion.benchmark_group(scenario.group());
        group.throughput(Throughput::Elements(1));
        for &clients in &sweep {
            // Each baseline runs on the driver of the rows it is compared with.
            if drivers.is_chosen::<Threads>() {
                baseline_fetch_add(&mut group, &drivers.threads, scenario, clients);
                baseline_crossbeam_round_trip(&mut group, &drivers.threads, scenario, clients);
            }
            if drivers.is_chosen::<Tokio>() {
                baseline_tokio_round_trip(&mut group, &drivers.tokio, scenario, clients);
            }
            bench_every_style(&mut group, &drivers, scenario, clients);
        }
        group.finish();
    }
    criterion.final_summary();
    drop(drivers);
    if benches::measuring() {
        report::after_bench(&COUNTER, run_started);
    }
}
