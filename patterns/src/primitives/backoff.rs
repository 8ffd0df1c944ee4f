//! Waiting a little before sleeping: the bounded spin that crossbeam's
//! channels and parking_lot's locks do before they park a thread, written
//! for the facade's queue.
//!
//! Why spin at all: parking on a condition variable costs a futex system
//! call to sleep and another to be woken, and the wake-up itself (the
//! scheduler putting the thread back on a core) takes microseconds. When
//! the answer comes a few hundred nanoseconds later, as an actor's reply
//! does, spinning for it is ten times faster than sleeping through it.
//! What it costs: a waiting thread burns its core for up to a few
//! microseconds, and when threads outnumber cores the spinner may be
//! holding the very core the thread it waits for needs. So the spin is
//! short and grows (`2^step` pause instructions), then turns into
//! `yield_now` (which hands the core to a runnable thread, if any), and
//! only then gives up: the caller parks as it would have without it.
//! The limits are crossbeam's (`crossbeam_utils::Backoff`).
//!
//! Under loom the spin is off: a spin loop is a loop of atomic loads that
//! loom would explore interleaving by interleaving, and the models check
//! the parking path, which is where a lost wake-up would hide. Under
//! shuttle it stays on: shuttle samples schedules instead of enumerating
//! them, so the spin costs it steps, not an explosion, and the paths where
//! an answer arrives mid-spin are checked too.

/// Up to `2^SPIN_LIMIT` pause instructions per step while spinning.
const SPIN_LIMIT: u32 = 6;
/// After the spin steps, yields until this step; then the caller parks.
const YIELD_LIMIT: u32 = 10;

/// One wait's backoff: make it where the wait starts, call
/// [`Backoff::snooze`] after each failed check.
#[derive(Default)]
pub struct Backoff {
    step: u32,
}

impl Backoff {
    pub fn new() -> Self {
        Backoff { step: 0 }
    }

    // ANCHOR: snooze
    /// Waits a little (longer at each call) and returns `true`, or returns
    /// `false` at once when the caller has spun and yielded long enough and
    /// should park instead.
    #[inline]
    pub fn snooze(&mut self) -> bool {
        if cfg!(workbench_loom) || self.step > YIELD_LIMIT {
            return false;
        }
        if self.step <= SPIN_LIMIT {
            for _ in 0..1u32 << self.step {
                std::hint::spin_loop();
            }
        } else {
            crate::sync::yield_now();
        }
        self.step += 1;
        true
    }
    // ANCHOR_END: snooze
}

#[cfg(all(test, not(workbench_loom)))]
mod tests {
    use super::*;

    #[test]
    fn gives_up_after_the_spin_and_yield_steps() {
        let mut backoff = Backoff::new();
        let waits = std::iter::from_fn(|| backoff.snooze().then_some(())).count();
        assert_eq!(waits as u32, YIELD_LIMIT + 1);
        assert!(!backoff.snooze(), "stays given up");
    }
}
