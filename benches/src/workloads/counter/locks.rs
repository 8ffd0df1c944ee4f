//! The counter bench's rows on bare locks that ask one question each of
//! the lock, beside the styles' own baselines (in the bench target):
//!
//! - **batching** (`counter-batch`): the same sixteen additions taken one
//!   lock acquisition each (`<lock>_unbatched`), against the batch under
//!   one acquisition (the scenario's `<lock>` baselines, which the
//!   batching styles are held to);
//! - **critical-section length** (`counter-hold-<n>ns`): an addition
//!   with about `n` ns of busy work, done while holding the lock
//!   (`<lock>_inside`) or before taking it (`<lock>_outside`), so seed
//!   002's "minimize critical sections" has numbers.

use std::sync::Arc;

use patterns::drive::{Stop, Threads, Tokio};
use patterns::{ClientId, Helpers};

use super::BATCH;
use crate::busy;
use crate::ops_until;
use crate::runner::Cell;

/// A blocking lock around the total, as the counter's lock styles hold it.
trait Lock: Send + Sync + 'static {
    fn new() -> Self;
    fn with(&self, update: impl FnOnce(&mut u64));
}

impl Lock for std::sync::Mutex<u64> {
    fn new() -> Self {
        std::sync::Mutex::new(0)
    }

    #[inline]
    fn with(&self, update: impl FnOnce(&mut u64)) {
        update(&mut self.lock().unwrap());
    }
}

impl Lock for parking_lot::Mutex<u64> {
    fn new() -> Self {
        parking_lot::Mutex::new(0)
    }

    #[inline]
    fn with(&self, update: impl FnOnce(&mut u64)) {
        update(&mut self.lock());
    }
}

/// Where a hold row does its busy work.
#[derive(Clone, Copy, PartialEq)]
enum Work {
    Inside,
    Outside,
}

/// A row of OS-thread clients on one blocking lock: each operation does
/// `steps` of busy work (inside or outside the lock) and `adds`
/// additions, each under its own acquisition unless `one_acquisition`.
fn lock_row<'a, L: Lock>(cell: &mut Cell<'a>, threads: &'a Threads, name: &str, op: LockOp) {
    cell.baseline(threads, name, Helpers::None, move |_| {
        let total = Arc::new(L::new());
        let client = move |_: ClientId, stop: Stop| {
            let total = Arc::clone(&total);
            async move {
                let mut chain = 0;
                ops_until!(Threads, stop, |_op| {
                    chain = op.run_blocking(&*total, chain);
                })
            }
        };
        (client, ())
    });
}

/// What one operation of a lock row does.
#[derive(Clone, Copy)]
struct LockOp {
    /// Busy-work steps per operation, and where they run.
    steps: u32,
    work: Work,
    /// Additions per operation, and whether they share one acquisition.
    adds: usize,
    one_acquisition: bool,
}

impl LockOp {
    /// One operation; `chain` carries the busy work's value from one
    /// operation to the next (see [`busy::spin`]).
    #[inline]
    fn run_blocking<L: Lock>(self, lock: &L, mut chain: u64) -> u64 {
        if self.work == Work::Outside {
            chain = busy::spin(self.steps, chain);
        }
        let acquisitions = if self.one_acquisition { 1 } else { self.adds };
        for _ in 0..acquisitions {
            lock.with(|total| {
                // (No call at all for no work: the unbatched rows' sections
                // stay the styles' own.)
                if self.work == Work::Inside && self.steps > 0 {
                    chain = busy::spin(self.steps, chain);
                }
                for _ in 0..self.adds / acquisitions {
                    *total += 1;
                }
            });
        }
        chain
    }
}

/// The same row on tokio's mutex, whose waiters are tasks.
fn tokio_lock_row<'a>(cell: &mut Cell<'a>, tokio_driver: &'a Tokio, name: &str, op: LockOp) {
    cell.baseline(tokio_driver, name, Helpers::None, move |_| {
        let total = Arc::new(tokio::sync::Mutex::new(0u64));
        let client = move |_: ClientId, stop: Stop| {
            let total = Arc::clone(&total);
            async move {
                let mut chain = 0;
                ops_until!(Tokio, stop, |_op| {
                    if op.work == Work::Outside {
                        chain = busy::spin(op.steps, chain);
                    }
                    let acquisitions = if op.one_acquisition { 1 } else { op.adds };
                    let per_acquisition = op.adds / acquisitions;
                    for _ in 0..acquisitions {
                        let mut total = total.lock().await;
                        if op.work == Work::Inside && op.steps > 0 {
                            chain = busy::spin(op.steps, chain);
                        }
                        for _ in 0..per_acquisition {
                            *total += 1;
                        }
                    }
                })
            }
        };
        (client, ())
    });
}

/// `counter-batch`'s reference rows: the batch's additions taken one lock
/// acquisition each, on std's, parking_lot's and tokio's mutex.
pub fn unbatched_rows<'a>(
    cell: &mut Cell<'a>,
    threads: Option<&'a Threads>,
    tokio: Option<&'a Tokio>,
) {
    let op = LockOp {
        steps: 0,
        work: Work::Inside,
        adds: BATCH,
        one_acquisition: false,
    };
    if let Some(threads) = threads {
        lock_row::<std::sync::Mutex<u64>>(cell, threads, "std_mutex_unbatched", op);
        lock_row::<parking_lot::Mutex<u64>>(cell, threads, "parking_lot_mutex_unbatched", op);
    }
    if let Some(tokio) = tokio {
        tokio_lock_row(cell, tokio, "tokio_mutex_unbatched", op);
    }
}

/// `counter-hold-<nanos>ns`: one addition per operation with about
/// `nanos` of busy work inside the lock and, when there is any, outside
/// it, on std's, parking_lot's and tokio's mutex.
pub fn hold_rows<'a>(
    cell: &mut Cell<'a>,
    threads: Option<&'a Threads>,
    tokio: Option<&'a Tokio>,
    nanos: u32,
) {
    let steps = busy::steps_for(nanos);
    let placements: &[(Work, &str)] = if nanos == 0 {
        &[(Work::Inside, "")]
    } else {
        &[(Work::Inside, "_inside"), (Work::Outside, "_outside")]
    };
    for &(work, suffix) in placements {
        let op = LockOp {
            steps,
            work,
            adds: 1,
            one_acquisition: true,
        };
        if let Some(threads) = threads {
            lock_row::<std::sync::Mutex<u64>>(cell, threads, &format!("std_mutex{suffix}"), op);
            lock_row::<parking_lot::Mutex<u64>>(
                cell,
                threads,
                &format!("parking_lot_mutex{suffix}"),
                op,
            );
        }
        if let Some(tokio) = tokio {
            tokio_lock_row(cell, tokio, &format!("tokio_mutex{suffix}"), op);
        }
    }
}
