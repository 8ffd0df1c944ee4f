//! The jobs workload runs on the latency harness, which writes its own
//! report; its cells are described in `benches/benches/jobs.rs`.

use crate::report::workload::{Source, Workload};
use crate::torn_style_names;

pub fn workload() -> Workload {
    Workload {
        name: "jobs",
        source: Source::Harness,
        flagged: super::flag(patterns::for_each_runner!(torn_style_names), ""),
        about: "",
        typical_seconds: 180,
    }
}
