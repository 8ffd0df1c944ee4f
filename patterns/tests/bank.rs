//! The bank's contract and stress tests, for every implementation in the
//! registry under every driver, with 2 and 8 clients; and the proof that the
//! checks catch the two broken styles: `naive` deadlocks, `atomic` tears
//! audits.

// Under the loom switch the facade is loom's; only loom-tests run then.
#![cfg(not(workbench_loom))]

#[macro_use]
mod common;

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use common::linearizability::{self, Clock, Event, MAX_EVENTS};
use patterns::ClientId;
use patterns::bank::{AccountId, Bank, BankError, SequentialBank};
use patterns::check::models::{BankAnswer as Answer, BankHistory, BankOp};
use patterns::drive::{Driver, Threads, block_on};

use patterns::primitives::rng::SplitMix64;

fn balances<B: Bank>(bank: &B, accounts: usize) -> Vec<u64> {
    (0..accounts)
        .map(|a| block_on(bank.balance(AccountId(a))).expect("a known account"))
        .collect()
}

// ---- contract, one client ----

fn opens_with_the_given_balances<B: Bank>() {
    let bank = B::new(&[5, 0, 7]);
    assert_eq!(balances(&bank, 3), [5, 0, 7]);
    assert_eq!(block_on(bank.audit()), 12);
}

fn transfers_move_money<B: Bank>() {
    let bank = B::new(&[10, 0, 3]);
    block_on(bank.transfer(AccountId(0), AccountId(1), 4)).unwrap();
    block_on(bank.transfer(AccountId(2), AccountId(0), 3)).unwrap();
    // The whole balance may go: zero is not negative.
    block_on(bank.transfer(AccountId(1), AccountId(2), 4)).unwrap();
    assert_eq!(balances(&bank, 3), [9, 0, 4]);
    assert_eq!(block_on(bank.audit()), 13);
}

fn bad_requests_are_refused_and_change_nothing<B: Bank>() {
    let bank = B::new(&[10, 20]);
    let (a, b, nowhere) = (AccountId(0), AccountId(1), AccountId(2));
    let refused = [
        (nowhere, b, 1, BankError::UnknownAccount(nowhere)),
        (a, nowhere, 1, BankError::UnknownAccount(nowhere)),
        // Unknown beats zero: the checks come in the contract's order.
        (
            a,
            AccountId(usize::MAX),
            0,
            BankError::UnknownAccount(AccountId(usize::MAX)),
        ),
        (a, a, 1, BankError::SameAccount(a)),
        (a, b, 0, BankError::ZeroAmount),
        (
            a,
            b,
            11,
            BankError::InsufficientFunds {
                account: a,
                available: 10,
                requested: 11,
            },
        ),
        // An amount that would overflow the destination can never be covered.
        (
            b,
            a,
            u64::MAX,
            BankError::InsufficientFunds {
                account: b,
                available: 20,
                requested: u64::MAX,
            },
        ),
    ];
    for (from, to, amount, expected) in refused {
        let got = block_on(bank.transfer(from, to, amount));
        assert_eq!(
            got,
            Err(expected),
            "{}: transfer({from:?}, {to:?}, {amount})",
            B::STYLE
        );
        assert_eq!(
            balances(&bank, 2),
            [10, 20],
            "{}: a refusal changed a balance",
            B::STYLE
        );
    }
    assert_eq!(
        block_on(bank.balance(nowhere)),
        Err(BankError::UnknownAccount(nowhere))
    );
    assert_eq!(block_on(bank.audit()), 30);
}

fn an_empty_bank_refuses_everything<B: Bank>() {
    let bank = B::new(&[]);
    assert_eq!(block_on(bank.audit()), 0);
    let err = block_on(bank.transfer(AccountId(0), AccountId(1), 1));
    assert_eq!(err, Err(BankError::UnknownAccount(AccountId(0))));
}

