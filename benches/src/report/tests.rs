//! The report's tests: reading saved samples, the tables and their marks,
//! the charts.

use std::path::PathBuf;

use super::cells::{Measurement, load as load_groups, samples_path};
use super::render::render;
use super::*;
use crate::results::{CellRow, SampleRow};
use crate::workloads;

fn load(dir: &Path, workload: &Workload) -> Result<Vec<Measurement>, ReportError> {
    let groups = workload
        .scenarios()
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    load_groups(dir, workload.name, &groups)
}

/// A scratch results directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("workbench-report-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn write(&self, workload: &str, samples: &[SampleRow]) {
        std::fs::write(
            samples_path(&self.0, workload),
            crate::results::write(samples),
        )
        .unwrap();
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One round of `row` (`style@driver`) at `ns` per operation: 1,000
/// operations, split evenly, 10 ns of CPU and one allocation each.
fn sample(scenario: &str, row: &str, clients: usize, round: usize, ns: f64) -> SampleRow {
    let (style, driver) = row.split_once('@').unwrap();
    SampleRow {
        run: 1,
        scenario: scenario.into(),
        style: style.into(),
        driver: driver.into(),
        clients,
        round,
        order: 0,
        runnable_threads: clients,
        cores: 2,
        ops: 1000,
        span_ns: (ns * 1000.0) as u64,
        cpu_ns: 10_000,
        voluntary_switches: 0,
        involuntary_switches: 0,
        allocations: 1000,
        allocated_bytes: 64_000,
        steal_ns: 0,
        interval_ns: (ns * 1000.0) as u64,
        steal_cpus: 2,
        slowest_client_ops: 1000 / clients as u64,
        fastest_client_ops: 1000 / clients as u64,
        jain: 1.0,
    }
}

/// `rounds` rounds of `row`, each at `ns` per operation.
fn rounds(scenario: &str, row: &str, clients: usize, ns: &[f64]) -> Vec<SampleRow> {
    ns.iter()
        .enumerate()
        .map(|(round, ns)| sample(scenario, row, clients, round, *ns))
        .collect()
}

fn environment() -> Environment {
    Environment {
        cpu: "test cpu".into(),
        cores: 2,
        os: "test os".into(),
        rustc: "rustc test".into(),
        crates: vec![("tokio".into(), "1.0.0".into())],
        commit: "abc".into(),
        topology: "test topology".into(),
        run: Default::default(),
    }
}

fn csv_rows(csv: &str) -> Vec<CellRow> {
    crate::results::read(csv).unwrap()
}

fn row<'r>(rows: &'r [CellRow], style: &str, driver: &str, clients: usize) -> &'r CellRow {
    rows.iter()
        .find(|r| r.style == style && r.driver == driver && r.clients == clients)
        .unwrap_or_else(|| panic!("no row {style}@{driver} with {clients}"))
}

#[test]
fn a_missing_directory_or_file_says_which_workload_is_missing() {
    for dir in [Path::new("/nonexistent/results"), &Scratch::new("empty").0] {
        let err = load(dir, &workloads::counter::workload()).unwrap_err();
        assert!(matches!(err, ReportError::NoResults { .. }), "{err}");
        assert!(
            err.to_string().contains("cargo bench --bench counter"),
            "{err}"
        );
    }
}

#[test]
fn a_malformed_file_is_named_not_skipped() {
    let scratch = Scratch::new("malformed");
    std::fs::write(
        samples_path(&scratch.0, "counter"),
        "scenario,style\ncounter-add,\"unclosed\n",
    )
    .unwrap();
    let message = load(&scratch.0, &workloads::counter::workload())
        .unwrap_err()
        .to_string();
    assert!(message.contains("counter.samples.csv"), "{message}");
}

