//! Each style's `STYLE` constant is its registry name: reports, tests, the
//! book and the planted-bug runner find a style by that name, and the two
//! are written by hand in different files.

#![cfg(not(workbench_loom))]

// Every workload's trait in scope, so that `<T>::STYLE` resolves for each.
#[allow(unused_imports)]
use patterns::{
    bank::Bank, context::ContextStyle, counter::Counter, inbox::Inbox, jobs::JobRunner,
    kv::SessionStore, routes::RouteTable, server::Server,
};

/// A registry callback: pushes (registry name, `STYLE`) of a style of any
/// tier onto the vector it is given.
macro_rules! pair {
    ([$pairs:ident] $tier:ident $name:ident: $style:ty) => {
        $pairs.push((stringify!($name), <$style>::STYLE));
    };
}

fn assert_named(workload: &str, pairs: Vec<(&str, &str)>) {
    assert!(!pairs.is_empty(), "{workload}: an empty registry");
    let mismatched: Vec<String> = pairs
        .iter()
        .filter(|(name, style)| name != style)
        .map(|(name, style)| format!("registered as {name}, STYLE {style:?}"))
        .collect();
    assert!(mismatched.is_empty(), "{workload}: {mismatched:?}");
    let mut names: Vec<&str> = pairs.iter().map(|p| p.0).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(
        names.len(),
        pairs.len(),
        "{workload}: a name registered twice"
    );
}

/// Every style of a registry, as (registry name, `STYLE`).
macro_rules! pairs {
    ($registry:ident) => {{
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        patterns::$registry!(pair[pairs]);
        pairs
    }};
}

#[test]
// Built by pushes: a registry expands to statements, not to a list.
#[allow(clippy::vec_init_then_push)]
fn every_style_constant_is_its_registry_name() {
    assert_named("counter", pairs!(for_each_counter));
    assert_named("bank", pairs!(for_each_bank));
    assert_named("kv", pairs!(for_each_store));
    assert_named("routes", pairs!(for_each_route_table));
    assert_named("jobs", pairs!(for_each_runner));
    assert_named("server", pairs!(for_each_server));
    assert_named("context", pairs!(for_each_context));
    assert_named("inbox", pairs!(for_each_inbox));
}
