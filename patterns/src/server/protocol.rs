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
//! SPIN <µs>           -> OK                 keeps its thread busy for <µs> (at most 1000)
//! FANOUT <k> <µs>     -> OK                 k independent steps of <µs> each (k <= 16, <µs> <= 1000)
//! QUIT                -> BYE, then the server closes the connection
//! anything else       -> ERR <reason>
//! ```
//!
//! One reply line per request, in order; a client may pipeline. A line
//! longer than [`MAX_LINE`] gets `ERR line too long` and the connection is
//! closed (the rest of such a line cannot be framed reliably). `\r\n` line
//! ends are accepted, so `nc -C` and telnet work.
//!
//! A connection whose first byte is `*` speaks RESP instead, Redis's
//! protocol ([`super::resp`]), for the same commands with the same meaning
//! (plus `INCRBY`), so `redis-cli` and `redis-benchmark` can drive every
//! style. RESP keys are byte strings: a decimal key is the same id as in the
//! line protocol, any other key is hashed to one. RESP values may be a
//! number or up to 16 bytes. `INCR` on a missing key answers `$-1` (none)
//! instead of creating the key as Redis does: the store's update is atomic,
//! an insert-if-missing beside it would not be.

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

/// The longest `SPIN` accepted, in microseconds: a request of stated,
/// unequal cost for the benches' mixed scenario (a slow request among fast
/// ones), bounded so that one request cannot hold a thread for long.
pub const MAX_SPIN_MICROS: u64 = 1_000;

/// The most steps one `FANOUT` splits into.
pub const MAX_FAN_OUT_STEPS: u32 = 16;

/// `FANOUT <steps> <µs>`: a request made of `steps` independent pieces of
/// work of `micros` each (seed 000's "a session that awaits its own
/// concurrent work"). Every style answers it; most run the steps in turn
/// on the thread that serves the connection ([`execute`]), the way a
/// handler calls what it needs one after another; `session_tokio` runs
/// them as sub-tasks it awaits, `task_tokio` as detached tasks that report
/// back. The reply is the same `OK` once every step is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FanOut {
    pub steps: u32,
    pub micros: u64,
}

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
    Set(SessionId, Value),
    Incr(SessionId, u64),
    /// Busy for this many microseconds of wall time, then `OK`.
    Spin(u64),
    FanOut(FanOut),
    Quit,
}
// ANCHOR_END: request

/// A stored value: a number (what `INCR` adds to), or a few bytes (RESP's
/// `SET` of a string, such as `redis-benchmark`'s payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    Number(u64),
    Bytes { len: u8, data: [u8; 16] },
}

impl Value {
    /// `bytes` as a value: a decimal number if it is one, else the bytes
    /// themselves (`None` if longer than 16).
    pub fn from_bytes(bytes: &[u8]) -> Option<Value> {
        if let Some(n) = std::str::from_utf8(bytes)
            .ok()
            .and_then(|t| t.parse::<u64>().ok())
        {
            return Some(Value::Number(n));
        }
        let mut data = [0u8; 16];
        data.get_mut(..bytes.len())?.copy_from_slice(bytes);
        Some(Value::Bytes {
            len: bytes.len() as u8,
            data,
        })
    }

    /// How the store keeps it: `user == 0` for a number (in `hits`, where
    /// the store's atomic update adds), `1 + len` for bytes (in `data`).
    fn to_session(self) -> Session {
        match self {
            Value::Number(n) => Session {
                user: 0,
                hits: n,
                data: [0; 16],
            },
            Value::Bytes { len, data } => Session {
                user: 1 + u64::from(len),
                hits: 0,
                data,
            },
        }
    }

    fn of_session(session: &Session) -> Value {
        match session.user {
            0 => Value::Number(session.hits),
            n => Value::Bytes {
                len: (n - 1).min(16) as u8,
                data: session.data,
            },
        }
    }

    /// The value's text: the number in decimal, or the bytes.
    pub fn text(&self) -> Vec<u8> {
        match self {
            Value::Number(n) => n.to_string().into_bytes(),
            Value::Bytes { len, data } => data[..usize::from(*len)].to_vec(),
        }
    }
}

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
    ValueTooLong,
    SpinTooLong,
    /// No steps, more than [`MAX_FAN_OUT_STEPS`], or a step longer than
    /// [`MAX_SPIN_MICROS`].
    FanOutOutOfRange,
    TooLong,
    /// A malformed RESP frame.
    Resp(super::resp::RespError),
}