#[test]
fn tables_show_throughput_ranges_fractions_with_intervals_and_oversubscription() {
    let scratch = Scratch::new("render");
    let mut samples = rounds(
        "counter-add",
        "baseline_fetch_add@threads",
        1,
        &[5.0, 5.0, 5.0, 5.0, 5.0],
    );
    // Twice the baseline's time in every round: 0.50× with no doubt.
    samples.extend(rounds(
        "counter-add",
        "atomic@threads",
        1,
        &[10.0, 10.0, 10.0, 9.0, 11.0],
    ));
    samples.extend(rounds("counter-add", "atomic@threads", 4, &[20.0]));
    samples.extend(rounds("counter-add", "mutex@tokio", 1, &[25.0]));
    scratch.write("counter", &samples);
    let measurements = load(&scratch.0, &workloads::counter::workload()).unwrap();
    let (md, csv) = render(
        &workloads::counter::workload(),
        &measurements,
        &environment(),
    );
    assert!(
        md.contains("| atomic | threads | 100 M [90.909 M–111.111 M] (0.50× [0.45–0.56] fetch_add) ▼ | 50 M |"),
        "{md}"
    );
    assert!(
        md.contains(
            "▼ Below the bar of 0.67× its own baseline, over the whole interval: atomic with 1 client (0.50×)"
        ),
        "{md}"
    );
    // No baseline measured for the mutex: no fraction, no mark.
    assert!(md.contains("| mutex | tokio | 40 M | – |"), "{md}");
    assert!(md.contains("4 clients †"), "{md}");
    assert!(
        md.contains("test cpu") && md.contains("tokio 1.0.0"),
        "{md}"
    );
    assert!(md.find("baseline_fetch_add").unwrap() < md.find("| atomic").unwrap());
    assert!(
        md.contains("## counter-mixed\n\nNot measured in this run."),
        "{md}"
    );
    // The cost table and the charts' places.
    assert!(
        md.contains("| atomic | threads | 10.0 ns CPU · 0 sw · 1.00 alloc · 1.00 fair |"),
        "{md}"
    );
    assert!(md.contains("<!-- chart: counter-add-cost -->"), "{md}");

    let rows = csv_rows(&csv);
    let atomic = row(&rows, "atomic", "threads", 1);
    assert_eq!(atomic.ops_per_sec, 100e6);
    assert_eq!(atomic.fraction_of_baseline, Some(0.5));
    assert!(atomic.below_bar && !atomic.oversubscribed);
    assert_eq!(atomic.repeats, 5);
    assert_eq!(atomic.cpu_ns_per_op, Some(10.0));
    assert_eq!(atomic.allocations_per_op, Some(1.0));
    assert_eq!(atomic.allocated_bytes_per_op, Some(64.0));
    assert_eq!(atomic.slowest_client_share, Some(1.0));
    assert!(row(&rows, "atomic", "threads", 4).oversubscribed);
}

#[test]
fn no_verdict_when_the_interval_crosses_the_bar_or_rests_on_too_few_pairs() {
    let scratch = Scratch::new("interval");
    let mut samples = rounds("counter-add", "baseline_fetch_add@threads", 1, &[5.0; 5]);
    // A median of 0.50× but two rounds at 0.83×: the interval reaches
    // above the bar, so no ▼.
    samples.extend(rounds(
        "counter-add",
        "atomic@threads",
        1,
        &[10.0, 6.0, 10.0, 6.0, 10.0],
    ));
    samples.extend(rounds(
        "counter-add",
        "baseline_fetch_add@threads",
        2,
        &[5.0, 5.0],
    ));
    // Two pairs, both at 0.25×: too few for a verdict.
    samples.extend(rounds("counter-add", "atomic@threads", 2, &[20.0, 20.0]));
    scratch.write("counter", &samples);
    let measurements = load(&scratch.0, &workloads::counter::workload()).unwrap();
    let (md, csv) = render(
        &workloads::counter::workload(),
        &measurements,
        &environment(),
    );
    assert!(!md.contains(") ▼") && !md.contains("Below the bar"), "{md}");
    let rows = csv_rows(&csv);
    let one = row(&rows, "atomic", "threads", 1);
    assert_eq!(one.fraction_of_baseline, Some(0.5));
    assert!(
        one.fraction_high.unwrap() > 0.67 && !one.below_bar,
        "{one:?}"
    );
    assert!(!row(&rows, "atomic", "threads", 2).below_bar);
}

