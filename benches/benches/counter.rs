//! Counter benchmarks: every style from the registry under every driver,
//! with 1, cores and 2 x cores clients, adding and reading, beside the raw
//! primitives they are built on; then the batching styles adding sixteen
//! at a time, and the bare locks with critical sections of three lengths
//! (`benches::workloads::counter::locks`). Ends by printing the
//! side-by-side report.
//!
//! Each cell runs its rows in interleaved rounds (see `benches::runner`):
//! every client loops until the window's stop flag, all released at a
//! start barrier; throughput is their operations over the span from the
//! first start to the last finish, beside what the run cost.

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use benches::runner::{Cell, Drivers, Either, Servers, StyleBench, throughput_main};
use benches::settings::DRIVERS;
use benches::workloads::counter::locks::{hold_rows, unbatched_rows};
use benches::workloads::counter::{BATCH, CounterScenario, SCENARIOS, workload};
use benches::{measured_styles, ops_until};
use crossbeam_utils::CachePadded;
use patterns::counter::Counter;
use patterns::drive::{AsyncStd, ClientOp, Driver, Smol, Stop, Threads, Tokio};
use patterns::{ClientId, Helpers};

// Allocations per operation are part of every cell's cost.
benches::count_allocations!();

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

    fn helpers() -> Helpers {
        C::HELPERS
    }

    fn client<D: Driver>(self, driver: &D, clients: usize) -> impl ClientOp {
        CounterClient::<C, MIXED> {
            counter: driver.enter(|| C::new(clients)),
        }
    }
}

/// The batch scenario: every call is `add_many(client, &[1; BATCH])`,
/// measured for the styles that apply a batch in one step.
#[derive(Clone, Copy)]
struct Batched;

struct BatchClient<C> {
    counter: C,
}

static ONES: [u64; BATCH] = [1; BATCH];

impl<C: Counter> ClientOp for BatchClient<C> {
    fn op(&self, id: ClientId, _op: u64) -> impl Future<Output = ()> + Send + '_ {
        self.counter.add_many(id, &ONES)
    }
}

impl<C: Counter> StyleBench<C> for Batched {
    fn style() -> &'static str {
        C::STYLE
    }

    fn helpers() -> Helpers {
        C::HELPERS
    }

    fn client<D: Driver>(self, driver: &D, clients: usize) -> impl ClientOp {
        BatchClient {
            counter: driver.enter(|| C::new(clients)),
        }
    }

    fn measures() -> bool {
        C::BATCHES
    }
}

patterns::for_each_counter!(measured_styles);

/// The baselines on OS threads: the atomic, padded per-client atomics,
/// std's and parking_lot's mutexes, a thread spawned and joined per
/// operation, a Condvar ping-pong and a crossbeam round trip.
fn thread_baselines<'a>(cell: &mut Cell<'a>, threads: &'a Threads, scenario: CounterScenario) {
    cell.baseline(threads, "fetch_add", Helpers::None, move |_| {
        let total = Arc::new(AtomicU64::new(0));
        let client = move |_: ClientId, stop: Stop| {
            let total = Arc::clone(&total);
            async move {
                ops_until!(Threads, stop, |op| {
                    if scenario.is_get(op) {
                        black_box(total.load(Relaxed));
                    } else {
                        total.fetch_add(1, Relaxed);
                    }
                })
            }
        };
        (client, ())
    });

    cell.baseline(threads, "padded_fetch_add", Helpers::None, move |clients| {
        let cells: Arc<Vec<CachePadded<AtomicU64>>> = Arc::new(
            (0..clients)
                .map(|_| CachePadded::new(AtomicU64::new(0)))
                .collect(),
        );
        let client = move |id: ClientId, stop: Stop| {
            let cells = Arc::clone(&cells);
            async move {
                ops_until!(Threads, stop, |op| {
                    if scenario.is_get(op) {
                        black_box(cells.iter().map(|c| c.load(Relaxed)).sum::<u64>());
                    } else {
                        cells[id.0].fetch_add(1, Relaxed);
                    }
                })
            }
        };
        (client, ())
    });

    // ANCHOR: std_mutex
    cell.baseline(threads, "std_mutex", Helpers::None, move |_| {
        let total = Arc::new(std::sync::Mutex::new(0u64));
        let client = move |_: ClientId, stop: Stop| {
            let total = Arc::clone(&total);
            async move {
                ops_until!(Threads, stop, |op| {
                    let mut total = total.lock().unwrap();
                    if scenario.is_get(op) {
                        black_box(*total);
                    } else {
                        *total += 1;
                    }
                })
            }
        };
        (client, ())
    });
    // ANCHOR_END: std_mutex

    cell.baseline(threads, "parking_lot_mutex", Helpers::None, move |_| {
        let total = Arc::new(parking_lot::Mutex::new(0u64));
        let client = move |_: ClientId, stop: Stop| {
            let total = Arc::clone(&total);
            async move {
                ops_until!(Threads, stop, |op| {
                    let mut total = total.lock();
                    if scenario.is_get(op) {
                        black_box(*total);
                    } else {
                        *total += 1;
                    }
                })
            }
        };
        (client, ())
    });

    crossbeam_round_trip(cell, threads, scenario);
    if scenario == CounterScenario::Batch {
        // The batching styles' floors only: one step per call.
        return;
    }
    cell.baseline(threads, "thread_spawn_join", Helpers::PerCall, move |_| {
        let total = Arc::new(AtomicU64::new(0));
        let client = move |_: ClientId, stop: Stop| {
            let total = Arc::clone(&total);
            async move {
                ops_until!(Threads, stop, |op| {
                    let total = Arc::clone(&total);
                    let n = u64::from(!scenario.is_get(op));
                    black_box(
                        std::thread::spawn(move || total.fetch_add(n, Relaxed))
                            .join()
                            .unwrap(),
                    );
                })
            }
        };
        (client, ())
    });

    condvar_ping_pong(cell, threads, scenario);
    crossbeam_send(cell, threads, scenario);
}

