//! The inbox's contract, for every backpressure style: every accepted
//! message handled once and in each producer's order, refused ones never;
//! dropping the inbox drains it; the bounded styles hold at most
//! `CAPACITY` under an overload that the unbounded one lets grow past it;
//! `bounded` makes the task wait, not its thread; `shedding` refuses at
//! once, and only it refuses. Everything runs under a watchdog.

#![cfg(not(workbench_loom))]

#[macro_use]
mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use patterns::inbox::{CAPACITY, Handler, Inbox, Message, Refused};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn message(producer: usize, seq: u64) -> Message {
    Message {
        producer,
        seq,
        intended: Instant::now(),
    }
}

/// Records what it was handed; optionally takes its time over each, or
/// waits for a gate to open before the first.
#[derive(Default)]
struct Recorder {
    handled: Vec<(usize, u64)>,
    each: Duration,
    gate: Option<Arc<AtomicBool>>,
}

impl Handler for Recorder {
    fn handle(&mut self, message: Message) {
        if let Some(gate) = &self.gate {
            while !gate.load(Relaxed) {
                std::thread::sleep(Duration::from_micros(100));
            }
        }
        if !self.each.is_zero() {
            let start = Instant::now();
            while start.elapsed() < self.each {
                std::hint::spin_loop();
            }
        }
        self.handled.push((message.producer, message.seq));
    }
}

/// Four producers send 2,000 messages each as fast as they can: every
/// accepted one is handled exactly once and in each producer's order,
/// none refused is, and dropping the inbox returns the handler after the
/// last accepted one.
fn accepted_messages_are_handled_once_in_order<I: Inbox>() {
    const PRODUCERS: usize = 4;
    const EACH: u64 = 2_000;
    let runtime = runtime();
    let (handled, accepted) = runtime.block_on(async {
        let (inbox, owner) = I::start(Recorder::default());
        let inbox = Arc::new(inbox);
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let inbox = Arc::clone(&inbox);
                tokio::spawn(async move {
                    let mut accepted = Vec::new();
                    for seq in 0..EACH {
                        match inbox.send(message(p, seq)).await {
                            Ok(()) => accepted.push((p, seq)),
                            Err(Refused::Overloaded) => tokio::task::yield_now().await,
                            Err(Refused::Closed) => panic!("the owner went away"),
                        }
                    }
                    accepted
                })
            })
            .collect();
        let mut accepted = Vec::new();
        for p in producers {
            accepted.extend(p.await.unwrap());
        }
        drop(inbox);
        (owner.await.unwrap().handled, accepted)
    });
    let mut sorted = handled.clone();
    sorted.sort_unstable();
    let mut expected = accepted.clone();
    expected.sort_unstable();
    assert_eq!(sorted, expected, "{}: handled is not accepted", I::STYLE);
    for p in 0..PRODUCERS {
        let order: Vec<u64> = handled.iter().filter(|m| m.0 == p).map(|m| m.1).collect();
        assert!(order.is_sorted(), "{}: producer {p} out of order", I::STYLE);
    }
    assert!(!accepted.is_empty(), "{}: nothing accepted", I::STYLE);
}

/// An inbox whose owner, on a runtime of its own, gets stuck in its first
/// message until `gate` opens. The producers run on another runtime: a
/// handler that blocks its worker would otherwise also strand a producer
/// that worker woke (tokio runs the task a worker wakes next on that same
/// worker, and no other worker may steal it from there).
fn stuck_owner<I: Inbox>(
    owners: &tokio::runtime::Runtime,
    gate: &Arc<AtomicBool>,
) -> (I, tokio::task::JoinHandle<Recorder>) {
    let recorder = Recorder {
        gate: Some(Arc::clone(gate)),
        ..Recorder::default()
    };
    owners.block_on(async { I::start(recorder) })
}

