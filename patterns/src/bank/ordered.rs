//! **ordered**: one `Mutex<u64>` per account (facade). A transfer locks its
//! two accounts, always the lower-numbered one first; an audit locks every
//! account in the same ascending order and holds them all while it sums.
//! This is the seed's `transfer_safe`, ordered by account number instead of
//! by address.
//!
//! Why the order prevents deadlock: a deadlock needs a cycle of threads,
//! each holding a lock the next one wants. If every thread takes locks in
//! ascending order, a thread only ever waits for a lock *higher* than every
//! lock it holds, so following "waits for" edges climbs strictly: no cycle.
//!
//! Why the account number and not the address: the number is an order
//! everyone can compute, including code that does not hold references (an
//! audit, another process's plan, a test reproducing a trace), it is stable
//! across runs so traces replay, and it keeps working if accounts move to
//! separate allocations or shards. Address order is equally deadlock-free
//! within one process, but the seed's version also shows the trap of
//! comparing addresses: `Equal => return` silently reports success for a
//! transfer to the same account, where this style refuses it.
//!
//! What it buys: transfers between disjoint pairs of accounts run in
//! parallel. What it costs: two lock/unlock pairs per transfer instead of
//! one, and an audit that takes N locks (all held at once: releasing one
//! before taking the next would let a transfer move money from an account
//! not yet counted to one already counted, and it would be counted twice).

use crate::bank::{
    AccountId, Bank, BankError, check_account, check_transfer, move_money, opening_total, sum,
};
use crate::sync::{Mutex, lock};

// ANCHOR: state
pub struct OrderedBank {
    accounts: Box<[Mutex<u64>]>,
}
// ANCHOR_END: state

impl Bank for OrderedBank {
    const STYLE: &'static str = "ordered";

    fn new(opening: &[u64]) -> Self {
        opening_total(opening);
        OrderedBank {
            accounts: opening.iter().map(|b| Mutex::new(*b)).collect(),
        }
    }

    // ANCHOR: transfer
    async fn transfer(&self, from: AccountId, to: AccountId, amount: u64) -> Result<(), BankError> {
        check_transfer(self.accounts.len(), from, to, amount)?;
        // Lower account number first, whichever way the money goes.
        let (low, high) = (from.min(to), from.max(to));
        let mut low_balance = lock(&self.accounts[low.0]);
        let mut high_balance = lock(&self.accounts[high.0]);
        if from == low {
            move_money(from, &mut low_balance, &mut high_balance, amount)
        } else {
            move_money(from, &mut high_balance, &mut low_balance, amount)
        }
    }
    // ANCHOR_END: transfer

    async fn balance(&self, account: AccountId) -> Result<u64, BankError> {
        check_account(self.accounts.len(), account)?;
        Ok(*lock(&self.accounts[account.0]))
    }

    // ANCHOR: audit
    async fn audit(&self) -> u64 {
        // Every lock, in the transfers' order, all held until the sum is done.
        let held: Vec<_> = self.accounts.iter().map(lock).collect();
        sum(held.iter().map(|balance| **balance))
    }
    // ANCHOR_END: audit
}
