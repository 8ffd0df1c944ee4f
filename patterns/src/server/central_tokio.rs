//! **central_tokio**: the design seed 000 argues against, measured beside
//! it. Connection tasks only frame and parse; every request is executed by
//! one owner task that holds every session's state (a map from connection
//! to session) and the store, and answers through a oneshot. State has one
//! owner, so nothing is locked; the price is a channel round trip per
//! batch of requests, and one task (one core at a time) doing all the
//! work, the same ceiling as the counter's and the session store's actors.
//!
//! A batch is everything one read brought: the connection task forwards
//! all of its parsed requests in one message and writes the owner's one
//! reply, so pipelined requests cost one round trip, as an expert would
//! write it.
//!
//! Accepting, the limit and shutdown are `task_tokio`'s ([`TokioBase`]);
//! the owner ends when the last connection task (and the server's own
//! sender) is gone.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};

use crate::primitives::INBOX_CAPACITY;
use crate::server::protocol::{
    Connection, Flow, Mode, ProtocolError, Request, SessionState, Store, encode, execute,
    reply_to_error,
};
use crate::server::task_tokio::{Shared, Signal, TokioBase, received_so_far, send, stopped};
use crate::server::{Config, Served, Server};

/// What a connection task asks of the owner.
enum Message {
    /// Requests in arrival order; answered with their replies and whether
    /// the connection must close.
    Batch {
        connection: u64,
        /// The protocol to answer in.
        mode: Mode,
        requests: Vec<Result<Request, ProtocolError>>,
        reply: oneshot::Sender<(Vec<u8>, Flow)>,
    },
    /// The connection is gone: forget its session.
    Closed { connection: u64 },
}

// ANCHOR: owner
/// The central loop: every session's state, one request at a time.
async fn owner(shared: Arc<Shared>, mut inbox: mpsc::Receiver<Message>) {
    let mut sessions: HashMap<u64, SessionState> = HashMap::new();
    while let Some(message) = inbox.recv().await {
        match message {
            Message::Batch {
                connection,
                mode,
                requests,
                reply,
            } => {
                let session = sessions.entry(connection).or_default();
                let (out, flow) = answer_batch(&shared.store, session, mode, requests);
                let _ = reply.send((out, flow));
            }
            Message::Closed { connection } => {
                sessions.remove(&connection);
            }
        }
    }
}
// ANCHOR_END: owner

fn answer_batch(
    store: &Store,
    session: &mut SessionState,
    mode: Mode,
    requests: Vec<Result<Request, ProtocolError>>,
) -> (Vec<u8>, Flow) {
    let mut out = Vec::new();
    for request in requests {
        let (reply, flow) = match request {
            Ok(request) => execute(store, session, request),
            Err(error) => reply_to_error(&error),
        };
        encode(mode, &reply, &mut out);
        if flow == Flow::Close {
            return (out, Flow::Close);
        }
    }
    (out, Flow::Continue)
}

/// Sends a batch to the owner and waits for its replies.
async fn forward(
    owner: &mpsc::Sender<Message>,
    connection: u64,
    mode: Mode,
    requests: Vec<Result<Request, ProtocolError>>,
) -> Option<(Vec<u8>, Flow)> {
    let (reply, answer) = oneshot::channel();
    owner
        .send(Message::Batch {
            connection,
            mode,
            requests,
            reply,
        })
        .await
        .ok()?;
    answer.await.ok()
}

fn parsed(connection: &mut Connection) -> Vec<Result<Request, ProtocolError>> {
    std::iter::from_fn(|| connection.next_request()).collect()
}

// ANCHOR: connection
async fn serve(
    mut stream: TcpStream,
    shared: Arc<Shared>,
    owner: mpsc::Sender<Message>,
    id: u64,
    mut signal: Signal,
    permit: OwnedSemaphorePermit,
) {
    shared.stats.connection();
    let mut connection = Connection::default();
    let mut buf = [0u8; 4096];
    let mut deadlines = shared.deadlines;
    loop {
        let wait = deadlines.wait();
        let read = tokio::select! {
            biased;
            () = stopped(&mut signal) => {
                let mut fed = 0;
                received_so_far(&stream, |bytes| {
                    connection.feed(bytes);
                    fed += bytes.len();
                    (Flow::Continue, fed)
                });
                let requests = parsed(&mut connection);
                if !requests.is_empty() {
                    shared.stats.requests(requests.len() as u64);
                    if let Some((mut out, _)) = forward(&owner, id, connection.mode(), requests).await {
                        send(&mut stream, &mut out, shared.idle_timeout).await;
                    }
                }
                break;
            }
            read = tokio::time::timeout(wait, stream.read(&mut buf)) => read,
        };
        let n = match read {
            Ok(Ok(n)) if n > 0 => n,
            _ => break,
        };
        connection.feed(&buf[..n]);
        let requests = parsed(&mut connection);
        deadlines.received(connection.has_partial_request());
        if requests.is_empty() {
            continue; // half a line so far
        }
        shared.stats.requests(requests.len() as u64);
        let Some((mut out, flow)) = forward(&owner, id, connection.mode(), requests).await else {
            break;
        };
        if !send(&mut stream, &mut out, shared.idle_timeout).await || flow == Flow::Close {
            break;
        }
    }
    let _ = owner.send(Message::Closed { connection: id }).await;
    drop(permit);
}
// ANCHOR_END: connection

pub struct TokioCentralServer(TokioBase);

impl Server for TokioCentralServer {
    const STYLE: &'static str = "central_tokio";

    fn start(config: Config) -> std::io::Result<Self> {
        let (to_owner, inbox) = mpsc::channel(INBOX_CAPACITY);
        let next_id = AtomicU64::new(0);
        TokioBase::start(&config, |shared| {
            // Called inside the server's runtime: the owner runs beside the
            // connection tasks. It ends once every sender is gone: the
            // connection tasks' and this factory's, dropped with the
            // accept loop after the last connection task.
            tokio::spawn(owner(Arc::clone(&shared), inbox));
            move |stream, signal, permit| {
                let id = next_id.fetch_add(1, Relaxed);
                serve(
                    stream,
                    Arc::clone(&shared),
                    to_owner.clone(),
                    id,
                    signal,
                    permit,
                )
            }
        })
        .map(TokioCentralServer)
    }

    fn local_addr(&self) -> SocketAddr {
        self.0.local_addr()
    }

    fn shutdown(self) -> Served {
        self.0.shutdown()
    }
}
