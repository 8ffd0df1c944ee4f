//! **bounded**: `tokio::sync::mpsc::channel(CAPACITY)`. When the owner is
//! [`CAPACITY`] messages behind, `send` waits, as a task, for the owner to
//! take one: the producer's thread is free to run other tasks, but the
//! producer itself goes no further.
//!
//! What it costs: the queue, and so the memory and every message's wait
//! inside it, stay bounded (at most `CAPACITY` service times). The excess
//! does not vanish: it moves upstream, into the producers, which fall
//! behind their own schedule. That is backpressure: a producer reading a
//! socket stops reading it, the kernel's buffer fills, and the peer's TCP
//! window closes, all the way back to whoever is sending too much. What
//! it cannot do is tell a producer to give up: a caller that must answer
//! in time waits anyway (pair it with a timeout, or shed).

use tokio::sync::mpsc::{Receiver, Sender, channel};

use crate::inbox::{CAPACITY, Handler, Inbox, Message, Refused};

pub struct BoundedInbox {
    sender: Sender<Message>,
}

/// The owner's loop on a bounded channel (`shedding` shares it).
pub(crate) fn start_owner<H: Handler>(
    mut handler: H,
) -> (Sender<Message>, tokio::task::JoinHandle<H>) {
    let (sender, mut receiver): (Sender<Message>, Receiver<Message>) = channel(CAPACITY);
    let owner = tokio::spawn(async move {
        while let Some(message) = receiver.recv().await {
            handler.handle(message);
        }
        handler
    });
    (sender, owner)
}

/// Messages in a bounded channel: the places taken.
pub(crate) fn occupied(sender: &Sender<Message>) -> usize {
    sender.max_capacity() - sender.capacity()
}

impl Inbox for BoundedInbox {
    const STYLE: &'static str = "bounded";
    const BOUNDED: bool = true;

    fn start<H: Handler>(handler: H) -> (Self, tokio::task::JoinHandle<H>) {
        let (sender, owner) = start_owner(handler);
        (BoundedInbox { sender }, owner)
    }

    // ANCHOR: send
    async fn send(&self, message: Message) -> Result<(), Refused> {
        self.sender.send(message).await.map_err(|_| Refused::Closed)
    }
    // ANCHOR_END: send

    fn backlog(&self) -> usize {
        occupied(&self.sender)
    }
}
