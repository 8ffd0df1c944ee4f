//! RESP, the Redis serialization protocol, as far as this server speaks it:
//! requests are arrays of bulk strings (`*2\r\n$3\r\nGET\r\n$1\r\n7\r\n`)
//! or inline commands (a plain line, as `telnet` sends); replies are
//! simple strings (`+PONG`), errors (`-ERR ...`), integers (`:42`) and
//! bulk strings (`$2\r\n42\r\n`, or `$-1` for none). Enough for
//! `redis-cli` and `redis-benchmark` to drive every style.
//!
//! The parser is incremental: it is handed whatever has arrived and says
//! "a complete frame of N bytes", "not yet", or "malformed". Limits are
//! checked on the declared lengths, *before* any body is read: a client
//! announcing a 1 GiB bulk string is refused at its header, never buffered.

/// The most arguments a command may have.
pub const MAX_ARGS: usize = 16;

/// The longest bulk string accepted (the line protocol's line limit).
pub const MAX_BULK: usize = super::protocol::MAX_LINE;

/// The longest header line (`*16`, `$4096`): a few digits.
const MAX_HEADER: usize = 32;

/// Why a frame is refused; the connection is answered and closed, as Redis
/// does: after a malformed frame the stream cannot be resynchronised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RespError {
    /// A header (`*n` or `$n`) that is not a number in range.
    BadLength(String),
    TooManyArguments(usize),
    BulkTooLong(usize),
    /// Something other than `$` where a bulk string must start.
    ExpectedBulk(u8),
    /// A bulk string not followed by `\r\n`.
    MissingCrlf,
    /// An inline command longer than the line limit.
    LineTooLong,
}

impl std::fmt::Display for RespError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RespError::BadLength(h) => write!(f, "Protocol error: invalid length '{h}'"),
            RespError::TooManyArguments(n) => {
                write!(f, "Protocol error: {n} arguments (at most {MAX_ARGS})")
            }
            RespError::BulkTooLong(n) => {
                write!(f, "Protocol error: bulk length {n} (at most {MAX_BULK})")
            }
            RespError::ExpectedBulk(b) => {
                write!(
                    f,
                    "Protocol error: expected '$', got '{}'",
                    b.escape_ascii()
                )
            }
            RespError::MissingCrlf => write!(f, "Protocol error: bulk string without CRLF"),
            RespError::LineTooLong => write!(f, "Protocol error: inline command too long"),
        }
    }
}

/// A complete frame: its arguments (borrowed from the buffer) and how many
/// bytes it took.
pub type Parsed<'a> = (Vec<&'a [u8]>, usize);

/// Finds `\r\n` (or a bare `\n`) at or after `from`, looking no further
/// than `limit` bytes: the end of the line's content and the position after
/// its terminator.
fn line_end(buf: &[u8], from: usize, limit: usize) -> Result<Option<(usize, usize)>, ()> {
    let window = &buf[from..buf.len().min(from + limit + 2)];
    match window.iter().position(|&b| b == b'\n') {
        Some(at) => {
            let end = from + at;
            let content_end = if end > from && buf[end - 1] == b'\r' {
                end - 1
            } else {
                end
            };
            Ok(Some((content_end, end + 1)))
        }
        None if window.len() > limit + 1 => Err(()),
        None => Ok(None),
    }
}

/// A header's number: `*<n>` or `$<n>`, read after its type byte.
fn header(buf: &[u8], at: usize) -> Result<Option<(i64, usize)>, RespError> {
    let Some((end, next)) = line_end(buf, at + 1, MAX_HEADER).map_err(|()| {
        RespError::BadLength(String::from_utf8_lossy(&buf[at + 1..at + 1 + MAX_HEADER]).into())
    })?
    else {
        return Ok(None);
    };
    let text = &buf[at + 1..end];
    std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse::<i64>().ok())
        .map(|n| Some((n, next)))
        .ok_or_else(|| RespError::BadLength(String::from_utf8_lossy(text).into_owned()))
}

