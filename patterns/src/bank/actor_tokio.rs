//! **actor_tokio**: the owner is a tokio task holding every balance; it
//! receives from a bounded `tokio::sync::mpsc` inbox, and each request
//! carries a `oneshot` for its answer. Clients *await* the answer instead of
//! blocking a thread.
//!
//! As in the counter's `actor_tokio`: created inside a tokio runtime, the
//! owner runs on that runtime beside its clients; created anywhere else, the
//! bank owns a current-thread runtime on a thread of its own. The oneshot
//! carries the full `Result`, since no per-thread channel needs sharing.
//!
//! Drop: the inbox sender is dropped, the task's `recv` returns `None` once
//! drained; an owned runtime's thread then returns and is joined.

use tokio::sync::{mpsc, oneshot};

use crate::bank::{
    AccountId, Bank, BankError, INBOX_CAPACITY, check_account, check_transfer, move_money,
    opening_total, sum,
};
use crate::sync::{JoinHandle, spawn};

// ANCHOR: state
pub struct TokioActorBank {
    inbox: Option<mpsc::Sender<Request>>,
    /// The runtime thread, when the bank had to bring its own.
    owner: Option<JoinHandle<()>>,
    accounts: usize,
}

enum Request {
    Transfer {
        from: AccountId,
        to: AccountId,
        amount: u64,
        reply: oneshot::Sender<Result<(), BankError>>,
    },
    Balance {
        account: AccountId,
        reply: oneshot::Sender<u64>,
    },
    Audit {
        reply: oneshot::Sender<u64>,
    },
}
// ANCHOR_END: state

// ANCHOR: owner
async fn run_owner(mut balances: Vec<u64>, mut inbox: mpsc::Receiver<Request>) {
    while let Some(request) = inbox.recv().await {
        // A client that went away (its future was dropped) has no one to
        // answer: ignore failed sends.
        match request {
            Request::Transfer {
                from,
                to,
                amount,
                reply,
            } => {
                let [f, t] = balances
                    .get_disjoint_mut([from.0, to.0])
                    .expect("checked by the client");
                let _ = reply.send(move_money(from, f, t, amount));
            }
            Request::Balance { account, reply } => {
                let _ = reply.send(balances[account.0]);
            }
            Request::Audit { reply } => {
                let _ = reply.send(sum(balances.iter().copied()));
            }
        }
    }
}
// ANCHOR_END: owner

impl TokioActorBank {
    async fn ask<T>(&self, request: impl FnOnce(oneshot::Sender<T>) -> Request) -> T {
        let (reply, answer) = oneshot::channel();
        let inbox = self.inbox.as_ref().expect("present until drop");
        let sent = inbox.send(request(reply)).await;
        sent.unwrap_or_else(|_| unreachable!("the owner runs until drop"));
        answer.await.expect("the owner answers every request")
    }
}

impl Bank for TokioActorBank {
    const STYLE: &'static str = "actor_tokio";

    fn new(opening: &[u64]) -> Self {
        opening_total(opening);
        let (inbox, requests) = mpsc::channel(INBOX_CAPACITY);
        let balances = opening.to_vec();
        let owner = match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                // The task ends by itself once the inbox closes.
                drop(runtime.spawn(run_owner(balances, requests)));
                None
            }
            Err(_) => {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .expect("building a tokio runtime");
                Some(spawn(move || {
                    runtime.block_on(run_owner(balances, requests))
                }))
            }
        };
        TokioActorBank {
            inbox: Some(inbox),
            owner,
            accounts: opening.len(),
        }
    }

    async fn transfer(&self, from: AccountId, to: AccountId, amount: u64) -> Result<(), BankError> {
        check_transfer(self.accounts, from, to, amount)?;
        self.ask(|reply| Request::Transfer {
            from,
            to,
            amount,
            reply,
        })
        .await
    }

    async fn balance(&self, account: AccountId) -> Result<u64, BankError> {
        check_account(self.accounts, account)?;
        Ok(self.ask(|reply| Request::Balance { account, reply }).await)
    }

    async fn audit(&self) -> u64 {
        self.ask(|reply| Request::Audit { reply }).await
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
