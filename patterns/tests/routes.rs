//! The routing table's contract and stress tests, for every implementation
//! in the registry under every driver, with 2 and 8 clients; and the proof
//! that the stress test catches `racy`'s torn reads.

// Under the loom switch the facade is loom's; only loom-tests run then.
#![cfg(not(workbench_loom))]

#[macro_use]
mod common;

use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};

use patterns::ClientId;
use patterns::drive::{Driver, Threads, block_on};
use patterns::primitives::rng::SplitMix64;
use patterns::routes::{RouteTable, Table, slot_of};

/// The tables of the tests: small enough that a scan is quick, long enough
/// that a writer is often caught halfway through one.
const SLOTS: usize = 64;

// ---- contract, one client ----

fn answers_from_the_first_table<T: RouteTable>() {
    let first = Table::new(7, SLOTS);
    let table = T::new(first.clone());
    for key in [0, 1, 63, 64, 65, u64::MAX] {
        assert_eq!(
            block_on(table.route(key)),
            first.route(key),
            "{}: key {key}",
            T::STYLE
        );
    }
    assert_eq!(block_on(table.scan()), first.scan(), "{}", T::STYLE);
}

fn every_read_after_a_replace_sees_it<T: RouteTable>() {
    let table = T::new(Table::new(0, SLOTS));
    let mut rng = SplitMix64::new(3);
    for version in 1..200 {
        let next = Table::new(version, SLOTS);
        block_on(table.replace(next.clone()));
        let key = rng.next_u64();
        assert_eq!(block_on(table.route(key)), next.route(key), "{}", T::STYLE);
        assert_eq!(block_on(table.scan()), next.scan(), "{}", T::STYLE);
    }
}

/// A table of one slot (and one asked for with none, which has one).
fn a_table_of_one_slot<T: RouteTable>() {
    let table = T::new(Table::new(1, 0));
    assert_eq!(block_on(table.route(99)).slot, 0);
    block_on(table.replace(Table::new(2, 1)));
    let route = block_on(table.route(5));
    assert_eq!((route.version, route.slot), (2, 0), "{}", T::STYLE);
    assert!(route.is_whole() && block_on(table.scan()).is_whole(1));
}

// ---- stress ----

/// What every read is held to, given the writer's books read just before
/// it (`published`: the last version whose `replace` had returned) and
/// just after (`started`: the last version whose `replace` had begun), and
/// the latest version this reader saw before.
fn check_read(
    what: &str,
    version: u64,
    whole: bool,
    published: u64,
    started: u64,
    last: u64,
) -> Result<(), String> {
    if !whole {
        Err(format!(
            "torn read: a {what} of version {version} answered what that version does not hold"
        ))
    } else if version < published {
        Err(format!(
            "stale read: a {what} saw version {version} after version {published} was in place"
        ))
    } else if version > started {
        Err(format!(
            "a read from the future: a {what} saw version {version} when only {started} had begun"
        ))
    } else if version < last {
        Err(format!(
            "went back: a {what} saw version {version} after this reader had seen {last}"
        ))
    } else {
        Ok(())
    }
}

/// The writer's books, kept in SeqCst atomics around each `replace`.
#[derive(Default)]
struct Books {
    started: AtomicU64,
    published: AtomicU64,
    writer_done: AtomicBool,
}

/// Every reader reads at least this many times, and at most
/// [`MAX_READS`], until the writer is done.
const MIN_READS: u64 = 2_000;
const MAX_READS: u64 = 400_000;

/// Runs `clients` clients under `driver`: client 0 replaces the table
/// `replaces` times with increasing versions; the others read (a route of
/// a random key, or one time in four a scan) until it is done, and hold
/// every answer to [`check_read`]. Afterwards a read must see the last
/// version. Returns every violation found, in the order found.
fn stress_report<T: RouteTable, D: Driver>(
    driver: &D,
    clients: usize,
    replaces: u64,
    seed: u64,
) -> Vec<String> {
    let table = Arc::new(driver.enter(|| T::new(Table::new(0, SLOTS))));
    let books = Arc::new(Books::default());
    let violations = Arc::new(Mutex::new(Vec::<String>::new()));
    driver.run(clients, {
        let (table, books, violations) = (table.clone(), books.clone(), violations.clone());
        move |id: ClientId| {
            let (table, books, violations) = (table.clone(), books.clone(), violations.clone());
            async move {
                if id.0 == 0 {
                    for version in 1..=replaces {
                        books.started.store(version, SeqCst);
                        table.replace(Table::new(version, SLOTS)).await;
                        books.published.store(version, SeqCst);
                        if version.is_multiple_of(4) {
                            D::between_ops().await;
                        }
                    }
                    books.writer_done.store(true, SeqCst);
                    return;
                }
                let mut rng = SplitMix64::new(seed ^ ((id.0 as u64) << 32));
                let (mut last, mut reads, mut mine) = (0, 0u64, Vec::new());
                while (reads < MIN_READS || !books.writer_done.load(SeqCst)) && reads < MAX_READS {
                    let published = books.published.load(SeqCst);
                    let (what, version, whole) = if rng.next_u64().is_multiple_of(4) {
                        let scan = table.scan().await;
                        ("scan", scan.version, scan.is_whole(SLOTS))
                    } else {
                        let key = rng.next_u64();
                        let route = table.route(key).await;
                        let whole = route.is_whole() && route.slot == slot_of(key, SLOTS);
                        ("route", route.version, whole)
                    };
                    let started = books.started.load(SeqCst);
                    if let Err(violation) =
                        check_read(what, version, whole, published, started, last)
                    {
                        mine.push(violation);
                        if mine.len() >= 10 {
                            break;
                        }
                    }
                    last = last.max(version);
                    reads += 1;
                    if reads.is_multiple_of(8) {
                        D::between_ops().await;
                    }
                }
                violations.lock().unwrap().extend(mine);
            }
        }
    });
    let mut violations = std::mem::take(&mut *violations.lock().unwrap());
    let end = block_on(table.route(0));
    if end.version != replaces || !end.is_whole() {
        violations.push(format!(
            "the last replace was lost: after {replaces} replaces a route answered {end:?}"
        ));
    }
    violations
}