// ANCHOR: parse_frame
/// Parses the frame at the start of `buf`: `Ok(None)` if it is not complete
/// yet (call again with more bytes), `Ok(Some((args, len)))` once it is.
pub fn parse_frame(buf: &[u8]) -> Result<Option<Parsed<'_>>, RespError> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    if first != b'*' {
        // An inline command: a line of words separated by spaces.
        let Some((end, next)) = line_end(buf, 0, MAX_BULK).map_err(|()| RespError::LineTooLong)?
        else {
            return Ok(None);
        };
        let args = buf[..end]
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty())
            .collect();
        return Ok(Some((args, next)));
    }
    let Some((count, mut at)) = header(buf, 0)? else {
        return Ok(None);
    };
    let count = usize::try_from(count).map_err(|_| RespError::BadLength(count.to_string()))?;
    if count > MAX_ARGS {
        return Err(RespError::TooManyArguments(count));
    }
    let mut args = Vec::with_capacity(count);
    for _ in 0..count {
        match buf.get(at) {
            None => return Ok(None),
            Some(b'$') => {}
            Some(&other) => return Err(RespError::ExpectedBulk(other)),
        }
        let Some((len, body)) = header(buf, at)? else {
            return Ok(None);
        };
        let len = usize::try_from(len).map_err(|_| RespError::BadLength(len.to_string()))?;
        if len > MAX_BULK {
            return Err(RespError::BulkTooLong(len)); // refused before reading it
        }
        if buf.len() < body + len + 2 {
            return Ok(None);
        }
        if &buf[body + len..body + len + 2] != b"\r\n" {
            return Err(RespError::MissingCrlf);
        }
        args.push(&buf[body..body + len]);
        at = body + len + 2;
    }
    Ok(Some((args, at)))
}
// ANCHOR_END: parse_frame

/// Accumulates bytes and yields complete frames.
#[derive(Debug, Default)]
pub struct RespBuffer {
    buf: Vec<u8>,
    start: usize,
}

impl RespBuffer {
    pub fn extend(&mut self, bytes: &[u8]) {
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > 4096 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete frame's arguments, copied out.
    pub fn next_frame(&mut self) -> Option<Result<Vec<Vec<u8>>, RespError>> {
        match parse_frame(&self.buf[self.start..]) {
            Ok(None) => None,
            Ok(Some((args, len))) => {
                let args = args.into_iter().map(<[u8]>::to_vec).collect();
                self.start += len;
                Some(Ok(args))
            }
            Err(e) => {
                self.start = self.buf.len(); // nothing after it can be trusted
                Some(Err(e))
            }
        }
    }

    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }
}