/// What the facade's actor does without its spin: a server thread and each
/// client hand a request and its answer through a `Mutex` + `Condvar`
/// mailbox (one per client), sleeping on the condition variable whenever
/// the other side has not answered yet.
fn condvar_ping_pong<'a>(cell: &mut Cell<'a>, threads: &'a Threads, scenario: CounterScenario) {
    use std::sync::{Condvar, Mutex};
    /// `Some(n)`: a request to add `n`; answered by setting it to `None`.
    struct Mailbox {
        slot: Mutex<(Option<u64>, bool)>, // (request, stop)
        changed: Condvar,
    }
    cell.baseline(
        threads,
        "condvar_ping_pong",
        Helpers::Threads(|clients| clients),
        move |clients| {
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
            let stop_servers = {
                let mailboxes = Arc::clone(&mailboxes);
                move || {
                    for mailbox in mailboxes.iter() {
                        mailbox.slot.lock().unwrap().1 = true;
                        mailbox.changed.notify_all();
                    }
                }
            };
            let client = move |id: ClientId, stop: Stop| {
                let mailboxes = Arc::clone(&mailboxes);
                async move {
                    let mailbox = &mailboxes[id.0];
                    ops_until!(Threads, stop, |op| {
                        let mut slot = mailbox.slot.lock().unwrap();
                        slot.0 = Some(u64::from(!scenario.is_get(op)));
                        mailbox.changed.notify_all();
                        while slot.0.is_some() {
                            slot = mailbox.changed.wait(slot).unwrap();
                        }
                    })
                }
            };
            (client, Servers::new(stop_servers, servers))
        },
    );
}

/// A bare crossbeam server: a thread that receives `(n, reply_to)` from a
/// bounded(1024) channel and answers with the running total. Each client
/// makes its reply channel once.
fn crossbeam_round_trip<'a>(cell: &mut Cell<'a>, threads: &'a Threads, scenario: CounterScenario) {
    use crossbeam_channel::{Sender, bounded};
    cell.baseline(
        threads,
        "crossbeam_round_trip",
        Helpers::Threads(|_| 1),
        move |_| {
            let (requests, inbox) = bounded::<(u64, Sender<u64>)>(1024);
            let server = std::thread::spawn(move || {
                let mut total = 0u64;
                for (n, reply) in inbox {
                    total += n;
                    let _ = reply.send(total);
                }
            });
            let client = move |_: ClientId, stop: Stop| {
                let requests = requests.clone();
                async move {
                    let (reply_to, replies) = bounded(1);
                    ops_until!(Threads, stop, |op| {
                        let n = u64::from(!scenario.is_get(op));
                        requests.send((n, reply_to.clone())).unwrap();
                        black_box(replies.recv().unwrap());
                    })
                }
            };
            // The server ends once the client closure (every sender) is gone.
            (client, Servers::new(|| {}, vec![server]))
        },
    );
}