impl ProtocolError {
    /// Whether the connection must be closed after the error's reply: the
    /// stream can no longer be framed.
    pub fn closes(&self) -> bool {
        matches!(self, ProtocolError::TooLong | ProtocolError::Resp(_))
    }
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
            ProtocolError::ValueTooLong => write!(f, "value longer than 16 bytes"),
            ProtocolError::SpinTooLong => {
                write!(f, "SPIN longer than {MAX_SPIN_MICROS} microseconds")
            }
            ProtocolError::FanOutOutOfRange => write!(
                f,
                "FANOUT takes 1 to {MAX_FAN_OUT_STEPS} steps of at most {MAX_SPIN_MICROS} microseconds"
            ),
            ProtocolError::TooLong => write!(f, "line too long (limit {MAX_LINE} bytes)"),
            ProtocolError::Resp(e) => write!(f, "{e}"),
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
            Ok(Request::Set(
                number(args[0])?,
                Value::Number(number(args[1])?),
            ))
        }
        "INCR" => {
            arity("INCR", 2)?;
            Ok(Request::Incr(number(args[0])?, number(args[1])?))
        }
        "SPIN" => {
            arity("SPIN", 1)?;
            spin_request(number(args[0])?)
        }
        "FANOUT" => {
            arity("FANOUT", 2)?;
            fan_out_request(number(args[0])?, number(args[1])?)
        }
        "QUIT" => arity("QUIT", 0).map(|()| Request::Quit),
        _ => Err(ProtocolError::Unknown(command.to_string())),
    }
}
// ANCHOR_END: parse

fn spin_request(micros: u64) -> Result<Request, ProtocolError> {
    if micros > MAX_SPIN_MICROS {
        return Err(ProtocolError::SpinTooLong);
    }
    Ok(Request::Spin(micros))
}

fn fan_out_request(steps: u64, micros: u64) -> Result<Request, ProtocolError> {
    if !(1..=u64::from(MAX_FAN_OUT_STEPS)).contains(&steps) || micros > MAX_SPIN_MICROS {
        return Err(ProtocolError::FanOutOutOfRange);
    }
    Ok(Request::FanOut(FanOut {
        steps: steps as u32,
        micros,
    }))
}

/// Keeps this thread busy for `micros` of wall time: what a request that
/// does real work (a parse, a scan, a hash) costs the thread that serves
/// it. Busy, not asleep, so that a style cannot hide it by yielding.
pub fn spin(micros: u64) {
    let until = std::time::Instant::now() + std::time::Duration::from_micros(micros);
    while std::time::Instant::now() < until {
        std::hint::spin_loop();
    }
}

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

// ANCHOR: execute
/// What a request is answered with, before it is encoded for the
/// connection's protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Pong,
    Ok,
    User(String),
    Anonymous,
    Value(Value),
    /// No such id.
    Nil,
    /// `INCR`'s new value.
    Number(u64),
    NotANumber,
    Bye,
    Error(String),
}

/// Executes `request` for the session. `Flow::Close` after QUIT.
pub fn execute(store: &Store, session: &mut SessionState, request: Request) -> (Reply, Flow) {
    let reply = match request {
        Request::Ping => Reply::Pong,
        Request::Login(user) => {
            session.user = Some(user);
            Reply::Ok
        }
        Request::WhoAmI => match &session.user {
            Some(user) => Reply::User(user.clone()),
            None => Reply::Anonymous,
        },
        Request::Get(id) => match now(store.get(id)) {
            Some(stored) => Reply::Value(Value::of_session(&stored)),
            None => Reply::Nil,
        },
        Request::Set(id, value) => {
            now(store.insert(id, value.to_session()));
            Reply::Ok
        }
        Request::Incr(id, n) => match now(store.update(id, n)) {
            Some(stored) => match Value::of_session(&stored) {
                Value::Number(n) => Reply::Number(n),
                Value::Bytes { .. } => Reply::NotANumber,
            },
            None => Reply::Nil,
        },
        Request::Spin(micros) => {
            spin(micros);
            Reply::Ok
        }
        // In turn: the steps are independent, but a handler that has only
        // its own thread does one after another.
        Request::FanOut(FanOut { steps, micros }) => {
            spin(u64::from(steps) * micros);
            Reply::Ok
        }
        Request::Quit => return (Reply::Bye, Flow::Close),
    };
    (reply, Flow::Continue)
}
// ANCHOR_END: execute

