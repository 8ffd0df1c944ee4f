//! **actor_tokio_batched**: `actor_tokio`'s clients, with an owner that
//! drains its inbox in batches. Where `actor_tokio`'s owner awaits one
//! request per `recv`, this one awaits the first and then takes, without
//! waiting, every request already queued behind it (up to [`BATCH`]),
//! applies them in order and answers each. Every add is still
//! acknowledged, so the contract and its argument are `actor_tokio`'s.
//!
//! What batching saves is the owner's per-request receive: one await (a
//! poll through the scheduler, and the coop budget it spends) serves a
//! whole batch, and the batch is applied while it is hot in the cache. What
//! it cannot save is the reply: each client waits for its own `oneshot`,
//! and a batch is answered no sooner than its first request would have
//! been. It pays when requests arrive faster than the owner is woken for
//! them, so that a batch holds more than one; with one client at a time
//! it is `actor_tokio` plus a `try_recv` that finds nothing.
//!
//! `recv` then `try_recv` is what tokio's `recv_many` does in one call;
//! it is written out here so that the shuttle models, whose tokio has no
//! `recv_many`, check the very loop that runs.
//!
//! Full inbox, drop: as `actor_tokio` (the same clients and runtime).

use crate::ClientId;
use crate::Helpers;
use crate::counter::Counter;
use crate::counter::actor_tokio::{Request, TokioActorCounter, serve};
use crate::sync::tokio::sync::mpsc;

/// The most requests the owner takes from its inbox per wake-up.
pub const BATCH: usize = 64;

pub struct BatchedTokioActorCounter(TokioActorCounter);

// ANCHOR: owner
async fn run_batched_owner(mut inbox: mpsc::Receiver<Request>) {
    let mut total: u64 = 0;
    let mut batch: Vec<Request> = Vec::with_capacity(BATCH);
    while let Some(first) = inbox.recv().await {
        batch.push(first);
        while batch.len() < BATCH {
            match inbox.try_recv() {
                Ok(request) => batch.push(request),
                Err(_) => break, // empty for now (or closed: recv says so next)
            }
        }
        for request in batch.drain(..) {
            serve(&mut total, request);
        }
    }
}
// ANCHOR_END: owner

impl Counter for BatchedTokioActorCounter {
    const STYLE: &'static str = "actor_tokio_batched";
    const HELPERS: Helpers = Helpers::Tasks(1);

    fn new(_clients: usize) -> Self {
        BatchedTokioActorCounter(TokioActorCounter::with_owner(run_batched_owner))
    }

    async fn add(&self, client: ClientId, n: u64) {
        self.0.add(client, n).await;
    }

    async fn get(&self) -> u64 {
        self.0.get().await
    }
}
