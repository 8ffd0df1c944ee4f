//! One description per workload, shared by its bench and by the report:
//! the scenarios with their parameters (the bench measures them, the report
//! names and explains them from the same values), the baselines, and the
//! styles flagged because the registry lists them as `torn`.

pub mod bank;
pub mod context;
pub mod counter;
pub mod inbox;
pub mod jobs;
pub mod kv;
pub mod routes;
pub mod runtime;
pub mod server;

use crate::report::Workload;

/// Every workload, in the order `cargo bench` runs them.
pub fn all() -> Vec<Workload> {
    vec![
        counter::workload(),
        bank::workload(),
        kv::workload(),
        routes::workload(),
        jobs::workload(),
        inbox::workload(),
        server::workload(),
        runtime::workload(),
        context::workload(),
    ]
}

/// Every torn style of a workload's registry, flagged with the workload's
/// reason.
pub fn flag(workload: &str, why: &'static str) -> Vec<(&'static str, &'static str)> {
    patterns::registry::styles_of(workload)
        .into_iter()
        .filter(|style| style.tier == patterns::registry::Tier::Torn)
        .map(|style| (style.name, why))
        .collect()
}
