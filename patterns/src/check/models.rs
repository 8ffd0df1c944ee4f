//! Each workload's sequential specification as the linearizability search
//! steps it ([`Model`]): what the stress tests and the shuttle models check
//! a recorded history against.

use super::linearizability::Model;
use crate::bank::{AccountId, BankError, SequentialBank};

/// The counter: its total. `Some(n)` adds n (and answers nothing), `None`
/// reads (and answers the total).
pub struct CounterModel;

impl Model for CounterModel {
    type State = u64;
    type Op = Option<u64>;
    type Ret = Option<u64>;

    fn step(total: &u64, op: &Option<u64>) -> (u64, Option<u64>) {
        match op {
            Some(n) => (total.wrapping_add(*n), None),
            None => (*total, Some(*total)),
        }
    }
}

// ANCHOR: hot_key
/// One hot key of the session store: its hits, which only updates change
/// (hot keys are never inserted or removed while they are checked).
pub struct HotKey;

#[derive(Clone, Copy, Debug)]
pub enum HotOp {
    /// `update(key, n)`, answering the hits after it.
    Update(u64),
    Get,
}

impl Model for HotKey {
    type State = u64;
    type Op = HotOp;
    type Ret = Option<u64>;

    fn step(hits: &u64, op: &HotOp) -> (u64, Option<u64>) {
        match op {
            HotOp::Update(n) => (hits.wrapping_add(*n), Some(hits.wrapping_add(*n))),
            HotOp::Get => (*hits, Some(*hits)),
        }
    }
}
// ANCHOR_END: hot_key

/// The whole bank: every balance (the state), stepped by
/// [`SequentialBank`] itself, so the check's specification is the one the
/// contract tests use.
pub struct BankHistory;

#[derive(Clone, Copy, Debug)]
pub enum BankOp {
    Transfer { from: usize, to: usize, amount: u64 },
    Balance(usize),
    Audit,
}

/// What a client saw: a transfer's outcome (a refusal carries the balance
/// it reported), a balance, an audit's sum.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BankAnswer {
    Transfer(Result<(), BankError>),
    Balance(Result<u64, BankError>),
    Sum(u64),
}

impl Model for BankHistory {
    type State = SequentialBank;
    type Op = BankOp;
    type Ret = BankAnswer;

    fn step(bank: &SequentialBank, op: &BankOp) -> (SequentialBank, BankAnswer) {
        let mut bank = bank.clone();
        let answer = match *op {
            BankOp::Transfer { from, to, amount } => {
                BankAnswer::Transfer(bank.transfer(AccountId(from), AccountId(to), amount))
            }
            BankOp::Balance(account) => BankAnswer::Balance(bank.balance(AccountId(account))),
            BankOp::Audit => BankAnswer::Sum(bank.audit()),
        };
        (bank, answer)
    }
}

/// One key of the server's store: its value, as the replies spell it.
pub struct SharedKey;

#[derive(Clone, Copy, Debug)]
pub enum KeyOp {
    Get,
    Set(u64),
    Incr(u64),
}

impl Model for SharedKey {
    type State = u64;
    type Op = KeyOp;
    type Ret = String;

    fn step(value: &u64, op: &KeyOp) -> (u64, String) {
        match *op {
            KeyOp::Get => (*value, value.to_string()),
            KeyOp::Set(v) => (v, "OK".to_string()),
            KeyOp::Incr(n) => (value + n, (value + n).to_string()),
        }
    }
}