/// Which protocol a connection speaks, decided by its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Line,
    Resp,
}

/// Appends `reply` encoded for `mode`.
pub fn encode(mode: Mode, reply: &Reply, out: &mut Vec<u8>) {
    use super::resp;
    match mode {
        Mode::Line => {
            match reply {
                Reply::Pong => out.extend_from_slice(b"PONG"),
                Reply::Ok => out.extend_from_slice(b"OK"),
                Reply::User(user) => out.extend_from_slice(user.as_bytes()),
                Reply::Anonymous => out.extend_from_slice(b"ANONYMOUS"),
                Reply::Value(value) => out.extend(value.text().escape_ascii()),
                Reply::Nil => out.extend_from_slice(b"NIL"),
                Reply::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
                Reply::NotANumber => out.extend_from_slice(b"ERR the value is not a number"),
                Reply::Bye => out.extend_from_slice(b"BYE"),
                Reply::Error(reason) => {
                    out.extend_from_slice(b"ERR ");
                    out.extend_from_slice(reason.as_bytes());
                }
            }
            out.push(b'\n');
        }
        Mode::Resp => match reply {
            Reply::Pong => resp::simple(out, "PONG"),
            Reply::Ok | Reply::Bye => resp::simple(out, "OK"),
            Reply::User(user) => resp::bulk(out, user.as_bytes()),
            Reply::Anonymous => resp::simple(out, "ANONYMOUS"),
            Reply::Value(value) => resp::bulk(out, &value.text()),
            Reply::Nil => resp::null(out),
            Reply::Number(n) => resp::integer(out, *n),
            Reply::NotANumber => resp::error(out, "value is not an integer or out of range"),
            Reply::Error(reason) => resp::error(out, reason),
        },
    }
}

/// A RESP command's arguments as a request. Keys are byte strings: a
/// decimal one is that id, any other is hashed to one.
pub fn resp_request(args: &[Vec<u8>]) -> Result<Request, ProtocolError> {
    let Some((command, args)) = args.split_first() else {
        return Err(ProtocolError::Empty);
    };
    let name = String::from_utf8_lossy(command).to_ascii_uppercase();
    let arity = |command: &'static str, expected: usize| {
        if args.len() == expected {
            Ok(())
        } else {
            Err(ProtocolError::Arity { command, expected })
        }
    };
    let amount = |word: &[u8]| {
        std::str::from_utf8(word)
            .ok()
            .and_then(|w| w.parse::<u64>().ok())
            .ok_or_else(|| ProtocolError::NotANumber(String::from_utf8_lossy(word).into_owned()))
    };
    match name.as_str() {
        "PING" => arity("PING", 0).map(|()| Request::Ping),
        "GET" => arity("GET", 1).map(|()| Request::Get(key_id(&args[0]))),
        "SET" => {
            arity("SET", 2)?;
            let value = Value::from_bytes(&args[1]).ok_or(ProtocolError::ValueTooLong)?;
            Ok(Request::Set(key_id(&args[0]), value))
        }
        "INCR" => arity("INCR", 1).map(|()| Request::Incr(key_id(&args[0]), 1)),
        "INCRBY" => {
            arity("INCRBY", 2)?;
            Ok(Request::Incr(key_id(&args[0]), amount(&args[1])?))
        }
        "LOGIN" => {
            arity("LOGIN", 1)?;
            let user = std::str::from_utf8(&args[0]).map_err(|_| ProtocolError::NotUtf8)?;
            if user.len() > MAX_USER {
                return Err(ProtocolError::UserTooLong);
            }
            Ok(Request::Login(user.to_string()))
        }
        "WHOAMI" => arity("WHOAMI", 0).map(|()| Request::WhoAmI),
        "SPIN" => {
            arity("SPIN", 1)?;
            spin_request(amount(&args[0])?)
        }
        "FANOUT" => {
            arity("FANOUT", 2)?;
            fan_out_request(amount(&args[0])?, amount(&args[1])?)
        }
        "QUIT" => arity("QUIT", 0).map(|()| Request::Quit),
        _ => Err(ProtocolError::Unknown(name)),
    }
}

