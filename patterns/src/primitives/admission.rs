//! Admission for a server: at most `limit` connections admitted at once,
//! a way to stop admitting (shutdown), and a way to wait until every
//! admitted connection has gone. The blocking server styles' connection
//! limit and graceful shutdown rest on it, so it is written on the facade
//! and checked by loom: a place released before its connection closes, or
//! a shutdown that returns while a connection is still being served, is
//! exactly the bug it exists to prevent.
//!
//! A [`Ticket`] is the place: held for the connection's whole life and
//! given back when dropped. Admitting blocks while the limit is reached.

use crate::sync::{Arc, Condvar, Mutex, lock, wait};

pub struct Admission {
    limit: usize,
    state: Mutex<State>,
    /// Signalled when a place frees up, when admission closes, and when
    /// the last ticket goes (one condvar: waits are rare and short).
    changed: Condvar,
}

struct State {
    admitted: usize,
    closed: bool,
}

/// One admitted connection's place; dropping it frees the place.
pub struct Ticket {
    admission: Arc<Admission>,
}

impl Admission {
    pub fn new(limit: usize) -> Arc<Admission> {
        Arc::new(Admission {
            limit: limit.max(1),
            state: Mutex::new(State {
                admitted: 0,
                closed: false,
            }),
            changed: Condvar::new(),
        })
    }

    /// Waits for a free place; `None` once admission is closed.
    /// (An associated function, not a method: loom's `Arc` cannot be a
    /// method receiver.)
    pub fn admit(admission: &Arc<Admission>) -> Option<Ticket> {
        let mut state = lock(&admission.state);
        while state.admitted >= admission.limit && !state.closed {
            state = wait(&admission.changed, state);
        }
        Self::take_place(admission, &mut state)
    }

    /// A place if one is free now (for an event loop, which must not block).
    pub fn try_admit(admission: &Arc<Admission>) -> Option<Ticket> {
        let mut state = lock(&admission.state);
        if state.admitted >= admission.limit {
            return None;
        }
        Self::take_place(admission, &mut state)
    }

    fn take_place(admission: &Arc<Admission>, state: &mut State) -> Option<Ticket> {
        if state.closed {
            return None;
        }
        state.admitted += 1;
        Some(Ticket {
            admission: Arc::clone(admission),
        })
    }

    /// Stops admitting: waiting and later calls to `admit` return `None`.
    pub fn close(&self) {
        lock(&self.state).closed = true;
        self.changed.notify_all();
    }

    /// Waits until every ticket has been dropped.
    pub fn wait_empty(&self) {
        let mut state = lock(&self.state);
        while state.admitted > 0 {
            state = wait(&self.changed, state);
        }
    }

    /// Connections admitted now.
    pub fn admitted(&self) -> usize {
        lock(&self.state).admitted
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        lock(&self.admission.state).admitted -= 1;
        // Both a blocked `admit` and `wait_empty` may be waiting.
        self.admission.changed.notify_all();
    }
}

#[cfg(all(test, not(any(workbench_loom, workbench_shuttle))))]
mod tests {
    use super::*;
    use crate::primitives::test_support::within;
    use std::time::Duration;

    /// Closing at the limit, with every place taken and the acceptor
    /// waiting for one: the acceptor is released with `None`, nothing more
    /// is admitted, and `wait_empty` waits for the connections still open.
    #[test]
    fn closing_at_the_limit_releases_the_waiting_acceptor() {
        let admission = Admission::new(2);
        let tickets = [Admission::admit(&admission), Admission::admit(&admission)];
        assert!(tickets.iter().all(Option::is_some));
        assert_eq!(admission.admitted(), 2);
        assert!(Admission::try_admit(&admission).is_none(), "over the limit");
        let acceptor = {
            let admission = Arc::clone(&admission);
            std::thread::spawn(move || Admission::admit(&admission).is_some())
        };
        std::thread::sleep(Duration::from_millis(50));
        admission.close();
        assert!(
            !within("the acceptor's release", move || acceptor.join().unwrap()),
            "admitted after the close"
        );
        assert!(Admission::admit(&admission).is_none());
        assert!(Admission::try_admit(&admission).is_none());
        // The two connections close on other threads while shutdown waits.
        let closer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            drop(tickets);
        });
        let waited = Arc::clone(&admission);
        within("wait_empty", move || waited.wait_empty());
        assert_eq!(admission.admitted(), 0);
        closer.join().unwrap();
    }
}
