//! The counter's contract and stress tests, for every implementation in the
//! registry under every driver, with 2 and 8 clients (8 is four times the
//! cores of the reference machine: oversubscribed on purpose, so clients are
//! preempted in the middle of operations).

// Under the loom switch the facade is loom's; only loom-tests run then.
#![cfg(not(workbench_loom))]

#[macro_use]
mod common;

use patterns::ClientId;
use patterns::counter::Counter;
use patterns::drive::{Driver, Threads, block_on};

use common::{Bounds, stress, stress_with};

/// Operations per client. The bridge spawns a thread per operation, so the
/// numbers stay modest; the racy test below shows they are plenty to catch
/// a lost update.
const OPS: usize = 400;

fn starts_at_zero<C: Counter>() {
    assert_eq!(block_on(C::new(1).get()), 0);
}

fn adds_are_visible_to_the_next_get<C: Counter>() {
    let counter = C::new(1);
    block_on(counter.add(ClientId(0), 5));
    block_on(counter.add(ClientId(0), 0));
    assert_eq!(block_on(counter.get()), 5);
    // Any client id is valid, also one past the number of clients.
    block_on(counter.add(ClientId(7), 2));
    assert_eq!(block_on(counter.get()), 7);
    block_on(counter.add(ClientId(usize::MAX), 1));
    assert_eq!(block_on(counter.get()), 8);
}

fn wraps_on_overflow<C: Counter>() {
    let counter = C::new(2);
    block_on(counter.add(ClientId(0), u64::MAX));
    block_on(counter.add(ClientId(1), 2));
    assert_eq!(block_on(counter.get()), 1);
}

/// `add_many` adds every element (wrapping), whether the style applies the
/// batch in one step or inherits the element-by-element default; an empty
/// batch adds nothing.
fn add_many_counts_every_element<C: Counter>() {
    let counter = C::new(2);
    block_on(counter.add_many(ClientId(0), &[1, 2, 3]));
    assert_eq!(block_on(counter.get()), 6);
    block_on(counter.add_many(ClientId(1), &[]));
    assert_eq!(block_on(counter.get()), 6);
    block_on(counter.add_many(ClientId(9), &[u64::MAX, 5]));
    assert_eq!(block_on(counter.get()), 10);
}

/// Four clients add batches of every length from 0 to 8 at once: no
/// element may be lost, and each client's own batches are counted by its
/// next `get`. Thousands of batches, so that a batch read under one
/// acquisition and written under another loses an update in every run
/// (the mutant corpus plants exactly that); fewer for a style that starts
/// a thread per addition.
fn concurrent_batches_lose_nothing<C: Counter>() {
    const CLIENTS: usize = 4;
    let batches: u64 = if C::THREADS_PER_OPERATION > 0 {
        200
    } else {
        4_000
    };
    let driver = Threads::new();
    let counter = std::sync::Arc::new(driver.enter(|| C::new(CLIENTS)));
    driver.run(CLIENTS, {
        let counter = std::sync::Arc::clone(&counter);
        move |id: ClientId| {
            let counter = std::sync::Arc::clone(&counter);
            async move {
                let mut own = 0u64;
                for b in 0..batches {
                    let batch: Vec<u64> = (0..b % 9).map(|i| i + id.0 as u64).collect();
                    counter.add_many(id, &batch).await;
                    own += batch.iter().sum::<u64>();
                    let seen = counter.get().await;
                    assert!(
                        seen >= own,
                        "{}: get {seen} missed the client's own batches ({own})",
                        C::STYLE
                    );
                }
            }
        }
    });
    let expected: u64 = (0..CLIENTS as u64)
        .map(|id| {
            (0..batches)
                .map(|b| (0..b % 9).map(|i| i + id).sum::<u64>())
                .sum::<u64>()
        })
        .sum();
    assert_eq!(
        block_on(counter.get()),
        expected,
        "{} lost elements of a batch",
        C::STYLE
    );
}

fn passes_stress<C: Counter, D: Driver>(clients: usize) {
    let driver = D::new();
    if let Err(violation) = stress::<C, D>(&driver, clients, OPS, 0x5EED) {
        panic!("{} under {}: {violation}", C::STYLE, D::NAME);
    }
}

fn two_clients<C: Counter, D: Driver>() {
    passes_stress::<C, D>(2);
}

fn eight_clients<C: Counter, D: Driver>() {
    passes_stress::<C, D>(8);
}

/// Two clients, each `get` held to every add completed before it began
/// and every add begun before it returned, and the history checked for
/// linearizability (see `Bounds::CrossClient`).
fn two_clients_cross_client_bounds<C: Counter, D: Driver>() {
    let driver = D::new();
    if let Err(violation) = stress_with::<C, D>(&driver, 2, OPS, 0xC205, Bounds::CrossClient) {
        panic!("{} under {}: {violation}", C::STYLE, D::NAME);
    }
}

