//! # The inbox workload: backpressure
//!
//! An owner task handles messages one at a time, and producers send them
//! faster than it can: what happens to the excess? Seed 002 states the
//! trade-off in one line ("bounded channels can block; unbounded can OOM"),
//! and `session_tokio`'s push channel is unbounded. There are three
//! answers, one style each, all on tokio's `mpsc`:
//!
//! | style | when the owner is behind | what a producer observes | what grows |
//! |---|---|---|---|
//! | `unbounded` | the message is queued anyway | nothing: `send` returns at once | the queue, without limit, and every message's wait |
//! | `bounded` | the producer's task waits for a place | `send` takes as long as the owner needs | nothing in the inbox: the delay moves upstream, into the producer |
//! | `shedding` | the message is refused | an immediate [`Refused::Overloaded`] | nothing: the excess is turned away |
//!
//! ## Contract (what every implementation promises)
//!
//! - Every message `send` accepted (`Ok`) is handed to the handler exactly
//!   once, and each producer's messages in the order it sent them; a
//!   refused one never is.
//! - Dropping the inbox closes it: the owner hands the handler every
//!   message accepted before, then ends, and its task returns the handler.
//! - A bounded style (`BOUNDED`) never holds more than [`CAPACITY`]
//!   accepted messages not yet handed over; `bounded` makes a producer's
//!   *task* wait for a place (its thread is free), `shedding` refuses.
//!   `unbounded` promises no bound, and its test asserts that it keeps none.

use std::future::Future;
use std::time::Instant;

pub mod bounded;
pub mod shedding;
pub mod unbounded;

/// Places in a bounded inbox.
pub const CAPACITY: usize = 1024;

/// One message: who sent it, its number in that producer's sequence, and
/// when it was meant to be sent (an open-loop producer's schedule), from
/// which its wait is measured.
#[derive(Debug, Clone, Copy)]
pub struct Message {
    pub producer: usize,
    pub seq: u64,
    pub intended: Instant,
}

/// Why a message was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The inbox was full and sheds load: the caller may retry, degrade or
    /// report it, but it knows at once.
    Overloaded,
    /// The owner has gone (it panicked): nothing will be handled.
    Closed,
}

/// What the owner does with each message, in order; returned from the
/// owner's task once the inbox is closed and drained.
pub trait Handler: Send + 'static {
    fn handle(&mut self, message: Message);
}

// ANCHOR: trait
/// An inbox in front of one owner task, in one backpressure style. See the
/// module docs for the contract.
pub trait Inbox: Send + Sync + Sized + 'static {
    /// The style's name in reports, tests and the book.
    const STYLE: &'static str;

    /// Whether it holds at most [`CAPACITY`] messages.
    const BOUNDED: bool;

    /// Whether a full inbox refuses a message (`Refused::Overloaded`)
    /// instead of making its producer wait: the overload test requires such
    /// a style to refuse some of an overload, and every other to refuse
    /// none.
    const SHEDS: bool = false;

    /// Starts the owner task on the ambient tokio runtime (call from inside
    /// one); the handle returns the handler once the inbox is dropped and
    /// every accepted message handled.
    fn start<H: Handler>(handler: H) -> (Self, tokio::task::JoinHandle<H>);

    /// Offers `message` to the owner.
    fn send(&self, message: Message) -> impl Future<Output = Result<(), Refused>> + Send;

    /// Accepted messages the owner has not yet taken (the one it is
    /// handling is not counted).
    fn backlog(&self) -> usize;
}
// ANCHOR_END: trait

// ANCHOR: registry
/// The registry, a line per style with its tier (see `crate::registry`).
/// All on tokio's channels, so none is loom-checked.
#[macro_export]
macro_rules! for_each_inbox {
    ($callback:ident $($args:tt)?) => {
        $crate::walk_registry! { $callback [$($args)?];
            library unbounded: $crate::inbox::unbounded::UnboundedInbox,
            library bounded: $crate::inbox::bounded::BoundedInbox,
            library shedding: $crate::inbox::shedding::SheddingInbox,
        }
    };
}
// ANCHOR_END: registry
