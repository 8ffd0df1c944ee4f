//! The counter's baselines: the bare primitives each style is built on,
//! run by the same runner on the driver of the rows they are compared
//! with (the atomic, padded per-client atomics, the mutexes, a thread per
//! operation, a Condvar ping-pong, round trips to an owner, and each
//! runtime's own primitives).

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crossbeam_utils::CachePadded;
use patterns::drive::{AsyncStd, Driver, Smol, Stop, Threads, Tokio};
use patterns::{ClientId, Helpers};

use super::CounterScenario;
use crate::ops_until;
use crate::runner::{Cell, Servers};

/// The baselines on OS threads: the atomic, padded per-client atomics,
/// std's and parking_lot's mutexes, a thread spawned and joined per
/// operation, a Condvar ping-pong and a crossbeam round trip.
pub fn thread_baselines<'a>(cell: &mut Cell<'a>, threads: &'a Threads, scenario: CounterScenario) {
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
pub fn tokio_baselines<'a>(
    cell: &mut Cell<'a>,
    tokio_driver: &'a Tokio,
    scenario: CounterScenario,
) {
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
pub fn async_std_baselines<'a>(
    cell: &mut Cell<'a>,
    driver: &'a AsyncStd,
    scenario: CounterScenario,
) {
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
pub fn smol_baselines<'a>(cell: &mut Cell<'a>, driver: &'a Smol, scenario: CounterScenario) {
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