#[test]
fn a_cell_oversubscribed_by_its_helpers_is_marked_and_never_judged() {
    let scratch = Scratch::new("helpers");
    let mut samples = rounds(
        "counter-add",
        "baseline_crossbeam_round_trip@threads",
        2,
        &[100.0; 5],
    );
    // Two clients and an owner thread on two cores.
    let mut actor = rounds("counter-add", "actor@threads", 2, &[1000.0; 5]);
    for s in &mut actor {
        s.runnable_threads = 3;
    }
    samples.extend(actor);
    scratch.write("counter", &samples);
    let measurements = load(&scratch.0, &workloads::counter::workload()).unwrap();
    let (md, csv) = render(
        &workloads::counter::workload(),
        &measurements,
        &environment(),
    );
    assert!(
        md.contains(
            "| actor | threads | 1 M [1 M–1 M] † (0.10× [0.10–0.10] crossbeam_round_trip) |"
        ),
        "{md}"
    );
    let actor = row(&csv_rows(&csv), "actor", "threads", 2).clone();
    assert!(actor.oversubscribed && !actor.below_bar, "{actor:?}");
    assert_eq!(actor.runnable_threads, Some(3));
}

#[test]
fn a_baseline_that_is_no_floor_is_named() {
    let scratch = Scratch::new("floor");
    let mut samples = rounds("counter-add", "baseline_std_mutex@threads", 1, &[20.0; 5]);
    samples.extend(rounds(
        "counter-add",
        "mutex@threads",
        1,
        &[10.0, 10.0, 9.0, 11.0, 10.0],
    ));
    scratch.write("counter", &samples);
    let measurements = load(&scratch.0, &workloads::counter::workload()).unwrap();
    let (md, _) = render(
        &workloads::counter::workload(),
        &measurements,
        &environment(),
    );
    assert!(md.contains("std_mutex) ▲"), "{md}");
    assert!(md.contains("▲ Above 1.1× its own baseline"), "{md}");
}

#[test]
fn a_style_on_another_runtime_gets_a_fraction_but_no_bar() {
    let scratch = Scratch::new("bar");
    let mut samples = rounds("counter-add", "baseline_fetch_add@threads", 1, &[5.0; 5]);
    samples.extend(rounds("counter-add", "atomic@tokio", 1, &[10.0; 5]));
    scratch.write("counter", &samples);
    let measurements = load(&scratch.0, &workloads::counter::workload()).unwrap();
    let (md, _) = render(
        &workloads::counter::workload(),
        &measurements,
        &environment(),
    );
    assert!(
        md.contains("| atomic | tokio | 100 M [100 M–100 M] (0.50× [0.50–0.50] fetch_add) |"),
        "{md}"
    );
    assert!(!md.contains(") ▼") && !md.contains("Below the bar"), "{md}");
}

#[test]
fn noisy_cells_show_their_spread() {
    let scratch = Scratch::new("spread");
    // 100 M ops/s in the middle round, quartiles at 80 M and 125 M.
    scratch.write(
        "counter",
        &rounds(
            "counter-add",
            "mutex@threads",
            1,
            &[8.0, 12.5, 10.0, 5.0, 20.0],
        ),
    );
    let measurements = load(&scratch.0, &workloads::counter::workload()).unwrap();
    assert!((measurements[0].spread().unwrap() - 0.45).abs() < 1e-9);
    let (md, csv) = render(
        &workloads::counter::workload(),
        &measurements,
        &environment(),
    );
    assert!(
        md.contains("| mutex | threads | 100 M [50 M–200 M] ±22% |"),
        "{md}"
    );
    let rows = csv_rows(&csv);
    let mutex = row(&rows, "mutex", "threads", 1);
    assert_eq!(mutex.ops_per_sec_slowest, Some(50e6));
    assert_eq!(mutex.spread_iqr, Some(0.45));
}

