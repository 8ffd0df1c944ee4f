//! Busy work of a chosen length: what a critical section does besides its
//! update, in the counter's hold-time sweep.
//!
//! The work is a chain of dependent multiply-adds: each step needs the one
//! before, so the CPU cannot overlap them, and the result goes through
//! `black_box`, so the compiler cannot fold them. Its length is counted in
//! steps, calibrated once per process against the clock, so that a
//! thread preempted in the middle of it does not finish early (a loop
//! that watched the clock would count the time it lost as work done).

use std::hint::black_box;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// One step of the chain (a 64-bit LCG: a multiply, then an add).
#[inline(always)]
fn step(x: u64) -> u64 {
    x.wrapping_mul(0x5851_F42D_4C95_7F2D)
        .wrapping_add(0x1405_7B7E_F767_814F)
}

/// Runs `steps` steps of the chain from `from`; returns its end. A caller
/// that repeats the work passes each end in as the next start: otherwise
/// the CPU overlaps one short chain with the next (a hundred-nanosecond
/// chain fits in its reorder window), and the work takes less time than
/// it was calibrated to.
#[inline(always)]
pub fn spin(steps: u32, from: u64) -> u64 {
    let mut x = from;
    for _ in 0..steps {
        x = step(x);
    }
    black_box(x)
}

/// Nanoseconds one step takes on this machine: the fastest of several
/// timed runs of a million steps (the fastest, because interruptions only
/// ever add time).
pub fn nanos_per_step() -> f64 {
    static CALIBRATED: OnceLock<f64> = OnceLock::new();
    *CALIBRATED.get_or_init(|| {
        const STEPS: u32 = 1 << 20;
        let mut x = spin(STEPS, black_box(1)); // warms the core's clock up
        (0..7)
            .map(|_| {
                let started = Instant::now();
                x = spin(STEPS, x);
                started.elapsed()
            })
            .min()
            .unwrap_or(Duration::from_millis(1))
            .as_nanos() as f64
            / f64::from(STEPS)
    })
}

/// Steps that take about `nanos` (0 for 0).
pub fn steps_for(nanos: u32) -> u32 {
    (f64::from(nanos) / nanos_per_step()).round() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_scale_with_the_length_asked_for() {
        assert_eq!(steps_for(0), 0);
        let (short, long) = (steps_for(100), steps_for(1_000));
        assert!(short >= 1, "100 ns is at least one step");
        // Rounding aside, ten times the length is ten times the steps.
        assert!(long.abs_diff(short * 10) <= 10, "{short} and {long} steps");
    }
}
