//! **mutex**: every balance behind one `Mutex<Box<[u64]>>` (std's, via the
//! facade). A transfer, a balance query and an audit each hold the one lock
//! for their whole duration, so every operation is trivially atomic: the
//! invariant holds whenever the lock is free, and nobody can look while it
//! is taken.
//!
//! The price is that operations on unrelated accounts also wait for each
//! other: with 4096 accounts, two transfers almost never touch the same
//! account, but they still queue for the same lock, and the cache line
//! holding it moves between cores on every operation. The audit is the
//! cheapest of all styles: one lock, then a sum over contiguous memory.

use crate::bank::{
    AccountId, Bank, BankError, check_account, check_transfer, move_money, opening_total, sum,
};
use crate::sync::{Mutex, lock};

// ANCHOR: state
pub struct MutexBank {
    balances: Mutex<Box<[u64]>>,
    accounts: usize,
}
// ANCHOR_END: state

impl Bank for MutexBank {
    const STYLE: &'static str = "mutex";

    fn new(opening: &[u64]) -> Self {
        opening_total(opening);
        MutexBank {
            balances: Mutex::new(opening.into()),
            accounts: opening.len(),
        }
    }

    // ANCHOR: transfer
    async fn transfer(&self, from: AccountId, to: AccountId, amount: u64) -> Result<(), BankError> {
        check_transfer(self.accounts, from, to, amount)?;
        let mut balances = lock(&self.balances);
        let [f, t] = balances
            .get_disjoint_mut([from.0, to.0])
            .expect("checked: two different known accounts");
        move_money(from, f, t, amount)
    }
    // ANCHOR_END: transfer

    async fn balance(&self, account: AccountId) -> Result<u64, BankError> {
        check_account(self.accounts, account)?;
        Ok(lock(&self.balances)[account.0])
    }

    // ANCHOR: audit
    async fn audit(&self) -> u64 {
        sum(lock(&self.balances).iter().copied())
    }
    // ANCHOR_END: audit
}
