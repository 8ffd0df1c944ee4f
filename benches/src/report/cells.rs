//! A throughput workload's cells, summed up from the samples its bench
//! saved (`<workload>.samples.csv`, one [`SampleRow`] per row, cell and
//! interleaved round): per cell the median of each figure over its rounds,
//! the range, and the paired ratio to a baseline with its interval.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::ReportError;
use super::stats::{self, Interval, median};
use crate::results::{self, SampleRow};

/// What one round of one cell did and cost, per operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Round {
    /// The run and the pass within it: a style's round pairs with its
    /// baseline's of the same run and pass.
    pub run: u64,
    pub round: usize,
    pub ops_per_sec: f64,
    pub cpu_ns_per_op: f64,
    pub voluntary_switches_per_op: f64,
    pub involuntary_switches_per_op: f64,
    pub allocations_per_op: f64,
    pub allocated_bytes_per_op: f64,
    pub slowest_client_share: f64,
    pub jain: f64,
    /// Steal time, and the CPU time the VM's CPUs had over the round.
    pub steal_ns: f64,
    pub cpu_time_available_ns: f64,
}

impl Round {
    /// `None` for a round without a single operation or time: nothing to
    /// rate (the report refuses such a file rather than divide by zero).
    pub fn of(sample: &SampleRow) -> Option<Round> {
        if sample.ops == 0 || sample.span_ns == 0 || sample.clients == 0 {
            return None;
        }
        let ops = sample.ops as f64;
        let per_op = |x: u64| x as f64 / ops;
        let even_share = ops / sample.clients as f64;
        Some(Round {
            run: sample.run,
            round: sample.round,
            ops_per_sec: ops * 1e9 / sample.span_ns as f64,
            cpu_ns_per_op: per_op(sample.cpu_ns),
            voluntary_switches_per_op: per_op(sample.voluntary_switches),
            involuntary_switches_per_op: per_op(sample.involuntary_switches),
            allocations_per_op: per_op(sample.allocations),
            allocated_bytes_per_op: per_op(sample.allocated_bytes),
            slowest_client_share: sample.slowest_client_ops as f64 / even_share,
            jain: sample.jain,
            steal_ns: sample.steal_ns as f64,
            cpu_time_available_ns: sample.interval_ns as f64 * sample.steal_cpus.max(1) as f64,
        })
    }
}

/// One cell: a row (`style@driver`, or `baseline_x@driver`) of a scenario
/// with a number of clients, over its rounds.
#[derive(Debug, Clone)]
pub struct Measurement {
    pub group: String,
    /// `style@driver`.
    pub row: String,
    pub clients: usize,
    /// Clients plus what the style keeps busy besides them.
    pub runnable_threads: usize,
    pub cores: usize,
    /// In round order.
    pub rounds: Vec<Round>,
}

impl Measurement {
    /// A cell with one figure and no costs (the server's chart cells).
    pub fn single(group: String, row: String, clients: usize, ops_per_sec: f64) -> Measurement {
        Measurement {
            group,
            row,
            clients,
            runnable_threads: clients,
            cores: 0,
            rounds: vec![Round {
                run: 0,
                round: 0,
                ops_per_sec,
                cpu_ns_per_op: f64::NAN,
                voluntary_switches_per_op: f64::NAN,
                involuntary_switches_per_op: f64::NAN,
                allocations_per_op: f64::NAN,
                allocated_bytes_per_op: f64::NAN,
                slowest_client_share: f64::NAN,
                jain: f64::NAN,
                steal_ns: f64::NAN,
                cpu_time_available_ns: f64::NAN,
            }],
        }
    }

    /// The median over the rounds of one figure.
    pub fn median_of(&self, figure: impl Fn(&Round) -> f64) -> f64 {
        let values: Vec<f64> = self.rounds.iter().map(figure).collect();
        median(&values).unwrap_or(f64::NAN)
    }

    pub fn ops_per_sec(&self) -> f64 {
        self.median_of(|r| r.ops_per_sec)
    }

    pub fn median_ns_per_op(&self) -> f64 {
        1e9 / self.ops_per_sec()
    }

    /// The slowest and fastest round, in operations per second, when
    /// there was more than one.
    pub fn range(&self) -> Option<(f64, f64)> {
        let rates = self.rounds.iter().map(|r| r.ops_per_sec);
        let slowest = rates.clone().reduce(f64::min)?;
        let fastest = rates.reduce(f64::max)?;
        (self.rounds.len() > 1).then_some((slowest, fastest))
    }

    /// The interquartile range of the rounds' throughputs over their
    /// median (from five rounds).
    pub fn spread(&self) -> Option<f64> {
        let rates: Vec<f64> = self.rounds.iter().map(|r| r.ops_per_sec).collect();
        stats::spread(&rates)
    }