#[test]
fn flagged_styles_are_marked_with_the_reason() {
    let scratch = Scratch::new("flagged");
    let mut samples = rounds("bank-2", "atomic@threads", 1, &[10.0]);
    samples.extend(rounds("bank-2", "mutex@threads", 1, &[20.0]));
    scratch.write("bank", &samples);
    let measurements = load(&scratch.0, &workloads::bank::workload()).unwrap();
    let (md, csv) = render(&workloads::bank::workload(), &measurements, &environment());
    assert!(md.contains("| atomic ⚠ | threads | 100 M |"), "{md}");
    assert!(md.contains("| mutex | threads | 50 M |"), "{md}");
    assert!(md.contains("⚠ atomic: breaks the contract"), "{md}");
    let rows = csv_rows(&csv);
    assert!(row(&rows, "atomic", "threads", 1).breaks_contract);
    assert!(!row(&rows, "mutex", "threads", 1).breaks_contract);
}

#[test]
fn charts_have_a_bar_per_cell_and_label_the_fast_and_cheap() {
    let scratch = Scratch::new("chart");
    let mut samples = rounds("counter-add", "baseline_fetch_add@threads", 1, &[5.0]);
    samples.extend(rounds("counter-add", "atomic@threads", 1, &[10.0]));
    samples.extend(rounds("counter-add", "atomic@threads", 4, &[20.0]));
    // Slower and dearer than the atomic: not labelled in the cost chart.
    let mut mutex = rounds("counter-add", "mutex@threads", 1, &[40.0]);
    mutex[0].cpu_ns = 40_000;
    samples.extend(mutex);
    scratch.write("counter", &samples);
    let measurements = load(&scratch.0, &workloads::counter::workload()).unwrap();
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
        4,
        "one bar per cell:\n{svg}"
    );
    assert!(svg.contains("atomic ⚠ @ threads") && svg.contains("baseline_fetch_add @ threads"));
    assert!(svg.contains("4 clients (oversubscribed)"));

    let cost = chart::cost_svg("counter-add", &table, &environment(), &[("atomic", "why")]);
    assert!(cost.trim_end().ends_with("</svg>"));
    assert_eq!(
        cost.matches("<title>").count(),
        4,
        "one point per cell:\n{cost}"
    );
    // The baseline (fastest, as cheap as any) is labelled; the mutex is
    // dominated by it.
    assert!(cost.contains("baseline_fetch_add @ threads (1)"), "{cost}");
    assert!(!cost.contains("mutex @ threads (1)</text>"), "{cost}");
    assert!(crate::report::html::is_plain_chart(&cost), "{cost}");
    assert!(ScenarioTable::of(&measurements, "counter-mixed").is_none());
}

#[test]
fn a_rebuilt_report_keeps_the_runs_environment() {
    let out = Scratch::new("env-out");
    out.write("bank", &rounds("bank-2", "mutex@threads", 1, &[20.0]));
    let saved = environment();
    std::fs::write(
        out.0.join("bank.environment.json"),
        saved.to_json().to_string(),
    )
    .unwrap();
    let md = write(&workloads::bank::workload(), &out.0, false).unwrap();
    assert!(md.contains("test cpu") && md.contains("`abc`"), "{md}");

    std::fs::write(out.0.join("bank.environment.json"), "{\"cpu\": 1}").unwrap();
    let err = write(&workloads::bank::workload(), &out.0, false).unwrap_err();
    assert!(err.to_string().contains("bank.environment.json"), "{err}");
}

#[test]
fn a_later_run_replaces_only_the_cells_it_measured_and_pairs_within_itself() {
    let scratch = Scratch::new("runs");
    let mut samples = rounds("counter-add", "baseline_fetch_add@threads", 1, &[5.0; 5]);
    samples.extend(rounds("counter-add", "atomic@threads", 1, &[10.0; 5]));
    samples.extend(rounds("counter-add", "sharded@threads", 1, &[10.0; 5]));
    // A filtered run (`-- atomic`) measured the atomic and its baseline again.
    let mut later = rounds("counter-add", "baseline_fetch_add@threads", 1, &[4.0; 5]);
    later.extend(rounds("counter-add", "atomic@threads", 1, &[5.0; 5]));
    for s in &mut later {
        s.run = 2;
    }
    samples.extend(later);
    scratch.write("counter", &samples);
    let measurements = load(&scratch.0, &workloads::counter::workload()).unwrap();
    let (md, csv) = render(
        &workloads::counter::workload(),
        &measurements,
        &environment(),
    );
    let rows = csv_rows(&csv);
    let atomic = row(&rows, "atomic", "threads", 1);
    assert_eq!(
        (atomic.ops_per_sec, atomic.fraction_of_baseline),
        (200e6, Some(0.8))
    );
    // The sharded row keeps its earlier run; it has no pair in the latest
    // baseline's run, so no ratio rather than one across runs.
    assert_eq!(row(&rows, "sharded", "threads", 1).ops_per_sec, 100e6);
    assert_eq!(
        row(&rows, "sharded", "threads", 1).fraction_of_baseline,
        None
    );
    assert!(
        md.contains("| sharded | threads | 100 M [100 M–100 M] |"),
        "{md}"
    );
}

