//! The session store's contract and stress tests, for every implementation
//! in the registry under every driver, with 2 and 8 clients; and the proof
//! that the stress test catches `racy`'s lost write.

// Under the loom switch the facade is loom's; only loom-tests run then.
#![cfg(not(workbench_loom))]

#[macro_use]
mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use patterns::ClientId;
use patterns::drive::{Driver, Threads, block_on};
use patterns::kv::{SequentialStore, Session, SessionId, SessionStore};

use patterns::primitives::rng::SplitMix64;

use common::linearizability::{self, Clock, Event, MAX_EVENTS};
use patterns::check::models::{HotKey, HotOp};

fn session(user: u64) -> Session {
    Session {
        user,
        hits: 0,
        data: [user as u8; 16],
    }
}

// ---- contract, one client ----

fn operations_do_what_a_map_does<S: SessionStore>() {
    let store = S::new(16);
    assert_eq!(block_on(store.get(1)), None);
    assert_eq!(
        block_on(store.update(1, 5)),
        None,
        "update of an absent key"
    );
    assert_eq!(block_on(store.get(1)), None, "update must not insert");
    assert_eq!(block_on(store.insert(1, session(7))), None);
    assert_eq!(block_on(store.insert(1, session(8))), Some(session(7)));
    let updated = block_on(store.update(1, 3)).expect("present");
    assert_eq!((updated.user, updated.hits), (8, 3));
    assert_eq!(block_on(store.get(1)), Some(updated));
    assert_eq!(block_on(store.remove(1)), Some(updated));
    assert_eq!(block_on(store.remove(1)), None);
    assert_eq!(block_on(store.get(1)), None);
}

fn starts_with_the_initial_sessions<S: SessionStore>() {
    // More sessions than the capacity asked for, and one id twice.
    let initial: Vec<(SessionId, Session)> = (0..100)
        .map(|id| (id, session(id)))
        .chain([(5, session(55))])
        .collect();
    let store = S::with_sessions(10, &initial);
    assert_eq!(
        block_on(store.get(5)),
        Some(session(55)),
        "{}: the later entry wins",
        S::STYLE
    );
    for id in (0..100).filter(|id| *id != 5) {
        assert_eq!(
            block_on(store.get(id)),
            Some(session(id)),
            "{}: key {id}",
            S::STYLE
        );
    }
    assert_eq!(block_on(store.get(100)), None);
}

fn update_wraps<S: SessionStore>() {
    let store = S::new(4);
    block_on(store.insert(9, session(1)));
    block_on(store.update(9, u64::MAX));
    assert_eq!(block_on(store.update(9, 2)).map(|s| s.hits), Some(1));
}

/// A long random sequence over a few keys gives exactly the model's answers.
fn matches_the_model<S: SessionStore>() {
    let store = S::new(64);
    let mut model = SequentialStore::default();
    let mut rng = SplitMix64::new(11);
    for step in 0..4_000 {
        let id: SessionId = rng.next_u64() % 24;
        let (got, want) = match rng.next_u64() % 4 {
            0 => (block_on(store.get(id)), model.get(id)),
            1 => {
                let s = session(rng.next_u64() % 1000);
                (block_on(store.insert(id, s)), model.insert(id, s))
            }
            2 => (block_on(store.remove(id)), model.remove(id)),
            _ => {
                let hits = rng.next_u64() % 10;
                (block_on(store.update(id, hits)), model.update(id, hits))
            }
        };
        assert_eq!(got, want, "{}: step {step}, key {id}", S::STYLE);
    }
}

// ---- stress ----

/// How many hot keys every client updates and reads; never removed.
const HOT: u64 = 4;

/// The hot keys of a run: drawn from the whole key space (but the small
/// range the private keys use), a different set per seed, so that over the
/// seeds of a run hot keys share a shard or an owner in some runs and not
/// in others, whatever the style's hash does with them.
fn hot_keys(seed: u64) -> Vec<SessionId> {
    let mut rng = SplitMix64::new(seed ^ 0x4057);
    common::distinct(HOT as usize, || {
        loop {
            let key = rng.next_u64();
            if key >= PRIVATE_KEYS_END {
                break key;
            }
        }
    })
}

