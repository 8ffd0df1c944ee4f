//! Reading criterion's saved results: `benchmark.json` and `estimates.json`
//! under `<criterion>/<group>/<function>/<value>/new/`. Criterion calls
//! that format unstable, so its version is pinned in the workspace and any
//! file that does not parse is reported by path, never skipped silently.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

use super::error::ReportError;

/// One criterion result: a style under a driver with some clients.
#[derive(Debug, Clone)]
pub struct Measurement {
    pub group: String,
    /// `style@driver`, as in the criterion function id.
    pub row: String,
    pub clients: usize,
    /// Median time per operation, over all clients together (with
    /// `WORKBENCH_REPEAT`, the median of the repetitions' medians).
    pub median_ns_per_op: f64,
    /// The interquartile range of criterion's samples (each sample's time
    /// per operation), as a fraction of their median; `None` with fewer
    /// than [`MIN_SAMPLES_FOR_SPREAD`] samples (criterion's `--quick`).
    pub spread: Option<f64>,
    /// With `WORKBENCH_REPEAT=n`: each repetition's median time per
    /// operation, in run order (empty for a single run).
    pub repeats: Vec<f64>,
}

/// Fewer samples than this give no meaningful quartiles.
pub const MIN_SAMPLES_FOR_SPREAD: usize = 5;

impl Measurement {
    pub fn ops_per_sec(&self) -> f64 {
        1e9 / self.median_ns_per_op
    }

    /// The slowest and fastest repetition, in operations per second, when
    /// the run was repeated.
    pub fn repeat_range(&self) -> Option<(f64, f64)> {
        let slowest = self.repeats.iter().copied().reduce(f64::max)?;
        let fastest = self.repeats.iter().copied().reduce(f64::min)?;
        (self.repeats.len() > 1).then(|| (1e9 / slowest, 1e9 / fastest))
    }

    /// Combines one cell's measurements from several repetitions of a run
    /// (the same group, row and clients): the median of their medians, the
    /// median of their spreads, and every repetition's median kept.
    pub fn combine(repetitions: &[Measurement]) -> Option<Measurement> {
        let first = repetitions.first()?;
        let medians: Vec<f64> = repetitions.iter().map(|m| m.median_ns_per_op).collect();
        let spreads: Vec<f64> = repetitions.iter().filter_map(|m| m.spread).collect();
        Some(Measurement {
            group: first.group.clone(),
            row: first.row.clone(),
            clients: first.clients,
            median_ns_per_op: median(&medians)?,
            spread: median(&spreads),
            repeats: medians,
        })
    }
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    quantile(values, 0.5)
}

/// The `q` quantile of `values`, interpolated between neighbours.
fn quantile(values: &[f64], q: f64) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let last = sorted.len().checked_sub(1)?;
    let at = q * last as f64;
    let (low, high) = (at.floor() as usize, at.ceil() as usize);
    Some(sorted[low] + (sorted[high] - sorted[low]) * (at - low as f64))
}

/// The interquartile range of per-operation times over their median.
fn spread(per_op: &[f64]) -> Option<f64> {
    if per_op.len() < MIN_SAMPLES_FOR_SPREAD {
        return None;
    }
    Some((quantile(per_op, 0.75)? - quantile(per_op, 0.25)?) / median(per_op)?)
}

/// Loads every result of the groups `groups` (workload `workload`) under
/// `dir`. With `since`, results written before that time (left over from
/// earlier runs) are left out.
pub fn load(
    dir: &Path,
    workload: &str,
    groups: &BTreeSet<&str>,
    since: Option<SystemTime>,
) -> Result<Vec<Measurement>, ReportError> {
    if !dir.is_dir() {
        return Err(ReportError::NoCriterionDir(dir.to_path_buf()));
    }
    let mut files = Vec::new();
    find_benchmark_files(dir, &mut files).map_err(|e| ReportError::Unreadable {
        path: dir.to_path_buf(),
        reason: e.to_string(),
    })?;
    let mut found = Vec::new();
    for file in files {
        if let Some(measurement) = read_measurement(&file, groups, since)? {
            found.push(measurement);
        }
    }
    if found.is_empty() {
        return Err(ReportError::NoResults {
            dir: dir.to_path_buf(),
            workload: workload.to_string(),
        });
    }
    Ok(found)
}

