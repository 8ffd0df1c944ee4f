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
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use benches::measured_styles;
use benches::runner::{Either, Group, StyleBench, StyleRun, criterion_main, share};
use benches::settings::DRIVERS;
use benches::workloads::counter::{CounterScenario, SCENARIOS, workload};
use criterion::BenchmarkId;
use patterns::ClientId;
use patterns::counter::Counter;
use patterns::drive::{ClientOp, Driver, Threads, Tokio};

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
        if MIXED && CounterScenario::is_tenth(op) {
            Either::Right(self.counter.get())
        } else {
            Either::Left(self.counter.add(id, 1))
        }
    }
}
// ANCHOR_END: client

/// A scenario as a type, `Load<false>` (adds only) or `Load<true>` (every
/// tenth operation a read), so each gets its own monomorphised client.
#[derive(Clone, Copy)]
struct Load<const MIXED: bool>;

impl<C: Counter, const MIXED: bool> StyleBench<C> for Load<MIXED> {
    fn style() -> &'static str {
        C::STYLE
    }

    fn client<D: Driver>(self, driver: &D, clients: usize) -> impl ClientOp {
        CounterClient::<C, MIXED> {
            counter: driver.enter(|| C::new(clients)),
        }
    }
}

patterns::for_each_counter!(measured_styles);

// ANCHOR: baselines
/// The hand-written loop the `atomic` style must match: `fetch_add` on a
/// shared atomic, no trait, no future, same harness.
fn baseline_fetch_add(
    group: &mut Group,
    threads: &Threads,
    scenario: CounterScenario,
    clients: usize,
) {
    let total = Arc::new(AtomicU64::new(0));
    let id = BenchmarkId::new("baseline_fetch_add@threads", clients);
    group.bench_function(id, |b| {
        b.iter_custom(|iters| {
            let total = Arc::clone(&total);
            threads.run(clients, move |id| {
                let (total, ops) = (Arc::clone(&total), share(iters, clients, id.0));
                async move {
                    match scenario {
                        CounterScenario::Add => {
                            for _ in 0..ops {
                                total.fetch_add(1, Relaxed);
                            }
                        }
                        CounterScenario::Mixed => {
                            for op in 0..ops {
                                if CounterScenario::is_tenth(op) {
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
    scenario: CounterScenario,
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
    scenario: CounterScenario,
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
    criterion_main(
        &workload(),
        &SCENARIOS,
        &DRIVERS,
        MEASURED_STYLES,
        |group, drivers, &scenario, clients| {
            // Each baseline runs on the driver of the rows it is compared with.
            if drivers.is_chosen::<Threads>() {
                baseline_fetch_add(group, &drivers.threads, scenario, clients);
                baseline_crossbeam_round_trip(group, &drivers.threads, scenario, clients);
            }
            if drivers.is_chosen::<Tokio>() {
                baseline_tokio_round_trip(group, &drivers.tokio, scenario, clients);
            }
            match scenario {
                CounterScenario::Add => {
                    measure_every_style(&mut StyleRun::new(group, drivers, Load::<false>, clients))
                }
                CounterScenario::Mixed => {
                    measure_every_style(&mut StyleRun::new(group, drivers, Load::<true>, clients))
                }
            }
        },
    );
}
