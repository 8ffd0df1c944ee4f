//! The jobs workload: its description for the report, the cells its bench
//! measures and how ([`measure`]), and the report's tables and rows
//! ([`render`]). The bench target (`benches/benches/jobs.rs`) only runs
//! the executors.

use crate::report::workload::{Source, Workload};

pub mod measure;
pub mod render;

pub fn workload() -> Workload {
    Workload {
        name: "jobs",
        source: Source::Harness,
        flagged: super::flag("jobs", ""),
        about: "",
        typical_seconds: 235,
    }
}
