//! The side-by-side report: one table per scenario (rows: style and driver;
//! columns: clients; cells: aggregate operations per second, with the ratio
//! to a baseline where one applies), as Markdown and CSV, headed by the
//! environment.
//!
//! It reads criterion's `benchmark.json` and `estimates.json` files.
//! Criterion calls that format unstable, so its version is pinned in the
//! workspace and any file that does not parse is reported by path, never
//! skipped silently.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use serde_json::Value;

use crate::environment::Environment;

/// A workload's report layout: its scenarios, and which rows are compared
/// with which baseline.
pub struct Workload {
    pub name: &'static str,
    /// Criterion group name and a sentence saying what clients do in it.
    pub scenarios: &'static [(&'static str, &'static str)],
    /// `(row, baseline row)`: the row's cells also show its throughput as a
    /// fraction of the baseline's, measured in the same run.
    pub baselines: &'static [(&'static str, &'static str)],
    /// `(style, why)`: styles measured although they break the workload's
    /// contract; their rows are marked ⚠ and the table says why.
    pub flagged: &'static [(&'static str, &'static str)],
    /// A sentence the report prints under the environment: what the reader
    /// must know to compare these numbers with others (empty for none).
    pub about: &'static str,
}

pub const COUNTER: Workload = Workload {
    name: "counter",
    scenarios: &[
        ("counter-add", "every operation is `add(client, 1)`"),
        (
            "counter-mixed",
            "every tenth operation is `get()`, the others `add(client, 1)`",
        ),
    ],
    baselines: &[
        ("atomic@threads", "baseline_fetch_add@threads"),
        (
            "actor_crossbeam@threads",
            "baseline_crossbeam_round_trip@threads",
        ),
        ("actor_tokio@tokio", "baseline_tokio_round_trip@tokio"),
    ],
    flagged: &[],
    about: "",
};

pub const BANK: Workload = Workload {
    name: "bank",
    scenarios: &[
        (
            "bank-2",
            "every operation is a transfer between the only 2 accounts, in either direction (every pair of operations conflicts)",
        ),
        (
            "bank-2-audit",
            "as bank-2, but 1 operation in 100 is an audit of every account",
        ),
        (
            "bank-64",
            "every operation is a transfer between 2 of 64 accounts chosen at random",
        ),
        (
            "bank-64-audit",
            "as bank-64, but 1 operation in 100 is an audit of every account",
        ),
        (
            "bank-4096",
            "every operation is a transfer between 2 of 4096 accounts chosen at random (conflicts are rare)",
        ),
        (
            "bank-4096-audit",
            "as bank-4096, but 1 operation in 100 is an audit of every account",
        ),
    ],
    baselines: &[],
    flagged: &[(
        "atomic",
        "breaks the contract: an audit can see money in flight between a withdrawal and its deposit. Measured to show what the shortcut buys, not as a candidate",
    )],
    about: "",
};

pub const KV: Workload = Workload {
    name: "kv",
    scenarios: &[
        (
            "kv-read-heavy-uniform",
            "98% get, 1% insert, 1% remove; keys uniform over 65,536 sessions, half present at the start",
        ),
        (
            "kv-read-heavy-zipf",
            "98% get, 1% insert, 1% remove; keys Zipf-distributed (s = 1) over 65,536 sessions",
        ),
        (
            "kv-mixed-uniform",
            "50% get, 20% insert, 10% remove, 20% update; keys uniform",
        ),
        (
            "kv-mixed-zipf",
            "50% get, 20% insert, 10% remove, 20% update; keys Zipf-distributed (s = 1)",
        ),
        (
            "kv-write-heavy-uniform",
            "10% get, 40% insert, 40% remove, 10% update; keys uniform",
        ),
        (
            "kv-write-heavy-zipf",
            "10% get, 40% insert, 40% remove, 10% update; keys Zipf-distributed (s = 1)",
        ),
    ],
    baselines: &[],
    flagged: &[],
    about: "Every store hashes with foldhash (`foldhash::fast::RandomState`, version in the crates line above), the same hasher for every style; \
        std's default, SipHash, is built to resist hash flooding rather than for speed and would add its own cost to every figure.",
};

