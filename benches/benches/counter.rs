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
use benches::runner::{Either, Group, StyleBench, StyleRun, criterion_main, share, tick};
use benches::settings::DRIVERS;
use benches::workloads::counter::{CounterScenario, SCENARIOS, workload};
use criterion::BenchmarkId;
use crossbeam_utils::CachePadded;
use patterns::ClientId;
use patterns::counter::Counter;
use patterns::drive::{AsyncStd, ClientOp, Driver, Smol, Threads, Tokio};

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

// ANCHOR: measure_baseline
/// Measures one baseline: `client(id, ops)` is client `id`'s whole loop of
/// `ops` operations, written against the raw primitive with no trait, no
/// registry and no per-operation future, run by `driver` under the same
/// start barrier and clock as the styles. Its row is
/// `baseline_<name>@<driver>`.
fn measure_baseline<D, F, Fut>(group: &mut Group, driver: &D, name: &str, clients: usize, client: F)
where
    D: Driver,
    F: Fn(ClientId, u64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let id = BenchmarkId::new(format!("baseline_{name}@{}", D::NAME), clients);
    group.bench_function(id, |b| {
        b.iter_custom(|iters| {
            let client = client.clone();
            driver.run(clients, move |id| client(id, share(iters, clients, id.0)))
        })
    });
    tick();
}

// ANCHOR_END: measure_baseline

/// The baselines on OS threads: the atomic, padded per-client atomics,
/// std's and parking_lot's mutexes, a thread spawned and joined per
/// operation, a Condvar ping-pong and a crossbeam round trip.
fn thread_baselines(
    group: &mut Group,
    threads: &Threads,
    scenario: CounterScenario,
    clients: usize,
) {
    let total = Arc::new(AtomicU64::new(0));
    measure_baseline(group, threads, "fetch_add", clients, move |_, ops| {
        let total = Arc::clone(&total);
        async move {
            for op in 0..ops {
                if scenario.is_get(op) {
                    black_box(total.load(Relaxed));
                } else {
                    total.fetch_add(1, Relaxed);
                }
            }
        }
    });

    let cells: Arc<Vec<CachePadded<AtomicU64>>> = Arc::new(
        (0..clients)
            .map(|_| CachePadded::new(AtomicU64::new(0)))
            .collect(),
    );
    measure_baseline(
        group,
        threads,
        "padded_fetch_add",
        clients,
        move |id, ops| {
            let cells = Arc::clone(&cells);
            async move {
                for op in 0..ops {
                    if scenario.is_get(op) {
                        black_box(cells.iter().map(|c| c.load(Relaxed)).sum::<u64>());
                    } else {
                        cells[id.0].fetch_add(1, Relaxed);
                    }
                }
            }
        },
    );

    // ANCHOR: std_mutex
    let std_total = Arc::new(std::sync::Mutex::new(0u64));
    measure_baseline(group, threads, "std_mutex", clients, move |_, ops| {
        let total = Arc::clone(&std_total);
        async move {
            for op in 0..ops {
                let mut total = total.lock().unwrap();
                if scenario.is_get(op) {
                    black_box(*total);
                } else {
                    *total += 1;
                }
            }
        }
    });
    // ANCHOR_END: std_mutex

    let pl_total = Arc::new(parking_lot::Mutex::new(0u64));
    measure_baseline(
        group,
        threads,
        "parking_lot_mutex",
        clients,
        move |_, ops| {
            let total = Arc::clone(&pl_total);
            async move {
                for op in 0..ops {
                    let mut total = total.lock();
                    if scenario.is_get(op) {
                        black_box(*total);
                    } else {
                        *total += 1;
                    }
                }
            }
        },
    );

    let spawned_total = Arc::new(AtomicU64::new(0));
    measure_baseline(
        group,
        threads,
        "thread_spawn_join",
        clients,
        move |_, ops| {
            let total = Arc::clone(&spawned_total);
            async move {
                for op in 0..ops {
                    let total = Arc::clone(&total);
                    let n = u64::from(!scenario.is_get(op));
                    black_box(
                        std::thread::spawn(move || total.fetch_add(n, Relaxed))
                            .join()
                            .unwrap(),
                    );
                }
            }
        },
    );

    condvar_ping_pong(group, threads, scenario, clients);
    crossbeam_round_trip(group, threads, scenario, clients);
}

