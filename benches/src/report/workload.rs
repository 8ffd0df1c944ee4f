//! What the report needs to know about a workload: its scenarios and how
//! to read them. Each workload's description lives in
//! `benches/src/workloads/`, beside the scenario parameters its bench
//! uses, so the bench and the report cannot disagree on a name.

use super::environment::Environment;

/// A scenario as the report shows it.
pub struct ScenarioInfo {
    /// The scenario's (and its charts' file) name, e.g. `bank-64-audit`.
    pub name: String,
    /// What clients do in it, as a sentence fragment.
    pub about: String,
}

/// A bench's scenario type: its name and description, from its parameters.
pub trait Scenario {
    fn name(&self) -> String;
    fn about(&self) -> String;

    fn info(&self) -> ScenarioInfo {
        ScenarioInfo {
            name: self.name(),
            about: self.about(),
        }
    }
}

/// Where a workload's results come from.
pub enum Source {
    /// The throughput runner's cells, one scenario at a time, rebuilt
    /// from the samples the bench saved (`benches::runner`).
    Throughput {
        scenarios: Vec<ScenarioInfo>,
        /// `(style, baseline row)`: every row of the style (under any
        /// driver) also shows its throughput as a fraction of the
        /// baseline's, measured in the same run; the row on the baseline's
        /// own driver is held to the bar ([`render::BAR`](super::render::BAR)).
        baselines: &'static [(&'static str, &'static str)],
    },
    /// Typed rows (`benches::results`) the bench saved as `<name>.csv`,
    /// with what the rows do not say (a window, the placement) in the
    /// environment's [`Parameters`](super::environment::Parameters). The
    /// bench and a later rebuild both make the report with `render`, so
    /// they cannot differ.
    Rows { render: RenderRows },
}

/// Makes a workload's report from the text of its rows file and the
/// run's saved environment; an error says what is missing or unreadable.
pub type RenderRows = fn(&Workload, &str, &Environment) -> Result<Rendered, String>;

/// A report made from rows: Markdown (closed with the book's anchor), the
/// rows as CSV again, and charts as `(file stem, SVG)`.
pub struct Rendered {
    pub md: String,
    pub csv: String,
    pub charts: Vec<(String, String)>,
}

pub struct Workload {
    pub name: &'static str,
    pub source: Source,
    /// Styles measured although they break part of the contract (the
    /// registry's `torn` list), each with why; their rows are marked ⚠.
    pub flagged: Vec<(&'static str, &'static str)>,
    /// What the reader must know to compare these numbers with others
    /// (empty for nothing).
    pub about: &'static str,
    /// How long its full bench typically measures on the reference machine
    /// (two cores), in seconds: for the progress lines' estimate of the
    /// whole run.
    pub typical_seconds: u32,
}

impl Workload {
    pub fn scenarios(&self) -> &[ScenarioInfo] {
        match &self.source {
            Source::Throughput { scenarios, .. } => scenarios,
            Source::Rows { .. } => &[],
        }
    }

    pub fn baselines(&self) -> &[(&'static str, &'static str)] {
        match &self.source {
            Source::Throughput { baselines, .. } => baselines,
            Source::Rows { .. } => &[],
        }
    }

    /// [`Workload::typical_seconds`], a quarter of it in quick mode.
    pub fn typical(&self) -> std::time::Duration {
        crate::settings::scaled(std::time::Duration::from_secs(u64::from(
            self.typical_seconds,
        )))
    }

    pub fn is_flagged(&self, style: &str) -> bool {
        self.flagged.iter().any(|(s, _)| *s == style)
    }
}
