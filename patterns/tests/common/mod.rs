//! Checks shared by the test binaries. Each returns what it found wrong
//! instead of panicking inside a client, so the same check can assert that
//! a correct implementation passes and that a broken one is caught.

// Every test binary compiles this module and uses a different part of it.
#![allow(dead_code, unused_macros)]

#[allow(unused_imports)]
pub use patterns::check::{distinct, linearizability, stress_seeds, watchdog};

use std::sync::{Arc, Mutex};

use patterns::ClientId;
use patterns::counter::{Counter, SequentialCounter};
use patterns::drive::{Driver, block_on};
use patterns::primitives::rng::SplitMix64;

/// One client's planned operations: `Some(n)` adds n, `None` reads.
pub fn plan(client: usize, ops: usize, seed: u64) -> Vec<Option<u64>> {
    let mut rng = SplitMix64::new(seed ^ (client as u64 + 1));
    (0..ops)
        .map(|_| {
            let roll = rng.next_u64();
            if roll.is_multiple_of(10) {
                None
            } else {
                Some(1 + (roll >> 8) % 1000)
            }
        })
        .collect()
}

/// Which bounds a stress run holds each `get` to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Bounds {
    /// At least the client's own completed adds, at most every planned add
    /// of every client: no bookkeeping shared between clients, so nothing
    /// but the counter itself orders them.
    Own,
    /// The contract's exact window: at least every add (of any client)
    /// completed before the `get` began, at most every add begun before it
    /// returned. Two shared atomics keep the books (a `SeqCst` add before
    /// and after each add), which also orders the clients a little: hence
    /// a variant beside `Own`, not a replacement. The run's history (every
    /// operation with its call and return instants) must also be
    /// linearizable, except for the styles whose contract is the weaker
    /// window (`Counter::LINEARIZABLE` false), when it is short enough for
    /// the search ([`linearizability::MAX_EVENTS`] operations).
    CrossClient,
}

/// Runs `clients` clients, each performing its plan, against a fresh
/// implementation under `driver`, and checks everything the contract lets
/// us observe:
///
/// - every `get` counts at least the client's own completed adds, and at
///   most every add of every client;
/// - a client's successive `get`s never decrease;
/// - afterwards, the total equals the sequential model's after all adds.
pub fn stress<C: Counter, D: Driver>(
    driver: &D,
    clients: usize,
    ops: usize,
    seed: u64,
) -> Result<(), String> {
    stress_with::<C, D>(driver, clients, ops, seed, Bounds::Own)
}

/// [`stress`] with the chosen [`Bounds`] for each `get`.
pub fn stress_with<C: Counter, D: Driver>(
    driver: &D,
    clients: usize,
    ops: usize,
    seed: u64,
    bounds: Bounds,
) -> Result<(), String> {
    use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
    // Adds begun, and adds completed, by every client so far.
    let books = Arc::new((AtomicU64::new(0), AtomicU64::new(0)));
    let plans: Arc<Vec<Vec<Option<u64>>>> =
        Arc::new((0..clients).map(|c| plan(c, ops, seed)).collect());
    let mut model = SequentialCounter::default();
    for n in plans.iter().flatten().flatten() {
        model.add(*n);
    }
    let upper_bound = model.get();

    let counter = Arc::new(driver.enter(|| C::new(clients)));
    let violations = Arc::new(Mutex::new(Vec::<String>::new()));
    let cross = bounds == Bounds::CrossClient;
    let clock = linearizability::Clock::start();
    let history = Arc::new(Mutex::new(Vec::new()));
    driver.run(clients, {
        let (counter, plans, violations) = (counter.clone(), plans.clone(), violations.clone());
        let (books, history) = (books.clone(), history.clone());
        move |id: ClientId| {
            let (counter, plans, violations) = (counter.clone(), plans.clone(), violations.clone());
            let (books, history) = (books.clone(), history.clone());
            async move {
                let (begun, completed) = (&books.0, &books.1);
                let (mut own, mut last_seen) = (0u64, 0u64);
                let mut events = Vec::new();
                for op in &plans[id.0] {
                    let call = clock.now();
                    match op {
                        Some(n) => {
                            if cross {
                                begun.fetch_add(*n, SeqCst);
                            }
                            counter.add(id, *n).await;
                            if cross {
                                completed.fetch_add(*n, SeqCst);
                                events.push(linearizability::Event {
                                    client: id.0,
                                    call,
                                    ret: clock.now(),
                                    op: *op,
                                    result: None,
                                });
                            }
                            own += n;
                        }
                        None => {
                            let floor = if cross { completed.load(SeqCst) } else { own };
                            let seen = counter.get().await;
                            if cross {
                                events.push(linearizability::Event {
                                    client: id.0,
                                    call,
                                    ret: clock.now(),
                                    op: None,
                                    result: Some(seen),
                                });
                            }
                            let ceiling = if cross { begun.load(SeqCst) } else { upper_bound };
                            let problem = if cross && seen < floor {
                                Some(format!(
                                    "get {seen} missed adds completed before it began ({floor} in all)"
                                ))
                            } else if cross && seen > ceiling {
                                Some(format!(
                                    "get {seen} counts adds begun after it returned ({ceiling} begun)"
                                ))
                            } else if seen < own {
                                Some(format!("get {seen} missed the client's own adds ({own})"))
                            } else if seen < last_seen {
                                Some(format!("get went backwards: {last_seen} then {seen}"))
                            } else if seen > upper_bound {
                                Some(format!("get {seen} exceeds every add ({upper_bound})"))
                            } else {
                                None
                            };
                            if let Some(problem) = problem {
                                violations
                                    .lock()
                                    .unwrap()
                                    .push(format!("client {}: {problem}", id.0));
                            }
                            last_seen = seen;
                        }
                    }
                }
                history.lock().unwrap().extend(events);
            }
        }
    });

    let mut violations = Arc::try_unwrap(violations)
        .expect("clients are done")
        .into_inner()
        .unwrap();
    let history = history.lock().unwrap();
    // Longer runs (the broken styles' catch tests) skip the search: it
    // takes at most `MAX_EVENTS` operations.
    if cross
        && C::LINEARIZABLE
        && history.len() <= linearizability::MAX_EVENTS
        && let Err(report) =
            linearizability::check::<patterns::check::models::CounterModel>(0, &history)
    {
        violations.push(report);
    }
    let total = block_on(counter.get());
    if total != model.get() {
        violations.push(format!(
            "lost update: final total {total}, the sequential model says {}",
            model.get()
        ));
    }
    patterns::check::verdict(&violations, clients, D::NAME)
}

