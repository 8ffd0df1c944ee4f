//! **shedding**: the bounded channel of `bounded`, offered with
//! `try_send`: when the owner is [`CAPACITY`] messages behind, the message
//! is refused at once with [`Refused::Overloaded`], and the caller decides
//! (retry later, serve a degraded answer, return "503 busy").
//!
//! What it costs: the excess is lost to the owner, by design, and every
//! caller must handle the refusal. In exchange nothing grows anywhere, not
//! even upstream: a caller is never held, and an accepted message waits at
//! most `CAPACITY` service times. The refusals are the signal that
//! `unbounded` never gives and `bounded` gives only as delay.

use tokio::sync::mpsc::Sender;
use tokio::sync::mpsc::error::TrySendError;

use crate::inbox::bounded::{occupied, start_owner};
use crate::inbox::{Handler, Inbox, Message, Refused};

#[cfg(doc)]
use crate::inbox::CAPACITY;

pub struct SheddingInbox {
    sender: Sender<Message>,
}

impl Inbox for SheddingInbox {
    const STYLE: &'static str = "shedding";
    const BOUNDED: bool = true;
    // Full means refused: the producer is told at once.
    const SHEDS: bool = true;

    fn start<H: Handler>(handler: H) -> (Self, tokio::task::JoinHandle<H>) {
        let (sender, owner) = start_owner(handler);
        (SheddingInbox { sender }, owner)
    }

    // ANCHOR: send
    async fn send(&self, message: Message) -> Result<(), Refused> {
        self.sender.try_send(message).map_err(|e| match e {
            TrySendError::Full(_) => Refused::Overloaded,
            TrySendError::Closed(_) => Refused::Closed,
        })
    }
    // ANCHOR_END: send

    fn backlog(&self) -> usize {
        occupied(&self.sender)
    }
}
