//! **session_tokio**: seed 000's pattern. Each connection is a session: one
//! task that *owns* its state (the [`Connection`], the user it logged in
//! as) and drives its own event loop, a `select!` over everything that can
//! happen to it: a request on its socket, its idle timer running out, a
//! push from another session, shutdown. Nothing about a session is shared
//! or locked; sessions are causally independent and run concurrently.
//!
//! Pushes are what a stateless handler cannot do without a lookup table
//! and locks: when a user logs in on a second connection, the first one is
//! told (`> alice logged in elsewhere`). Each session registers a sender
//! under its user; the only shared structure is that directory, touched at
//! login and logout, never per request. A push is a line starting with `>`
//! (RESP3 marks its pushes the same way), sent between replies, never
//! inside one; clients that do not log in twice as the same user never see
//! one. A RESP connection gets none: RESP2 (what redis-cli speaks unless
//! it says `HELLO 3`) has no out-of-band frame, and an unrequested line
//! would be taken for the reply to the client's next request.
//!
//! Pushes are bounded: each session's queue holds [`PUSH_CAPACITY`]
//! notices, and one sent to a full queue is dropped, not waited for (a
//! login must not wait on another client's reading) and not buffered
//! without limit (an earlier version had an unbounded queue: one
//! connection repeating `LOGIN alice` against sessions that never read
//! grew the server without bound). The notices say the same thing each
//! time; a session with a full queue already has that many unread, and
//! `WHOAMI` tells the current state.
//!
//! Concurrent work inside a request, seed 000's central argument: a
//! `FANOUT` is answered by sub-tasks the session spawns into a `JoinSet`
//! it owns and awaits as one more branch of its `select!`, while it goes
//! on reading its socket and taking pushes. The requests pipelined behind
//! the fan-out wait in the connection (at most [`QUEUED_BEHIND_FAN_OUT`]
//! bytes, then the session stops reading) so replies stay in order. A
//! session that ends, client gone or idle or broken, drops the set, which
//! aborts every step still running; at shutdown it finishes the fan-out
//! and answers it first. `task_tokio`, which has no loop of its own to
//! await them in, detaches its steps instead, and they run on for nobody.
//! Every branch of the `select!` is cancel-safe (said at the loop).
//!
//! Accepting, the limit and shutdown are `task_tokio`'s ([`TokioBase`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::sync::mpsc::{Receiver, Sender, channel};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until};

use crate::server::protocol::{Connection, FanOut, Flow, Mode, Request, execute};
use crate::server::task_tokio::{
    Shared, Signal, TokioBase, fan_out_step, received_so_far, send, stopped,
};
use crate::server::{Config, Served, Server};

/// Request bytes a session holds queued behind a running `FANOUT` before
/// it stops reading (the socket's buffer then holds the rest).
pub const QUEUED_BEHIND_FAN_OUT: usize = 64 * 1024;

/// Unread notices a session's push queue holds; more are dropped.
pub const PUSH_CAPACITY: usize = 16;

/// A push: the user who logged in elsewhere.
type Push = Arc<str>;

/// A user's sessions: each one's id and push sender.
type Sessions = Vec<(u64, Sender<Push>)>;

/// Who is logged in where.
#[derive(Default)]
struct Directory {
    next_id: AtomicU64,
    by_user: Mutex<HashMap<String, Sessions>>,
}

impl Directory {
    fn users(&self) -> std::sync::MutexGuard<'_, HashMap<String, Sessions>> {
        self.by_user.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers session `id` under `user` and tells the user's other
    /// sessions.
    fn login(&self, id: u64, user: &str, pushes: &Sender<Push>) {
        let mut users = self.users();
        let sessions = users.entry(user.to_string()).or_default();
        let notice: Push = Arc::from(user);
        for (_, other) in sessions.iter() {
            // Full: that session has PUSH_CAPACITY unread notices already.
            let _ = other.try_send(Arc::clone(&notice));
        }
        sessions.push((id, pushes.clone()));
    }

    fn logout(&self, id: u64, user: &str) {
        let mut users = self.users();
        if let Some(sessions) = users.get_mut(user) {
            sessions.retain(|(s, _)| *s != id);
            if sessions.is_empty() {
                users.remove(user);
            }
        }
    }
}