    /// The VM's steal time over all rounds as a share of the time its CPUs
    /// had: pooled, since one round's steal is a few clock ticks at most.
    pub fn steal_share(&self) -> f64 {
        let steal: f64 = self.rounds.iter().map(|r| r.steal_ns).sum();
        let had: f64 = self.rounds.iter().map(|r| r.cpu_time_available_ns).sum();
        steal / had
    }

    /// More threads may be runnable than there are cores.
    pub fn oversubscribed(&self) -> bool {
        self.runnable_threads > self.cores
    }

    /// This cell's throughput over `baseline`'s, paired round by round
    /// (the two ran in the same interleaved pass): the median ratio and
    /// its interval (`stats::median_interval`), and how many pairs it
    /// rests on.
    pub fn ratio_to(&self, baseline: &Measurement) -> Option<(Interval, usize)> {
        let theirs: BTreeMap<(u64, usize), f64> = baseline
            .rounds
            .iter()
            .map(|r| ((r.run, r.round), r.ops_per_sec))
            .collect();
        let ratios: Vec<f64> = self
            .rounds
            .iter()
            .filter_map(|r| Some(r.ops_per_sec / theirs.get(&(r.run, r.round))?))
            .collect();
        Some((stats::median_interval(&ratios)?, ratios.len()))
    }
}

/// Where a workload's samples are saved.
pub fn samples_path(dir: &Path, workload: &str) -> PathBuf {
    dir.join(format!("{workload}.samples.csv"))
}

/// Every cell of the scenarios `groups` in `<dir>/<workload>.samples.csv`.
pub fn load(
    dir: &Path,
    workload: &str,
    groups: &BTreeSet<&str>,
) -> Result<Vec<Measurement>, ReportError> {
    let path = samples_path(dir, workload);
    if !path.exists() {
        return Err(ReportError::NoResults {
            dir: dir.to_path_buf(),
            workload: workload.to_string(),
        });
    }
    let text = std::fs::read_to_string(&path).map_err(|e| ReportError::Unreadable {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let samples: Vec<SampleRow> =
        results::read(&text).map_err(|reason| ReportError::Unreadable {
            path: path.clone(),
            reason,
        })?;
    let cells = from_samples(&samples, groups).map_err(|reason| ReportError::Unreadable {
        path: path.clone(),
        reason,
    })?;
    if cells.is_empty() {
        return Err(ReportError::NoResults {
            dir: dir.to_path_buf(),
            workload: workload.to_string(),
        });
    }
    Ok(cells)
}

/// Groups samples into cells (of `groups` only), rounds in order. Where
/// a cell was measured by several runs (a filtered run after a full one),
/// the latest run's rounds are the cell's.
pub fn from_samples(
    samples: &[SampleRow],
    groups: &BTreeSet<&str>,
) -> Result<Vec<Measurement>, String> {
    let mut latest: BTreeMap<(&str, &str, &str, usize), u64> = BTreeMap::new();
    for s in samples {
        let run = latest
            .entry((&s.scenario, &s.style, &s.driver, s.clients))
            .or_insert(s.run);
        *run = (*run).max(s.run);
    }
    let mut cells: BTreeMap<(&str, String, usize), Measurement> = BTreeMap::new();
    for (i, sample) in samples.iter().enumerate() {
        if !groups.contains(sample.scenario.as_str())
            || latest[&(
                sample.scenario.as_str(),
                sample.style.as_str(),
                sample.driver.as_str(),
                sample.clients,
            )] != sample.run
        {
            continue;
        }
        let round = Round::of(sample).ok_or_else(|| {
            format!(
                "sample {}: {} operations in {} ns: nothing to rate",
                i + 1,
                sample.ops,
                sample.span_ns
            )
        })?;
        let row = format!("{}@{}", sample.style, sample.driver);
        cells
            .entry((sample.scenario.as_str(), row.clone(), sample.clients))
            .or_insert_with(|| Measurement {
                group: sample.scenario.clone(),
                row,
                clients: sample.clients,
                runnable_threads: sample.runnable_threads,
                cores: sample.cores,
                rounds: Vec::new(),
            })
            .rounds
            .push(round);
    }
    let mut cells: Vec<Measurement> = cells.into_values().collect();
    for cell in &mut cells {
        cell.rounds.sort_by_key(|r| r.round);
    }
    Ok(cells)
}

/// Reads and parses a JSON file, naming it in the error.
pub fn read_json(path: &Path) -> Result<Value, ReportError> {
    let unreadable = |reason: String| ReportError::Unreadable {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| unreadable(format!("not JSON: {e}")))
}