/// How long a check of a style may run before its watchdog calls it a
/// hang (unless its `style_tests!` names its own `limit`).
pub const CHECK_LIMIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Runs a check of a style under the [`watchdog`], named by its test path.
pub fn guarded(what: impl Into<String>, check: impl FnOnce() + Send + 'static) {
    guarded_for(what, CHECK_LIMIT, check)
}

/// [`guarded`], with its own limit.
pub fn guarded_for(
    what: impl Into<String>,
    limit: std::time::Duration,
    check: impl FnOnce() + Send + 'static,
) {
    watchdog(&what.into(), limit, check)
}

/// A style's tests, a module per tier, so that a test's path says what it
/// checks and the planted-bug runner reads its tier from there:
///
/// - `<style>::contract::<check>`: one client (or a few, in fixed steps)
///   against the contract: `crate::<check>::<Style>()`;
/// - `<style>::stress::<check>`: many clients at once, on their own
///   threads: `crate::<check>::<Style>()`;
/// - `<style>::stress::<driver>::<check>`: many clients under each driver
///   of `patterns::for_each_driver!`: `crate::<check>::<Style, Driver>()`;
/// - `<style>::linearizability::<check>`: a concurrent history checked
///   against the sequential model: `crate::<check>::<Style>()`.
///
/// Every list is given (any may be empty) except `linearizability` and
/// `limit`, which are optional (empty, [`CHECK_LIMIT`]). Every check runs
/// under the [`watchdog`], so a hang fails with the check's path instead of
/// stopping the test binary. (A test binary takes these macros with
/// `#[macro_use] mod common;`.)
macro_rules! style_tests {
    (
        $style:ident: $ty:ty {
            $(limit: $limit:expr,)?
            contract: $contract:tt,
            stress: $stress:tt,
            per_driver: $per_driver:tt
            $(, linearizability: $linearizability:tt)? $(,)?
        }
    ) => {
        style_tests!(@tiers $style: $ty,
            [$($limit)?],
            [contract: $contract, stress: $stress, linearizability: [$($linearizability)?]],
            $per_driver
        );
    };
    // The limit, defaulted.
    (@tiers $style:ident: $ty:ty, [], $tiers:tt, $per_driver:tt) => {
        style_tests!(@tiers $style: $ty, [$crate::common::CHECK_LIMIT], $tiers, $per_driver);
    };
    (@tiers $style:ident: $ty:ty, [$limit:expr],
        [contract: $contract:tt, stress: $stress:tt, linearizability: [$($linearizability:tt)?]],
        $per_driver:tt
    ) => {
        mod $style {
            mod contract {
                style_tests_checks!($ty, $limit, $contract);
            }

            mod stress {
                style_tests_checks!($ty, $limit, $stress);
                patterns::for_each_driver!(style_tests_per_driver, $ty, $limit, $per_driver);
            }

            mod linearizability {
                $(style_tests_checks!($ty, $limit, $linearizability);)?
            }
        }
    };
}

/// `style_tests!`'s checks under every driver (the callback of
/// `patterns::for_each_driver!`).
macro_rules! style_tests_per_driver {
    ([$ty:ty, $limit:expr, $checks:tt] $($driver:ident: $driver_ty:ty,)*) => {
        $(mod $driver {
            style_tests_checks!($ty, $driver_ty, $limit, $checks);
        })*
    };
}

/// A test per check: `crate::<check>::<Style>()`, or
/// `crate::<check>::<Style, Driver>()` given a driver.
macro_rules! style_tests_checks {
    ($ty:ty, $limit:expr, [$($check:ident),* $(,)?]) => {
        $(
            #[test]
            fn $check() {
                $crate::common::guarded_for(
                    concat!(module_path!(), "::", stringify!($check)),
                    $limit,
                    $crate::$check::<$ty>,
                );
            }
        )*
    };
    ($ty:ty, $driver_ty:ty, $limit:expr, [$($check:ident),* $(,)?]) => {
        $(
            #[test]
            fn $check() {
                $crate::common::guarded_for(
                    concat!(module_path!(), "::", stringify!($check)),
                    $limit,
                    $crate::$check::<$ty, $driver_ty>,
                );
            }
        )*
    };
}
