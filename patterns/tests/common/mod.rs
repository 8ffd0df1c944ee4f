//! Checks shared by the test binaries. Each returns what it found wrong
//! instead of panicking inside a client, so the same check can assert that
//! a correct implementation passes and that a broken one is caught.

// Every test binary compiles this module and uses a different part of it.
#![allow(dead_code)]

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
    /// a variant beside `Own`, not a replacement.
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
    driver.run(clients, {
        let (counter, plans, violations) = (counter.clone(), plans.clone(), violations.clone());
        let books = books.clone();
        move |id: ClientId| {
            let (counter, plans, violations) = (counter.clone(), plans.clone(), violations.clone());
            let books = books.clone();
            async move {
                let (begun, completed) = (&books.0, &books.1);
                let (mut own, mut last_seen) = (0u64, 0u64);
                for op in &plans[id.0] {
                    match op {
                        Some(n) => {
                            if cross {
                                begun.fetch_add(*n, SeqCst);
                            }
                            counter.add(id, *n).await;
                            if cross {
                                completed.fetch_add(*n, SeqCst);
                            }
                            own += n;
                        }
                        None => {
                            let floor = if cross { completed.load(SeqCst) } else { own };
                            let seen = counter.get().await;
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
            }
        }
    });

    let mut violations = Arc::try_unwrap(violations)
        .expect("clients are done")
        .into_inner()
        .unwrap();
    let total = block_on(counter.get());
    if total != model.get() {
        violations.push(format!(
            "lost update: final total {total}, the sequential model says {}",
            model.get()
        ));
    }
    match violations.first() {
        None => Ok(()),
        Some(first) => Err(format!(
            "{} ({} violation(s) in all, {} clients under {})",
            first,
            violations.len(),
            clients,
            D::NAME
        )),
    }
}

/// Runs `check` on its own thread and fails the test, naming `what`, if it
/// has not finished within `limit`: a hang is a failure with a message, not
/// a stuck CI. A panic inside `check` is passed on as it is.
pub fn watchdog<T: Send + 'static>(
    what: &str,
    limit: std::time::Duration,
    check: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (done, outcome) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(check));
        let _ = done.send(result);
    });
    match outcome.recv_timeout(limit) {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("watchdog: {what} did not finish within {limit:?}"),
    }
}