/// A round without an operation or a time is no measurement: the reader
/// names the file (an infinite throughput once sent the chart's decade
/// loop into an endless loop).
#[test]
fn a_round_without_operations_is_an_error_not_a_hang() {
    for (ops, span_ns) in [(0, 1000), (1000, 0)] {
        let scratch = Scratch::new("zero");
        let mut bad = sample("counter-add", "atomic@threads", 1, 0, 5.0);
        (bad.ops, bad.span_ns) = (ops, span_ns);
        scratch.write("counter", &[bad]);
        let message = load(&scratch.0, &workloads::counter::workload())
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("counter.samples.csv") && message.contains("nothing to rate"),
            "{message}"
        );
    }
}

/// The charts themselves survive cells they cannot place (they are also
/// drawn from tables built by hand): no bar or point for them, finite
/// axes, a closed SVG.
#[test]
fn a_chart_of_unplaceable_cells_still_ends() {
    let measurements = [
        Measurement::single(
            "counter-add".into(),
            "atomic@threads".into(),
            1,
            f64::INFINITY,
        ),
        Measurement::single("counter-add".into(), "mutex@threads".into(), 1, f64::NAN),
        Measurement::single("counter-add".into(), "actor@threads".into(), 1, 0.0),
    ];
    let table = ScenarioTable::of(&measurements, "counter-add").unwrap();
    let svg = chart::svg("counter-add", &table, &environment(), &[], true);
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_eq!(
        svg.matches("<title>").count(),
        0,
        "no bar for a cell with no throughput"
    );
    let cost = chart::cost_svg("counter-add", &table, &environment(), &[]);
    assert!(cost.trim_end().ends_with("</svg>"));
    assert_eq!(cost.matches("<title>").count(), 0);
}

/// The book's committed snapshot of a row workload: its rows, its
/// environment (with the run's parameters) and its report.
fn committed(name: &str) -> (String, Environment, String) {
    let dir = paths::book_results_dir();
    let read = |file: String| {
        std::fs::read_to_string(dir.join(&file)).unwrap_or_else(|e| panic!("{file}: {e}"))
    };
    let json: serde_json::Value =
        serde_json::from_str(&read(format!("{name}.environment.json"))).unwrap();
    (
        read(format!("{name}.csv")),
        Environment::from_json(&json).unwrap(),
        read(format!("{name}.md")),
    )
}

/// The row workloads, each with its renderer.
fn row_workloads() -> Vec<(Workload, workload::RenderRows)> {
    workloads::all()
        .into_iter()
        .filter_map(|w| match w.source {
            Source::Rows { render } => Some((w, render)),
            Source::Throughput { .. } => None,
        })
        .collect()
}

/// Two renderings of one figure: the same text, or numbers that differ by
/// no more than a unit of the coarser one's last digit (or 0.1%): the rows
/// hold figures rounded (to 0.1 ns, whole requests/s), and the committed
/// reports were made before rounding.
fn same_but_rounding(committed: &str, made: &str) -> bool {
    let (a, b): (Vec<&str>, Vec<&str>) = (
        committed.split_whitespace().collect(),
        made.split_whitespace().collect(),
    );
    let unit = |t: &str| {
        t.split_once('.')
            .map_or(1.0, |(_, d)| 10f64.powi(-(d.len() as i32)))
    };
    a.len() == b.len()
        && a.iter().zip(&b).all(|(x, y)| {
            x == y
                || match (x.parse::<f64>(), y.parse::<f64>()) {
                    (Ok(p), Ok(q)) => {
                        (p - q).abs() <= unit(x).max(unit(y)) + 1e-9
                            || (p - q).abs() <= 1e-3 * p.abs().max(q.abs())
                    }
                    _ => false,
                }
        })
}

