//! **rwlock**: `atomic`'s lock-free accounts, made consistent by one
//! `RwLock<()>` used upside down. Transfers take the lock *shared* (any
//! number at once); an audit takes it *exclusive*, so it runs only while no
//! transfer is half done, and sums a state that is a true snapshot.
//!
//! The usual advice is "RwLock for read-heavy data": many readers share,
//! the rare writer excludes them. Here the many are writers of disjoint
//! accounts, which need no exclusion from each other (each account is an
//! atomic), and the rare one is the reader of everything. Shared mode is
//! what the many need, whatever they do with the data.
//!
//! What it costs: a shared acquisition is still an atomic read-modify-write
//! on the lock's reader count, one cache line that every transfer on every
//! core writes twice. On two cores that line bounces the way a mutex's
//! does, so expect it to cost about what `ordered` costs, while taking one
//! lock instead of two and auditing without taking N. An audit also stops
//! every transfer while it sums. std documents no priority policy between
//! readers and writers; where a stream of transfers must never starve an
//! audit, `parking_lot::RwLock` (documented as task-fair) is the choice.
//!
//! `balance` reads its account without the lock: one account's value is
//! always one the account really held, which is all the contract asks of it.

use crate::bank::atomic::withdraw_then_deposit;
use crate::bank::{AccountId, Bank, BankError, check_account, check_transfer, opening_total, sum};
use crate::sync::{AtomicU64, Ordering::Relaxed, RwLock, read, write};

// ANCHOR: state
pub struct RwLockBank {
    /// Shared by transfers in progress; exclusive for an audit.
    gate: RwLock<()>,
    accounts: Box<[AtomicU64]>,
}
// ANCHOR_END: state

impl Bank for RwLockBank {
    const STYLE: &'static str = "rwlock";

    fn new(opening: &[u64]) -> Self {
        opening_total(opening);
        RwLockBank {
            gate: RwLock::new(()),
            accounts: opening.iter().map(|b| AtomicU64::new(*b)).collect(),
        }
    }

    // ANCHOR: transfer
    async fn transfer(&self, from: AccountId, to: AccountId, amount: u64) -> Result<(), BankError> {
        check_transfer(self.accounts.len(), from, to, amount)?;
        let _in_flight = read(&self.gate);
        withdraw_then_deposit(&self.accounts, from, to, amount)
    }
    // ANCHOR_END: transfer

    async fn balance(&self, account: AccountId) -> Result<u64, BankError> {
        check_account(self.accounts.len(), account)?;
        Ok(self.accounts[account.0].load(Relaxed))
    }

    // ANCHOR: audit
    async fn audit(&self) -> u64 {
        // No transfer is between its two steps while this is held. The
        // lock's acquire/release orders the transfers' Relaxed updates
        // before these loads.
        let _quiet = write(&self.gate);
        sum(self.accounts.iter().map(|balance| balance.load(Relaxed)))
    }
    // ANCHOR_END: audit
}