pub const WORKLOADS: &[&Workload] = &[&COUNTER, &BANK, &KV];

/// One criterion result: a style under a driver with some clients.
#[derive(Debug, Clone)]
pub struct Measurement {
    pub group: String,
    /// `style@driver`, as in the criterion function id.
    pub row: String,
    pub clients: usize,
    /// Median time per operation, over all clients together.
    pub median_ns_per_op: f64,
}

impl Measurement {
    pub fn ops_per_sec(&self) -> f64 {
        1e9 / self.median_ns_per_op
    }
}

#[derive(Debug)]
pub enum ReportError {
    NoCriterionDir(PathBuf),
    NoResults { dir: PathBuf, workload: String },
    Unreadable { path: PathBuf, reason: String },
    Write { path: PathBuf, reason: String },
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportError::NoCriterionDir(dir) => write!(
                f,
                "no criterion results at {}: run the benchmarks first (cargo bench), \
                 or point --criterion-dir at criterion's output",
                dir.display()
            ),
            ReportError::NoResults { dir, workload } => write!(
                f,
                "no {workload} results under {}: run `cargo bench --bench {workload}` first",
                dir.display()
            ),
            ReportError::Unreadable { path, reason } => write!(
                f,
                "cannot read {}: {reason} (criterion's output format may have changed; \
                 this report reads the format of the criterion version pinned in Cargo.toml)",
                path.display()
            ),
            ReportError::Write { path, reason } => {
                write!(f, "cannot write {}: {reason}", path.display())
            }
        }
    }
}

impl std::error::Error for ReportError {}

/// The workspace root (where Cargo.lock lives).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("benches/ sits in the workspace")
        .to_path_buf()
}

