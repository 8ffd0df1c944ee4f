//! **naive** (broken on purpose): one `Mutex<u64>` per account, as in
//! `ordered`, but a transfer locks `from` and then `to`: the seed's
//! `transfer_bad`. A transfer from A to B and one from B to A can each take
//! their first lock and then wait forever for the other's. loom reports the
//! deadlock and the stress test's watchdog sees progress stop; never
//! benchmarked (a benchmark of it would hang).
//!
//! Everything else is `ordered`'s, audit included, so the lock order is the
//! only difference between a bank that works and one that stops.

use crate::bank::{
    AccountId, Bank, BankError, check_account, check_transfer, move_money, opening_total, sum,
};
use crate::sync::{Mutex, lock};

// ANCHOR: state
pub struct NaiveBank {
    accounts: Box<[Mutex<u64>]>,
}
// ANCHOR_END: state

impl Bank for NaiveBank {
    const STYLE: &'static str = "naive";

    fn new(opening: &[u64]) -> Self {
        opening_total(opening);
        NaiveBank {
            accounts: opening.iter().map(|b| Mutex::new(*b)).collect(),
        }
    }

    // ANCHOR: transfer
    async fn transfer(&self, from: AccountId, to: AccountId, amount: u64) -> Result<(), BankError> {
        check_transfer(self.accounts.len(), from, to, amount)?;
        // BUG: the order depends on the direction of the transfer. A
        // transfer the other way holds `to` and waits for `from`.
        let mut from_balance = lock(&self.accounts[from.0]);
        let mut to_balance = lock(&self.accounts[to.0]);
        move_money(from, &mut from_balance, &mut to_balance, amount)
    }
    // ANCHOR_END: transfer

    async fn balance(&self, account: AccountId) -> Result<u64, BankError> {
        check_account(self.accounts.len(), account)?;
        Ok(*lock(&self.accounts[account.0]))
    }

    async fn audit(&self) -> u64 {
        let held: Vec<_> = self.accounts.iter().map(lock).collect();
        sum(held.iter().map(|balance| **balance))
    }
}