/// A RESP key as an id: a decimal number is itself (so `GET 7` means the
/// same in both protocols); anything else is hashed (FNV-1a, then
/// splitmix's finaliser; two keys share an id with odds of 1 in 2^64).
pub fn key_id(key: &[u8]) -> SessionId {
    if let Some(id) = std::str::from_utf8(key)
        .ok()
        .and_then(|k| k.parse::<u64>().ok())
    {
        return id;
    }
    let fnv = key.iter().fold(0xCBF2_9CE4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01B3)
    });
    crate::primitives::rng::mix(fnv)
}

// ANCHOR: connection
/// One connection's protocol state: its unframed bytes, the protocol it
/// speaks (decided by its first byte) and its session. Every style feeds
/// it what it reads and sends what it returns.
#[derive(Debug, Default)]
pub struct Connection {
    mode: Option<Mode>,
    lines: LineBuffer,
    frames: super::resp::RespBuffer,
    pub session: SessionState,
    closed: bool,
}

impl Connection {
    /// Takes bytes read from the socket; appends the reply to every
    /// complete request to `out`. Returns `Close` once the connection must
    /// be closed after `out` is sent (QUIT, or a stream that can no longer
    /// be framed), and the number of requests answered.
    pub fn receive(&mut self, bytes: &[u8], store: &Store, out: &mut Vec<u8>) -> (Flow, u64) {
        self.feed(bytes);
        self.answer(out, |request, session| execute(store, session, request))
    }

    /// Answers every complete request with `handle`, which executes it
    /// (the central owner's connections hand requests over instead).
    pub fn answer(
        &mut self,
        out: &mut Vec<u8>,
        handle: impl FnMut(Request, &mut SessionState) -> (Reply, Flow),
    ) -> (Flow, u64) {
        let (flow, answered, _) = self.answer_requests(out, false, handle);
        (flow, answered)
    }

    /// [`Connection::answer`], except that it stops at the first `FANOUT`
    /// and returns it unanswered: the caller runs its steps its own way,
    /// then appends the reply with [`Connection::fan_out_done`] and calls
    /// this again for the requests after it, so replies stay in order.
    pub fn answer_to_fan_out(
        &mut self,
        out: &mut Vec<u8>,
        handle: impl FnMut(Request, &mut SessionState) -> (Reply, Flow),
    ) -> (Flow, u64, Option<FanOut>) {
        self.answer_requests(out, true, handle)
    }

    /// The reply to a `FANOUT` returned by [`Connection::answer_to_fan_out`]
    /// whose steps have all finished.
    pub fn fan_out_done(&self, out: &mut Vec<u8>) {
        encode(self.mode(), &Reply::Ok, out);
    }

    fn answer_requests(
        &mut self,
        out: &mut Vec<u8>,
        stop_at_fan_out: bool,
        mut handle: impl FnMut(Request, &mut SessionState) -> (Reply, Flow),
    ) -> (Flow, u64, Option<FanOut>) {
        let mut answered = 0;
        while let Some(request) = self.next_request() {
            if let (true, Ok(Request::FanOut(fan_out))) = (stop_at_fan_out, &request) {
                return (Flow::Continue, answered, Some(*fan_out));
            }
            answered += 1;
            let (reply, flow) = match request {
                Ok(request) => handle(request, &mut self.session),
                Err(error) => reply_to_error(&error),
            };
            encode(self.mode(), &reply, out);
            if flow == Flow::Close {
                self.closed = true;
                return (Flow::Close, answered, None);
            }
        }
        (Flow::Continue, answered, None)
    }

