//! shuttle models of the bank: every style shuttle can host, the torn
//! and the deadlocking ones caught.

use super::*;
use patterns::bank::{AccountId, Bank, BankError};

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

macro_rules! hosted {
    (facade $f:ident: $ft:ty) => {
        host!($f: $ft => ring_with_audits, one_of_three_overdrafts_is_refused);
    };
    (library $l:ident: $lt:ty) => {
        library!([ring_with_audits, one_of_three_overdrafts_is_refused] $l: $lt);
    };
    (torn $t:ident: $tt:ty) => {
        #[test]
        #[should_panic(expected = "torn audit")]
        fn $t() {
            ring_with_audits::<$tt>();
        }
    };
    (broken $b:ident: $bt:ty) => {
        #[test]
        #[should_panic(expected = "deadlock")]
        fn $b() {
            ring_with_audits::<$bt>();
        }
    };
}

patterns::for_each_bank!(hosted);