/// A bare crossbeam owner that is told, not asked: an add is a send of
/// `n` into a bounded(1024) channel with no reply; a read is a round trip
/// behind the queued adds. The floor of `actor_crossbeam_unacked`.
fn crossbeam_send<'a>(cell: &mut Cell<'a>, threads: &'a Threads, scenario: CounterScenario) {
    use crossbeam_channel::{Sender, bounded};
    /// Told or asked: the one message type an owner that replies only
    /// to reads needs.
    enum Message {
        Add(u64),
        Get(Sender<u64>),
    }
    cell.baseline(
        threads,
        "crossbeam_send",
        Helpers::Threads(|_| 1),
        move |_| {
            let (requests, inbox) = bounded::<Message>(1024);
            let server = std::thread::spawn(move || {
                let mut total = 0u64;
                for message in inbox {
                    match message {
                        Message::Add(n) => total += n,
                        Message::Get(reply) => {
                            let _ = reply.send(total);
                        }
                    }
                }
            });
            let client = move |_: ClientId, stop: Stop| {
                let requests = requests.clone();
                async move {
                    let (reply_to, replies) = bounded(1);
                    ops_until!(Threads, stop, |op| {
                        if scenario.is_get(op) {
                            requests.send(Message::Get(reply_to.clone())).unwrap();
                            black_box(replies.recv().unwrap());
                        } else {
                            requests.send(Message::Add(1)).unwrap();
                        }
                    })
                }
            };
            (client, Servers::new(|| {}, vec![server]))
        },
    );
}

/// The baselines on tokio: a server task beside the clients receiving
/// `(n, oneshot)` from a bounded(1024) mpsc channel (as `actor_tokio`
/// does), tokio's async mutex, and `spawn_blocking` per operation.
fn tokio_baselines<'a>(cell: &mut Cell<'a>, tokio_driver: &'a Tokio, scenario: CounterScenario) {
    use tokio::sync::{mpsc, oneshot};
    cell.baseline(
        tokio_driver,
        "tokio_round_trip",
        Helpers::Tasks(1),
        move |_| {
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
            let client = move |_: ClientId, stop: Stop| {
                let requests = requests.clone();
                async move {
                    ops_until!(Tokio, stop, |op| {
                        let (reply_to, reply) = oneshot::channel();
                        let n = u64::from(!scenario.is_get(op));
                        requests.send((n, reply_to)).await.unwrap();
                        black_box(reply.await.unwrap());
                    })
                }
            };
            (client, ())
        },
    );

    cell.baseline(tokio_driver, "tokio_mutex", Helpers::None, move |_| {
        let total = Arc::new(tokio::sync::Mutex::new(0u64));
        let client = move |_: ClientId, stop: Stop| {
            let total = Arc::clone(&total);
            async move {
                ops_until!(Tokio, stop, |op| {
                    let mut total = total.lock().await;
                    if scenario.is_get(op) {
                        black_box(*total);
                    } else {
                        *total += 1;
                    }
                })
            }
        };
        (client, ())
    });

    if scenario == CounterScenario::Batch {
        return;
    }
    cell.baseline(
        tokio_driver,
        "spawn_blocking",
        Helpers::PerCall,
        move |_| {
            let total = Arc::new(AtomicU64::new(0));
            let client = move |_: ClientId, stop: Stop| {
                let total = Arc::clone(&total);
                async move {
                    ops_until!(Tokio, stop, |op| {
                        let (total, n) = (Arc::clone(&total), u64::from(!scenario.is_get(op)));
                        black_box(
                            tokio::task::spawn_blocking(move || total.fetch_add(n, Relaxed))
                                .await
                                .unwrap(),
                        );
                    })
                }
            };
            (client, ())
        },
    );
}

/// A server task on the driver's executor, as the async-std and smol
/// actors use: requests from a bounded(1024) channel, each carrying a
/// `bounded(1)` channel for its answer. `$channel` is the runtime's own
/// channel module (`async_std::channel` and `smol::channel` are different
/// major versions of `async-channel`, and the newer one allocates several
/// times per send: each actor is held to its own).
macro_rules! async_channel_round_trip {
    ($cell:expr, $driver:expr, $runtime:ty, $channel:path, $spawn_server:expr, $scenario:expr) => {{
        use $channel as channel;
        let (scenario, spawn_server) = ($scenario, $spawn_server);
        $cell.baseline(
            $driver,
            "async_channel_round_trip",
            Helpers::Tasks(1),
            move |_| {
                let (requests, inbox) = channel::bounded::<(u64, channel::Sender<u64>)>(1024);
                spawn_server(Box::pin(async move {
                    let mut total = 0u64;
                    while let Ok((n, reply)) = inbox.recv().await {
                        total += n;
                        let _ = reply.try_send(total);
                    }
                })
                    as Pin<Box<dyn Future<Output = ()> + Send>>);
                let client = move |_: ClientId, stop: Stop| {
                    let requests = requests.clone();
                    async move {
                        ops_until!($runtime, stop, |op| {
                            let (reply_to, reply) = channel::bounded(1);
                            let n = u64::from(!scenario.is_get(op));
                            requests.send((n, reply_to)).await.unwrap();
                            black_box(reply.recv().await.unwrap());
                        })
                    }
                };
                (client, ())
            },
        );
    }};
}

