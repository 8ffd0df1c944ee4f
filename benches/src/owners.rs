//! Round trips to an owner of state over bare channels: the floors the
//! bank's and the session store's actors are held to. Each is what its
//! actor style does, minus the style: a request and a reply channel, an
//! owner that serves requests in arrival order. Generic over the state, so
//! a workload says only what its state and its requests are ([`Owned`]);
//! the clients replay plans of requests drawn before the run.
//!
//! - [`crossbeam_round_trip`]: one owner thread (the facade and crossbeam
//!   actors);
//! - [`crossbeam_sharded_round_trip`]: one owner thread per core, each
//!   with its part of the state, a request routed by its key (the sharded
//!   actor);
//! - [`tokio_round_trip`]: an owner task beside client tasks, a `oneshot`
//!   per reply (the tokio actor);
//! - [`async_std_round_trip`] and [`smol_round_trip`]: client tasks on
//!   tokio asking an owner on the other runtime over its own channel
//!   version (the async-std and smol actors under the tokio driver).

use std::hint::black_box;
use std::sync::Arc;

use patterns::drive::{Stop, Threads, Tokio};
use patterns::{ClientId, Helpers};

use crate::ops_until;
use crate::runner::{Cell, Servers};

/// Each client's plan of requests, replayed in a cycle.
pub type Plans<Q> = Arc<[Box<[Q]>]>;

/// The owner's capacity of queued requests, as the actor styles' inboxes.
const INBOX: usize = patterns::primitives::INBOX_CAPACITY;

/// What an owner holds and what it answers.
pub trait Owned: Copy + Send + Sync + 'static {
    type State: Send + 'static;
    type Request: Copy + Send + Sync + 'static;
    type Reply: Send + 'static;

    /// The whole state, built afresh for every run.
    fn state(self) -> Self::State;

    /// Shard `shard` of `shards`: the part of the state whose requests
    /// [`route`](Owned::route) sends there (by default all of it, for a
    /// state that is never sharded; shard 0 of 1 must be all of it).
    fn shard(self, _shard: usize, _shards: usize) -> Self::State {
        self.state()
    }

    /// The shard of `shards` that serves `request`.
    fn route(self, _request: &Self::Request, _shards: usize) -> usize {
        0
    }

    fn serve(state: &mut Self::State, request: Self::Request) -> Self::Reply;
}

/// Client `id`'s `op`-th request.
#[inline]
fn planned<Q: Copy>(plans: &Plans<Q>, id: ClientId, op: u64) -> Q {
    let plan = &plans[id.0];
    plan[op as usize % plan.len()]
}

/// A request and where its answer goes, as a crossbeam owner receives it.
type Asked<O> = (
    <O as Owned>::Request,
    crossbeam_channel::Sender<<O as Owned>::Reply>,
);

/// A thread that owns `state` and serves the requests of a bounded
/// crossbeam channel, in order, until every sender is gone.
fn owner_thread<O: Owned>(
    mut state: O::State,
) -> (
    crossbeam_channel::Sender<Asked<O>>,
    std::thread::JoinHandle<()>,
) {
    let (requests, inbox) = crossbeam_channel::bounded::<Asked<O>>(INBOX);
    let server = std::thread::spawn(move || {
        for (request, reply) in inbox {
            let _ = reply.send(O::serve(&mut state, request));
        }
    });
    (requests, server)
}

/// One owner thread serving a bounded crossbeam channel; each client makes
/// its reply channel once.
pub fn crossbeam_round_trip<'a, O: Owned>(
    cell: &mut Cell<'a>,
    threads: &'a Threads,
    owned: O,
    plans: impl Fn(usize) -> Plans<O::Request> + 'a,
) {
    let one = |_| 1;
    crossbeam_owners(cell, threads, "crossbeam_round_trip", one, owned, plans);
}

/// One owner thread per core (as many as the sharded actor starts), each
/// serving its shard from a channel of its own; a client routes each
/// request to its shard's owner.
pub fn crossbeam_sharded_round_trip<'a, O: Owned>(
    cell: &mut Cell<'a>,
    threads: &'a Threads,
    owned: O,
    plans: impl Fn(usize) -> Plans<O::Request> + 'a,
) {
    let per_core = |_| patterns::sync::cores().max(2);
    crossbeam_owners(
        cell,
        threads,
        "crossbeam_sharded_round_trip",
        per_core,
        owned,
        plans,
    );
}