/// Collects `.../new/benchmark.json` (criterion keeps the previous run in
/// `base/`, which we ignore).
fn find_benchmark_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            find_benchmark_files(&path, out)?;
        } else if path.file_name().is_some_and(|n| n == "benchmark.json")
            && path
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|n| n == "new")
        {
            out.push(path);
        }
    }
    Ok(())
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

fn read_measurement(
    benchmark_file: &Path,
    groups: &BTreeSet<&str>,
    since: Option<SystemTime>,
) -> Result<Option<Measurement>, ReportError> {
    let benchmark = read_json(benchmark_file)?;
    let missing = |field: &str, path: &Path| ReportError::Unreadable {
        path: path.to_path_buf(),
        reason: format!("no field {field}"),
    };
    let group = benchmark["group_id"]
        .as_str()
        .ok_or_else(|| missing("group_id", benchmark_file))?;
    if !groups.contains(group) {
        return Ok(None);
    }
    let estimates_file = benchmark_file.with_file_name("estimates.json");
    if let Some(since) = since {
        let written = std::fs::metadata(&estimates_file)
            .and_then(|m| m.modified())
            .map_err(|e| ReportError::Unreadable {
                path: estimates_file.clone(),
                reason: e.to_string(),
            })?;
        if written < since {
            return Ok(None);
        }
    }
    let row = benchmark["function_id"]
        .as_str()
        .ok_or_else(|| missing("function_id", benchmark_file))?;
    let clients = benchmark["value_str"]
        .as_str()
        .and_then(|v| v.parse::<usize>().ok())
        .ok_or_else(|| missing("value_str (a client count)", benchmark_file))?;
    let ops_per_iteration = benchmark["throughput"]["Elements"]
        .as_u64()
        .ok_or_else(|| missing("throughput.Elements", benchmark_file))?;
    if ops_per_iteration == 0 {
        return Err(ReportError::Unreadable {
            path: benchmark_file.to_path_buf(),
            reason: "throughput.Elements is 0: no operation per iteration to report".into(),
        });
    }
    let estimates = read_json(&estimates_file)?;
    let median_ns = estimates["median"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| missing("median.point_estimate", &estimates_file))?;
    // A time of zero (or below, or not a number) would be an infinite or
    // negative throughput: no measurement, and nothing a chart can place.
    if !(median_ns.is_finite() && median_ns > 0.0) {
        return Err(ReportError::Unreadable {
            path: estimates_file,
            reason: format!("median.point_estimate is {median_ns}, not a positive time"),
        });
    }
    // The samples are optional: without them the cell just has no spread.
    let sample_file = benchmark_file.with_file_name("sample.json");
    let per_op: Vec<f64> = match read_json(&sample_file) {
        Ok(sample) => {
            let numbers = |field: &str| -> Vec<f64> {
                sample[field]
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_f64).collect())
                    .unwrap_or_default()
            };
            let (iters, times) = (numbers("iters"), numbers("times"));
            iters
                .iter()
                .zip(&times)
                .filter(|(i, _)| **i > 0.0)
                .map(|(i, t)| t / i / ops_per_iteration as f64)
                .collect()
        }
        Err(_) => Vec::new(),
    };
    Ok(Some(Measurement {
        group: group.to_string(),
        row: row.to_string(),
        clients,
        median_ns_per_op: median_ns / ops_per_iteration as f64,
        spread: spread(&per_op),
        repeats: Vec::new(),
    }))
}
