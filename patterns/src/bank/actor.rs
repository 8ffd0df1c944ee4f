//! **actor**: one owner thread holds every balance in a plain `Box<[u64]>`;
//! nobody else can touch them. Clients send requests into its bounded inbox
//! (the facade `BoundedQueue`) and wait on their thread's reply queue.
//!
//! The invariant is easy for the same reason as in `mutex`: one thread does
//! everything, one request at a time, so no one can observe a half-done
//! transfer. The difference is who does the work: here the owner runs every
//! transfer, so clients never touch the balances' cache lines, and the cost
//! per operation is a round trip between two threads whatever the number
//! of accounts. Contention and account count barely matter; the owner's
//! single core is the ceiling.
//!
//! Arguments are checked on the client's side, so a bad request never
//! costs a round trip. What the owner does with a request is the bank's
//! [`serve`], shared by every bank actor: the answer to a transfer is the
//! source balance the owner saw, and the client derives the outcome from it
//! ([`transfer_outcome`]), so the reply stays one `u64` and the per-thread
//! reply queue (no allocation per request) serves every request.
//!
//! Drop: the inbox is closed, the owner drains it, exits, and is joined.

use crate::Helpers;
use crate::bank::{
    AccountId, Bank, BankError, Op, check_account, check_transfer, opening_total, serve,
    transfer_outcome,
};
use crate::primitives::reply::{ReplyTo, with_this_thread_reply_queue};
use crate::primitives::{BoundedQueue, INBOX_CAPACITY};
use crate::sync::{Arc, JoinHandle, spawn};

// ANCHOR: state
pub struct ActorBank {
    inbox: Arc<BoundedQueue<(Op, ReplyTo)>>,
    owner: Option<JoinHandle<()>>,
    accounts: usize,
}
// ANCHOR_END: state

// ANCHOR: owner
fn run_owner(mut balances: Vec<u64>, inbox: &BoundedQueue<(Op, ReplyTo)>) {
    while let Some((op, reply)) = inbox.pop() {
        // A reply queue never fills: its client waits for each answer.
        let _ = reply.push(serve(&mut balances, op));
    }
}
// ANCHOR_END: owner

impl ActorBank {
    fn ask(&self, op: Op) -> u64 {
        with_this_thread_reply_queue(|reply| {
            if self.inbox.push((op, Arc::clone(reply))).is_err() {
                unreachable!("the inbox closes only in drop, after every caller");
            }
            reply.pop().expect("reply queues are never closed")
        })
    }
}

impl Bank for ActorBank {
    const STYLE: &'static str = "actor";
    // Busy besides its callers: the owner thread.
    const HELPERS: Helpers = Helpers::Threads(|_| 1);

    fn new(opening: &[u64]) -> Self {
        opening_total(opening);
        let inbox = Arc::new(BoundedQueue::new(INBOX_CAPACITY));
        let owner = spawn({
            let (inbox, balances) = (Arc::clone(&inbox), opening.to_vec());
            move || run_owner(balances, &inbox)
        });
        ActorBank {
            inbox,
            owner: Some(owner),
            accounts: opening.len(),
        }
    }

    // ANCHOR: transfer
    async fn transfer(&self, from: AccountId, to: AccountId, amount: u64) -> Result<(), BankError> {
        check_transfer(self.accounts, from, to, amount)?;
        let before = self.ask(Op::Transfer { from, to, amount });
        transfer_outcome(from, before, amount)
    }
    // ANCHOR_END: transfer

    async fn balance(&self, account: AccountId) -> Result<u64, BankError> {
        check_account(self.accounts, account)?;
        Ok(self.ask(Op::Balance(account)))
    }

    async fn audit(&self) -> u64 {
        self.ask(Op::Audit)
    }
}

impl Drop for ActorBank {
    fn drop(&mut self) {
        self.inbox.close();
        if let Some(owner) = self.owner.take() {
            let _ = owner.join();
        }
    }
}