/// `owners(clients)` owner threads, each with its shard of the state.
fn crossbeam_owners<'a, O: Owned>(
    cell: &mut Cell<'a>,
    threads: &'a Threads,
    name: &str,
    owners: fn(usize) -> usize,
    owned: O,
    plans: impl Fn(usize) -> Plans<O::Request> + 'a,
) {
    cell.baseline(threads, name, Helpers::Threads(owners), move |clients| {
        let shards = owners(clients);
        let (senders, servers): (Vec<_>, Vec<_>) = (0..shards)
            .map(|shard| owner_thread::<O>(owned.shard(shard, shards)))
            .unzip();
        let senders: Arc<[_]> = senders.into();
        let plans = plans(clients);
        let client = move |id: ClientId, stop: Stop| {
            let (senders, plans) = (Arc::clone(&senders), Arc::clone(&plans));
            async move {
                let (reply_to, replies) = crossbeam_channel::bounded(1);
                ops_until!(Threads, stop, |op| {
                    let request = planned(&plans, id, op);
                    // One owner: no routing to pay for.
                    let owner = match senders.len() {
                        1 => 0,
                        n => owned.route(&request, n),
                    };
                    senders[owner].send((request, reply_to.clone())).unwrap();
                    black_box(replies.recv().unwrap());
                })
            }
        };
        // The servers end once the client closure (every sender) is gone.
        (client, Servers::new(|| {}, servers))
    });
}

/// An owner task on the tokio driver's runtime, beside its client tasks,
/// receiving `(request, oneshot)` from a bounded mpsc channel.
pub fn tokio_round_trip<'a, O: Owned>(
    cell: &mut Cell<'a>,
    tokio_driver: &'a Tokio,
    owned: O,
    plans: impl Fn(usize) -> Plans<O::Request> + 'a,
) {
    use patterns::drive::Driver;
    use tokio::sync::{mpsc, oneshot};
    cell.baseline(
        tokio_driver,
        "tokio_round_trip",
        Helpers::Tasks(1),
        move |clients| {
            let (requests, mut inbox) =
                mpsc::channel::<(O::Request, oneshot::Sender<O::Reply>)>(INBOX);
            let mut state = owned.state();
            tokio_driver.enter(|| {
                // Ends by itself once every sender is gone.
                drop(tokio::spawn(async move {
                    while let Some((request, reply)) = inbox.recv().await {
                        let _ = reply.send(O::serve(&mut state, request));
                    }
                }))
            });
            let plans = plans(clients);
            let client = move |id: ClientId, stop: Stop| {
                let (requests, plans) = (requests.clone(), Arc::clone(&plans));
                async move {
                    ops_until!(Tokio, stop, |op| {
                        let (reply_to, reply) = oneshot::channel();
                        requests
                            .send((planned(&plans, id, op), reply_to))
                            .await
                            .unwrap();
                        black_box(reply.await.unwrap());
                    })
                }
            };
            (client, ())
        },
    );
}

/// Client tasks on tokio asking an owner on another runtime, over that
/// runtime's `async-channel` version (a bounded inbox, a `bounded(1)`
/// channel per request for the answer, as the async-std and smol actors
/// do). `$spawn_owner` starts the owner's loop where the style starts it
/// and returns the guard that joins it.
macro_rules! async_channel_round_trip {
    ($(#[$doc:meta])* $function:ident, $name:literal, $channel:path, $spawn_owner:expr) => {
        $(#[$doc])*
        pub fn $function<'a, O: Owned>(
            cell: &mut Cell<'a>,
            tokio_driver: &'a Tokio,
            owned: O,
            plans: impl Fn(usize) -> Plans<O::Request> + 'a,
        ) {
            use $channel as channel;
            cell.baseline(tokio_driver, $name, Helpers::Tasks(1), move |clients| {
                let (requests, inbox) =
                    channel::bounded::<(O::Request, channel::Sender<O::Reply>)>(INBOX);
                let mut state = owned.state();
                let owner = async move {
                    while let Ok((request, reply)) = inbox.recv().await {
                        // Never waits: each reply channel has room for one.
                        let _ = reply.try_send(O::serve(&mut state, request));
                    }
                };
                let guard: Servers = ($spawn_owner)(owner);
                let plans = plans(clients);
                let client = move |id: ClientId, stop: Stop| {
                    let (requests, plans) = (requests.clone(), Arc::clone(&plans));
                    async move {
                        ops_until!(Tokio, stop, |op| {
                            let (reply_to, reply) = channel::bounded(1);
                            requests
                                .send((planned(&plans, id, op), reply_to))
                                .await
                                .unwrap();
                            black_box(reply.recv().await.unwrap());
                        })
                    }
                };
                // The owner ends once the client closure (every sender) is gone.
                (client, guard)
            });
        }
    };
}

async_channel_round_trip!(
    /// The async-std actor's floor: its owner a task on async-std's global
    /// executor.
    async_std_round_trip,
    "async_std_round_trip",
    async_std::channel,
    |owner| {
        drop(async_std::task::spawn(owner));
        Servers::new(|| {}, Vec::new())
    }
);

async_channel_round_trip!(
    /// The smol actor's floor: with no smol executor about, its owner runs
    /// under `smol::block_on` on a thread of its own, as the style's does.
    smol_round_trip,
    "smol_round_trip",
    smol::channel,
    |owner| Servers::new(|| {}, vec![std::thread::spawn(move || smol::block_on(owner))])
);
