//! The inbox workload runs on the latency harness, which writes its own
//! report; its cells are described in `benches/benches/inbox.rs`.

use crate::report::workload::{Source, Workload};
use crate::torn_style_names;

/// What the owner spends on each message: a CPU-busy wait, so the owner's
/// capacity is about `1 / SERVICE`.
pub const SERVICE: std::time::Duration = std::time::Duration::from_micros(10);

/// Offered loads, as fractions of the owner's capacity: one it keeps up
/// with, and one twice what it can do.
pub const LOADS: [f64; 2] = [0.5, 2.0];

/// Producers, each on its own schedule.
pub const PRODUCERS: usize = 4;

pub fn workload() -> Workload {
    Workload {
        name: "inbox",
        source: Source::Harness,
        flagged: super::flag(patterns::for_each_inbox!(torn_style_names), ""),
        about: "The owner task runs on a tokio runtime of its own (one worker), the producers on another (one worker), so that a busy owner never delays a producer's schedule and the two share nothing but the channel.",
        typical_seconds: 12,
    }
}