/// What the facade's actor does without its spin: a server thread and each
/// client hand a request and its answer through a `Mutex` + `Condvar`
/// mailbox (one per client), sleeping on the condition variable whenever
/// the other side has not answered yet.
fn condvar_ping_pong(
    group: &mut Group,
    threads: &Threads,
    scenario: CounterScenario,
    clients: usize,
) {
    use std::sync::{Condvar, Mutex};
    /// `Some(n)`: a request to add `n`; answered by setting it to `None`.
    struct Mailbox {
        slot: Mutex<(Option<u64>, bool)>, // (request, stop)
        changed: Condvar,
    }
    let mailboxes: Arc<Vec<Mailbox>> = Arc::new(
        (0..clients)
            .map(|_| Mailbox {
                slot: Mutex::new((None, false)),
                changed: Condvar::new(),
            })
            .collect(),
    );
    let total = Arc::new(AtomicU64::new(0));
    let servers: Vec<_> = (0..clients)
        .map(|i| {
            let (mailboxes, total) = (Arc::clone(&mailboxes), Arc::clone(&total));
            std::thread::spawn(move || {
                let mailbox = &mailboxes[i];
                let mut slot = mailbox.slot.lock().unwrap();
                loop {
                    while slot.0.is_none() && !slot.1 {
                        slot = mailbox.changed.wait(slot).unwrap();
                    }
                    let Some(n) = slot.0.take() else { return };
                    total.fetch_add(n, Relaxed);
                    mailbox.changed.notify_all();
                }
            })
        })
        .collect();
    let stop = Arc::clone(&mailboxes);
    measure_baseline(
        group,
        threads,
        "condvar_ping_pong",
        clients,
        move |id, ops| {
            let mailboxes = Arc::clone(&mailboxes);
            async move {
                let mailbox = &mailboxes[id.0];
                for op in 0..ops {
                    let mut slot = mailbox.slot.lock().unwrap();
                    slot.0 = Some(u64::from(!scenario.is_get(op)));
                    mailbox.changed.notify_all();
                    while slot.0.is_some() {
                        slot = mailbox.changed.wait(slot).unwrap();
                    }
                }
            }
        },
    );
    for mailbox in stop.iter() {
        mailbox.slot.lock().unwrap().1 = true;
        mailbox.changed.notify_all();
    }
    for server in servers {
        server.join().unwrap();
    }
}

/// A bare crossbeam server: a thread that receives `(n, reply_to)` from a
/// bounded(1024) channel and answers with the running total. Each client
/// makes its reply channel once.
fn crossbeam_round_trip(
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
    let sender = requests.clone();
    measure_baseline(
        group,
        threads,
        "crossbeam_round_trip",
        clients,
        move |_, ops| {
            let requests = sender.clone();
            async move {
                let (reply_to, replies) = bounded(1);
                for op in 0..ops {
                    let n = u64::from(!scenario.is_get(op));
                    requests.send((n, reply_to.clone())).unwrap();
                    black_box(replies.recv().unwrap());
                }
            }
        },
    );
    drop(requests);
    server.join().unwrap();
}

/// The baselines on tokio: a server task beside the clients receiving
/// `(n, oneshot)` from a bounded(1024) mpsc channel (as `actor_tokio`
/// does), tokio's async mutex, and `spawn_blocking` per operation.
fn tokio_baselines(
    group: &mut Group,
    tokio_driver: &Tokio,
    scenario: CounterScenario,
    clients: usize,
) {
    use tokio::sync::{mpsc, oneshot};
    let (requests, mut inbox) = mpsc::channel::<(u64, oneshot::Sender<u64>)>(1024);
    tokio_driver.enter(|| {
        // Ends by itself once every sender is gone.
        drop(tokio::spawn(async move {
            let mut total = 0u64;
            while let Some((n, reply)) = inbox.recv().await {
                total += n;
                let _ = reply.send(total);
            }
        }))
    });
    measure_baseline(
        group,
        tokio_driver,
        "tokio_round_trip",
        clients,
        move |_, ops| {
            let requests = requests.clone();
            async move {
                for op in 0..ops {
                    let (reply_to, reply) = oneshot::channel();
                    let n = u64::from(!scenario.is_get(op));
                    requests.send((n, reply_to)).await.unwrap();
                    black_box(reply.await.unwrap());
                }
            }
        },
    );

    let total = Arc::new(tokio::sync::Mutex::new(0u64));
    measure_baseline(
        group,
        tokio_driver,
        "tokio_mutex",
        clients,
        move |_, ops| {
            let total = Arc::clone(&total);
            async move {
                for op in 0..ops {
                    let mut total = total.lock().await;
                    if scenario.is_get(op) {
                        black_box(*total);
                    } else {
                        *total += 1;
                    }
                }
            }
        },
    );

    let blocking_total = Arc::new(AtomicU64::new(0));
    measure_baseline(
        group,
        tokio_driver,
        "spawn_blocking",
        clients,
        move |_, ops| {
            let total = Arc::clone(&blocking_total);
            async move {
                for op in 0..ops {
                    let (total, n) = (Arc::clone(&total), u64::from(!scenario.is_get(op)));
                    black_box(
                        tokio::task::spawn_blocking(move || total.fetch_add(n, Relaxed))
                            .await
                            .unwrap(),
                    );
                }
            }
        },
    );
}

