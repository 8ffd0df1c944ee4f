//! The line protocol every server style speaks, written once: framing
//! (bytes to lines, with a length limit), parsing (a line to a request or
//! an error), and executing a request against the store and the
//! connection's session. A style only moves bytes between its sockets and
//! a [`Connection`]; everything a client can observe is decided here, so
//! every style answers the same bytes with the same bytes.
//!
//! ```text
//! PING                -> PONG
//! LOGIN <user>        -> OK                 binds this connection's session to <user>
//! WHOAMI              -> <user> | ANONYMOUS
//! GET <id>            -> <value> | NIL
//! SET <id> <value>    -> OK                 <value> is a number (u64)
//! INCR <id> <n>       -> <new value> | NIL  NIL: no such id (INCR does not create)
//! QUIT                -> BYE, then the server closes the connection
//! anything else       -> ERR <reason>
//! ```
//!
//! One reply line per request, in order; a client may pipeline. A line
//! longer than [`MAX_LINE`] gets `ERR line too long` and the connection is
//! closed (the rest of such a line cannot be framed reliably). `\r\n` line
//! ends are accepted, so `nc -C` and telnet work.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use crate::kv::{Session, SessionId, SessionStore};

/// The longest request line accepted, newline excluded.
pub const MAX_LINE: usize = 4096;

/// The longest user name `LOGIN` accepts (a user name is stored per
/// session; without a bound a client could make the server hold 4 KiB per
/// connection in names).
pub const MAX_USER: usize = 64;

/// The store every style serves from: the session store workload's
/// dashmap style, the same for every connection model so that only the
/// connection model differs between rows.
pub type Store = crate::kv::dashmap::DashMapStore;

/// Makes the store every server starts with: room for about 64 K ids.
pub fn new_store() -> Store {
    Store::new(1 << 16)
}

// ANCHOR: request
/// A parsed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Ping,
    Login(String),
    WhoAmI,
    Get(SessionId),
    Set(SessionId, u64),
    Incr(SessionId, u64),
    Quit,
}
// ANCHOR_END: request

/// Splits a byte stream into lines of at most [`MAX_LINE`] bytes. Bytes
/// are appended as they arrive; complete lines are taken one at a time.
#[derive(Debug, Default)]
pub struct LineBuffer {
    buf: Vec<u8>,
    /// Where the next line starts in `buf`.
    start: usize,
    /// How far `buf[start..]` has been searched for a newline already.
    scanned: usize,
}

/// What [`LineBuffer::next_line`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// A complete line, without its `\n` (or `\r\n`).
    Complete(&'a [u8]),
    /// More than [`MAX_LINE`] bytes and no newline: the connection must be
    /// answered and closed.
    TooLong,
}

impl LineBuffer {
    pub fn extend(&mut self, bytes: &[u8]) {
        // Reclaim the consumed prefix before growing, so a long-lived
        // connection's buffer stays as large as one burst, not the sum.
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
            self.scanned = 0;
        } else if self.start > 4096 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete line, if any.
    pub fn next_line(&mut self) -> Option<Line<'_>> {
        let pending = &self.buf[self.start..];
        match pending[self.scanned..].iter().position(|&b| b == b'\n') {
            Some(at) => {
                let end = self.scanned + at;
                let line_start = self.start;
                self.start += end + 1;
                self.scanned = 0;
                if end > MAX_LINE + 1 {
                    return Some(Line::TooLong);
                }
                let mut line = &self.buf[line_start..line_start + end];
                if let [rest @ .., b'\r'] = line {
                    line = rest;
                }
                if line.len() > MAX_LINE {
                    return Some(Line::TooLong);
                }
                Some(Line::Complete(line))
            }
            None => {
                self.scanned = pending.len();
                (pending.len() > MAX_LINE + 1).then_some(Line::TooLong)
            }
        }
    }

    /// Bytes received but not yet taken as lines.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }
}