/// The owner is stuck (its handler waits for a gate) while one producer
/// offers three times the capacity. A bounded style never holds more than
/// `CAPACITY`; `unbounded` holds them all. Then the gate opens and every
/// accepted message is handled.
fn an_overload_is_bounded_or_not_as_declared<I: Inbox>() {
    let (owners, runtime) = (runtime(), runtime());
    let gate = Arc::new(AtomicBool::new(false));
    let (inbox, owner) = stuck_owner::<I>(&owners, &gate);
    let (peak, accepted, handled) = runtime.block_on(async {
        let inbox = Arc::new(inbox);
        let offered = 3 * CAPACITY;
        let producer = tokio::spawn({
            let inbox = Arc::clone(&inbox);
            async move {
                let mut accepted = 0;
                for seq in 0..offered as u64 {
                    // A bounded send that waits is given up after a while:
                    // the owner is stuck, so the rest would wait for ever.
                    let send = tokio::time::timeout(
                        Duration::from_millis(50),
                        inbox.send(message(0, seq)),
                    );
                    match send.await {
                        Ok(Ok(())) => accepted += 1,
                        Ok(Err(Refused::Overloaded)) => {}
                        // Held back: every later send would be too.
                        Err(_) => break,
                        Ok(Err(Refused::Closed)) => panic!("the owner went away"),
                    }
                }
                accepted
            }
        });
        let mut peak = 0;
        while !producer.is_finished() {
            peak = peak.max(inbox.backlog());
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let accepted = producer.await.unwrap();
        peak = peak.max(inbox.backlog());
        gate.store(true, Relaxed);
        drop(inbox);
        (peak, accepted, owner.await.unwrap().handled.len())
    });
    assert_eq!(handled, accepted, "{}: accepted but not handled", I::STYLE);
    if I::BOUNDED {
        // The owner may hold one message outside the queue.
        assert!(
            peak <= CAPACITY && accepted <= CAPACITY + 1,
            "{}: held {peak} and accepted {accepted} with the owner stuck",
            I::STYLE
        );
    } else {
        assert_eq!(accepted, 3 * CAPACITY, "{}", I::STYLE);
        assert!(peak > CAPACITY, "{}: peak {peak}: no growth", I::STYLE);
    }
}

/// With the owner stuck and the inbox full, `bounded`'s send is a future
/// that stays pending (the task waits; the thread polling it returns), and
/// completes once the owner moves; `shedding` answers at once with
/// `Overloaded`; `unbounded` accepts.
fn a_full_inbox_waits_refuses_or_grows<I: Inbox>() {
    let (owners, runtime) = (runtime(), runtime());
    let gate = Arc::new(AtomicBool::new(false));
    let (inbox, owner) = stuck_owner::<I>(&owners, &gate);
    let outcome = runtime.block_on(async {
        // Fill it: the owner takes the first and sticks; CAPACITY more wait.
        let mut sent = 0;
        while sent < CAPACITY + 1 {
            let mut send = pin!(inbox.send(message(0, sent as u64)));
            let mut cx = Context::from_waker(Waker::noop());
            match send.as_mut().poll(&mut cx) {
                Poll::Ready(Ok(())) => sent += 1,
                // The owner has not taken the first one yet.
                _ => tokio::task::yield_now().await,
            }
        }
        let mut cx = Context::from_waker(Waker::noop());
        let mut next = Box::pin(inbox.send(message(0, sent as u64)));
        let first = next.as_mut().poll(&mut cx);
        let outcome = match first {
            Poll::Pending => {
                gate.store(true, Relaxed);
                // Once the owner moves, the waiting send gets its place.
                let answer = next.await;
                ("pending", answer)
            }
            Poll::Ready(answer) => {
                drop(next);
                gate.store(true, Relaxed);
                ("ready", answer)
            }
        };
        drop(inbox);
        owner.await.unwrap();
        outcome
    });
    let expected = match I::STYLE {
        "bounded" => ("pending", Ok(())),
        "shedding" => ("ready", Err(Refused::Overloaded)),
        _ => ("ready", Ok(())),
    };
    assert_eq!(outcome, expected, "{}", I::STYLE);
}

/// A handler that takes 20 µs a message (50,000 a second), offered about
/// four times as many by a producer on schedule: a style that sheds
/// (`SHEDS`, here `shedding`) refuses some
/// (offering until it has, for at most two seconds) and the others none,
/// and every offer is either handled or refused.
fn only_a_shedding_style_refuses_an_overload<I: Inbox>() {
    let runtime = runtime();
    let (handled, offered, refused) = runtime.block_on(async move {
        let recorder = Recorder {
            each: Duration::from_micros(20),
            ..Recorder::default()
        };
        let (inbox, owner) = I::start(recorder);
        let start = Instant::now();
        let (mut offered, mut refused) = (0u64, 0usize);
        // 50 ms, and for a style that must refuse, until it has.
        let sheds = I::SHEDS;
        let enough = |elapsed: Duration, refused: usize| {
            elapsed > Duration::from_millis(50)
                && (!sheds || refused > 0 || elapsed > Duration::from_secs(2))
        };
        while !enough(start.elapsed(), refused) {
            for _ in 0..200 {
                if inbox.send(message(0, offered)).await == Err(Refused::Overloaded) {
                    refused += 1;
                }
                offered += 1;
            }
            // About a millisecond: tokio's timer resolution.
            tokio::time::sleep(Duration::from_micros(100)).await;
        }
        drop(inbox);
        (owner.await.unwrap().handled.len(), offered, refused)
    });
    assert_eq!(handled + refused, offered as usize, "{}", I::STYLE);
    if I::SHEDS {
        assert!(refused > 0, "{}: nothing refused of {offered}", I::STYLE);
    } else {
        assert_eq!(refused, 0, "{} refused {refused} of {offered}", I::STYLE);
    }
}

macro_rules! inbox_tests {
    (library $style:ident: $inbox:ty) => {
        style_tests! {
            $style: $inbox {
                limit: std::time::Duration::from_secs(30),
                contract: [
                    accepted_messages_are_handled_once_in_order,
                    a_full_inbox_waits_refuses_or_grows,
                ],
                stress: [
                    an_overload_is_bounded_or_not_as_declared,
                    only_a_shedding_style_refuses_an_overload,
                ],
                per_driver: [],
            }
        }
    };
}

patterns::for_each_inbox!(inbox_tests);
