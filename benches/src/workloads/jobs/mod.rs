//! The jobs workload: its description for the report, the cells its bench
//! measures and how ([`measure`]), its rows and the report made from them
//! ([`render`]). The bench target (`benches/benches/jobs.rs`) only runs
//! the executors.

use crate::report::workload::{Source, Workload};

pub mod measure;
pub mod render;

pub fn workload() -> Workload {
    Workload {
        name: "jobs",
        source: Source::Rows {
            render: render::report,
        },
        flagged: super::flag("jobs", ""),
        about: "",
        typical_seconds: 235,
    }
}