/// A long random sequence of requests, a tenth of them invalid, gives
/// exactly the model's answers: the model is the specification.
fn matches_the_model<B: Bank>() {
    let opening = [50, 0, 120, 7, 1];
    let bank = B::new(&opening);
    let mut model = SequentialBank::new(&opening);
    let mut rng = SplitMix64::new(7);
    // One past the last account, so some requests name an unknown one.
    let account = |rng: &mut SplitMix64| AccountId((rng.next_u64() % 6) as usize);
    for step in 0..2_000 {
        let roll = rng.next_u64() % 20;
        let (from, to) = (account(&mut rng), account(&mut rng));
        match roll {
            0 => assert_eq!(block_on(bank.audit()), model.audit(), "step {step}: audit"),
            1 | 2 => assert_eq!(
                block_on(bank.balance(from)),
                model.balance(from),
                "step {step}: balance({from:?})"
            ),
            _ => {
                let amount = match roll {
                    3 => 0,
                    4 => u64::MAX - rng.next_u64() % 3,
                    _ => rng.next_u64() % 60,
                };
                assert_eq!(
                    block_on(bank.transfer(from, to, amount)),
                    model.transfer(from, to, amount),
                    "step {step}: transfer({from:?}, {to:?}, {amount})"
                );
            }
        }
    }
    assert_eq!(balances(&bank, opening.len()), model.balances());
}

fn refuses_an_opening_total_past_u64_max<B: Bank>() {
    let refused = std::panic::catch_unwind(|| B::new(&[u64::MAX, 1])).err();
    let message = refused
        .as_ref()
        .and_then(|p| {
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        })
        .unwrap_or_else(|| panic!("{} accepted balances adding up past u64::MAX", B::STYLE));
    assert!(message.contains("more than u64::MAX"), "{message}");
}

// ---- stress: many clients, hot accounts, concurrent audits ----

/// What one stress run does.
#[derive(Clone, Copy)]
struct Load {
    clients: usize,
    ops: usize,
    accounts: usize,
    /// How many of the accounts transfers move money between, drawn at
    /// random per seed from all of them (every account if equal).
    hot: usize,
    /// Percent of operations that audit; as many again read a balance.
    audit_percent: u64,
    seed: u64,
}

/// How long a stress run may go without any operation completing before
/// the watchdog calls it a deadlock. Even an oversubscribed actor completes
/// thousands of operations a second.
const STALL: Duration = Duration::from_secs(3);

/// Runs `load` against a fresh `B` under a fresh `D`, and checks everything
/// the contract lets us observe:
///
/// - every audit returns the opening total (a torn audit is reported);
/// - every balance read is at most the total;
/// - transfers are refused only for insufficient funds (the plan makes only
///   valid requests), and only when the reported balance is short;
/// - afterwards every balance is its opening balance plus what the
///   successful transfers moved in minus what they moved out (the model's
///   answer for those transfers, in whatever order they ran), and the audit
///   is the opening total;
/// - the whole recorded history (every transfer, read and audit of every
///   client, with its call and return instants and its answer, refusals
///   with the balance they reported) is linearizable against
///   [`SequentialBank`] ([`BankHistory`]), when it is no longer than the
///   checker takes ([`MAX_EVENTS`]; the long deadlock and torn-audit loads
///   skip this). Unlike the session store's, a bank history cannot be cut
///   into independent parts (a transfer touches two accounts, an audit all
///   of them), so it is searched whole; with a few clients the search
///   stays close to linear.
///
/// A watchdog thread gives up when no operation completes for [`STALL`] and
/// reports a deadlock; the stuck clients are left behind (they can never
/// finish), which is why the run happens on a thread of its own.
fn stress<B: Bank, D: Driver + 'static>(load: Load) -> Result<(), String> {
    let progress = Arc::new(AtomicU64::new(0));
    let (done, outcome) = mpsc::channel();
    std::thread::spawn({
        let progress = Arc::clone(&progress);
        move || {
            let _ = done.send(stress_run::<B, D>(load, progress));
        }
    });
    let mut last = 0;
    loop {
        match outcome.recv_timeout(STALL) {
            Ok((violations, history)) => return verdict::<D>(load, violations, history),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err("the stress run panicked".to_string());
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let now = progress.load(Relaxed);
                if now == last {
                    return Err(format!(
                        "deadlock: no operation completed for {STALL:?} ({now} of {} done, {} clients under {})",
                        load.clients * load.ops,
                        load.clients,
                        D::NAME
                    ));
                }
                last = now;
            }
        }
    }
}

/// The clients' part of [`stress`], watched by its watchdog: the
/// violations found while running and after, and the recorded history
/// when it is short enough to check.
type Run = (Vec<String>, Option<Vec<Event<BankOp, Answer>>>);

