//! **actor_crossbeam**: the `actor` style with crossbeam channels. One
//! owner thread holds every balance and runs the bank's shared [`serve`];
//! clients send into its bounded inbox and wait on their thread's reply
//! channel, made once per thread and reused. As in `actor`, a transfer is
//! answered with the source balance the owner saw and the client derives
//! the outcome from it.
//!
//! Drop: the inbox sender is dropped, the owner sees the channel disconnect
//! once drained, exits, and is joined.

use crossbeam_channel::{Receiver, Sender, bounded};

use crate::Helpers;
use crate::bank::{
    AccountId, Bank, BankError, Op, check_account, check_transfer, opening_total, serve,
    transfer_outcome,
};
use crate::primitives::INBOX_CAPACITY;
use crate::sync::{JoinHandle, spawn, thread_local};

// ANCHOR: state
pub struct CrossbeamActorBank {
    inbox: Option<Sender<(Op, Sender<u64>)>>,
    owner: Option<JoinHandle<()>>,
    accounts: usize,
}

thread_local! {
    /// This thread's reply channel: a blocking caller has one request in
    /// flight at a time, so one channel serves all of them.
    static REPLY: (Sender<u64>, Receiver<u64>) = bounded(1);
}
// ANCHOR_END: state

// ANCHOR: owner
fn run_owner(mut balances: Vec<u64>, inbox: Receiver<(Op, Sender<u64>)>) {
    for (op, reply) in inbox {
        let _ = reply.send(serve(&mut balances, op));
    }
}
// ANCHOR_END: owner

impl CrossbeamActorBank {
    fn ask(&self, op: Op) -> u64 {
        let inbox = self.inbox.as_ref().expect("present until drop");
        REPLY.with(|(reply_to, replies)| {
            inbox
                .send((op, reply_to.clone()))
                .expect("the owner runs until drop");
            replies.recv().expect("the owner answers every request")
        })
    }
}

impl Bank for CrossbeamActorBank {
    const STYLE: &'static str = "actor_crossbeam";
    // Busy besides its callers: the owner thread.
    const HELPERS: Helpers = Helpers::Threads(|_| 1);

    fn new(opening: &[u64]) -> Self {
        opening_total(opening);
        let (inbox, requests) = bounded(INBOX_CAPACITY);
        let balances = opening.to_vec();
        let owner = spawn(move || run_owner(balances, requests));
        CrossbeamActorBank {
            inbox: Some(inbox),
            owner: Some(owner),
            accounts: opening.len(),
        }
    }

    async fn transfer(&self, from: AccountId, to: AccountId, amount: u64) -> Result<(), BankError> {
        check_transfer(self.accounts, from, to, amount)?;
        let before = self.ask(Op::Transfer { from, to, amount });
        transfer_outcome(from, before, amount)
    }

    async fn balance(&self, account: AccountId) -> Result<u64, BankError> {
        check_account(self.accounts, account)?;
        Ok(self.ask(Op::Balance(account)))
    }

    async fn audit(&self) -> u64 {
        self.ask(Op::Audit)
    }
}

impl Drop for CrossbeamActorBank {
    fn drop(&mut self) {
        drop(self.inbox.take()); // disconnects: the owner's loop ends
        if let Some(owner) = self.owner.take() {
            let _ = owner.join();
        }
    }
}
