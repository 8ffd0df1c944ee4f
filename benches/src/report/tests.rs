//! The report's tests: reading criterion's files, the tables, the charts.

use std::path::PathBuf;

use super::criterion::{Measurement, load as load_groups};
use super::render::render;
use super::*;
use crate::workloads;

fn load(
    dir: &Path,
    workload: &Workload,
    since: Option<SystemTime>,
) -> Result<Vec<Measurement>, ReportError> {
    let groups = workload
        .scenarios()
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    load_groups(dir, workload.name, &groups, since)
}

/// A scratch criterion directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("workbench-report-{name}-{}", std::process::id()));
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

    /// Adds criterion's samples to a result written by [`Scratch::result`].
    fn samples(&self, group: &str, row: &str, clients: usize, iters: &[f64], times: &[f64]) {
        let file = self
            .0
            .join(group)
            .join(row)
            .join(clients.to_string())
            .join("new/sample.json");
        let sample = serde_json::json!({"sampling_mode": "Linear", "iters": iters, "times": times});
        std::fs::write(file, sample.to_string()).unwrap();
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
    let err = load(
        Path::new("/nonexistent/criterion"),
        &workloads::counter::workload(),
        None,
    )
    .unwrap_err();
    assert!(matches!(err, ReportError::NoCriterionDir(_)));
    assert!(
        err.to_string().contains("run the benchmarks first"),
        "{err}"
    );
}

#[test]
fn an_empty_directory_says_which_workload_is_missing() {
    let scratch = Scratch::new("empty");
    let err = load(&scratch.0, &workloads::counter::workload(), None).unwrap_err();
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
    let err = load(&scratch.0, &workloads::counter::workload(), None).unwrap_err();
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
    let measurements = load(&scratch.0, &workloads::counter::workload(), None).unwrap();
    let (md, csv) = render(
        &workloads::counter::workload(),
        &measurements,
        &environment(),
    );

    // 10 ns per operation is 100 M ops/s, half the baseline's 200 M: on
    // its own runtime with one client, below the bar.
    assert!(
        md.contains("| atomic | threads | 100 M (0.50× fetch_add) ▼ | 50 M |"),
        "{md}"
    );
    assert!(
        md.contains("▼ Below the bar of 0.67× its own baseline: atomic with 1 client (0.50×)"),
        "{md}"
    );
    // No baseline measured for the mutex: no fraction, no mark.
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
        csv.contains(
            "counter-add,atomic,threads,1,false,100000000,10.00,fetch_add,0.500,false,,1,,,true\n"
        ),
        "{csv}"
    );
    assert!(
        csv.contains("counter-add,atomic,threads,4,true,50000000,20.00,fetch_add,"),
        "{csv}"
    );
}

#[test]
fn a_style_on_another_runtime_gets_a_fraction_but_no_bar() {
    let scratch = Scratch::new("bar");
    scratch.result("counter-add", "baseline_fetch_add@threads", 1, 5.0);
    scratch.result("counter-add", "atomic@tokio", 1, 10.0);
    scratch.result("counter-add", "baseline_fetch_add@threads", 2, 5.0);
    scratch.result("counter-add", "atomic@threads", 2, 6.0);
    let measurements = load(&scratch.0, &workloads::counter::workload(), None).unwrap();
    let (md, _) = render(
        &workloads::counter::workload(),
        &measurements,
        &environment(),
    );
    assert!(
        md.contains("| atomic | tokio | 100 M (0.50× fetch_add) | – |"),
        "{md}"
    );
    assert!(
        md.contains("| atomic | threads | – | 166.667 M (0.83× fetch_add) |"),
        "{md}"
    );
    assert!(!md.contains(") ▼") && !md.contains("Below the bar"), "{md}");
}

#[test]
fn noisy_cells_show_their_spread_and_repeated_runs_their_range() {
    let scratch = Scratch::new("spread");
    scratch.result("counter-add", "mutex@threads", 1, 10.0);
    // Per operation: 8, 9, 10, 11, 12, 14 ns: quartiles 9.25 and 11.75
    // around a median of 10.5, a spread of 0.238 (±12%).
    let iters = [100.0; 6];
    scratch.samples(
        "counter-add",
        "mutex@threads",
        1,
        &iters,
        &[800., 900., 1000., 1100., 1200., 1400.],
    );
    let measurements = load(&scratch.0, &workloads::counter::workload(), None).unwrap();
    assert!((measurements[0].spread.unwrap() - 2.5 / 10.5).abs() < 1e-9);
    let (md, csv) = render(
        &workloads::counter::workload(),
        &measurements,
        &environment(),
    );
    assert!(md.contains("| mutex | threads | 100 M ±12% |"), "{md}");
    assert!(csv.contains(",false,0.238,1,,,false\n"), "{csv}");

    // Too few samples (criterion's --quick): no spread at all.
    scratch.samples(
        "counter-add",
        "mutex@threads",
        1,
        &iters[..2],
        &[800., 1400.],
    );
    let measurements = load(&scratch.0, &workloads::counter::workload(), None).unwrap();
    assert_eq!(measurements[0].spread, None);

    // Three repetitions: the median of their medians, and their range.
    let repetition = |ns: f64| {
        vec![Measurement {
            group: "counter-add".to_string(),
            row: "mutex@threads".to_string(),
            clients: 1,
            median_ns_per_op: ns,
            spread: None,
            repeats: Vec::new(),
        }]
    };
    let combined = combine(&[repetition(10.0), repetition(40.0), repetition(20.0)]);
    assert_eq!(combined.len(), 1);
    assert_eq!(combined[0].median_ns_per_op, 20.0);
    let (md, csv) = render(&workloads::counter::workload(), &combined, &environment());
    assert!(
        md.contains("| mutex | threads | 50 M [25 M–100 M] |"),
        "{md}"
    );
    assert!(
        csv.contains(",false,,3,25000000,100000000,false\n"),
        "{csv}"
    );
}

