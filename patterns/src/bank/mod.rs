//! # The bank workload
//!
//! A fixed sum of money spread over N accounts, moved between them by
//! transfers. Unlike the counter, the state has an invariant that spans
//! several locations: the balances must add up to the opening total at
//! every instant anyone can observe. That is what makes the styles differ
//! here: one lock keeps it trivially, a lock per account needs an order to
//! avoid deadlock, and atomics cannot keep it at all.
//!
//! ## Contract (what every implementation promises)
//!
//! - `transfer(from, to, amount)` moves `amount` from one account to the
//!   other, atomically: no `audit` sees one half without the other. It
//!   fails, changing nothing, with the first of these that applies (the
//!   order is [`check_transfer`]'s, then [`move_money`]'s):
//!   [`BankError::UnknownAccount`], [`BankError::SameAccount`],
//!   [`BankError::ZeroAmount`], [`BankError::InsufficientFunds`]. A balance
//!   never goes negative.
//! - `balance(account)` returns a value the account held at some instant
//!   during the call, counting every transfer completed before the call
//!   started; an unknown account is [`BankError::UnknownAccount`].
//! - `audit()` returns the sum of all balances at one instant: always the
//!   opening total, even while transfers run. This is the part of the
//!   contract the `atomic` style breaks (see [`for_each_bank!`](crate::for_each_bank)).
//! - Money is never created or lost: after all transfers complete, each
//!   balance is its opening balance plus what the successful transfers moved
//!   in, minus what they moved out.
//! - Dropping the implementation stops and joins every thread it started.
//!
//! The specification is [`SequentialBank`]. The opening balances must add
//! up to at most `u64::MAX` ([`opening_total`] checks); since money is
//! conserved, no balance can then overflow.

use std::fmt;
use std::future::Future;

use crate::Helpers;

pub mod actor;
pub mod atomic;
pub mod mutex;
pub mod naive;
pub mod ordered;
pub mod rwlock;
pub mod sharded;

#[cfg(not(workbench_loom))]
pub mod actor_crossbeam;
#[cfg(not(workbench_loom))]
pub mod actor_tokio;
#[cfg(not(workbench_loom))]
pub mod mutex_parking_lot;

/// An account's number: an index from 0 to the number of accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(pub usize);

/// Why a transfer or a balance query was refused. Refusals change nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BankError {
    /// No account has this number.
    UnknownAccount(AccountId),
    /// A transfer from an account to itself.
    SameAccount(AccountId),
    /// A transfer of nothing.
    ZeroAmount,
    /// The source account holds less than the amount.
    InsufficientFunds {
        account: AccountId,
        available: u64,
        requested: u64,
    },
}

impl fmt::Display for BankError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BankError::UnknownAccount(a) => write!(f, "no account {}", a.0),
            BankError::SameAccount(a) => write!(f, "transfer from account {} to itself", a.0),
            BankError::ZeroAmount => write!(f, "transfer of zero"),
            BankError::InsufficientFunds {
                account,
                available,
                requested,
            } => write!(
                f,
                "account {} holds {available}, less than the {requested} requested",
                account.0
            ),
        }
    }
}

impl std::error::Error for BankError {}

// ANCHOR: trait
/// A bank of accounts, in one concurrency style. See the module docs for
/// the contract every implementation keeps.
pub trait Bank: Send + Sync + 'static {
    /// The style's name in reports, tests and the book, e.g. `"ordered"`.
    const STYLE: &'static str;

    /// What it keeps busy besides its callers (see [`Helpers`]).
    const HELPERS: Helpers = Helpers::None;

    /// Whether dropping it stops and joins every thread it started (its
    /// drop test counts them). False where its work runs on a process-wide
    /// executor or pool that is not the style's to join; every bank style
    /// joins its own.
    const JOINS_ITS_THREADS: bool = true;

    /// A bank whose account `i` opens with `opening[i]`. Panics if the
    /// balances add up to more than `u64::MAX`.
    fn new(opening: &[u64]) -> Self;

    /// Moves `amount` from `from` to `to`, or refuses and changes nothing.
    fn transfer(
        &self,
        from: AccountId,
        to: AccountId,
        amount: u64,
    ) -> impl Future<Output = Result<(), BankError>> + Send;

    /// One account's balance.
    fn balance(&self, account: AccountId) -> impl Future<Output = Result<u64, BankError>> + Send;

    /// The sum of every balance, as one consistent snapshot.
    fn audit(&self) -> impl Future<Output = u64> + Send;
}
// ANCHOR_END: trait

// ANCHOR: rules
/// The argument checks every style makes before touching any balance, in
/// the order the contract gives. Shared so that every style refuses the
/// same requests with the same error.
pub fn check_transfer(
    accounts: usize,
    from: AccountId,
    to: AccountId,
    amount: u64,
) -> Result<(), BankError> {
    check_account(accounts, from)?;
    check_account(accounts, to)?;
    if from == to {
        return Err(BankError::SameAccount(from));
    }
    if amount == 0 {
        return Err(BankError::ZeroAmount);
    }
    Ok(())
}