    /// Appends bytes without answering them (for [`Connection::next_request`]).
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.closed {
            return; // after QUIT or an unframeable stream: nothing is read again
        }
        let Some(&first) = bytes.first() else {
            return;
        };
        match *self.mode.get_or_insert(if first == b'*' {
            Mode::Resp
        } else {
            Mode::Line
        }) {
            Mode::Line => self.lines.extend(bytes),
            Mode::Resp => self.frames.extend(bytes),
        }
    }

    /// The protocol this connection speaks (the line protocol until its
    /// first byte says otherwise).
    pub fn mode(&self) -> Mode {
        self.mode.unwrap_or(Mode::Line)
    }

    /// The next complete request, parsed. An error that
    /// [`closes`](ProtocolError::closes) the connection ends it: nothing
    /// after it is returned.
    pub fn next_request(&mut self) -> Option<Result<Request, ProtocolError>> {
        if self.closed {
            return None;
        }
        let request = match self.mode() {
            Mode::Line => match self.lines.next_line()? {
                Line::TooLong => Err(ProtocolError::TooLong),
                Line::Complete(line) => parse(line),
            },
            Mode::Resp => match self.frames.next_frame()? {
                Err(e) => Err(ProtocolError::Resp(e)),
                Ok(args) => resp_request(&args),
            },
        };
        if request.as_ref().is_err_and(ProtocolError::closes) {
            self.closed = true;
        }
        Some(request)
    }

    /// Whether a request was cut off: bytes received after the last
    /// complete one (the client disconnected mid-request).
    pub fn has_partial_request(&self) -> bool {
        self.pending() > 0
    }

    /// Bytes received and not yet answered: a partial request, or whole
    /// requests queued behind a `FANOUT` still running.
    pub fn pending(&self) -> usize {
        self.lines.pending() + self.frames.pending()
    }
}

/// The reply to a request that could not be parsed, and whether the
/// connection survives it.
pub fn reply_to_error(error: &ProtocolError) -> (Reply, Flow) {
    let flow = if error.closes() {
        Flow::Close
    } else {
        Flow::Continue
    };
    (Reply::Error(error.to_string()), flow)
}
// ANCHOR_END: connection

#[cfg(all(test, not(any(workbench_loom, workbench_shuttle))))]
mod tests {
    use super::*;

    /// Feeds `input` to a fresh connection split at `cut` (two reads),
    /// and returns the replies.
    fn replies_split_at(input: &[u8], cut: usize) -> (String, Flow) {
        let store = new_store();
        let mut connection = Connection::default();
        let mut out = Vec::new();
        let (first, second) = input.split_at(cut.min(input.len()));
        let (mut flow, _) = connection.receive(first, &store, &mut out);
        if flow == Flow::Continue {
            flow = connection.receive(second, &store, &mut out).0;
        }
        (String::from_utf8_lossy(&out).into_owned(), flow)
    }

    /// Cuts of `input` where a read could end (every byte near each 4 KiB
    /// read boundary and near the ends, every seventh elsewhere) give the
    /// same replies as one read.
    fn same_at_every_cut(input: &[u8]) -> (String, Flow) {
        let whole = replies_split_at(input, input.len());
        let near = |cut: usize, mark: usize| cut.abs_diff(mark) <= 8;
        let cuts = (0..=input.len()).filter(|&cut| {
            cut % 7 == 0
                || near(cut, 0)
                || near(cut, input.len())
                || (1..=input.len() / 4096).any(|k| near(cut, k * 4096))
        });
        for cut in cuts {
            assert_eq!(
                replies_split_at(input, cut),
                whole,
                "cut at {cut} of {}",
                input.len()
            );
        }
        whole
    }

    fn unknown_of(len: usize) -> Vec<u8> {
        vec![b'x'; len]
    }

    #[test]
    fn lines_one_below_at_and_one_above_the_limit() {
        let shortened = format!("ERR unknown command '{}...'\n", "x".repeat(32));
        for len in [MAX_LINE - 1, MAX_LINE] {
            let mut line = unknown_of(len);
            line.extend_from_slice(b"\nPING\n");
            let (out, flow) = replies_split_at(&line, line.len());
            assert_eq!(
                out,
                format!("{shortened}PONG\n"),
                "a {len}-byte line is a request"
            );
            assert_eq!(flow, Flow::Continue);
            // With CRLF the \r does not count against the limit.
            let mut crlf = unknown_of(len);
            crlf.extend_from_slice(b"\r\nPING\r\n");
            assert_eq!(
                replies_split_at(&crlf, crlf.len()).0,
                format!("{shortened}PONG\n")
            );
        }
        let mut over = unknown_of(MAX_LINE + 1);
        over.extend_from_slice(b"\nPING\n");
        let (out, flow) = replies_split_at(&over, over.len());
        assert_eq!(out, format!("ERR line too long (limit {MAX_LINE} bytes)\n"));
        assert_eq!(
            flow,
            Flow::Close,
            "the stream cannot be framed after it: close"
        );
        // Without a newline yet: refused as soon as it cannot be a line.
        let (out, flow) = replies_split_at(&unknown_of(MAX_LINE + 2), MAX_LINE + 2);
        assert_eq!(
            (out.as_str(), flow),
            ("ERR line too long (limit 4096 bytes)\n", Flow::Close)
        );
        let (out, flow) = replies_split_at(&unknown_of(MAX_LINE + 1), MAX_LINE + 1);
        assert_eq!(
            (out.as_str(), flow),
            ("", Flow::Continue),
            "may still be a line ending in \\r"
        );
    }