macro_rules! counter_tests {
    ($style:ident: $counter:ty) => {
        style_tests! {
            $style: $counter {
                contract: [
                    starts_at_zero,
                    adds_are_visible_to_the_next_get,
                    wraps_on_overflow,
                    add_many_counts_every_element,
                ],
                stress: [concurrent_batches_lose_nothing],
                per_driver: [two_clients, eight_clients, two_clients_cross_client_bounds],
            }
        }
    };
    (facade $style:ident: $counter:ty) => {
        counter_tests!($style: $counter);
    };
    (library $style:ident: $counter:ty) => {
        counter_tests!($style: $counter);
    };
    // A broken counter loses updates by design: its test asserts that the
    // stress check catches it.
    (broken $style:ident: $counter:ty) => {
        style_tests! {
            $style: $counter {
                contract: [],
                stress: [is_caught_by_the_stress_test],
                per_driver: [],
            }
        }
    };
}

patterns::for_each_counter!(counter_tests);

/// The broken `racy` counter loses updates, and the stress check must say
/// so. Lost updates need two clients to interleave inside one add, which
/// takes luck on any single run: we give it rounds until it is caught or
/// ten seconds have passed. On two cores the first round catches it; on
/// one core, where clients only interleave when the scheduler preempts one
/// between its load and its store, it takes many more.
fn is_caught_by_the_stress_test<C: Counter>() {
    let driver = Threads;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let caught = (0..)
        .take_while(|_| std::time::Instant::now() < deadline)
        .find_map(|round| stress::<C, Threads>(&driver, 4, 20_000, round).err());
    let report = caught
        .unwrap_or_else(|| panic!("the stress test never noticed {}'s lost updates", C::STYLE));
    assert!(
        report.contains("lost update")
            || report.contains("went backwards")
            || report.contains("missed"),
        "unexpected report: {report}"
    );
}

/// The same check on a correct counter with the same settings finds nothing,
/// so the catch above is racy's fault, not the checker's.
#[test]
fn the_racy_settings_pass_on_a_correct_counter() {
    use patterns::counter::atomic::AtomicCounter;
    let driver = Threads;
    for round in 0..5 {
        stress::<AtomicCounter, Threads>(&driver, 4, 20_000, round).unwrap();
    }
}

/// A plausible mistake the own-adds bounds cannot see: a write-behind
/// counter. Each thread buffers its adds and publishes them every 64 adds,
/// at its own `get` (so a client always reads its own writes) and when the
/// thread ends (so the final total is right). Another client's completed
/// adds may still sit in its buffer: a `get` misses them, which the
/// contract forbids and only the cross-client floor notices.
mod write_behind {
    use std::cell::RefCell;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

    use patterns::ClientId;
    use patterns::counter::Counter;

    pub struct WriteBehindCounter {
        total: Arc<AtomicU64>,
    }

    /// This thread's unpublished adds, and where to publish them.
    struct Buffer {
        pending: u64,
        adds: u32,
        total: Option<Arc<AtomicU64>>,
    }

    impl Buffer {
        fn publish(&mut self) {
            if let Some(total) = &self.total {
                total.fetch_add(std::mem::take(&mut self.pending), SeqCst);
            }
            self.adds = 0;
        }
    }

    impl Drop for Buffer {
        fn drop(&mut self) {
            self.publish();
        }
    }

    thread_local! {
        static BUFFER: RefCell<Buffer> = const { RefCell::new(Buffer { pending: 0, adds: 0, total: None }) };
    }

    impl Counter for WriteBehindCounter {
        const STYLE: &'static str = "write_behind";

        fn new(_clients: usize) -> Self {
            WriteBehindCounter {
                total: Arc::new(AtomicU64::new(0)),
            }
        }

        async fn add(&self, _client: ClientId, n: u64) {
            BUFFER.with_borrow_mut(|b| {
                b.total.get_or_insert_with(|| Arc::clone(&self.total));
                b.pending += n;
                b.adds += 1;
                if b.adds == 64 {
                    b.publish();
                }
            });
        }

        async fn get(&self) -> u64 {
            BUFFER.with_borrow_mut(Buffer::publish);
            self.total.load(SeqCst)
        }
    }
}

/// The write-behind counter passes the own-adds bounds and is caught by the
/// cross-client floor: the floor check can fail, and fails for the reason
/// it exists.
#[test]
fn write_behind_is_caught_only_by_the_cross_client_floor() {
    use write_behind::WriteBehindCounter;
    let driver = Threads;
    stress::<WriteBehindCounter, Threads>(&driver, 2, 20_000, 1)
        .expect("the own-adds bounds cannot see a write-behind buffer");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let caught = (0..)
        .take_while(|_| std::time::Instant::now() < deadline)
        .find_map(|round| {
            stress_with::<WriteBehindCounter, Threads>(
                &driver,
                2,
                20_000,
                round,
                Bounds::CrossClient,
            )
            .err()
        });
    let report = caught.expect("the cross-client floor never noticed the unpublished adds");
    assert!(
        report.contains("missed adds completed before it began"),
        "unexpected report: {report}"
    );
}