/// Private keys are `1_000 + client * 100 + k`, below this.
const PRIVATE_KEYS_END: u64 = 1_000_000;

/// Runs `clients` clients under `driver`, each doing `ops` operations:
///
/// - 40% `update(hot key, 1)`, 20% `get(hot key)`: every answer must be
///   present, and a client's successive observations of a key's hits never
///   decrease and never fall below its own updates of that key;
/// - 40% insert/remove/update/get on keys only this client uses, whose
///   answers must equal a sequential model's exactly.
///
/// Afterwards every hot key's hits must equal the number of updates all
/// clients made to it (a lost write shows here), the answers of a hot key's
/// updates, from every client together, must be exactly 1, 2, ... up to
/// that number, each once (each update saw all the earlier ones and none of
/// the later: the updates of one key took turns), and every private key
/// must hold what its client's model says.
fn stress<S: SessionStore, D: Driver>(
    driver: &D,
    clients: usize,
    ops: usize,
    seed: u64,
) -> Result<(), String> {
    let violations = stress_report::<S, D>(driver, clients, ops, seed);
    patterns::check::verdict(&violations, clients, D::NAME)
}

/// Every violation [`stress`] finds, in the order found. Besides the
/// checks listed there, each hot key's history (every update and read, from
/// every client, with its call and return instants) must be linearizable
/// against [`HotKey`], when it is no longer than the checker takes
/// ([`MAX_EVENTS`] operations a key; longer runs skip that check).
fn stress_report<S: SessionStore, D: Driver>(
    driver: &D,
    clients: usize,
    ops: usize,
    seed: u64,
) -> Vec<String> {
    let clock = Clock::start();
    let histories = Arc::new(Mutex::new(vec![
        Vec::<Event<HotOp, Option<u64>>>::new();
        HOT as usize
    ]));
    let store = Arc::new(driver.enter(|| S::new(1024)));
    let keys = Arc::new(hot_keys(seed));
    for (i, &key) in keys.iter().enumerate() {
        block_on(store.insert(key, session(i as u64)));
    }
    let updates = Arc::new(Mutex::new(vec![0u64; HOT as usize]));
    // Every update's answer (its hits), per hot key, from every client.
    let answers = Arc::new(Mutex::new(vec![Vec::<u64>::new(); HOT as usize]));
    let models = Arc::new(Mutex::new(HashMap::<usize, SequentialStore>::new()));
    let violations = Arc::new(Mutex::new(Vec::<String>::new()));
    driver.run(clients, {
        let (store, updates, models, violations) = (
            store.clone(),
            updates.clone(),
            models.clone(),
            violations.clone(),
        );
        let (answers, histories, keys) = (answers.clone(), histories.clone(), keys.clone());
        move |id: ClientId| {
            let (store, updates, models, violations) = (
                store.clone(),
                updates.clone(),
                models.clone(),
                violations.clone(),
            );
            let (answers, histories, keys) = (answers.clone(), histories.clone(), keys.clone());
            async move {
                let mut my_history = vec![Vec::new(); HOT as usize];
                let mut my_answers = vec![Vec::<u64>::new(); HOT as usize];
                let mut rng = SplitMix64::new(seed ^ ((id.0 as u64 + 1) << 24));
                let mut own = vec![0u64; HOT as usize];
                let mut seen = vec![0u64; HOT as usize];
                let mut model = SequentialStore::default();
                let private = |k: u64| 1_000 + id.0 as u64 * 100 + k;
                let mut problems = Vec::new();
                for _ in 0..ops {
                    let roll = rng.next_u64() % 10;
                    let hot = (rng.next_u64() % HOT) as usize;
                    if roll < 6 {
                        let call = clock.now();
                        let (op, answer) = if roll < 4 {
                            own[hot] += 1;
                            let answer = store.update(keys[hot], 1).await;
                            if let Some(s) = answer {
                                my_answers[hot].push(s.hits);
                            }
                            (HotOp::Update(1), answer)
                        } else {
                            (HotOp::Get, store.get(keys[hot]).await)
                        };
                        my_history[hot].push(Event {
                            client: id.0,
                            call,
                            ret: clock.now(),
                            op,
                            result: answer.map(|s| s.hits),
                        });
                        match answer {
                            None => problems.push(format!("hot key {} vanished", keys[hot])),
                            Some(s) if s.hits < seen[hot] || s.hits < own[hot] => {
                                problems.push(format!(
                                    "lost write: key {} showed {} hits after {} (own updates {})",
                                    keys[hot], s.hits, seen[hot], own[hot]
                                ))
                            }
                            Some(s) => seen[hot] = s.hits,
                        }
                    } else {
                        let key = private(rng.next_u64() % 8);
                        let (got, want) = match rng.next_u64() % 4 {
                            0 => (store.get(key).await, model.get(key)),
                            1 => {
                                let s = session(rng.next_u64() % 100);
                                (store.insert(key, s).await, model.insert(key, s))
                            }
                            2 => (store.remove(key).await, model.remove(key)),
                            _ => (store.update(key, 1).await, model.update(key, 1)),
                        };
                        if got != want {
                            problems
                                .push(format!("key {key}: got {got:?}, the model says {want:?}"));
                        }
                    }
                }
                for (total, mine) in updates.lock().unwrap().iter_mut().zip(own) {
                    *total += mine;
                }
                for (all, mine) in answers.lock().unwrap().iter_mut().zip(my_answers) {
                    all.extend(mine);
                }
                for (all, mine) in histories.lock().unwrap().iter_mut().zip(my_history) {
                    all.extend(mine);
                }
                models.lock().unwrap().insert(id.0, model);
                violations.lock().unwrap().extend(
                    problems
                        .into_iter()
                        .map(|p| format!("client {}: {p}", id.0)),
                );
            }
        }
    });

    let mut violations = Arc::try_unwrap(violations)
        .expect("clients are done")
        .into_inner()
        .unwrap();
    for (&key, made) in keys.iter().zip(updates.lock().unwrap().iter()) {
        let hits = block_on(store.get(key)).map(|s| s.hits);
        if hits != Some(*made) {
            violations.push(format!(
                "lost write: hot key {key} has {hits:?} hits after {made} updates"
            ));
        }
    }
    for (key, answers) in keys.iter().zip(answers.lock().unwrap().iter_mut()) {
        answers.sort_unstable();
        let expected = 1..=answers.len() as u64;
        if let Some((got, want)) = answers
            .iter()
            .zip(expected)
            .find(|(got, want)| **got != *want)
        {
            violations.push(format!(
                "hot key {key}: the updates' answers are not 1..={} once each: found {got} where {want} belongs",
                answers.len()
            ));
        }
    }
    for (client, model) in models.lock().unwrap().iter() {
        for k in 0..8 {
            let key = 1_000 + *client as u64 * 100 + k;
            let (got, want) = (block_on(store.get(key)), model.get(key));
            if got != want {
                violations.push(format!(
                    "private key {key}: {got:?} at the end, the model says {want:?}"
                ));
            }
        }
    }
    for (key, history) in keys.iter().zip(histories.lock().unwrap().iter()) {
        if history.len() <= MAX_EVENTS
            && let Err(report) = linearizability::check::<HotKey>(0, history)
        {
            violations.push(format!("hot key {key}: {report}"));
        }
    }
    violations
}

