//! **atomic** (breaks the audit contract; benchmarked and labelled): one
//! `AtomicU64` per account, no lock anywhere. A transfer withdraws with a
//! compare-and-swap loop that refuses to go below zero, then deposits with
//! `fetch_add`. Each step is atomic; the transfer is not.
//!
//! What still holds: no balance goes negative (the CAS checks the value it
//! replaces), and once transfers finish the money adds up (every withdrawal
//! is followed by its deposit). What breaks: an `audit` that reads the
//! accounts one by one can run between the two steps and miss the money in
//! flight, or read the source before a transfer and the destination after
//! it and count it twice. No memory ordering fixes this: the gap is between
//! two separate atomic operations, and `SeqCst` only orders them, it does not
//! merge them. An invariant over two words needs both words changed in one
//! step, which means a lock (or a transaction) around both.
//!
//! `Relaxed` throughout: each account is its own atomic, and conservation
//! needs only that each read-modify-write is atomic, which every ordering
//! gives.

use crate::bank::{AccountId, Bank, BankError, check_account, check_transfer, opening_total, sum};
use crate::sync::{AtomicU64, Ordering::Relaxed};

// ANCHOR: state
pub struct AtomicBank {
    accounts: Box<[AtomicU64]>,
}
// ANCHOR_END: state

impl Bank for AtomicBank {
    const STYLE: &'static str = "atomic";

    fn new(opening: &[u64]) -> Self {
        opening_total(opening);
        AtomicBank {
            accounts: opening.iter().map(|b| AtomicU64::new(*b)).collect(),
        }
    }

    // ANCHOR: transfer
    async fn transfer(&self, from: AccountId, to: AccountId, amount: u64) -> Result<(), BankError> {
        check_transfer(self.accounts.len(), from, to, amount)?;
        withdraw_then_deposit(&self.accounts, from, to, amount)
    }
    // ANCHOR_END: transfer

    async fn balance(&self, account: AccountId) -> Result<u64, BankError> {
        check_account(self.accounts.len(), account)?;
        Ok(self.accounts[account.0].load(Relaxed))
    }

    // ANCHOR: audit
    async fn audit(&self) -> u64 {
        // One account at a time: not a snapshot.
        sum(self.accounts.iter().map(|balance| balance.load(Relaxed)))
    }
    // ANCHOR_END: audit
}

// ANCHOR: steps
/// The transfer as two atomic steps: a compare-and-swap loop that withdraws
/// only if the balance covers the amount, then a deposit. Shared with
/// `rwlock`, which runs the same two steps under its gate.
pub(crate) fn withdraw_then_deposit(
    accounts: &[AtomicU64],
    from: AccountId,
    to: AccountId,
    amount: u64,
) -> Result<(), BankError> {
    accounts[from.0]
        .fetch_update(Relaxed, Relaxed, |balance| balance.checked_sub(amount))
        .map_err(|available| BankError::InsufficientFunds {
            account: from,
            available,
            requested: amount,
        })?;
    // The money is in flight: withdrawn, not yet deposited. An audit
    // reading the accounts one by one now misses it.
    accounts[to.0].fetch_add(amount, Relaxed);
    Ok(())
}
// ANCHOR_END: steps
