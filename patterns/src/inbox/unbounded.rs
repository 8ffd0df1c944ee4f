//! **unbounded**: `tokio::sync::mpsc::unbounded_channel`, as `session_tokio`
//! pushes to its sessions. `send` never waits and never fails while the
//! owner lives: every message is queued, however far behind the owner is.
//!
//! What it costs: nothing while the owner keeps up. When it does not, the
//! queue grows by the difference of the two rates, every message waits
//! behind all those before it (its wait grows without limit, though no
//! producer sees it), and memory grows until the producers stop or the
//! process runs out. Nothing pushes back, so nothing upstream learns that
//! it should slow down. Fits where the producer's rate is bounded by
//! something else (one push per request a session already answered).
//!
//! tokio's unbounded *sender* cannot say how many messages wait (only the
//! receiver can), so this style counts them itself: one relaxed add per
//! message on each side, which the bounded styles do not pay.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use crate::inbox::{Handler, Inbox, Message, Refused};

pub struct UnboundedInbox {
    sender: UnboundedSender<Message>,
    /// Messages sent, and messages the owner has taken out.
    sent: AtomicU64,
    taken: Arc<AtomicU64>,
}

impl Inbox for UnboundedInbox {
    const STYLE: &'static str = "unbounded";
    const BOUNDED: bool = false;

    fn start<H: Handler>(mut handler: H) -> (Self, tokio::task::JoinHandle<H>) {
        let (sender, mut receiver) = unbounded_channel();
        let taken = Arc::new(AtomicU64::new(0));
        let owner = tokio::spawn({
            let taken = Arc::clone(&taken);
            async move {
                while let Some(message) = receiver.recv().await {
                    taken.fetch_add(1, Relaxed);
                    handler.handle(message);
                }
                handler
            }
        });
        let inbox = UnboundedInbox {
            sender,
            sent: AtomicU64::new(0),
            taken,
        };
        (inbox, owner)
    }

    // ANCHOR: send
    async fn send(&self, message: Message) -> Result<(), Refused> {
        // Counted before the send, so the count never trails the owner's.
        self.sent.fetch_add(1, Relaxed);
        self.sender.send(message).map_err(|_| {
            self.sent.fetch_sub(1, Relaxed);
            Refused::Closed
        })
    }
    // ANCHOR_END: send

    fn backlog(&self) -> usize {
        let taken = self.taken.load(Relaxed);
        self.sent.load(Relaxed).saturating_sub(taken) as usize
    }
}