// ANCHOR: session
async fn session(
    mut stream: TcpStream,
    shared: Arc<Shared>,
    directory: Arc<Directory>,
    mut signal: Signal,
    permit: OwnedSemaphorePermit,
) {
    shared.stats.connection();
    let id = directory.next_id.fetch_add(1, Relaxed);
    let (push_to_me, mut pushes): (Sender<Push>, Receiver<Push>) = channel(PUSH_CAPACITY);
    let mut connection = Connection::default();
    let mut buf = [0u8; 4096];
    let mut out = Vec::new();
    // The idle timer and, while a request is half received, its deadline.
    let mut deadlines = shared.deadlines;
    let mut read_deadline = Instant::now() + shared.idle_timeout;
    // The steps of the FANOUT being answered that have not been joined
    // yet: empty when none runs. The session owns them: when it ends, for
    // whatever reason, dropping the set aborts every step still running.
    let mut steps: JoinSet<()> = JoinSet::new();
    // This session's own requests go through here: a LOGIN also updates
    // the directory, everything else is the shared protocol. A FANOUT
    // stops it: its steps are spawned, and the requests behind it wait in
    // the connection until they are done.
    let answer = |connection: &mut Connection, out: &mut Vec<u8>, steps: &mut JoinSet<()>| {
        let (flow, answered, fan_out) = connection.answer_to_fan_out(out, |request, state| {
            if let Request::Login(user) = &request {
                if let Some(previous) = &state.user {
                    directory.logout(id, previous);
                }
                directory.login(id, user, &push_to_me);
            }
            execute(&shared.store, state, request)
        });
        shared.stats.requests(answered);
        if let Some(FanOut { steps: n, micros }) = fan_out {
            for _ in 0..n {
                steps.spawn(fan_out_step(Arc::clone(&shared), micros));
            }
        }
        flow
    };
    loop {
        // Every branch's future is cancel-safe, so the one that loses a
        // race loses nothing: `wait_for` and `recv` take nothing when
        // dropped, `read` reads nothing unless it completes, `join_next`
        // leaves an unjoined step in the set, and the sleep is re-made
        // from `read_deadline` each time round.
        tokio::select! {
            biased;
            () = stopped(&mut signal) => {
                // Drain: the FANOUT in flight is finished and answered (at
                // most 16 ms of work), then what has already arrived.
                if !steps.is_empty() {
                    while steps.join_next().await.is_some() {}
                    connection.fan_out_done(&mut out);
                    shared.stats.requests(1);
                }
                received_so_far(&stream, |bytes| {
                    connection.feed(bytes);
                    let (flow, answered) = connection.answer(&mut out, |request, state| {
                        execute(&shared.store, state, request)
                    });
                    shared.stats.requests(answered);
                    (flow, out.len())
                });
                send(&mut stream, &mut out, shared.idle_timeout).await;
                break;
            }
            // Read on while steps run, to see the client leave; but hold
            // at most one socket buffer's worth of requests behind them.
            read = stream.read(&mut buf), if steps.is_empty() || connection.pending() < QUEUED_BEHIND_FAN_OUT => {
                let n = match read {
                    Ok(n) if n > 0 => n,
                    _ => break, // gone: the steps still running are aborted
                };
                connection.feed(&buf[..n]);
                let flow = if steps.is_empty() {
                    answer(&mut connection, &mut out, &mut steps)
                } else {
                    Flow::Continue
                };
                deadlines.received(connection.has_partial_request());
                read_deadline = Instant::now() + deadlines.wait();
                if !send(&mut stream, &mut out, shared.idle_timeout).await || flow == Flow::Close {
                    break;
                }
            }
            Some(_step) = steps.join_next(), if !steps.is_empty() => {
                if !steps.is_empty() {
                    continue; // more steps to come
                }
                connection.fan_out_done(&mut out);
                shared.stats.requests(1);
                let flow = answer(&mut connection, &mut out, &mut steps);
                deadlines.received(connection.has_partial_request());
                read_deadline = Instant::now() + deadlines.wait();
                if !send(&mut stream, &mut out, shared.idle_timeout).await || flow == Flow::Close {
                    break;
                }
            }
            Some(user) = pushes.recv() => {
                if connection.mode() == Mode::Line {
                    out.extend_from_slice(format!("> {user} logged in elsewhere\n").as_bytes());
                    if !send(&mut stream, &mut out, shared.idle_timeout).await {
                        break;
                    }
                }
            }
            // Idle, or a request too slow; not while the server owes a reply.
            () = sleep_until(read_deadline), if steps.is_empty() => break,
        }
    }
    if let Some(user) = &connection.session.user {
        directory.logout(id, user);
    }
    drop(permit);
}
// ANCHOR_END: session

pub struct TokioSessionServer(TokioBase);

impl TokioSessionServer {
    /// The server's counters while it runs (the fan-out tests watch its
    /// steps).
    pub fn stats(&self) -> &crate::server::Stats {
        self.0.stats()
    }
}

impl Server for TokioSessionServer {
    const STYLE: &'static str = "session_tokio";

    fn start(config: Config) -> std::io::Result<Self> {
        let directory = Arc::new(Directory::default());
        TokioBase::start(&config, |shared| {
            move |stream, signal, permit| {
                session(
                    stream,
                    Arc::clone(&shared),
                    Arc::clone(&directory),
                    signal,
                    permit,
                )
            }
        })
        .map(TokioSessionServer)
    }

    fn local_addr(&self) -> SocketAddr {
        self.0.local_addr()
    }

    fn shutdown(self) -> Served {
        self.0.shutdown()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A session that does not read its pushes holds at most
    /// `PUSH_CAPACITY` of them; further logins drop theirs and do not wait.
    #[test]
    fn a_full_push_queue_drops_the_notice() {
        let directory = Directory::default();
        let (silent, mut queued) = channel(PUSH_CAPACITY);
        directory.login(0, "alice", &silent);
        let (other, _theirs) = channel(PUSH_CAPACITY);
        for _ in 0..10 * PUSH_CAPACITY {
            directory.login(1, "alice", &other);
            directory.logout(1, "alice");
        }
        let mut held = 0;
        while let Ok(user) = queued.try_recv() {
            assert_eq!(&*user, "alice");
            held += 1;
        }
        assert_eq!(held, PUSH_CAPACITY, "the queue holds its capacity, no more");
    }
}