fn stress_run<B: Bank, D: Driver>(load: Load, progress: Arc<AtomicU64>) -> Run {
    let opening = opening_balances(load);
    let total: u64 = opening.iter().sum();
    let driver = D::new();
    let bank = Arc::new(driver.enter(|| B::new(&opening)));
    let net = Arc::new(Mutex::new(vec![0i64; load.accounts]));
    let violations = Arc::new(Mutex::new(Vec::<String>::new()));
    let hot = Arc::new(hot_accounts(load));
    let record = load.clients * load.ops <= MAX_EVENTS;
    let history = Arc::new(Mutex::new(Vec::<Event<BankOp, Answer>>::new()));
    let clock = Clock::start();
    driver.run(load.clients, {
        let history = history.clone();
        let (bank, net, violations) = (bank.clone(), net.clone(), violations.clone());
        move |id: ClientId| {
            let (bank, net, violations, progress) = (
                bank.clone(),
                net.clone(),
                violations.clone(),
                progress.clone(),
            );
            let (hot, history) = (hot.clone(), history.clone());
            async move {
                let mut rng = SplitMix64::new(load.seed ^ (id.0 as u64 + 1) << 20);
                let mut own_net = vec![0i64; load.accounts];
                let mut problems = Vec::new();
                let mut my_history = Vec::new();
                for _ in 0..load.ops {
                    let roll = rng.next_u64() % 100;
                    let from = hot[(rng.next_u64() % hot.len() as u64) as usize];
                    let call = clock.now();
                    let (op, answer) = if roll < load.audit_percent {
                        let seen = bank.audit().await;
                        if seen != total {
                            problems.push(format!("torn audit: saw {seen}, the total is {total}"));
                        }
                        (BankOp::Audit, Answer::Sum(seen))
                    } else if roll < 2 * load.audit_percent {
                        // Any account, hot or not.
                        let from = (rng.next_u64() % load.accounts as u64) as usize;
                        let seen = bank.balance(AccountId(from)).await;
                        if !matches!(seen, Ok(b) if b <= total) {
                            problems.push(format!(
                                "balance({from}) gave {seen:?}, the total is {total}"
                            ));
                        }
                        (BankOp::Balance(from), Answer::Balance(seen))
                    } else {
                        let at = hot.iter().position(|&a| a == from).unwrap();
                        let step = 1 + rng.next_u64() % (hot.len() as u64 - 1);
                        let to = hot[(at + step as usize) % hot.len()];
                        let amount = 1 + rng.next_u64() % 60;
                        let outcome = bank.transfer(AccountId(from), AccountId(to), amount).await;
                        match outcome {
                            Ok(()) => {
                                own_net[from] -= amount as i64;
                                own_net[to] += amount as i64;
                            }
                            Err(BankError::InsufficientFunds {
                                available,
                                requested,
                                ..
                            }) if available < requested && requested == amount => {}
                            Err(other) => problems
                                .push(format!("transfer({from}, {to}, {amount}) refused: {other}")),
                        }
                        (
                            BankOp::Transfer { from, to, amount },
                            Answer::Transfer(outcome),
                        )
                    };
                    if record {
                        my_history.push(Event {
                            client: id.0,
                            call,
                            ret: clock.now(),
                            op,
                            result: answer,
                        });
                    }
                    progress.fetch_add(1, Relaxed);
                }
                history.lock().unwrap().extend(my_history);
                for (sum, own) in net.lock().unwrap().iter_mut().zip(own_net) {
                    *sum += own;
                }
                let mut violations = violations.lock().unwrap();
                violations.extend(
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
    let net = net.lock().unwrap();
    let expected: Vec<u64> = opening
        .iter()
        .zip(net.iter())
        .map(|(open, moved)| (*open as i64 + moved) as u64)
        .collect();
    let finals = balances(&*bank, load.accounts);
    if finals != expected {
        violations.push(format!(
            "money moved wrongly: final balances {finals:?}, the successful transfers give {expected:?}"
        ));
    }
    let audit = block_on(bank.audit());
    if audit != total {
        violations.push(format!("final audit {audit}, the total is {total}"));
    }
    drop(bank);
    let history = Arc::try_unwrap(history)
        .expect("clients are done")
        .into_inner()
        .unwrap();
    (violations, record.then_some(history))
}

/// The history check (outside the watchdog: a search is not a stall) and
/// the report: the first violation found, how many there were, and whether
/// the history was also not linearizable.
fn verdict<D: Driver>(
    load: Load,
    mut violations: Vec<String>,
    history: Option<Vec<Event<BankOp, Answer>>>,
) -> Result<(), String> {
    let opening = opening_balances(load);
    if let Some(history) = history
        && let Err(report) =
            linearizability::check::<BankHistory>(SequentialBank::new(&opening), &history)
    {
        violations.push(format!("the bank's history: {report}"));
    }
    patterns::check::verdict(&violations, load.clients, D::NAME)
}

fn opening_balances(load: Load) -> Vec<u64> {
    (0..load.accounts as u64).map(|a| 100 + a).collect()
}

/// The hot accounts of a run: `load.hot` of the `load.accounts`, drawn per
/// seed. Over the seeds of a run, two hot accounts share a shard (or a
/// lock stripe) in some runs and not in others, and pairs whose shard
/// order differs from their account order come up both ways.
fn hot_accounts(load: Load) -> Vec<usize> {
    if load.hot >= load.accounts {
        return (0..load.accounts).collect();
    }
    let mut rng = SplitMix64::new(load.seed ^ 0x4A77);
    common::distinct(load.hot, || rng.next_u64() % load.accounts as u64)
        .into_iter()
        .map(|a| a as usize)
        .collect()
}

/// Eight hot accounts of 64, drawn per seed: transfers between them go
/// both ways all the time, and a tenth of operations audit or read a
/// balance (of any account).
fn passes_stress<B: Bank, D: Driver + 'static>(clients: usize) {
    for seed in common::stress_seeds(0xBA4C) {
        let load = Load {
            clients,
            ops: 1_000,
            accounts: 64,
            hot: 8,
            audit_percent: 5,
            seed,
        };
        if let Err(violation) = stress::<B, D>(load) {
            panic!(
                "{} under {}, seed {seed} (WORKBENCH_SEED={seed} replays it), hot accounts {:?}: {violation}",
                B::STYLE,
                D::NAME,
                hot_accounts(load)
            );
        }
    }
}

fn two_clients<B: Bank, D: Driver + 'static>() {
    passes_stress::<B, D>(2);
}

fn eight_clients<B: Bank, D: Driver + 'static>() {
    passes_stress::<B, D>(8);
}

macro_rules! bank_tests {
    ($style:ident: $bank:ty, per_driver: $per_driver:tt) => {
        style_tests! {
            $style: $bank {
                contract: [
                    opens_with_the_given_balances,
                    transfers_move_money,
                    bad_requests_are_refused_and_change_nothing,
                    an_empty_bank_refuses_everything,
                    matches_the_model,
                    refuses_an_opening_total_past_u64_max,
                ],
                stress: [],
                per_driver: $per_driver,
            }
        }
    };
    (facade $style:ident: $bank:ty) => {
        bank_tests!($style: $bank, per_driver: [two_clients, eight_clients]);
    };
    (library $style:ident: $bank:ty) => {
        bank_tests!($style: $bank, per_driver: [two_clients, eight_clients]);
    };
    // Torn styles keep every part of the contract a single client can
    // see; the stress test would (and must, see below) fail them.
    (torn $style:ident: $bank:ty) => {
        bank_tests!($style: $bank, per_driver: []);
    };
    // The broken style too: its deadlock needs two clients.
    (broken $style:ident: $bank:ty) => {
        bank_tests!($style: $bank, per_driver: []);
    };
}

patterns::for_each_bank!(bank_tests);

// ---- the checkers catch the broken styles ----

/// Two accounts, two clients, nothing but transfers: with `naive`, clients
/// moving money in opposite directions soon hold one lock each and wait for
/// the other's. The watchdog must report it (and the test must not hang).
#[test]
fn naive_deadlock_is_caught_by_the_stress_watchdog() {
    use patterns::bank::naive::NaiveBank;
    let report = stress::<NaiveBank, Threads>(deadlock_load())
        .expect_err("naive's opposite transfers never deadlocked");
    eprintln!("caught: {report}");
    assert!(
        report.starts_with("deadlock: no operation completed"),
        "unexpected report: {report}"
    );
}

/// The same load with the locks taken in order completes, so the catch
/// above is naive's lock order, not the watchdog's impatience.
#[test]
fn the_deadlock_load_passes_with_ordered_locks() {
    use patterns::bank::ordered::OrderedBank;
    stress::<OrderedBank, Threads>(deadlock_load()).unwrap();
}

/// Enough operations that even a one-core machine, where the two clients
/// only interleave when the scheduler preempts one between its two locks,
/// gets many chances; on two cores it deadlocks within a few operations.
fn deadlock_load() -> Load {
    Load {
        clients: 2,
        ops: 2_000_000,
        accounts: 2,
        hot: 2,
        audit_percent: 0,
        seed: 1,
    }
}

/// `atomic` conserves money but its audits read a state no instant ever
/// had. The window is the few nanoseconds between a withdrawal and its
/// deposit, so the test gives it many chances: clients outnumber cores, so
/// some are preempted inside the window.
#[test]
fn atomic_torn_audit_is_caught_by_the_stress_test() {
    use patterns::bank::atomic::AtomicBank;
    // Rounds until caught or ten seconds have passed (see the counter's
    // racy test: one core needs more chances than two).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let caught = (0..)
        .take_while(|_| std::time::Instant::now() < deadline)
        .find_map(|round| stress::<AtomicBank, Threads>(torn_load(round)).err());
    let report = caught.expect("the stress test never saw atomic's torn audit");
    eprintln!("caught: {report}");
    assert!(
        report.starts_with("torn audit") || report.contains(": torn audit"),
        "unexpected report: {report}"
    );
}

/// The same load on `rwlock` (atomic accounts, audits behind the write
/// lock) finds nothing: the catch above is the missing lock.
#[test]
fn the_torn_audit_load_passes_with_rwlock() {
    use patterns::bank::rwlock::RwLockBank;
    for round in 0..3 {
        stress::<RwLockBank, Threads>(torn_load(round)).unwrap();
    }
}

fn torn_load(round: u64) -> Load {
    Load {
        clients: 4,
        ops: 50_000,
        accounts: 2,
        hot: 2,
        audit_percent: 30,
        seed: round,
    }
}

/// The bank's history check on hand-made histories of two accounts opening
/// with 10 and 0: it accepts an order the real-time constraints allow and
/// refuses a read or a refusal no order explains.
#[test]
fn the_history_check_accepts_and_refuses_what_it_should() {
    let event = |client, call, ret, op, result| Event {
        client,
        call,
        ret,
        op,
        result,
    };
    let opening = || SequentialBank::new(&[10, 0]);
    let move_6 = BankOp::Transfer {
        from: 0,
        to: 1,
        amount: 6,
    };
    let short = |available| {
        Answer::Transfer(Err(BankError::InsufficientFunds {
            account: AccountId(0),
            available,
            requested: 6,
        }))
    };
    // Two overlapping transfers of 6 from 10: one moves, one is refused
    // with 4 left, and a read overlapping both sees 6 arrived.
    let overlapping = [
        event(0, 0, 10, move_6, short(4)),
        event(1, 2, 8, move_6, Answer::Transfer(Ok(()))),
        event(2, 1, 9, BankOp::Balance(1), Answer::Balance(Ok(6))),
        event(2, 11, 12, BankOp::Audit, Answer::Sum(10)),
    ];
    assert_eq!(
        linearizability::check::<BankHistory>(opening(), &overlapping),
        Ok(())
    );
    // Both moved: an overdraft no order explains (the second must be
    // refused, whichever goes first).
    let both = [
        event(0, 0, 10, move_6, Answer::Transfer(Ok(()))),
        event(1, 2, 8, move_6, Answer::Transfer(Ok(()))),
    ];
    let report = linearizability::check::<BankHistory>(opening(), &both).unwrap_err();
    assert!(report.contains("at best 1 of 2"), "{report}");
    // A torn transfer, seen by one client's reads in turn: the money had
    // left account 0 but not reached account 1. Each read alone is a state
    // the bank has had; the two together, in that order, are not.
    let torn = [
        event(0, 0, 100, move_6, Answer::Transfer(Ok(()))),
        event(1, 10, 20, BankOp::Balance(0), Answer::Balance(Ok(4))),
        event(1, 30, 40, BankOp::Balance(1), Answer::Balance(Ok(0))),
    ];
    let report = linearizability::check::<BankHistory>(opening(), &torn).unwrap_err();
    assert!(
        report.contains("not linearizable") && report.contains("Balance(1) called at 30 ns"),
        "{report}"
    );
}