#[test]
fn flagged_styles_are_marked_with_the_reason() {
    let scratch = Scratch::new("flagged");
    scratch.result("bank-2", "atomic@threads", 1, 10.0);
    scratch.result("bank-2", "mutex@threads", 1, 20.0);
    let measurements = load(&scratch.0, &workloads::bank::workload(), None).unwrap();
    let (md, csv) = render(&workloads::bank::workload(), &measurements, &environment());
    assert!(md.contains("| atomic ⚠ | threads | 100 M |"), "{md}");
    assert!(md.contains("| mutex | threads | 50 M |"), "{md}");
    assert!(md.contains("⚠ atomic: breaks the contract"), "{md}");
    assert!(
        csv.contains("bank-2,atomic,threads,1,false,100000000,10.00,,,true,,1,,,false\n"),
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
    let measurements = load(&scratch.0, &workloads::counter::workload(), None).unwrap();
    let table = ScenarioTable::of(&measurements, "counter-add").unwrap();
    let svg = chart::svg(
        "counter-add",
        &table,
        &environment(),
        &[("atomic", "why")],
        true,
    );
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
    let err = load(&scratch.0, &workloads::counter::workload(), Some(later)).unwrap_err();
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
    let md = write(&workloads::bank::workload(), &results.0, &out.0, None).unwrap();
    assert!(md.contains("test cpu") && md.contains("`abc`"), "{md}");

    std::fs::write(out.0.join("bank.environment.json"), "{\"cpu\": 1}").unwrap();
    let err = write(&workloads::bank::workload(), &results.0, &out.0, None).unwrap_err();
    assert!(err.to_string().contains("bank.environment.json"), "{err}");
}

/// A time of zero (or not a number, or a throughput of zero elements) is no
/// measurement: the reader names the file; it used to give an infinite
/// throughput, and the chart's decade loop then never ended.
#[test]
fn a_zero_or_nan_estimate_is_an_error_not_a_hang() {
    for bad in [0.0, -1.0, f64::NAN] {
        let scratch = Scratch::new("zero");
        scratch.result("counter-add", "atomic@threads", 1, 5.0);
        let file = scratch
            .0
            .join("counter-add/atomic@threads/1/new/estimates.json");
        // serde_json writes NaN as null; write the text by hand.
        std::fs::write(
            &file,
            format!("{{\"median\": {{\"point_estimate\": {bad:?}}}}}"),
        )
        .unwrap();
        let err = load(&scratch.0, &workloads::counter::workload(), None).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("estimates.json"), "{bad}: {message}");
    }
    let scratch = Scratch::new("zero-elements");
    scratch.result("counter-add", "atomic@threads", 1, 5.0);
    let file = scratch
        .0
        .join("counter-add/atomic@threads/1/new/benchmark.json");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("\"Elements\":1", "\"Elements\":0");
    std::fs::write(&file, text).unwrap();
    let message = load(&scratch.0, &workloads::counter::workload(), None)
        .unwrap_err()
        .to_string();
    assert!(message.contains("Elements is 0"), "{message}");
}

/// The chart itself survives cells it cannot place (it is also drawn from
/// tables built by hand): no bar for them, a finite axis, a closed SVG.
#[test]
fn a_chart_of_unplaceable_cells_still_ends() {
    let measurement = |row: &str, ns: f64| Measurement {
        group: "counter-add".into(),
        row: row.into(),
        clients: 1,
        median_ns_per_op: ns,
        spread: None,
        repeats: Vec::new(),
    };
    let measurements = [
        measurement("atomic@threads", 0.0),
        measurement("mutex@threads", f64::NAN),
    ];
    let table = ScenarioTable::of(&measurements, "counter-add").unwrap();
    let svg = chart::svg("counter-add", &table, &environment(), &[], true);
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_eq!(
        svg.matches("<title>").count(),
        0,
        "no bar for a cell with no throughput"
    );
}