/// Cargo's target directory, found the way criterion finds it:
/// `CARGO_TARGET_DIR`, else `cargo metadata`, else `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(workspace_root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| serde_json::from_slice::<Value>(&o.stdout).ok())
        .and_then(|m| m["target_directory"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// Criterion's output directory: `CRITERION_HOME`, else `<target>/criterion`.
pub fn criterion_dir() -> PathBuf {
    std::env::var_os("CRITERION_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("criterion"))
}

/// Loads every result of `workload` under `dir`. With `since`, results
/// written before that time (left over from earlier runs) are left out.
pub fn load(
    dir: &Path,
    workload: &Workload,
    since: Option<SystemTime>,
) -> Result<Vec<Measurement>, ReportError> {
    if !dir.is_dir() {
        return Err(ReportError::NoCriterionDir(dir.to_path_buf()));
    }
    let groups: BTreeSet<&str> = workload.scenarios.iter().map(|(g, _)| *g).collect();
    let mut files = Vec::new();
    find_benchmark_files(dir, &mut files).map_err(|e| ReportError::Unreadable {
        path: dir.to_path_buf(),
        reason: e.to_string(),
    })?;
    let mut found = Vec::new();
    for file in files {
        if let Some(measurement) = read_measurement(&file, &groups, since)? {
            found.push(measurement);
        }
    }
    if found.is_empty() {
        return Err(ReportError::NoResults {
            dir: dir.to_path_buf(),
            workload: workload.name.to_string(),
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

fn read_json(path: &Path) -> Result<Value, ReportError> {
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
    let estimates = read_json(&estimates_file)?;
    let median_ns = estimates["median"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| missing("median.point_estimate", &estimates_file))?;
    Ok(Some(Measurement {
        group: group.to_string(),
        row: row.to_string(),
        clients,
        median_ns_per_op: median_ns / ops_per_iteration as f64,
    }))
}

/// Formats operations per second with an SI prefix: `98.2 M`.
pub fn si(ops: f64) -> String {
    let (value, prefix) = match ops {
        x if x >= 1e9 => (x / 1e9, " G"),
        x if x >= 1e6 => (x / 1e6, " M"),
        x if x >= 1e3 => (x / 1e3, " k"),
        x => (x, " "),
    };
    format!("{value:.3}{prefix}").replace(".000", "")
}

fn row_sort_key(row: &str) -> (bool, String, usize) {
    const DRIVERS: [&str; 4] = ["threads", "tokio", "async_std", "smol"];
    let (style, driver) = row.split_once('@').unwrap_or((row, ""));
    let driver_rank = DRIVERS
        .iter()
        .position(|d| *d == driver)
        .unwrap_or(DRIVERS.len());
    (
        !style.starts_with("baseline"),
        style.to_string(),
        driver_rank,
    )
}

/// One scenario's measurements arranged as the table shows them.
pub struct ScenarioTable<'m> {
    /// Client counts, ascending: the columns.
    pub clients: BTreeSet<usize>,
    /// `style@driver`, baselines first, then by style and driver: the rows.
    pub rows: Vec<&'m str>,
    pub cells: BTreeMap<(&'m str, usize), &'m Measurement>,
}

impl<'m> ScenarioTable<'m> {
    /// `None` when the scenario was not measured.
    pub fn of(measurements: &'m [Measurement], group: &str) -> Option<ScenarioTable<'m>> {
        let cells: BTreeMap<(&str, usize), &Measurement> = measurements
            .iter()
            .filter(|m| m.group == group)
            .map(|m| ((m.row.as_str(), m.clients), m))
            .collect();
        if cells.is_empty() {
            return None;
        }
        let clients = cells.keys().map(|(_, c)| *c).collect();
        let mut rows: Vec<&str> = cells
            .keys()
            .map(|(r, _)| *r)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        rows.sort_by_key(|r| row_sort_key(r));
        Some(ScenarioTable {
            clients,
            rows,
            cells,
        })
    }
}

/// The Markdown and CSV of a workload's report.
pub fn render(
    workload: &Workload,
    measurements: &[Measurement],
    environment: &Environment,
) -> (String, String) {
    let cores = environment.cores;
    let mut md = format!(
        "# {} benchmark results\n\n<!-- ANCHOR: body -->\n{}\n",
        workload.name,
        environment.markdown()
    );
    if !workload.about.is_empty() {
        md.push_str(&format!("{}\n\n", workload.about));
    }
    md.push_str(
        "Cells are aggregate operations per second over all clients (criterion's median; higher is \
         better). Where a row has a baseline, the cell also gives its throughput as a fraction of \
         the baseline's with the same clients in the same run. Columns marked † have more clients \
         than cores: oversubscribed.\n",
    );
    let mut csv = String::from(
        "scenario,style,driver,clients,oversubscribed,ops_per_sec,median_ns_per_op,baseline,fraction_of_baseline,breaks_contract\n",
    );

    for (group, description) in workload.scenarios {
        let Some(ScenarioTable {
            clients,
            rows,
            cells,
        }) = ScenarioTable::of(measurements, group)
        else {
            md.push_str(&format!("\n## {group}\n\nNot measured in this run.\n"));
            continue;
        };

        md.push_str(&format!(
            "\n## {group}\n\nClients run in a loop; {description}.\n\n| style | driver |"
        ));
        for c in &clients {
            let mark = if *c > cores { " †" } else { "" };
            md.push_str(&format!(
                " {c} client{}{mark} |",
                if *c == 1 { "" } else { "s" }
            ));
        }
        md.push_str("\n|---|---|");
        md.push_str(&"---:|".repeat(clients.len()));
        md.push('\n');

        for &row in &rows {
            let (style, driver) = row.split_once('@').unwrap_or((row, "?"));
            let baseline = workload
                .baselines
                .iter()
                .find(|(r, _)| *r == row)
                .map(|(_, b)| *b);
            let baseline_name = baseline.map(|b| {
                b.split_once('@')
                    .map_or(b, |(s, _)| s)
                    .trim_start_matches("baseline_")
            });
            let flagged = workload.flagged.iter().any(|(s, _)| *s == style);
            let mark = if flagged { " ⚠" } else { "" };
            md.push_str(&format!("| {style}{mark} | {driver} |"));
            for c in &clients {
                let Some(m) = cells.get(&(row, *c)) else {
                    md.push_str(" – |");
                    continue;
                };
                let fraction = baseline
                    .and_then(|b| cells.get(&(b, *c)))
                    .map(|b| m.ops_per_sec() / b.ops_per_sec());
                match (fraction, baseline_name) {
                    (Some(f), Some(name)) => {
                        md.push_str(&format!(" {} ({f:.2}× {name}) |", si(m.ops_per_sec())))
                    }
                    _ => md.push_str(&format!(" {} |", si(m.ops_per_sec()))),
                }
                csv.push_str(&format!(
                    "{group},{style},{driver},{c},{},{:.0},{:.2},{},{},{flagged}\n",
                    *c > cores,
                    m.ops_per_sec(),
                    m.median_ns_per_op,
                    baseline_name.unwrap_or(""),
                    fraction.map_or(String::new(), |f| format!("{f:.3}"))
                ));
            }
            md.push('\n');
        }
        for (style, why) in workload.flagged {
            if rows.iter().any(|r| r.split('@').next() == Some(*style)) {
                md.push_str(&format!("\n⚠ {style}: {why}.\n"));
            }
        }
    }
    md.push_str("<!-- ANCHOR_END: body -->\n");
    (md, csv)
}

/// Loads, renders and writes `<out>/<workload>.md` and `.csv`; returns the
/// Markdown.
pub fn write(
    workload: &Workload,
    criterion_dir: &Path,
    out_dir: &Path,
    since: Option<SystemTime>,
) -> Result<String, ReportError> {
    let measurements = load(criterion_dir, workload, since)?;
    let write_err = |path: &Path, e: std::io::Error| ReportError::Write {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(out_dir).map_err(|e| write_err(out_dir, e))?;
    // Right after a run (`since` given), the environment is this machine's
    // now, and is saved. A later rebuild reads it back, so the report keeps
    // describing the run's machine and commit, not the rebuild's.
    let saved = out_dir.join(format!("{}.environment.json", workload.name));
    let environment = match since {
        Some(_) => {
            let environment = Environment::detect(&workspace_root());
            let json = environment.to_json().to_string();
            std::fs::write(&saved, json).map_err(|e| write_err(&saved, e))?;
            environment
        }
        None if saved.exists() => {
            let json = read_json(&saved)?;
            Environment::from_json(&json).ok_or_else(|| ReportError::Unreadable {
                path: saved.clone(),
                reason: "not an environment written by this report".to_string(),
            })?
        }
        None => Environment::detect(&workspace_root()),
    };
    let (md, csv) = render(workload, &measurements, &environment);
    for (extension, text) in [("md", &md), ("csv", &csv)] {
        let path = out_dir.join(format!("{}.{extension}", workload.name));
        std::fs::write(&path, text).map_err(|e| write_err(&path, e))?;
    }
    for (group, _) in workload.scenarios {
        if let Some(table) = ScenarioTable::of(&measurements, group) {
            let path = out_dir.join(format!("{group}.svg"));
            let svg = crate::chart::svg(group, &table, &environment, workload.flagged);
            std::fs::write(&path, svg).map_err(|e| write_err(&path, e))?;
        }
    }
    Ok(md)
}

/// Where reports are written: `<target>/workbench-report/`.
pub fn default_out_dir() -> PathBuf {
    target_dir().join("workbench-report")
}

/// Called at the end of a bench binary: writes and prints the report of
/// what this run measured. Errors are printed, not raised: the measurements
/// themselves are safe on disk and `cargo run -p benches --bin report` can
/// retry.
pub fn after_bench(workload: &Workload, run_started: SystemTime) {
    let out_dir = default_out_dir();
    match write(workload, &criterion_dir(), &out_dir, Some(run_started)) {
        Ok(md) => {
            // The anchor comments are for the book, not the terminal.
            let printable: Vec<&str> = md
                .lines()
                .filter(|l| !l.starts_with("<!-- ANCHOR"))
                .collect();
            println!("\n{}", printable.join("\n"));
            println!(
                "Report written to {}/{}.md and .csv",
                out_dir.display(),
                workload.name
            );
        }
        Err(e) => {
            eprintln!("error: report not written: {e}");
            std::process::exit(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch criterion directory, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir()
                .join(format!("workbench-report-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }

        /// Writes one result as criterion 0.8 lays it out.
        fn result(&self, group: &str, row: &str, clients: usize, median_ns: f64) {
            let dir = self
                .0
                .join(group)
                .join(row)
                .join(clients.to_string())
                .join("new");
            std::fs::create_dir_all(&dir).unwrap();
            let benchmark = serde_json::json!({
                "group_id": group, "function_id": row, "value_str": clients.to_string(),
                "throughput": {"Elements": 1}, "full_id": "", "directory_name": "", "title": ""
            });
            std::fs::write(dir.join("benchmark.json"), benchmark.to_string()).unwrap();
            let estimates = serde_json::json!({"median": {"point_estimate": median_ns}});
            std::fs::write(dir.join("estimates.json"), estimates.to_string()).unwrap();
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn environment() -> Environment {
        Environment {
            cpu: "test cpu".into(),
            cores: 2,
            os: "test os".into(),
            rustc: "rustc test".into(),
            crates: vec![("tokio".into(), "1.0.0".into())],
            commit: "abc".into(),
        }
    }

    #[test]
    fn a_missing_directory_is_a_clear_error() {
        let err = load(Path::new("/nonexistent/criterion"), &COUNTER, None).unwrap_err();
        assert!(matches!(err, ReportError::NoCriterionDir(_)));
        assert!(
            err.to_string().contains("run the benchmarks first"),
            "{err}"
        );
    }

    #[test]
    fn an_empty_directory_says_which_workload_is_missing() {
        let scratch = Scratch::new("empty");
        let err = load(&scratch.0, &COUNTER, None).unwrap_err();
        assert!(
            err.to_string().contains("cargo bench --bench counter"),
            "{err}"
        );
    }

    #[test]
    fn a_malformed_file_is_named_not_skipped() {
        let scratch = Scratch::new("malformed");
        scratch.result("counter-add", "atomic@threads", 1, 5.0);
        let bad = scratch
            .0
            .join("counter-add/atomic@threads/1/new/estimates.json");
        std::fs::write(&bad, "{ not json").unwrap();
        let err = load(&scratch.0, &COUNTER, None).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("estimates.json") && message.contains("not JSON"),
            "{message}"
        );
    }

    #[test]
    fn tables_show_throughput_baseline_fractions_and_oversubscription() {
        let scratch = Scratch::new("render");
        scratch.result("counter-add", "baseline_fetch_add@threads", 1, 5.0);
        scratch.result("counter-add", "atomic@threads", 1, 10.0);
        scratch.result("counter-add", "atomic@threads", 4, 20.0);
        scratch.result("counter-add", "mutex@tokio", 1, 25.0);
        let measurements = load(&scratch.0, &COUNTER, None).unwrap();
        let (md, csv) = render(&COUNTER, &measurements, &environment());

        // 10 ns per operation is 100 M ops/s, half the baseline's 200 M.
        assert!(
            md.contains("| atomic | threads | 100 M (0.50× fetch_add) | 50 M |"),
            "{md}"
        );
        assert!(md.contains("| mutex | tokio | 40 M | – |"), "{md}");
        assert!(
            md.contains("4 clients †"),
            "4 clients on 2 cores are oversubscribed:\n{md}"
        );
        assert!(
            md.contains("test cpu") && md.contains("tokio 1.0.0"),
            "environment missing:\n{md}"
        );
        // Baselines come first.
        assert!(md.find("baseline_fetch_add").unwrap() < md.find("| atomic").unwrap());
        assert!(
            md.contains("## counter-mixed\n\nNot measured in this run."),
            "{md}"
        );
        assert!(
            csv.contains("counter-add,atomic,threads,1,false,100000000,10.00,fetch_add,0.500"),
            "{csv}"
        );
        assert!(
            csv.contains("counter-add,atomic,threads,4,true,50000000,20.00,fetch_add,"),
            "{csv}"
        );
    }

    #[test]
    fn flagged_styles_are_marked_with_the_reason() {
        let scratch = Scratch::new("flagged");
        scratch.result("bank-2", "atomic@threads", 1, 10.0);
        scratch.result("bank-2", "mutex@threads", 1, 20.0);
        let measurements = load(&scratch.0, &BANK, None).unwrap();
        let (md, csv) = render(&BANK, &measurements, &environment());
        assert!(md.contains("| atomic ⚠ | threads | 100 M |"), "{md}");
        assert!(md.contains("| mutex | threads | 50 M |"), "{md}");
        assert!(md.contains("⚠ atomic: breaks the contract"), "{md}");
        assert!(
            csv.contains("bank-2,atomic,threads,1,false,100000000,10.00,,,true"),
            "{csv}"
        );
        assert!(
            csv.contains("bank-2,mutex,threads,1,false,50000000,20.00,,,false"),
            "{csv}"
        );
    }

    #[test]
    fn charts_have_a_bar_per_cell_and_name_every_row() {
        let scratch = Scratch::new("chart");
        scratch.result("counter-add", "baseline_fetch_add@threads", 1, 5.0);
        scratch.result("counter-add", "atomic@threads", 1, 10.0);
        scratch.result("counter-add", "atomic@threads", 4, 20.0);
        let measurements = load(&scratch.0, &COUNTER, None).unwrap();
        let table = ScenarioTable::of(&measurements, "counter-add").unwrap();
        let svg = crate::chart::svg("counter-add", &table, &environment(), &[("atomic", "why")]);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(
            svg.matches("<title>").count(),
            3,
            "one bar per measured cell:\n{svg}"
        );
        assert!(svg.contains("atomic ⚠ @ threads") && svg.contains("baseline_fetch_add @ threads"));
        assert!(svg.contains("4 clients (oversubscribed)"));
        assert!(ScenarioTable::of(&measurements, "counter-mixed").is_none());
    }

    #[test]
    fn results_older_than_the_run_are_left_out() {
        let scratch = Scratch::new("stale");
        scratch.result("counter-add", "atomic@threads", 1, 10.0);
        let later = SystemTime::now() + std::time::Duration::from_secs(3600);
        let err = load(&scratch.0, &COUNTER, Some(later)).unwrap_err();
        assert!(matches!(err, ReportError::NoResults { .. }), "{err}");
    }

    #[test]
    fn a_rebuilt_report_keeps_the_runs_environment() {
        let results = Scratch::new("env-results");
        let out = Scratch::new("env-out");
        results.result("bank-2", "mutex@threads", 1, 20.0);
        let saved = environment();
        std::fs::write(
            out.0.join("bank.environment.json"),
            saved.to_json().to_string(),
        )
        .unwrap();
        let md = write(&BANK, &results.0, &out.0, None).unwrap();
        assert!(md.contains("test cpu") && md.contains("`abc`"), "{md}");

        std::fs::write(out.0.join("bank.environment.json"), "{\"cpu\": 1}").unwrap();
        let err = write(&BANK, &results.0, &out.0, None).unwrap_err();
        assert!(err.to_string().contains("bank.environment.json"), "{err}");
    }

    #[test]
    fn si_prefixes() {
        assert_eq!(si(186_704_000.0), "186.704 M");
        assert_eq!(si(2_000_000_000.0), "2 G");
        assert_eq!(si(21_942.0), "21.942 k");
    }
}