/// async-std's baselines: the channel round trip on its global executor,
/// and its `spawn_blocking` per operation.
fn async_std_baselines<'a>(cell: &mut Cell<'a>, driver: &'a AsyncStd, scenario: CounterScenario) {
    async_channel_round_trip!(
        cell,
        driver,
        AsyncStd,
        async_std::channel,
        |server| drop(async_std::task::spawn(server)),
        scenario
    );
    cell.baseline(driver, "spawn_blocking", Helpers::PerCall, move |_| {
        let total = Arc::new(AtomicU64::new(0));
        let client = move |_: ClientId, stop: Stop| {
            let total = Arc::clone(&total);
            async move {
                ops_until!(AsyncStd, stop, |op| {
                    let (total, n) = (Arc::clone(&total), u64::from(!scenario.is_get(op)));
                    black_box(
                        async_std::task::spawn_blocking(move || total.fetch_add(n, Relaxed)).await,
                    );
                })
            }
        };
        (client, ())
    });
}

/// smol's baselines: the channel round trip on the driver's executor,
/// and `smol::unblock` per operation (the `blocking` crate's pool, which
/// async-std's `spawn_blocking` also uses).
fn smol_baselines<'a>(cell: &mut Cell<'a>, driver: &'a Smol, scenario: CounterScenario) {
    async_channel_round_trip!(
        cell,
        driver,
        Smol,
        smol::channel,
        move |server| driver.enter(|| drop(patterns::primitives::smol_home::spawn_owner(server))),
        scenario
    );
    cell.baseline(driver, "spawn_blocking", Helpers::PerCall, move |_| {
        let total = Arc::new(AtomicU64::new(0));
        let client = move |_: ClientId, stop: Stop| {
            let total = Arc::clone(&total);
            async move {
                ops_until!(Smol, stop, |op| {
                    let (total, n) = (Arc::clone(&total), u64::from(!scenario.is_get(op)));
                    black_box(smol::unblock(move || total.fetch_add(n, Relaxed)).await);
                })
            }
        };
        (client, ())
    });
}

fn main() {
    throughput_main(
        &workload(),
        &SCENARIOS,
        &DRIVERS,
        |cell, drivers: &Drivers, &scenario| {
            let threads = drivers.is_chosen::<Threads>().then_some(&drivers.threads);
            let tokio = drivers.is_chosen::<Tokio>().then_some(&drivers.tokio);
            if let CounterScenario::Hold { nanos } = scenario {
                return hold_rows(cell, threads, tokio, nanos);
            }
            if scenario == CounterScenario::Batch {
                // A question of one caller and of callers contending for
                // the cores; oversubscription adds nothing to it.
                if cell.clients > patterns::sync::cores() {
                    return;
                }
                cell.only_drivers(&[Threads::NAME, Tokio::NAME]);
                unbatched_rows(cell, threads, tokio);
            }
            // Each baseline runs on the driver of the rows it is compared with.
            if let Some(threads) = threads {
                thread_baselines(cell, threads, scenario);
            }
            if let Some(tokio) = tokio {
                tokio_baselines(cell, tokio, scenario);
            }
            if scenario != CounterScenario::Batch {
                if drivers.is_chosen::<AsyncStd>() {
                    async_std_baselines(cell, &drivers.async_std, scenario);
                }
                if drivers.is_chosen::<Smol>() {
                    smol_baselines(cell, &drivers.smol, scenario);
                }
            }
            match scenario {
                CounterScenario::Mixed => add_every_style(cell, drivers, Load::<true>),
                CounterScenario::Batch => add_every_style(cell, drivers, Batched),
                _ => add_every_style(cell, drivers, Load::<false>),
            }
        },
    );
}
