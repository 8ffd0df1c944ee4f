//! **actor_crossbeam**: the `actor` style with crossbeam channels. One
//! owner thread holds every balance; clients send into its bounded inbox
//! and wait on their thread's reply channel, made once per thread and
//! reused. As in `actor`, a transfer is answered with the source balance
//! the owner saw and the client derives the outcome from it.
//!
//! Drop: the inbox sender is dropped, the owner sees the channel disconnect
//! once drained, exits, and is joined.

use crossbeam_channel::{Receiver, Sender, bounded};

use crate::bank::{
    AccountId, Bank, BankError, INBOX_CAPACITY, check_account, check_transfer, move_money,
    opening_total, sum,
};
use crate::sync::{JoinHandle, spawn, thread_local};

// ANCHOR: state
pub struct CrossbeamActorBank {
    inbox: Option<Sender<Request>>,
    owner: Option<JoinHandle<()>>,
    accounts: usize,
}

enum Request {
    Transfer {
        from: AccountId,
        to: AccountId,
        amount: u64,
        reply: Sender<u64>,
    },
    Balance {
        account: AccountId,
        reply: Sender<u64>,
    },
    Audit {
        reply: Sender<u64>,
    },
}

thread_local! {
    /// This thread's reply channel: a blocking caller has one request in
    /// flight at a time, so one channel serves all of them.
    static REPLY: (Sender<u64>, Receiver<u64>) = bounded(1);
}
// ANCHOR_END: state

// ANCHOR: owner
fn run_owner(mut balances: Vec<u64>, inbox: Receiver<Request>) {
    for request in inbox {
        let (answer, reply) = match request {
            Request::Transfer {
                from,
                to,
                amount,
                reply,
            } => {
                let [f, t] = balances
                    .get_disjoint_mut([from.0, to.0])
                    .expect("checked by the client");
                let before = *f;
                let _refused_or_done = move_money(from, f, t, amount);
                (before, reply)
            }
            Request::Balance { account, reply } => (balances[account.0], reply),
            Request::Audit { reply } => (sum(balances.iter().copied()), reply),
        };
        let _ = reply.send(answer);
    }
}
// ANCHOR_END: owner

impl CrossbeamActorBank {
    fn ask(&self, request: impl FnOnce(Sender<u64>) -> Request) -> u64 {
        let inbox = self.inbox.as_ref().expect("present until drop");
        REPLY.with(|(reply_to, replies)| {
            inbox
                .send(request(reply_to.clone()))
                .expect("the owner runs until drop");
            replies.recv().expect("the owner answers every request")
        })
    }
}

impl Bank for CrossbeamActorBank {
    const STYLE: &'static str = "actor_crossbeam";

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
        let mut before = self.ask(|reply| Request::Transfer {
            from,
            to,
            amount,
            reply,
        });
        move_money(from, &mut before, &mut 0, amount)
    }

    async fn balance(&self, account: AccountId) -> Result<u64, BankError> {
        check_account(self.accounts, account)?;
        Ok(self.ask(|reply| Request::Balance { account, reply }))
    }

    async fn audit(&self) -> u64 {
        self.ask(|reply| Request::Audit { reply })
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
