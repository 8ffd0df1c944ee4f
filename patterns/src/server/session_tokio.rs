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
//! Accepting, the limit and shutdown are `task_tokio`'s ([`TokioBase`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::sync::mpsc::{Receiver, Sender, channel};
use tokio::time::{Instant, sleep_until};

use crate::server::protocol::{Connection, Flow, Mode, Request, execute};
use crate::server::task_tokio::{Shared, Signal, TokioBase, received_so_far, send, stopped};
use crate::server::{Config, Served, Server};

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
    // This session's own requests go through here: a LOGIN also updates
    // the directory, everything else is the shared protocol.
    let answer = |bytes: &[u8], connection: &mut Connection, out: &mut Vec<u8>| {
        connection.feed(bytes);
        let (flow, answered) = connection.answer(out, |request, state| {
            if let Request::Login(user) = &request {
                if let Some(previous) = &state.user {
                    directory.logout(id, previous);
                }
                directory.login(id, user, &push_to_me);
            }
            execute(&shared.store, state, request)
        });
        shared.stats.requests(answered);
        flow
    };
    loop {
        tokio::select! {
            biased;
            () = stopped(&mut signal) => {
                received_so_far(&stream, |bytes| {
                    let flow = answer(bytes, &mut connection, &mut out);
                    (flow, out.len())
                });
                send(&mut stream, &mut out, shared.idle_timeout).await;
                break;
            }
            read = stream.read(&mut buf) => {
                let n = match read {
                    Ok(n) if n > 0 => n,
                    _ => break,
                };
                let flow = answer(&buf[..n], &mut connection, &mut out);
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
            () = sleep_until(read_deadline) => break, // idle, or a request too slow
        }
    }
    if let Some(user) = &connection.session.user {
        directory.logout(id, user);
    }
    drop(permit);
}
// ANCHOR_END: session

pub struct TokioSessionServer(TokioBase);

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