fn passes_stress<S: SessionStore, D: Driver>(clients: usize) {
    let driver = D::new();
    for seed in common::stress_seeds(0x5E55) {
        if let Err(violation) = stress::<S, D>(&driver, clients, 1_000, seed) {
            panic!(
                "{} under {}, seed {seed} (WORKBENCH_SEED={seed} replays it): {violation}",
                S::STYLE,
                D::NAME
            );
        }
    }
}

fn two_clients<S: SessionStore, D: Driver>() {
    passes_stress::<S, D>(2);
}

fn eight_clients<S: SessionStore, D: Driver>() {
    passes_stress::<S, D>(8);
}

macro_rules! store_tests {
    ($style:ident: $store:ty) => {
        style_tests! {
            $style: $store {
                contract: [
                    operations_do_what_a_map_does,
                    starts_with_the_initial_sessions,
                    update_wraps,
                    matches_the_model,
                ],
                stress: [],
                per_driver: [two_clients, eight_clients],
            }
        }
    };
    (facade $style:ident: $store:ty) => {
        store_tests!($style: $store);
    };
    (library $style:ident: $store:ty) => {
        store_tests!($style: $store);
    };
    // A broken store passes the single-client contract and loses writes
    // under clients: its tests assert both, and that the stress and the
    // linearizability checks each catch it.
    (broken $style:ident: $store:ty) => {
        style_tests! {
            $style: $store {
                contract: [passes_the_single_client_contract],
                stress: [is_caught_by_the_stress_test],
                per_driver: [],
                linearizability: [is_caught_by_the_linearizability_check],
            }
        }
    };
}