/// Why a line is not a request; its `Display` is the reply's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    NotUtf8,
    Empty,
    Unknown(String),
    Arity {
        command: &'static str,
        expected: usize,
    },
    NotANumber(String),
    UserTooLong,
    TooLong,
}

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProtocolError::NotUtf8 => write!(f, "invalid UTF-8"),
            ProtocolError::Empty => write!(f, "empty request"),
            ProtocolError::Unknown(c) => write!(f, "unknown command '{}'", shorten(c)),
            ProtocolError::Arity { command, expected } => write!(
                f,
                "wrong number of arguments for {command} (expected {expected})"
            ),
            ProtocolError::NotANumber(a) => write!(f, "not a number: '{}'", shorten(a)),
            ProtocolError::UserTooLong => write!(f, "user name longer than {MAX_USER} bytes"),
            ProtocolError::TooLong => write!(f, "line too long (limit {MAX_LINE} bytes)"),
        }
    }
}

/// Echoing a client's bytes back in an error is useful up to a point.
fn shorten(s: &str) -> String {
    match s.char_indices().nth(32) {
        Some((at, _)) => format!("{}...", &s[..at]),
        None => s.to_string(),
    }
}

// ANCHOR: parse
/// Parses one line (without its newline). Commands are case-insensitive,
/// arguments are separated by spaces.
pub fn parse(line: &[u8]) -> Result<Request, ProtocolError> {
    let line = std::str::from_utf8(line).map_err(|_| ProtocolError::NotUtf8)?;
    let mut words = line.split_ascii_whitespace();
    let command = words.next().ok_or(ProtocolError::Empty)?;
    let args: Vec<&str> = words.collect();
    let arity = |command: &'static str, expected: usize| {
        if args.len() == expected {
            Ok(())
        } else {
            Err(ProtocolError::Arity { command, expected })
        }
    };
    let number = |word: &str| {
        word.parse::<u64>()
            .map_err(|_| ProtocolError::NotANumber(word.to_string()))
    };
    match command.to_ascii_uppercase().as_str() {
        "PING" => arity("PING", 0).map(|()| Request::Ping),
        "LOGIN" => {
            arity("LOGIN", 1)?;
            if args[0].len() > MAX_USER {
                return Err(ProtocolError::UserTooLong);
            }
            Ok(Request::Login(args[0].to_string()))
        }
        "WHOAMI" => arity("WHOAMI", 0).map(|()| Request::WhoAmI),
        "GET" => {
            arity("GET", 1)?;
            Ok(Request::Get(number(args[0])?))
        }
        "SET" => {
            arity("SET", 2)?;
            Ok(Request::Set(number(args[0])?, number(args[1])?))
        }
        "INCR" => {
            arity("INCR", 2)?;
            Ok(Request::Incr(number(args[0])?, number(args[1])?))
        }
        "QUIT" => arity("QUIT", 0).map(|()| Request::Quit),
        _ => Err(ProtocolError::Unknown(command.to_string())),
    }
}
// ANCHOR_END: parse

/// What one connection knows about its client: the session's user.
#[derive(Debug, Default, Clone)]
pub struct SessionState {
    pub user: Option<String>,
}

/// What the connection does after a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Send what has been written, then close.
    Close,
}

/// Runs a store operation. The store's futures are all ready on their
/// first poll (dashmap locks a shard and returns; see `kv/dashmap.rs`), so
/// every style, blocking or async, executes requests the same way with one
/// poll and no runtime. A store that ever returned `Pending` here would be
/// a programming error, reported as such.
fn now<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(out) => out,
        Poll::Pending => unreachable!("the server's store completes every operation at once"),
    }
}

fn stored(value: u64) -> Session {
    Session {
        user: 0,
        hits: value,
        data: [0; 16],
    }
}

