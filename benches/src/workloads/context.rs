//! The context workload runs on the latency harness, which writes its own
//! report; its cells are described in `benches/benches/context.rs`.

use crate::report::workload::{Source, Workload};
use crate::torn_style_names;

pub fn workload() -> Workload {
    Workload {
        name: "context",
        source: Source::Harness,
        flagged: super::flag(patterns::for_each_context!(torn_style_names), ""),
        about: "tokio multi-thread runtime, one worker per core. The broken styles (global, thread_local) are not measured.",
        typical_seconds: 15,
    }
}