pub fn check_account(accounts: usize, account: AccountId) -> Result<(), BankError> {
    if account.0 < accounts {
        Ok(())
    } else {
        Err(BankError::UnknownAccount(account))
    }
}

/// The transfer itself, once the caller holds both balances exclusively:
/// refuse if the source is short, else move the money. Never negative, and
/// the deposit cannot overflow while the total fits in a `u64`.
pub fn move_money(
    from: AccountId,
    from_balance: &mut u64,
    to_balance: &mut u64,
    amount: u64,
) -> Result<(), BankError> {
    if *from_balance < amount {
        return Err(BankError::InsufficientFunds {
            account: from,
            available: *from_balance,
            requested: amount,
        });
    }
    *from_balance -= amount;
    *to_balance += amount;
    Ok(())
}
// ANCHOR_END: rules

/// The opening total, or a panic naming the problem if it does not fit in
/// a `u64` (then a deposit could overflow).
pub fn opening_total(opening: &[u64]) -> u64 {
    opening
        .iter()
        .try_fold(0u64, |sum, b| sum.checked_add(*b))
        .expect("the opening balances add up to more than u64::MAX")
}

/// Adds balances the way every `audit` does. Wrapping, so that a broken
/// style's torn or double-counted sum is reported as a wrong total by the
/// checks instead of an overflow panic inside the style.
pub fn sum(balances: impl IntoIterator<Item = u64>) -> u64 {
    balances.into_iter().fold(0, u64::wrapping_add)
}

/// The specification: a bank with one client and no concurrency.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SequentialBank {
    balances: Vec<u64>,
}

impl SequentialBank {
    pub fn new(opening: &[u64]) -> Self {
        opening_total(opening);
        SequentialBank {
            balances: opening.to_vec(),
        }
    }

    pub fn transfer(
        &mut self,
        from: AccountId,
        to: AccountId,
        amount: u64,
    ) -> Result<(), BankError> {
        check_transfer(self.balances.len(), from, to, amount)?;
        let [f, t] = self
            .balances
            .get_disjoint_mut([from.0, to.0])
            .expect("checked: two different known accounts");
        move_money(from, f, t, amount)
    }

    pub fn balance(&self, account: AccountId) -> Result<u64, BankError> {
        check_account(self.balances.len(), account)?;
        Ok(self.balances[account.0])
    }

    pub fn audit(&self) -> u64 {
        sum(self.balances.iter().copied())
    }

    pub fn balances(&self) -> &[u64] {
        &self.balances
    }
}

// ANCHOR: registry
/// The registry: every bank implementation, named once, a line each with
/// its tier (see `crate::registry`). The `torn` one breaks the audit
/// contract: benchmarked, so the book can show what the shortcut buys, and
/// labelled as such in the report; the checks assert that they catch its
/// torn audit. The `broken` one deadlocks.
#[macro_export]
macro_rules! for_each_bank {
    ($callback:ident $($args:tt)?) => {
        $crate::walk_registry! { $callback [$($args)?];
            facade mutex: $crate::bank::mutex::MutexBank,
            facade ordered: $crate::bank::ordered::OrderedBank,
            facade sharded: $crate::bank::sharded::ShardedBank,
            facade rwlock: $crate::bank::rwlock::RwLockBank,
            facade actor: $crate::bank::actor::ActorBank,
            library mutex_parking_lot: $crate::bank::mutex_parking_lot::ParkingLotMutexBank,
            library actor_crossbeam: $crate::bank::actor_crossbeam::CrossbeamActorBank,
            library actor_tokio: $crate::bank::actor_tokio::TokioActorBank,
            torn atomic: $crate::bank::atomic::AtomicBank,
            broken naive: $crate::bank::naive::NaiveBank,
        }
    };
}
// ANCHOR_END: registry

// ANCHOR: serve
/// A request to an actor that owns every balance.
#[derive(Debug, Clone, Copy)]
pub enum Op {
    Transfer {
        from: AccountId,
        to: AccountId,
        amount: u64,
    },
    Balance(AccountId),
    Audit,
}

/// What every bank actor does with a request, written once; the actor
/// files keep only their transport. Arguments were checked by the client
/// (so a bad request never costs a round trip).
///
/// The answer is one `u64` for every request, so one reply channel type
/// serves them all: a balance, the audit's sum, or for a transfer the
/// source balance the owner saw before it. The client derives the outcome
/// from that exactly as the owner did, with [`transfer_outcome`].
pub fn serve(balances: &mut [u64], op: Op) -> u64 {
    match op {
        Op::Transfer { from, to, amount } => {
            let [f, t] = balances
                .get_disjoint_mut([from.0, to.0])
                .expect("checked by the client");
            let before = *f;
            let _refused_or_done = move_money(from, f, t, amount);
            before
        }
        Op::Balance(account) => balances[account.0],
        Op::Audit => sum(balances.iter().copied()),
    }
}

/// The outcome of a transfer, replayed on the client's side from the
/// source balance the owner answered with ([`move_money`]'s rule; the
/// destination's balance does not enter into it).
pub fn transfer_outcome(from: AccountId, source_before: u64, amount: u64) -> Result<(), BankError> {
    move_money(from, &mut { source_before }, &mut 0, amount)
}
// ANCHOR_END: serve
