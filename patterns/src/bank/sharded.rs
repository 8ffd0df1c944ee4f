//! **sharded**: the accounts split into `SHARDS` groups, each a
//! `Mutex<Box<[u64]>>` on its own cache line (facade). Account `a` lives
//! in shard `a % SHARDS` (interleaved, so that neighbouring, often equally
//! hot, accounts land in different shards). A transfer within one shard
//! takes one lock; across shards it takes both, lower shard first, for the
//! reason `ordered` takes accounts in order. An audit takes every shard's
//! lock in order and sums.
//!
//! The middle between `mutex` (one shard) and `ordered` (one shard per
//! account): a transfer costs one or two locks, like either, and an audit
//! `SHARDS` locks instead of N. With few accounts it degenerates to
//! `ordered` (two accounts are two shards); with many, two transfers collide
//! with probability about 2/`SHARDS` instead of `mutex`'s certainty.
//!
//! The padding matters here and not in `ordered`: sixteen hot locks would
//! otherwise share two cache lines, and cores locking *different* shards
//! would still fight over the line ("false sharing"). Padding N account
//! locks would multiply `ordered`'s memory by eight for a collision that
//! random transfers over many accounts rarely make.

use crossbeam_utils::CachePadded;

use crate::bank::{
    AccountId, Bank, BankError, check_account, check_transfer, move_money, opening_total, sum,
};
use crate::sync::{Mutex, lock};

/// Shards when the bank has at least that many accounts: enough that two
/// random transfers rarely collide, few enough that an audit's locks are
/// cheap. A power of two.
pub const SHARDS: usize = 16;

// ANCHOR: state
pub struct ShardedBank {
    shards: Box<[Shard]>,
    /// log2 of the number of shards.
    shift: u32,
    accounts: usize,
}

/// Some accounts' balances, under one lock, alone on their cache line.
type Shard = CachePadded<Mutex<Box<[u64]>>>;
// ANCHOR_END: state

impl ShardedBank {
    /// `(shard, slot in the shard)` of an account. The shard count is a
    /// power of two, so this is a mask and a shift: a division by a count
    /// known only at run time would cost more than the lock.
    fn locate(&self, account: AccountId) -> (usize, usize) {
        (account.0 & (self.shards.len() - 1), account.0 >> self.shift)
    }
}

impl Bank for ShardedBank {
    const STYLE: &'static str = "sharded";

    fn new(opening: &[u64]) -> Self {
        opening_total(opening);
        // The largest power of two up to SHARDS and the number of accounts.
        let shards = 1usize << SHARDS.min(opening.len()).max(1).ilog2();
        let shard =
            |s: usize| -> Box<[u64]> { opening.iter().skip(s).step_by(shards).copied().collect() };
        ShardedBank {
            shards: (0..shards)
                .map(|s| CachePadded::new(Mutex::new(shard(s))))
                .collect(),
            shift: shards.ilog2(),
            accounts: opening.len(),
        }
    }

    // ANCHOR: transfer
    async fn transfer(&self, from: AccountId, to: AccountId, amount: u64) -> Result<(), BankError> {
        check_transfer(self.accounts, from, to, amount)?;
        let ((from_shard, f), (to_shard, t)) = (self.locate(from), self.locate(to));
        if from_shard == to_shard {
            let mut shard = lock(&self.shards[from_shard]);
            let [from_balance, to_balance] = shard
                .get_disjoint_mut([f, t])
                .expect("different accounts in one shard have different slots");
            return move_money(from, from_balance, to_balance, amount);
        }
        // Two shards: lower shard number first, whichever way the money goes.
        let (mut from_guard, mut to_guard);
        if from_shard < to_shard {
            from_guard = lock(&self.shards[from_shard]);
            to_guard = lock(&self.shards[to_shard]);
        } else {
            to_guard = lock(&self.shards[to_shard]);
            from_guard = lock(&self.shards[from_shard]);
        }
        move_money(from, &mut from_guard[f], &mut to_guard[t], amount)
    }
    // ANCHOR_END: transfer

    async fn balance(&self, account: AccountId) -> Result<u64, BankError> {
        check_account(self.accounts, account)?;
        let (shard, slot) = self.locate(account);
        Ok(lock(&self.shards[shard])[slot])
    }

    // ANCHOR: audit
    async fn audit(&self) -> u64 {
        let held: Vec<_> = self.shards.iter().map(|shard| lock(shard)).collect();
        sum(held.iter().flat_map(|shard| shard.iter().copied()))
    }
    // ANCHOR_END: audit
}
