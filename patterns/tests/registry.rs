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

/// A registry callback: (registry name, `STYLE`) for every entry, in
/// every tier.
macro_rules! pairs {
    (
        facade: [$($f:ident: $ft:ty,)*],
        library: [$($l:ident: $lt:ty,)*],
        torn: [$($t:ident: $tt:ty,)*],
        broken: [$($b:ident: $bt:ty,)*],
    ) => {{
        let pairs: Vec<(&str, &str)> = vec![
            $((stringify!($f), <$ft>::STYLE),)*
            $((stringify!($l), <$lt>::STYLE),)*
            $((stringify!($t), <$tt>::STYLE),)*
            $((stringify!($b), <$bt>::STYLE),)*
        ];
        pairs
    }};
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

#[test]
fn every_style_constant_is_its_registry_name() {
    assert_named("counter", patterns::for_each_counter!(pairs));
    assert_named("bank", patterns::for_each_bank!(pairs));
    assert_named("kv", patterns::for_each_store!(pairs));
    assert_named("routes", patterns::for_each_route_table!(pairs));
    assert_named("jobs", patterns::for_each_runner!(pairs));
    assert_named("server", patterns::for_each_server!(pairs));
    assert_named("context", patterns::for_each_context!(pairs));
    assert_named("inbox", patterns::for_each_inbox!(pairs));
}
