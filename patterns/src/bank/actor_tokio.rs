//! **actor_tokio**: the owner is a tokio task holding every balance and
//! running the bank's shared [`serve`]; it receives from a bounded
//! `tokio::sync::mpsc` inbox, and each request carries a `oneshot` for its
//! answer. Clients *await* the answer instead of blocking a thread.
//!
//! Where the owner runs is [`spawn_owner`]'s rule, the same for every tokio
//! style: created inside a tokio runtime, on that runtime beside its
//! clients; created anywhere else, on a current-thread runtime on a thread
//! of its own.
//!
//! Drop: the inbox sender is dropped, the task's `recv` returns `None` once
//! drained; an owned runtime's thread then returns and is joined.

use crate::Helpers;
use crate::sync::tokio::sync::{mpsc, oneshot};

use crate::bank::{
    AccountId, Bank, BankError, Op, check_account, check_transfer, opening_total, serve,
    transfer_outcome,
};
use crate::primitives::INBOX_CAPACITY;
use crate::primitives::tokio_home::spawn_owner;
use crate::sync::JoinHandle;

type Request = (Op, oneshot::Sender<u64>);

// ANCHOR: state
pub struct TokioActorBank {
    inbox: Option<mpsc::Sender<Request>>,
    /// The runtime thread, when the bank had to bring its own.
    owner: Option<JoinHandle<()>>,
    accounts: usize,
}
// ANCHOR_END: state

// ANCHOR: owner
async fn run_owner(mut balances: Vec<u64>, mut inbox: mpsc::Receiver<Request>) {
    while let Some((op, reply)) = inbox.recv().await {
        // A client that went away (its future was dropped) has no one to
        // answer: ignore a failed send.
        let _ = reply.send(serve(&mut balances, op));
    }
}
// ANCHOR_END: owner

impl TokioActorBank {
    async fn ask(&self, op: Op) -> u64 {
        let (reply, answer) = oneshot::channel();
        let inbox = self.inbox.as_ref().expect("present until drop");
        let sent = inbox.send((op, reply)).await;
        sent.unwrap_or_else(|_| unreachable!("the owner runs until drop"));
        answer.await.expect("the owner answers every request")
    }
}

impl Bank for TokioActorBank {
    const STYLE: &'static str = "actor_tokio";
    // Busy besides its callers: the owner task, on the ambient tokio runtime.
    const HELPERS: Helpers = Helpers::Tasks(1);

    fn new(opening: &[u64]) -> Self {
        opening_total(opening);
        let (inbox, requests) = mpsc::channel(INBOX_CAPACITY);
        let owner = spawn_owner(run_owner(opening.to_vec(), requests));
        TokioActorBank {
            inbox: Some(inbox),
            owner,
            accounts: opening.len(),
        }
    }

    async fn transfer(&self, from: AccountId, to: AccountId, amount: u64) -> Result<(), BankError> {
        check_transfer(self.accounts, from, to, amount)?;
        let before = self.ask(Op::Transfer { from, to, amount }).await;
        transfer_outcome(from, before, amount)
    }

    async fn balance(&self, account: AccountId) -> Result<u64, BankError> {
        check_account(self.accounts, account)?;
        Ok(self.ask(Op::Balance(account)).await)
    }

    async fn audit(&self) -> u64 {
        self.ask(Op::Audit).await
    }
}

impl Drop for TokioActorBank {
    fn drop(&mut self) {
        drop(self.inbox.take());
        if let Some(owner) = self.owner.take() {
            let _ = owner.join();
        }
    }
}