    #[test]
    fn fan_out_is_bounded_and_hands_back_its_place() {
        let fan = |steps, micros| Ok(Request::FanOut(FanOut { steps, micros }));
        assert_eq!(parse(b"FANOUT 1 0"), fan(1, 0));
        assert_eq!(parse(b"fanout 16 1000"), fan(16, 1000));
        for refused in ["FANOUT 0 10", "FANOUT 17 10", "FANOUT 2 1001"] {
            assert_eq!(
                parse(refused.as_bytes()),
                Err(ProtocolError::FanOutOutOfRange),
                "{refused}"
            );
        }
        assert_eq!(
            resp_request(&[b"FANOUT".to_vec(), b"4".to_vec(), b"25".to_vec()]),
            fan(4, 25)
        );
        // In turn (every style but two): the steps' whole time, then OK.
        let store = new_store();
        let started = std::time::Instant::now();
        let (reply, _) = execute(&store, &mut SessionState::default(), fan(4, 100).unwrap());
        assert!(started.elapsed() >= std::time::Duration::from_micros(400));
        assert_eq!(reply, Reply::Ok);
        // Handed back: the requests before it are answered, those after it
        // wait until its reply is in.
        let mut connection = Connection::default();
        let mut out = Vec::new();
        connection.feed(b"PING\nFANOUT 3 7\nPING\n");
        let run = |request, state: &mut SessionState| execute(&store, state, request);
        let (flow, answered, handed) = connection.answer_to_fan_out(&mut out, run);
        assert_eq!(
            (flow, answered, handed),
            (
                Flow::Continue,
                1,
                Some(FanOut {
                    steps: 3,
                    micros: 7
                })
            )
        );
        assert_eq!(out, b"PONG\n");
        connection.fan_out_done(&mut out);
        let (_, answered, handed) = connection.answer_to_fan_out(&mut out, run);
        assert_eq!((answered, handed), (1, None));
        assert_eq!(out, b"PONG\nOK\nPONG\n");
    }

    #[test]
    fn spin_is_bounded_and_answers_ok_in_both_protocols() {
        assert_eq!(parse(b"SPIN 0"), Ok(Request::Spin(0)));
        assert_eq!(parse(b"spin 1000"), Ok(Request::Spin(MAX_SPIN_MICROS)));
        assert_eq!(parse(b"SPIN 1001"), Err(ProtocolError::SpinTooLong));
        assert_eq!(
            parse(b"SPIN -1"),
            Err(ProtocolError::NotANumber("-1".into()))
        );
        assert_eq!(
            parse(b"SPIN"),
            Err(ProtocolError::Arity {
                command: "SPIN",
                expected: 1
            })
        );
        let (out, _) = same_at_every_cut(b"SPIN 50\nSPIN 5000\nPING\n");
        assert_eq!(
            out, "OK\nERR SPIN longer than 1000 microseconds\nPONG\n",
            "a refused SPIN leaves the connection open"
        );
        let args = |words: &[&str]| {
            words
                .iter()
                .map(|w| w.as_bytes().to_vec())
                .collect::<Vec<_>>()
        };
        assert_eq!(resp_request(&args(&["SPIN", "20"])), Ok(Request::Spin(20)));
        assert_eq!(
            resp_request(&args(&["SPIN", "1001"])),
            Err(ProtocolError::SpinTooLong)
        );
        // It keeps its thread busy for at least what it says.
        let store = new_store();
        let started = std::time::Instant::now();
        let (reply, flow) = execute(&store, &mut SessionState::default(), Request::Spin(300));
        assert!(started.elapsed() >= std::time::Duration::from_micros(300));
        assert_eq!((reply, flow), (Reply::Ok, Flow::Continue));
    }

