//! A gate that counts the work let through it, for shutting down runners
//! whose jobs run on threads they do not own (a thread per job, a
//! runtime's blocking pool): `enter` admits a job unless the gate is
//! closed, and `close_and_wait` closes it and waits until every admitted
//! job has dropped its pass. No job is admitted after the close, and none
//! admitted before it is forgotten.

use crate::sync::{Arc, Condvar, Mutex, lock, wait};

pub struct Gate {
    state: Mutex<State>,
    drained: Condvar,
}

struct State {
    closed: bool,
    in_flight: usize,
}

/// Held by an admitted job until it has finished and answered.
pub struct Pass {
    gate: Arc<Gate>,
}

impl Gate {
    pub fn new() -> Arc<Gate> {
        Arc::new(Gate {
            state: Mutex::new(State {
                closed: false,
                in_flight: 0,
            }),
            drained: Condvar::new(),
        })
    }

    /// A pass for one job, or `None` once the gate is closed. (An
    /// associated function, not a method on `&Arc<Self>`: loom's `Arc`
    /// cannot be a method receiver.)
    pub fn enter(gate: &Arc<Gate>) -> Option<Pass> {
        let mut state = lock(&gate.state);
        if state.closed {
            return None;
        }
        state.in_flight += 1;
        Some(Pass {
            gate: Arc::clone(gate),
        })
    }

    /// Closes the gate and waits until every pass has been dropped.
    pub fn close_and_wait(&self) {
        let mut state = lock(&self.state);
        state.closed = true;
        while state.in_flight > 0 {
            state = wait(&self.drained, state);
        }
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        let mut state = lock(&self.gate.state);
        state.in_flight -= 1;
        if state.in_flight == 0 && state.closed {
            self.gate.drained.notify_all();
        }
    }
}
