//! How the registries walk their styles, and the table of every style.
//!
//! Each workload's registry (`for_each_counter!`, `for_each_bank!`, ...) is
//! one line per style: its tier, its name and its type. A consumer passes a
//! callback macro, and the registry calls it once per style:
//!
//! ```text
//! callback! { facade atomic: patterns::counter::atomic::AtomicCounter }
//! callback! { broken racy: patterns::counter::racy::RacyCounter }
//! ```
//!
//! or, given arguments in brackets (`for_each_counter!(callback [cell,
//! drivers])`), with those first: `callback! { [cell, drivers] facade
//! atomic: ... }`.
//! Arguments are how a callback defined at module level reaches the
//! caller's local variables, which macro hygiene hides from it.
//!
//! The callback matches on the tier token. A callback with no arm for a
//! tier fails to compile as soon as the registry holds a style of that
//! tier ("no rules expected the token `torn`"), so a consumer cannot drop
//! a tier by forgetting it: skipping one is an arm it writes, with a
//! reason beside it. The tiers:
//!
//! - `facade`: written on `crate::sync`, so loom checks them;
//! - `library`: built on tokio, async-std, smol, crossbeam, parking_lot,
//!   dashmap, monoio or glommio; loom cannot see inside them; shuttle
//!   hosts those its own primitives replace, stress tests cover them all;
//! - `torn`: fast but breaking part of the contract (the bank's `atomic`);
//!   measured and flagged;
//! - `broken`: kept to prove the checkers catch their bug; never measured.

/// Expands a registry's list into one callback call per style (see the
/// module's documentation). `args` is `[]` for none, or `[[...]]`.
#[doc(hidden)]
#[macro_export]
macro_rules! walk_registry {
    ($callback:ident []; $($tier:ident $name:ident: $ty:ty,)*) => {
        $($callback! { $tier $name: $ty })*
    };
    ($callback:ident [$args:tt]; $($tier:ident $name:ident: $ty:ty,)*) => {
        $($callback! { $args $tier $name: $ty })*
    };
}

/// A registry tier (see the module's documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    Facade,
    Library,
    Torn,
    Broken,
}

impl Tier {
    pub fn name(self) -> &'static str {
        match self {
            Tier::Facade => "facade",
            Tier::Library => "library",
            Tier::Torn => "torn",
            Tier::Broken => "broken",
        }
    }

    /// Whether benches measure styles of this tier (a broken style's
    /// speed is the speed of a wrong answer).
    pub fn is_measured(self) -> bool {
        self != Tier::Broken
    }
}

/// One style, as the registry names it.
#[derive(Clone, Copy, Debug)]
pub struct StyleInfo {
    /// The workload's folder under `patterns/src/` (`counter`, `kv`, ...).
    pub workload: &'static str,
    /// The registry name, which is also the style's `STYLE` and module.
    pub name: &'static str,
    pub tier: Tier,
    /// The style's file, from the repository's root.
    pub file: &'static str,
    /// The file's text, for its header.
    source: &'static str,
}

impl StyleInfo {
    /// The first sentence of the file's header, without the bold name
    /// that opens it (`**atomic**: the total is one AtomicU64; ...`).
    pub fn summary(&self) -> String {
        let paragraph: Vec<&str> = self
            .source
            .lines()
            .skip_while(|l| !l.starts_with("//!"))
            .take_while(|l| l.starts_with("//!") && l.trim_end() != "//!")
            .map(|l| l.trim_start_matches("//!").trim())
            .collect();
        let text = paragraph.join(" ");
        // `**name**: ...` or `**name** (broken): ...`
        let text = text
            .strip_prefix("**")
            .and_then(|t| t.split_once("**"))
            .and_then(|(_, rest)| rest.split_once(": "))
            .filter(|(between, _)| between.is_empty() || between.starts_with(" ("))
            .map_or(text.as_str(), |(_, rest)| rest);
        let end = text.find(". ").map_or(text.len(), |i| i + 1);
        text[..end].to_string()
    }
}

/// A registry callback building [`StyleInfo`]s into the vector named by
/// its first argument, for the workload named by its second.
macro_rules! style_info {
    ([$styles:ident, $workload:literal] $tier:ident $name:ident: $ty:ty) => {
        $styles.push(StyleInfo {
            workload: $workload,
            name: stringify!($name),
            tier: style_info!(@tier $tier),
            file: concat!("patterns/src/", $workload, "/", stringify!($name), ".rs"),
            source: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/src/",
                $workload,
                "/",
                stringify!($name),
                ".rs"
            )),
        });
    };
    (@tier facade) => { Tier::Facade };
    (@tier library) => { Tier::Library };
    (@tier torn) => { Tier::Torn };
    (@tier broken) => { Tier::Broken };
}

/// Every style of every workload this build has (a loom build has no
/// server, context or inbox), in registry order.
// Built by pushes: a registry expands to statements, not to a list.
#[allow(clippy::vec_init_then_push)]
pub fn styles() -> Vec<StyleInfo> {
    let mut styles = Vec::new();
    crate::for_each_counter!(style_info [styles, "counter"]);
    crate::for_each_bank!(style_info [styles, "bank"]);
    crate::for_each_store!(style_info [styles, "kv"]);
    crate::for_each_route_table!(style_info [styles, "routes"]);
    crate::for_each_runner!(style_info [styles, "jobs"]);
    #[cfg(not(workbench_loom))]
    {
        crate::for_each_server!(style_info [styles, "server"]);
        crate::for_each_context!(style_info [styles, "context"]);
        crate::for_each_inbox!(style_info [styles, "inbox"]);
    }
    styles
}

/// The styles of one workload (by its folder name).
pub fn styles_of(workload: &str) -> Vec<StyleInfo> {
    styles()
        .into_iter()
        .filter(|s| s.workload == workload)
        .collect()
}

/// The styles of one workload that benches measure (every tier but
/// `broken`).
pub fn measured(workload: &str) -> Vec<StyleInfo> {
    styles_of(workload)
        .into_iter()
        .filter(|s| s.tier.is_measured())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_style_has_a_file_and_a_summary() {
        let styles = styles();
        assert!(styles.len() > 50, "only {} styles", styles.len());
        for style in &styles {
            let summary = style.summary();
            assert!(
                summary.len() > 10 && !summary.starts_with("**"),
                "{}/{}: summary {summary:?}",
                style.workload,
                style.name
            );
        }
    }

    #[test]
    fn the_bold_name_and_tier_are_not_the_summary() {
        let style = StyleInfo {
            workload: "w",
            name: "n",
            tier: Tier::Broken,
            file: "f",
            source: "//! **n** (broken): takes two locks. Then more.\n//! More.\n//!\n//! Next.",
        };
        assert_eq!(style.summary(), "takes two locks.");
    }
}