fn stress<T: RouteTable, D: Driver>(
    driver: &D,
    clients: usize,
    replaces: u64,
    seed: u64,
) -> Result<(), String> {
    let violations = stress_report::<T, D>(driver, clients, replaces, seed);
    patterns::check::verdict(&violations, clients, D::NAME)
}

fn passes_stress<T: RouteTable, D: Driver>(clients: usize) {
    let driver = D::new();
    for seed in common::stress_seeds(0x2047) {
        if let Err(violation) = stress::<T, D>(&driver, clients, 2_000, seed) {
            panic!(
                "{} under {}, seed {seed} (WORKBENCH_SEED={seed} replays it): {violation}",
                T::STYLE,
                D::NAME
            );
        }
    }
}

fn two_clients<T: RouteTable, D: Driver>() {
    passes_stress::<T, D>(2);
}

fn eight_clients<T: RouteTable, D: Driver>() {
    passes_stress::<T, D>(8);
}

macro_rules! table_tests {
    ($style:ident: $table:ty) => {
        style_tests! {
            $style: $table {
                contract: [
                    answers_from_the_first_table,
                    every_read_after_a_replace_sees_it,
                    a_table_of_one_slot,
                ],
                stress: [],
                per_driver: [two_clients, eight_clients],
            }
        }
    };
    (facade $style:ident: $table:ty) => {
        table_tests!($style: $table);
    };
    (library $style:ident: $table:ty) => {
        table_tests!($style: $table);
    };
    // A broken table passes the single-client contract and tears under
    // clients: its tests assert both.
    (broken $style:ident: $table:ty) => {
        style_tests! {
            $style: $table {
                contract: [passes_the_single_client_contract],
                stress: [is_caught_by_the_stress_test],
                per_driver: [],
            }
        }
    };
}

patterns::for_each_route_table!(table_tests);

/// The check itself, on made-up answers: each kind of wrong read is named.
#[test]
fn the_read_check_names_each_wrong_read() {
    assert_eq!(check_read("route", 5, true, 5, 6, 4), Ok(()));
    let report = |v, whole, published, started, last| {
        check_read("scan", v, whole, published, started, last).unwrap_err()
    };
    assert!(report(5, false, 5, 5, 0).starts_with("torn read"));
    assert!(report(4, true, 5, 6, 0).starts_with("stale read"));
    assert!(report(7, true, 5, 6, 0).starts_with("a read from the future"));
    assert!(report(5, true, 5, 6, 6).starts_with("went back"));
}

/// A broken style (`racy`) keeps every promise a single client can check...
fn passes_the_single_client_contract<T: RouteTable>() {
    answers_from_the_first_table::<T>();
    every_read_after_a_replace_sees_it::<T>();
}

/// ...and its readers see half-written tables, which the stress test must
/// report.
fn is_caught_by_the_stress_test<T: RouteTable>() {
    // Rounds until caught or ten seconds have passed (one core needs more
    // chances than two).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let caught = (0..)
        .take_while(|_| std::time::Instant::now() < deadline)
        .find_map(|round| stress::<T, Threads>(&Threads, 4, 20_000, round).err());
    let report =
        caught.unwrap_or_else(|| panic!("the stress test never saw {}'s torn read", T::STYLE));
    eprintln!("caught: {report}");
    assert!(
        report.starts_with("torn read"),
        "unexpected report: {report}"
    );
}

/// The same settings on the correct `seqlock` (racy plus its sequence)
/// find nothing.
#[test]
fn the_racy_settings_pass_on_seqlock() {
    common::guarded("the racy settings on seqlock", || {
        use patterns::routes::seqlock::SeqLockTable;
        for round in 0..3 {
            stress::<SeqLockTable, Threads>(&Threads, 4, 20_000, round).unwrap();
        }
    });
}

/// A seqlock cannot change its shape: a table of another size is refused
/// with a message, before the sequence goes odd (readers are not left
/// spinning on a writer that panicked).
#[test]
fn a_seqlock_refuses_a_table_of_another_size() {
    // Under the watchdog: a sequence left odd would make the last scan
    // spin for ever.
    common::guarded("a seqlock refuses another size", refuses_another_size);
}

fn refuses_another_size() {
    use patterns::routes::seqlock::SeqLockTable;
    let table = Arc::new(SeqLockTable::new(Table::new(1, SLOTS)));
    let refused = std::thread::spawn({
        let table = Arc::clone(&table);
        move || block_on(table.replace(Table::new(2, SLOTS + 1)))
    })
    .join()
    .expect_err("a table of another size was accepted");
    let message = refused
        .downcast_ref::<String>()
        .map(String::as_str)
        .unwrap_or_default();
    assert!(message.contains("keeps its shape"), "{message}");
    // Readers still get the old table, whole.
    assert_eq!(block_on(table.scan()), Table::new(1, SLOTS).scan());
}
