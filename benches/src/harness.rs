//! The latency harness: for workloads whose cells need more than the
//! throughput runner's figures (throughput *and* latency percentiles *and* a
//! side measurement from the same run, such as a heartbeat's lateness, or
//! memory). Jobs runs on it, and every latency-oriented workload after it.
//!
//! It keeps the throughput benches' conventions, so a user meets one tool:
//! the same `WORKBENCH_*` settings and quick mode ([`crate::settings`]),
//! the same name filter (`cargo bench -- pool`), `--test` as a smoke run
//! that measures every cell briefly and writes nothing, and at the end the
//! same report files (`<workload>.md`, `.csv`, `.environment.json`) that
//! the report binary copies into the book with `--book`. A bench saves
//! its rows and parameters; the report is made from them
//! ([`Source::Rows`]), right after the run or rebuilt later alike.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::progress::Progress;
use crate::report::environment::{Environment, Parameters};
use crate::report::{self, ReportError, Source, Workload, time};
use crate::settings;

/// One harness run: what to measure and for how long.
pub struct Harness {
    /// `--test`: every cell once, briefly; nothing written.
    pub smoke: bool,
    pub filter: Option<String>,
    started: Instant,
    cells: usize,
    /// The cells [`Harness::plan`] announced, and the cells the bench then
    /// asked about ([`Harness::wants`]): a smoke run fails if they differ.
    planned: Option<usize>,
    asked: usize,
    progress: Option<Progress>,
}

impl Harness {
    /// The run's settings from the command line and the environment;
    /// `None` for `--list` (cargo's listing: nothing to list here).
    pub fn from_args() -> Option<Harness> {
        let args: Vec<String> = std::env::args().collect();
        if args.iter().any(|a| a == "--list") {
            return None;
        }
        Some(Harness {
            smoke: args.iter().any(|a| a == "--test"),
            filter: settings::name_filter(),
            started: Instant::now(),
            cells: 0,
            planned: None,
            asked: 0,
            progress: None,
        })
    }

    /// Announces `total` cells of about `per_cell` each, for the progress
    /// lines (not in a smoke run). The total is counted by the bench from
    /// the same lists its loops walk; [`Harness::finish`] holds it to the
    /// cells the loops then asked about.
    pub fn plan(&mut self, workload: &Workload, total: usize, per_cell: Duration) {
        self.planned = Some(total);
        if !self.smoke {
            self.progress = Some(Progress::start(workload, total, per_cell));
        }
    }

    /// Whether the cell called `name` is measured in this run (and counts
    /// it if so).
    pub fn wants(&mut self, name: &str) -> bool {
        let wanted = self
            .filter
            .as_ref()
            .is_none_or(|f| name.contains(f.as_str()));
        self.cells += usize::from(wanted);
        self.asked += 1;
        if let Some(progress) = &self.progress {
            progress.tick();
        }
        wanted
    }

    /// Passes over `cells` planned cells that this run leaves out (a smoke
    /// run measures a sample of some workloads' cells; cells that depend on
    /// one the filter left out): counted as asked about, not as measured.
    pub fn passes(&mut self, cells: usize) {
        self.asked += cells;
    }

    /// How long to measure a cell whose full measurement is `full`: a few
    /// milliseconds in a smoke run, a quarter in quick mode.
    pub fn duration(&self, full: Duration) -> Duration {
        if self.smoke {
            Duration::from_millis(5).min(full)
        } else {
            settings::scaled(full)
        }
    }

    /// Ends the run: saves `rows` (the workload's rows as CSV) and the
    /// environment with the run's `parameters`, then makes and prints the
    /// report from them, as `report` rebuilds it later. A smoke run makes
    /// it in memory only (so the path is exercised) and writes nothing; so
    /// does a run whose filter matched nothing (the last report stays).
    pub fn finish(self, workload: &Workload, rows: String, parameters: Parameters) {
        eprintln!(
            "{}: {} cells in {:.0?}",
            workload.name,
            self.cells,
            self.started.elapsed()
        );
        if let Some(progress) = &self.progress {
            progress.finish();
        }
        if let Some(planned) = self.planned
            && planned != self.asked
        {
            // A count written beside the loops has drifted from them: the
            // progress lines were wrong, and a smoke run (CI's) says so.
            let problem = format!(
                "{}: the plan announced {planned} cells, the bench's loops asked about {}",
                workload.name, self.asked
            );
            if self.smoke {
                exit_with(&problem);
            }
            eprintln!("warning: {problem}");
        }
        let mut environment = Environment::detect(&report::workspace_root());
        environment.run = parameters;
        if self.smoke {
            if let (Source::Rows { render }, false) = (&workload.source, rows.is_empty())
                && let Err(e) = render(workload, &rows, &environment)
            {
                exit_with(&e);
            }
            return;
        }
        if self.cells == 0 || rows.is_empty() {
            // A filter meant for another bench (`cargo bench -- atomic`
            // reaches every bench binary): nothing measured, nothing written.
            eprintln!(
                "no {} cell matches {:?}",
                workload.name,
                self.filter.unwrap_or_default()
            );
            return;
        }
        let out = report::default_out_dir();
        let path = out.join(format!("{}.csv", workload.name));
        let saved = std::fs::create_dir_all(&out)
            .and_then(|()| std::fs::write(&path, rows))
            .map_err(|e| ReportError::write(&path, e))
            .and_then(|()| report::save_environment(workload.name, &out, &environment));
        if let Err(e) = saved {
            exit_with(&e.to_string());
        }
        report::after_bench(workload);
    }
}

fn exit_with(message: &str) -> ! {
    eprintln!("error: report not written: {message}");
    std::process::exit(1);
}

/// A latency histogram: 1 ns to 100 s at 2 significant digits (1% error),
/// a few tens of KiB.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 100_000_000_000, 2).expect("valid bounds")
}

/// A duration in whole nanoseconds for a histogram (at least 1, its floor).
pub fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1)
}

/// `p50`, `p99`, `p99.9` and `max` of a histogram as short human figures.
pub fn percentiles(h: &Histogram<u64>) -> [String; 4] {
    [
        time(h.value_at_quantile(0.5)),
        time(h.value_at_quantile(0.99)),
        time(h.value_at_quantile(0.999)),
        time(h.max()),
    ]
}
