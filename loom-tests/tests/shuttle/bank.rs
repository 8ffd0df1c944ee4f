//! shuttle models of the bank: every style shuttle can host, the torn
//! and the deadlocking ones caught.

use super::*;
use patterns::bank::{AccountId, Bank, BankError, SequentialBank};
use patterns::check::linearizability::{self, Ticks};
use patterns::check::models::{BankAnswer, BankHistory, BankOp};

/// Three accounts of 10 in a ring: each client moves 3 to the next
/// account twice and audits between. The three transfers' lock orders
/// make a cycle (0 then 1, 1 then 2, 2 then 0), which a style that
/// locks `from` before `to` deadlocks on, and shuttle reports. Every
/// audit sees 30, every transfer succeeds (no account can drop below
/// 4), and the ring ends where it started.
pub fn ring_with_audits<B: Bank>() {
    explore(|| {
        let bank = Arc::new(B::new(&[10, 10, 10]));
        three_clients({
            let bank = Arc::clone(&bank);
            move |i| {
                for _ in 0..2 {
                    let moved = block_on(bank.transfer(AccountId(i), AccountId((i + 1) % 3), 3));
                    assert_eq!(moved, Ok(()), "{}: a coverable transfer", B::STYLE);
                    let seen = block_on(bank.audit());
                    assert_eq!(
                        seen,
                        30,
                        "{}: torn audit: saw {seen}, the total is 30",
                        B::STYLE
                    );
                }
            }
        });
        let balances: Vec<_> = (0..3)
            .map(|a| block_on(bank.balance(AccountId(a))).unwrap())
            .collect();
        assert_eq!(balances, [10, 10, 10], "{}: money moved wrongly", B::STYLE);
    });
}

/// Three clients each move 4 out of an account holding 10 (to the
/// other two accounts): exactly two succeed, the third is refused with
/// the 2 that is left, and nothing is overdrawn. A balance check made
/// outside the transfer's atomic step lets all three through.
pub fn one_of_three_overdrafts_is_refused<B: Bank>() {
    explore(|| {
        let bank = Arc::new(B::new(&[10, 0, 0]));
        let outcomes = three_clients({
            let bank = Arc::clone(&bank);
            move |i| block_on(bank.transfer(AccountId(0), AccountId(1 + i % 2), 4))
        });
        let moved = outcomes.iter().filter(|o| o.is_ok()).count();
        assert_eq!(
            moved,
            2,
            "{}: {moved} of three transfers of 4 from 10 went through: {outcomes:?}",
            B::STYLE
        );
        let refused = outcomes.iter().find(|o| o.is_err()).unwrap();
        assert_eq!(
            *refused,
            Err(BankError::InsufficientFunds {
                account: AccountId(0),
                available: 2,
                requested: 4
            }),
            "{}: the refusal",
            B::STYLE
        );
        assert_eq!(
            block_on(bank.balance(AccountId(0))),
            Ok(2),
            "{}: what is left",
            B::STYLE
        );
        assert_eq!(block_on(bank.audit()), 10, "{}: torn audit", B::STYLE);
    });
}

/// The ring of [`ring_with_audits`], each client also reading its own
/// account, with every operation recorded with its call and return ticks:
/// the history must be linearizable against [`SequentialBank`], the
/// specification the contract tests use (so every audit's sum, every
/// balance and every transfer's outcome fits one order of the operations
/// that agrees with the schedule).
pub fn ring_history<B: Bank>() {
    explore(|| {
        let bank = Arc::new(B::new(&[10, 10, 10]));
        let ticks = Arc::new(Ticks::default());
        let histories = three_clients({
            let (bank, ticks) = (Arc::clone(&bank), Arc::clone(&ticks));
            move |client| {
                let ops = [
                    BankOp::Transfer {
                        from: client,
                        to: (client + 1) % 3,
                        amount: 3,
                    },
                    BankOp::Audit,
                    BankOp::Balance(client),
                ];
                ops.map(|op| {
                    ticks.record(client, op, |op| match op {
                        BankOp::Transfer { from, to, amount } => BankAnswer::Transfer(block_on(
                            bank.transfer(AccountId(from), AccountId(to), amount),
                        )),
                        BankOp::Audit => BankAnswer::Sum(block_on(bank.audit())),
                        BankOp::Balance(a) => {
                            BankAnswer::Balance(block_on(bank.balance(AccountId(a))))
                        }
                    })
                })
            }
        });
        let history: Vec<_> = histories.into_iter().flatten().collect();
        if let Err(report) =
            linearizability::check::<BankHistory>(SequentialBank::new(&[10, 10, 10]), &history)
        {
            panic!("{}: {report}", B::STYLE);
        }
    });
}

macro_rules! hosted {
    (facade $f:ident: $ft:ty) => {
        host!($f: $ft => ring_with_audits, one_of_three_overdrafts_is_refused, ring_history);
    };
    (library $l:ident: $lt:ty) => {
        library!([ring_with_audits, one_of_three_overdrafts_is_refused, ring_history] $l: $lt);
    };
    (torn $t:ident: $tt:ty) => {
        mod $t {
            #[test]
            #[should_panic(expected = "torn audit")]
            fn ring_with_audits() {
                super::ring_with_audits::<$tt>();
            }

            /// The history check catches the torn audit on its own.
            #[test]
            #[should_panic(expected = "not linearizable")]
            fn ring_history() {
                super::ring_history::<$tt>();
            }
        }
    };
    (broken $b:ident: $bt:ty) => {
        mod $b {
            #[test]
            #[should_panic(expected = "deadlock")]
            fn ring_with_audits() {
                super::ring_with_audits::<$bt>();
            }
        }
    };
}

patterns::for_each_bank!(hosted);