#[test]
fn every_row_workload_is_made_from_its_committed_rows() {
    let names: Vec<&str> = row_workloads().iter().map(|(w, _)| w.name).collect();
    assert_eq!(names, ["jobs", "inbox", "server", "runtime", "context"]);
    for (workload, render) in row_workloads() {
        let name = workload.name;
        let (rows, environment, md) = committed(name);
        let made = render(&workload, &rows, &environment).unwrap_or_else(|e| panic!("{name}: {e}"));
        // The CSV is the rows again.
        assert_eq!(made.csv.trim_end(), rows.trim_end(), "{name}");
        if matches!(name, "jobs" | "inbox") {
            assert_eq!(made.md, md, "{name}");
            continue;
        }
        let (before, after): (Vec<&str>, Vec<&str>) =
            (md.lines().collect(), made.md.lines().collect());
        assert_eq!(before.len(), after.len(), "{name}");
        for (i, (x, y)) in before.iter().zip(&after).enumerate() {
            assert!(
                same_but_rounding(x, y),
                "{name} line {}:\n  committed {x}\n  made      {y}",
                i + 1
            );
        }
    }
}

#[test]
fn the_server_report_shows_the_idle_connections_it_has_rows_for() {
    let (rows, environment, _) = committed("server");
    let made = |rows: &str| {
        crate::workloads::server::render::report(&workloads::server::workload(), rows, &environment)
            .unwrap()
            .md
    };
    // The snapshot's rows: RSS at the few and the many connections, the
    // slope, held.
    let both = made(&rows);
    assert!(
        both.contains("| style | RSS at 1000 | RSS at 19000 |"),
        "{both}"
    );
    assert!(
        both.contains("| event_loop | 4.5 MiB | 11.9 MiB | 431 B | 45.2 MiB | 19000 of 19000 |"),
        "{both}"
    );
    // Rows of an earlier run, which kept only the many: a dash for the few.
    let many_only: String = rows
        .lines()
        .filter(|line| !line.starts_with("memory,") || line.contains(",19000,"))
        .map(|line| format!("{line}\n"))
        .collect();
    let earlier = made(&many_only);
    assert!(
        earlier.contains("| event_loop | – | 11.9 MiB | 431 B |"),
        "{earlier}"
    );
}

#[test]
fn a_row_workload_without_its_parameters_says_what_is_missing() {
    for (workload, render) in row_workloads() {
        let (rows, mut environment, _) = committed(workload.name);
        if environment.run.0.is_empty() {
            continue; // runtime: its rows say everything
        }
        environment.run = Default::default();
        let Err(e) = render(&workload, &rows, &environment) else {
            panic!("{}: made without its parameters", workload.name);
        };
        assert!(e.contains("is not recorded"), "{}: {e}", workload.name);
    }
}

#[test]
fn a_row_workload_is_rebuilt_from_a_results_directory() {
    let scratch = Scratch::new("rows");
    let (workload, _) = row_workloads()
        .into_iter()
        .find(|(w, _)| w.name == "inbox")
        .unwrap();
    let err = write(&workload, &scratch.0, false).unwrap_err();
    assert!(matches!(err, ReportError::NoResults { .. }), "{err}");
    let from = paths::book_results_dir();
    for file in ["inbox.csv", "inbox.environment.json"] {
        std::fs::copy(from.join(file), scratch.0.join(file)).unwrap();
    }
    let md = write(&workload, &scratch.0, false).unwrap();
    let committed = std::fs::read_to_string(from.join("inbox.md")).unwrap();
    assert_eq!(md, committed);
    assert_eq!(
        std::fs::read_to_string(scratch.0.join("inbox.md")).unwrap(),
        committed
    );
}