    #[test]
    fn requests_cut_at_every_byte_boundary_read_the_same() {
        // More than 4 KiB through one connection, with a line pending at
        // each cut, and a limit-length line among them.
        let mut input = Vec::new();
        for i in 0..300 {
            input.extend_from_slice(format!("SET {i} {}\nGET {i}\n", i * 1000).as_bytes());
        }
        input.extend_from_slice(&unknown_of(MAX_LINE));
        input.extend_from_slice(b"\r\nINCR 7 5\nGET 7\n");
        assert!(input.len() > 2 * MAX_LINE);
        let (out, flow) = same_at_every_cut(&input);
        assert_eq!(flow, Flow::Continue);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 600 + 3);
        assert_eq!(lines[1], "0");
        assert_eq!(lines[599], "299000");
        assert_eq!(
            &lines[601..],
            ["7005", "7005"],
            "SET 7 7000 earlier, then INCR 7 5"
        );
    }

    #[test]
    fn values_and_user_names_at_their_limits() {
        // Bytes values come over RESP (the line protocol's SET takes numbers).
        let set = |key: &str, value: &str| {
            format!(
                "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n${}\r\n{value}\r\n",
                key.len(),
                value.len()
            )
        };
        let get = |key: &str| format!("*2\r\n$3\r\nGET\r\n${}\r\n{key}\r\n", key.len());
        let sixteen = "abcdefghijklmnop";
        let input = [
            set("k", sixteen),
            get("k"),
            set("k", &format!("{sixteen}q")),
            get("k"),
        ]
        .concat();
        let (out, _) = same_at_every_cut(input.as_bytes());
        assert_eq!(
            out,
            format!(
                "+OK\r\n$16\r\n{sixteen}\r\n-ERR value longer than 16 bytes\r\n$16\r\n{sixteen}\r\n"
            ),
            "a 16-byte value is read back intact; a 17-byte one changes nothing"
        );
        let user = "u".repeat(MAX_USER);
        let input = format!("LOGIN {user}\nWHOAMI\nLOGIN {user}u\nWHOAMI\n");
        let (out, _) = replies_split_at(input.as_bytes(), input.len());
        assert_eq!(
            out,
            format!("OK\n{user}\nERR user name longer than {MAX_USER} bytes\n{user}\n")
        );
        // The largest number, and one past it.
        let input = format!("SET 4 {}\nGET 4\nSET 4 {}0\n", u64::MAX, u64::MAX);
        let (out, _) = replies_split_at(input.as_bytes(), input.len());
        assert_eq!(
            out,
            format!("OK\n{}\nERR not a number: '{}0'\n", u64::MAX, u64::MAX)
        );
    }

    #[test]
    fn resp_bulks_at_the_limit() {
        let frame = |len: usize| {
            let value = vec![b'k'; len];
            let mut f = format!("*2\r\n$3\r\nGET\r\n${len}\r\n").into_bytes();
            f.extend_from_slice(&value);
            f.extend_from_slice(b"\r\n");
            f
        };
        let mut at_limit = frame(super::super::resp::MAX_BULK);
        at_limit.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        let (out, flow) = replies_split_at(&at_limit, at_limit.len());
        assert_eq!((out.as_str(), flow), ("$-1\r\n+PONG\r\n", Flow::Continue));
        // Cut inside the bulk's body and inside its header: the same.
        for cut in [1, 10, 20, at_limit.len() / 2, at_limit.len() - 3] {
            assert_eq!(replies_split_at(&at_limit, cut).0, out, "cut at {cut}");
        }
        let over = frame(super::super::resp::MAX_BULK + 1);
        let (out, flow) = replies_split_at(&over, over.len());
        assert_eq!(
            (out.as_str(), flow),
            (
                "-ERR Protocol error: bulk length 4097 (at most 4096)\r\n",
                Flow::Close
            )
        );
    }

    /// After QUIT (or an error that closes), bytes that still arrive are
    /// neither answered nor kept.
    #[test]
    fn nothing_is_read_after_a_close() {
        let store = new_store();
        let mut connection = Connection::default();
        let mut out = Vec::new();
        let (flow, answered) = connection.receive(b"PING\nQUIT\nPING\n", &store, &mut out);
        assert_eq!((flow, answered), (Flow::Close, 2));
        assert_eq!(out, b"PONG\nBYE\n");
        let held = connection.lines.pending(); // the rest of that one read
        connection.receive(&[b'x'; 10_000], &store, &mut out);
        assert_eq!(
            connection.lines.pending(),
            held,
            "bytes after QUIT were kept"
        );
        assert_eq!(out, b"PONG\nBYE\n");
    }

    /// Every way a RESP frame can be unframeable gets its error reply, and
    /// the connection is closed after it.
    #[test]
    fn every_resp_framing_error_is_answered_then_closes() {
        let mut inline_too_long = b"*1\r\n$4\r\nPING\r\n".to_vec();
        inline_too_long.extend(std::iter::repeat_n(b'P', super::super::resp::MAX_BULK + 10));
        for (frame, reply) in [
            (
                &b"*x\r\n"[..],
                "-ERR Protocol error: invalid length 'x'\r\n",
            ),
            (
                b"*17\r\n",
                "-ERR Protocol error: 17 arguments (at most 16)\r\n",
            ),
            (
                b"*1\r\n+PING\r\n",
                "-ERR Protocol error: expected '$', got '+'\r\n",
            ),
            (
                b"*1\r\n$4\r\nPINGxx",
                "-ERR Protocol error: bulk string without CRLF\r\n",
            ),
            (
                &inline_too_long,
                "+PONG\r\n-ERR Protocol error: inline command too long\r\n",
            ),
        ] {
            let (out, flow) = replies_split_at(frame, frame.len());
            assert_eq!(
                (out.as_str(), flow),
                (reply, Flow::Close),
                "{}",
                frame.escape_ascii()
            );
        }
    }

    /// Each reply kind in each protocol, and the request errors RESP
    /// reaches by its own paths (an empty array, arity, a long user name).
    #[test]
    fn replies_of_every_kind_in_both_protocols() {
        let resp = |args: &[&str]| {
            let mut f = format!("*{}\r\n", args.len());
            for a in args {
                f.push_str(&format!("${}\r\n{a}\r\n", a.len()));
            }
            f
        };
        let long_user = "u".repeat(MAX_USER + 1);
        let input = [
            resp(&["WHOAMI"]),
            resp(&["LOGIN", "alice"]),
            resp(&["WHOAMI"]),
            "*0\r\n".to_string(),
            resp(&["GET"]),
            resp(&["LOGIN", &long_user]),
            resp(&["SET", "9", "abc"]),
            resp(&["INCR", "9"]),
            resp(&["INCRBY", "9", "x"]),
            resp(&["QUIT"]),
        ]
        .concat();
        let store = new_store();
        let mut out = Vec::new();
        let (flow, _) = Connection::default().receive(input.as_bytes(), &store, &mut out);
        assert_eq!(flow, Flow::Close);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "+ANONYMOUS\r\n+OK\r\n$5\r\nalice\r\n-ERR empty request\r\n\
             -ERR wrong number of arguments for GET (expected 1)\r\n\
             -ERR user name longer than 64 bytes\r\n+OK\r\n\
             -ERR value is not an integer or out of range\r\n-ERR not a number: 'x'\r\n+OK\r\n"
        );
        // The same store over the line protocol: the bytes value is shown,
        // and is no number to add to.
        let mut out = Vec::new();
        Connection::default().receive(b"GET 9\nINCR 9 1\nWHOAMI\n", &store, &mut out);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "abc\nERR the value is not a number\nANONYMOUS\n"
        );
    }

    /// A line far over the limit arriving whole, newline included, in one
    /// read: refused as too long (the other branch of the same check).
    #[test]
    fn a_whole_over_long_line_in_one_read_is_refused() {
        let mut line = unknown_of(MAX_LINE + 10);
        line.push(b'\n');
        let (out, flow) = replies_split_at(&line, line.len());
        assert_eq!(
            (out.as_str(), flow),
            ("ERR line too long (limit 4096 bytes)\n", Flow::Close)
        );
    }
}