// ANCHOR: execute
/// Executes `request` for the session, appending the reply line to `out`.
pub fn execute(
    store: &Store,
    session: &mut SessionState,
    request: Request,
    out: &mut Vec<u8>,
) -> Flow {
    use std::io::Write;
    let written = match request {
        Request::Ping => out.write_all(b"PONG\n"),
        Request::Login(user) => {
            session.user = Some(user);
            out.write_all(b"OK\n")
        }
        Request::WhoAmI => match &session.user {
            Some(user) => writeln!(out, "{user}"),
            None => out.write_all(b"ANONYMOUS\n"),
        },
        Request::Get(id) => match now(store.get(id)) {
            Some(session) => writeln!(out, "{}", session.hits),
            None => out.write_all(b"NIL\n"),
        },
        Request::Set(id, value) => {
            now(store.insert(id, stored(value)));
            out.write_all(b"OK\n")
        }
        Request::Incr(id, n) => match now(store.update(id, n)) {
            Some(session) => writeln!(out, "{}", session.hits),
            None => out.write_all(b"NIL\n"),
        },
        Request::Quit => {
            out.extend_from_slice(b"BYE\n");
            return Flow::Close;
        }
    };
    written.expect("writing to a Vec cannot fail");
    Flow::Continue
}
// ANCHOR_END: execute

/// Appends `ERR <reason>`.
pub fn error_reply(error: &ProtocolError, out: &mut Vec<u8>) {
    out.extend_from_slice(format!("ERR {error}\n").as_bytes());
}

// ANCHOR: connection
/// One connection's protocol state: its unframed bytes and its session.
/// Every style feeds it what it reads and sends what it returns.
#[derive(Debug, Default)]
pub struct Connection {
    lines: LineBuffer,
    pub session: SessionState,
    closed: bool,
}

impl Connection {
    /// Takes bytes read from the socket; appends the reply to every
    /// complete request to `out`. Returns `Close` once the connection must
    /// be closed after `out` is sent (QUIT, or a line too long), and the
    /// number of requests answered.
    pub fn receive(&mut self, bytes: &[u8], store: &Store, out: &mut Vec<u8>) -> (Flow, u64) {
        if self.closed {
            return (Flow::Close, 0);
        }
        self.lines.extend(bytes);
        self.answer(out, |request, session, out| {
            execute(store, session, request, out)
        })
    }

    /// Like [`Connection::receive`], for a style whose requests are executed
    /// elsewhere (the central owner): `handle` gets each parsed request.
    pub fn answer(
        &mut self,
        out: &mut Vec<u8>,
        mut handle: impl FnMut(Request, &mut SessionState, &mut Vec<u8>) -> Flow,
    ) -> (Flow, u64) {
        let mut answered = 0;
        while let Some(line) = self.lines.next_line() {
            answered += 1;
            let flow = match line {
                Line::TooLong => {
                    error_reply(&ProtocolError::TooLong, out);
                    Flow::Close
                }
                Line::Complete(line) => match parse(line) {
                    Ok(request) => handle(request, &mut self.session, out),
                    Err(e) => {
                        error_reply(&e, out);
                        Flow::Continue
                    }
                },
            };
            if flow == Flow::Close {
                self.closed = true;
                return (Flow::Close, answered);
            }
        }
        (Flow::Continue, answered)
    }

    /// The next complete request line's parse, for styles that hand
    /// requests to someone else one at a time. `Some(Err(TooLong))` ends
    /// the connection.
    pub fn next_request(&mut self) -> Option<Result<Request, ProtocolError>> {
        if self.closed {
            return None;
        }
        match self.lines.next_line()? {
            Line::TooLong => {
                self.closed = true;
                Some(Err(ProtocolError::TooLong))
            }
            Line::Complete(line) => Some(parse(line)),
        }
    }

    /// Appends bytes without answering (styles using [`Connection::next_request`]).
    pub fn feed(&mut self, bytes: &[u8]) {
        self.lines.extend(bytes);
    }

    /// Whether a request was cut off: bytes received after the last
    /// complete line (the client disconnected mid-request).
    pub fn has_partial_request(&self) -> bool {
        self.lines.pending() > 0
    }
}
// ANCHOR_END: connection