/// An `async-channel` server task on the driver's executor, as the
/// async-std and smol actors use: requests from a bounded(1024) channel,
/// each carrying a `bounded(1)` channel for its answer.
fn async_channel_round_trip<D: Driver>(
    group: &mut Group,
    driver: &D,
    spawn_server: impl FnOnce(std::pin::Pin<Box<dyn Future<Output = ()> + Send>>),
    scenario: CounterScenario,
    clients: usize,
) {
    let (requests, inbox) = smol::channel::bounded::<(u64, smol::channel::Sender<u64>)>(1024);
    spawn_server(Box::pin(async move {
        let mut total = 0u64;
        while let Ok((n, reply)) = inbox.recv().await {
            total += n;
            let _ = reply.try_send(total);
        }
    }));
    measure_baseline(
        group,
        driver,
        "async_channel_round_trip",
        clients,
        move |_, ops| {
            let requests = requests.clone();
            async move {
                for op in 0..ops {
                    let (reply_to, reply) = smol::channel::bounded(1);
                    let n = u64::from(!scenario.is_get(op));
                    requests.send((n, reply_to)).await.unwrap();
                    black_box(reply.recv().await.unwrap());
                }
            }
        },
    );
}

/// async-std's baselines: the channel round trip on its global executor,
/// and its `spawn_blocking` per operation.
fn async_std_baselines(
    group: &mut Group,
    driver: &AsyncStd,
    scenario: CounterScenario,
    clients: usize,
) {
    async_channel_round_trip(
        group,
        driver,
        |server| drop(async_std::task::spawn(server)),
        scenario,
        clients,
    );
    let total = Arc::new(AtomicU64::new(0));
    measure_baseline(group, driver, "spawn_blocking", clients, move |_, ops| {
        let total = Arc::clone(&total);
        async move {
            for op in 0..ops {
                let (total, n) = (Arc::clone(&total), u64::from(!scenario.is_get(op)));
                black_box(
                    async_std::task::spawn_blocking(move || total.fetch_add(n, Relaxed)).await,
                );
            }
        }
    });
}

/// smol's baselines: the channel round trip on the driver's executor,
/// and `smol::unblock` per operation (the `blocking` crate's pool, which
/// async-std's `spawn_blocking` also uses).
fn smol_baselines(group: &mut Group, driver: &Smol, scenario: CounterScenario, clients: usize) {
    async_channel_round_trip(
        group,
        driver,
        |server| driver.enter(|| drop(patterns::primitives::smol_home::spawn_owner(server))),
        scenario,
        clients,
    );
    let total = Arc::new(AtomicU64::new(0));
    measure_baseline(group, driver, "spawn_blocking", clients, move |_, ops| {
        let total = Arc::clone(&total);
        async move {
            for op in 0..ops {
                let (total, n) = (Arc::clone(&total), u64::from(!scenario.is_get(op)));
                black_box(smol::unblock(move || total.fetch_add(n, Relaxed)).await);
            }
        }
    });
}

fn main() {
    criterion_main(
        &workload(),
        &SCENARIOS,
        &DRIVERS,
        MEASURED_STYLES,
        // How many of the baselines below run under each driver.
        &[("threads", 7), ("tokio", 3), ("async_std", 2), ("smol", 2)],
        |group, drivers, &scenario, clients| {
            // Each baseline runs on the driver of the rows it is compared with.
            if drivers.is_chosen::<Threads>() {
                thread_baselines(group, &drivers.threads, scenario, clients);
            }
            if drivers.is_chosen::<Tokio>() {
                tokio_baselines(group, &drivers.tokio, scenario, clients);
            }
            if drivers.is_chosen::<AsyncStd>() {
                async_std_baselines(group, &drivers.async_std, scenario, clients);
            }
            if drivers.is_chosen::<Smol>() {
                smol_baselines(group, &drivers.smol, scenario, clients);
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