patterns::for_each_store!(store_tests);

/// A broken style (`racy`) keeps every promise a single client can check...
fn passes_the_single_client_contract<S: SessionStore>() {
    operations_do_what_a_map_does::<S>();
    matches_the_model::<S>();
}

/// ...and loses concurrent updates, which the stress test must report.
fn is_caught_by_the_stress_test<S: SessionStore>() {
    // Rounds until caught or ten seconds have passed (one core needs more
    // chances than two).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let caught = (0..)
        .take_while(|_| std::time::Instant::now() < deadline)
        .find_map(|round| stress::<S, Threads>(&Threads, 4, 20_000, round).err());
    let report =
        caught.unwrap_or_else(|| panic!("the stress test never saw {}'s lost write", S::STYLE));
    eprintln!("caught: {report}");
    assert!(report.contains("lost write"), "unexpected report: {report}");
}

/// The same settings on the correct `rwlock` store (racy minus the bug)
/// find nothing.
#[test]
fn the_racy_settings_pass_on_rwlock() {
    use patterns::kv::rwlock::RwLockStore;
    for round in 0..3 {
        stress::<RwLockStore, Threads>(&Threads, 4, 20_000, round).unwrap();
    }
}

/// The checker itself, on hand-made histories of one hot key: overlapping
/// updates may be ordered either way; two updates that both answer 1 (one
/// lost) cannot be ordered; a read that sees an update not yet called
/// cannot either. The report names the operations that could not come next.
#[test]
fn the_linearizability_check_accepts_and_refuses_what_it_should() {
    let event = |client, call, ret, op, hits| Event {
        client,
        call,
        ret,
        op,
        result: Some(hits),
    };
    // Two overlapping updates answer 2 and 1: the second called went first.
    let overlapping = [
        event(0, 0, 10, HotOp::Update(1), 2),
        event(1, 5, 8, HotOp::Update(1), 1),
        event(0, 11, 12, HotOp::Get, 2),
    ];
    assert_eq!(linearizability::check::<HotKey>(0, &overlapping), Ok(()));
    // A lost update: both answer 1.
    let lost = [
        event(0, 0, 10, HotOp::Update(1), 1),
        event(1, 5, 8, HotOp::Update(1), 1),
    ];
    let report = linearizability::check::<HotKey>(0, &lost).unwrap_err();
    assert!(
        report.contains("at best 1 of 2")
            && report.contains("Update(1) called at")
            && report.contains("with Some(1) (the model would answer Some(2))"),
        "{report}"
    );
    // A read from the future: it returned before the update was called.
    let future = [
        event(0, 0, 1, HotOp::Get, 1),
        event(1, 2, 3, HotOp::Update(1), 1),
    ];
    let report = linearizability::check::<HotKey>(0, &future).unwrap_err();
    assert!(report.contains("at best 0 of 2"), "{report}");
}

/// `racy`'s lost writes make its hot keys' histories impossible to order:
/// the linearizability check reports them too, with the operations where
/// the search got stuck. The settings are the lost-write test's: rounds
/// long enough to be preempted (on one core, clients interleave only then),
/// each key's history (about 12,000 operations) within the search's limit.
fn is_caught_by_the_linearizability_check<S: SessionStore>() {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let caught = (0..)
        .take_while(|_| std::time::Instant::now() < deadline)
        .find_map(|round| {
            stress_report::<S, Threads>(&Threads, 4, 20_000, round)
                .into_iter()
                .find(|v| v.contains("not linearizable"))
        });
    let report = caught.unwrap_or_else(|| {
        panic!(
            "the linearizability check never noticed {}'s lost writes",
            S::STYLE
        )
    });
    assert!(
        report.contains("none of the operations that could come next"),
        "{report}"
    );
}