/// Appends a simple string: `+OK\r\n`.
pub fn simple(out: &mut Vec<u8>, text: &str) {
    out.push(b'+');
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends an error: `-ERR reason\r\n` (line breaks in `reason` would end
/// the frame early, so they are replaced).
pub fn error(out: &mut Vec<u8>, reason: &str) {
    out.extend_from_slice(b"-ERR ");
    out.extend(
        reason
            .bytes()
            .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
    );
    out.extend_from_slice(b"\r\n");
}

pub fn integer(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(format!(":{n}\r\n").as_bytes());
}

pub fn bulk(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(format!("${}\r\n", bytes.len()).as_bytes());
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

pub fn null(out: &mut Vec<u8>) {
    out.extend_from_slice(b"$-1\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(frame: &[u8]) -> Vec<Vec<u8>> {
        let (args, len) = parse_frame(frame).unwrap().expect("complete");
        assert_eq!(len, frame.len(), "the whole frame is consumed");
        args.into_iter().map(<[u8]>::to_vec).collect()
    }

    #[test]
    fn arrays_and_inline_commands() {
        assert_eq!(
            args(b"*2\r\n$3\r\nGET\r\n$1\r\n7\r\n"),
            [b"GET".to_vec(), b"7".to_vec()]
        );
        assert_eq!(args(b"*1\r\n$4\r\nPING\r\n"), [b"PING".to_vec()]);
        assert_eq!(args(b"*0\r\n"), Vec::<Vec<u8>>::new());
        assert_eq!(args(b"*1\r\n$0\r\n\r\n"), [Vec::<u8>::new()]);
        // Binary-safe: a bulk string may hold CR, LF, anything.
        assert_eq!(args(b"*1\r\n$4\r\na\r\nb\r\n"), [b"a\r\nb".to_vec()]);
        assert_eq!(
            args(b"SET  k   v\r\n"),
            [b"SET".to_vec(), b"k".to_vec(), b"v".to_vec()]
        );
        assert_eq!(args(b"PING\n"), [b"PING".to_vec()]);
    }

    #[test]
    fn a_frame_split_at_every_byte_is_incomplete_until_its_last() {
        let frames: [&[u8]; 3] = [
            b"*3\r\n$3\r\nSET\r\n$2\r\n42\r\n$5\r\nhello\r\n",
            b"INCR 7\r\n",
            b"*2\r\n$4\r\nECHO\r\n$4\r\n\r\n\r\n\r\n",
        ];
        for frame in frames {
            for cut in 0..frame.len() {
                assert_eq!(
                    parse_frame(&frame[..cut]),
                    Ok(None),
                    "cut at {cut} of {frame:?}"
                );
            }
            assert!(parse_frame(frame).unwrap().is_some());
            // Fed byte by byte into the buffer, it comes out whole, once.
            let mut buffer = RespBuffer::default();
            let mut got = Vec::new();
            for &b in frame {
                buffer.extend(&[b]);
                while let Some(frame) = buffer.next_frame() {
                    got.push(frame.unwrap());
                }
            }
            assert_eq!(got.len(), 1, "{frame:?}");
            assert_eq!(buffer.pending(), 0);
        }
    }

    #[test]
    fn malformed_frames_are_refused() {
        assert!(matches!(
            parse_frame(b"*x\r\n"),
            Err(RespError::BadLength(_))
        ));
        assert!(matches!(
            parse_frame(b"*-1\r\n"),
            Err(RespError::BadLength(_))
        ));
        assert_eq!(
            parse_frame(b"*17\r\n"),
            Err(RespError::TooManyArguments(17))
        );
        assert_eq!(
            parse_frame(b"*1\r\n:5\r\n"),
            Err(RespError::ExpectedBulk(b':'))
        );
        assert_eq!(
            parse_frame(b"*1\r\n$2\r\nabcd\r\n"),
            Err(RespError::MissingCrlf)
        );
        assert!(matches!(
            parse_frame(b"*1\r\n$-5\r\n"),
            Err(RespError::BadLength(_))
        ));
        // A header with no end in sight.
        assert!(matches!(
            parse_frame(&[b'*'; 100]),
            Err(RespError::BadLength(_))
        ));
    }

    #[test]
    fn a_huge_declared_length_is_refused_before_its_body_arrives() {
        // Only the header has arrived: the refusal must not wait for 1 GiB.
        assert_eq!(
            parse_frame(b"*1\r\n$1073741824\r\n"),
            Err(RespError::BulkTooLong(1 << 30))
        );
    }

    #[test]
    fn an_endless_inline_line_is_refused() {
        let line = vec![b'a'; MAX_BULK + 10];
        assert_eq!(parse_frame(&line), Err(RespError::LineTooLong));
    }

    #[test]
    fn replies_are_encoded_as_redis_does() {
        let mut out = Vec::new();
        simple(&mut out, "PONG");
        error(&mut out, "bad\r\nthing");
        integer(&mut out, 42);
        bulk(&mut out, b"hi");
        null(&mut out);
        assert_eq!(
            out,
            b"+PONG\r\n-ERR bad  thing\r\n:42\r\n$2\r\nhi\r\n$-1\r\n"
        );
    }
}
