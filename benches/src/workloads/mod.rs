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

/// The names of a registry's `torn` styles, for `patterns::for_each_*!`:
/// `patterns::for_each_bank!(torn_style_names)` is `&["atomic"]`.
#[macro_export]
macro_rules! torn_style_names {
    (
        facade: [$($f:ident: $ft:ty,)*],
        library: [$($l:ident: $lt:ty,)*],
        torn: [$($t:ident: $tt:ty,)*],
        broken: [$($b:ident: $bt:ty,)*],
    ) => {
        &[$(stringify!($t)),*]
    };
}

/// Every torn style of a registry, flagged with the workload's reason.
pub fn flag(torn: &[&'static str], why: &'static str) -> Vec<(&'static str, &'static str)> {
    torn.iter().map(|style| (*style, why)).collect()
}
