//! Results as data: one typed row per workload, and the one place that
//! writes and reads them as CSV (the `csv` crate, so a field with a comma
//! or a quote survives). Every bench builds rows of its workload's type
//! and writes them here; `--compare` and the book's checker read the
//! files back through [`Table`] (any workload's CSV, untyped, by column
//! name), and [`read`] gives the typed rows.
//!
//! A row's fields are its CSV columns, in order; an empty cell is `None`.
//! Figures are numbers, not text: each float column says how it is
//! written (`fixed::<N>` decimals, or the shortest text that reads back
//! as the same number), so a file read and written again has the same
//! cells with the same values (tested on the book's committed snapshot).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize, Serializer};

/// A workload's row type.
pub trait Row: Serialize + DeserializeOwned {
    /// The workload, and its file's name (`<workload>.csv`).
    const WORKLOAD: &'static str;
    /// The columns, in field order; a file with other columns is another
    /// version's.
    const COLUMNS: &'static [&'static str];
    /// Headers of earlier versions that still read, each the first
    /// columns of [`Row::COLUMNS`] (the rest read as empty).
    const EARLIER: &'static [&'static [&'static str]] = &[];
}

/// `rows` as CSV text, header first.
pub fn write<R: Row>(rows: &[R]) -> String {
    let mut out = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    out.write_record(R::COLUMNS)
        .expect("writing to memory cannot fail");
    for row in rows {
        out.serialize(row)
            .expect("a row of plain fields serializes");
    }
    let bytes = out.into_inner().expect("writing to memory cannot fail");
    String::from_utf8(bytes).expect("rows are UTF-8")
}

/// The typed rows of `text`, which must have `R`'s columns, or one of its
/// [`Row::EARLIER`] headers (the missing columns read as empty).
pub fn read<R: Row>(text: &str) -> Result<Vec<R>, String> {
    let table = Table::parse(text)?;
    let header: Vec<&str> = table.header.iter().map(String::as_str).collect();
    let known = header == R::COLUMNS || R::EARLIER.contains(&header.as_slice());
    if !known {
        return Err(format!(
            "a {} CSV from another version of the workbench: its columns are [{}], this version's [{}]",
            R::WORKLOAD,
            table.header.join(", "),
            R::COLUMNS.join(", ")
        ));
    }
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    reader
        .deserialize()
        .enumerate()
        .map(|(i, row)| row.map_err(|e| format!("{} CSV, row {}: {e}", R::WORKLOAD, i + 1)))
        .collect()
}

/// Any of these CSVs, untyped: its header and its records, by column
/// name. What `--compare` and the book's checker read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub header: Vec<String>,
    pub records: Vec<Vec<String>>,
}

impl Table {
    pub fn parse(text: &str) -> Result<Table, String> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(false)
            .from_reader(text.as_bytes());
        let mut records = reader.records();
        let header = match records.next() {
            Some(Ok(h)) => h.iter().map(str::to_string).collect(),
            Some(Err(e)) => return Err(format!("unreadable header: {e}")),
            None => return Err("empty: no header".to_string()),
        };
        let records = records
            .enumerate()
            .map(|(i, r)| {
                r.map(|r| r.iter().map(str::to_string).collect())
                    .map_err(|e| format!("record {}: {e}", i + 1))
            })
            .collect::<Result<Vec<Vec<String>>, String>>()?;
        Ok(Table { header, records })
    }

    pub fn read(path: &std::path::Path) -> Result<Table, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Table::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

/// A float column written with `N` decimals.
pub fn fixed<const N: usize, S: Serializer>(value: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("{value:.N$}"))
}

/// An optional float column written with `N` decimals (empty for `None`).
pub fn fixed_opt<const N: usize, S: Serializer>(
    value: &Option<f64>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => fixed::<N, S>(v, s),
        None => s.serialize_none(),
    }
}

// ANCHOR: rows
/// One cell of a throughput workload (counter, bank, session store): a
/// style on a driver with a number of clients, in one scenario, summed up
/// from its interleaved rounds ([`SampleRow`]). Figures are medians over
/// the rounds. The columns after `below_bar` came with the cost
/// measurements; an earlier version's file, which lacks them, reads with
/// them empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellRow {
    pub scenario: String,
    pub style: String,
    pub driver: String,
    pub clients: usize,
    /// More threads may be runnable at once (clients, and what the style
    /// keeps busy besides them: `runnable_threads`) than there are cores.
    pub oversubscribed: bool,
    #[serde(serialize_with = "fixed::<0, _>")]
    pub ops_per_sec: f64,
    #[serde(serialize_with = "fixed::<2, _>")]
    pub median_ns_per_op: f64,
    /// The primitive the style is held against (its name without
    /// `baseline_`), if any.
    pub baseline: Option<String>,
    #[serde(serialize_with = "fixed_opt::<3, _>")]
    pub fraction_of_baseline: Option<f64>,
    /// A torn style, measured though it breaks part of the contract.
    pub breaks_contract: bool,
    /// The interquartile range of the rounds' throughputs over their
    /// median (from five rounds); the table shows half of it as ±%.
    #[serde(serialize_with = "fixed_opt::<3, _>")]
    pub spread_iqr: Option<f64>,
    pub repeats: usize,
    #[serde(serialize_with = "fixed_opt::<0, _>")]
    pub ops_per_sec_slowest: Option<f64>,
    #[serde(serialize_with = "fixed_opt::<0, _>")]
    pub ops_per_sec_fastest: Option<f64>,
    /// Only when the whole confidence interval of the fraction lies below
    /// the bar.
    pub below_bar: bool,
    /// The interval of `fraction_of_baseline` (the median of
    /// the rounds' paired ratios).
    #[serde(serialize_with = "fixed_opt::<3, _>", default)]
    pub fraction_low: Option<f64>,
    #[serde(serialize_with = "fixed_opt::<3, _>", default)]
    pub fraction_high: Option<f64>,
    /// Clients plus the threads and runtime workers the style keeps busy
    /// besides them (its `HELPERS`), at most.
    #[serde(default)]
    pub runnable_threads: Option<usize>,
    /// User plus system CPU time of the whole process over the run, per
    /// operation: every thread the style and its clients ran.
    #[serde(serialize_with = "fixed_opt::<1, _>", default)]
    pub cpu_ns_per_op: Option<f64>,
    #[serde(serialize_with = "fixed_opt::<0, _>", default)]
    pub ops_per_cpu_sec: Option<f64>,
    #[serde(serialize_with = "fixed_opt::<4, _>", default)]
    pub voluntary_switches_per_op: Option<f64>,
    #[serde(serialize_with = "fixed_opt::<4, _>", default)]
    pub involuntary_switches_per_op: Option<f64>,
    #[serde(serialize_with = "fixed_opt::<3, _>", default)]
    pub allocations_per_op: Option<f64>,
    #[serde(serialize_with = "fixed_opt::<1, _>", default)]
    pub allocated_bytes_per_op: Option<f64>,
    /// The slowest client's operations over an even share of the total
    /// (1: every client did as much; 0: one client did nothing).
    #[serde(serialize_with = "fixed_opt::<3, _>", default)]
    pub slowest_client_share: Option<f64>,
    /// Jain's index of the clients' operation counts.
    #[serde(serialize_with = "fixed_opt::<3, _>", default)]
    pub jain: Option<f64>,
    /// The VM's steal time over the rounds, as a share of the time its
    /// CPUs had (pooled: all rounds' steal over all rounds' time).
    #[serde(serialize_with = "fixed_opt::<4, _>", default)]
    pub steal_share: Option<f64>,
}

/// One measured round of one row of a throughput cell: what the run did
/// and cost, as measured (the report derives every figure from these).
/// Written to `<workload>.samples.csv` as the bench goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleRow {
    /// The run it came from (its start, in seconds since the epoch): a
    /// filtered run replaces only the cells it measured, and rounds pair
    /// only within one run.
    pub run: u64,
    pub scenario: String,
    /// The style, or `baseline_<primitive>`.
    pub style: String,
    pub driver: String,
    pub clients: usize,
    /// The interleaved pass it belongs to (0-based): a style's round and
    /// its baseline's round of the same pass form a pair.
    pub round: usize,
    /// Its place in that pass's shuffled order.
    pub order: usize,
    pub runnable_threads: usize,
    pub cores: usize,
    pub ops: u64,
    pub span_ns: u64,
    pub cpu_ns: u64,
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
    pub allocations: u64,
    pub allocated_bytes: u64,
    pub steal_ns: u64,
    /// The wall time between the cost readings, and the CPUs the steal
    /// time is summed over: steal's share is `steal_ns / (interval_ns *
    /// steal_cpus)`.
    pub interval_ns: u64,
    pub steal_cpus: usize,
    pub slowest_client_ops: u64,
    pub fastest_client_ops: u64,
    #[serde(serialize_with = "fixed::<4, _>")]
    pub jain: f64,
}

/// One cell of the jobs workload: a runner on an executor, for a kind
/// and cost of job and a number of callers; or the executor's idle
/// heartbeat (`runner` "none").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobsRow {
    pub executor: String,
    pub kind: String,
    pub cost_us: u64,
    pub runner: String,
    pub callers: usize,
    #[serde(serialize_with = "fixed_opt::<0, _>")]
    pub jobs_per_sec: Option<f64>,
    pub job_p50_ns: Option<u64>,
    pub job_p99_ns: Option<u64>,
    pub heartbeat_p50_ns: Option<u64>,
    pub heartbeat_p99_ns: Option<u64>,
    pub heartbeat_max_ns: Option<u64>,
    /// The open loop's offered rate, jobs a second over all callers.
    #[serde(serialize_with = "fixed_opt::<0, _>")]
    pub offered_per_sec: Option<f64>,
    /// Jobs due in the window, those never completed, and callers that
    /// completed none.
    pub due: Option<u64>,
    pub unanswered: Option<u64>,
    pub idle_callers: Option<u64>,
}

/// One cell of the server workload, of one `kind`: `load` (the
/// workbench's generator), `memory` (idle connections), `limit`, or
/// `redis-benchmark`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerRow {
    pub kind: String,
    pub style: String,
    pub connections: usize,
    pub depth: Option<usize>,
    #[serde(serialize_with = "fixed_opt::<0, _>")]
    pub requests_per_sec: Option<f64>,
    pub p50_ns: Option<u64>,
    pub p99_ns: Option<u64>,
    pub p999_ns: Option<u64>,
    pub answered: Option<u64>,
    pub rss_bytes: Option<u64>,
    /// RSS over connections answered; NaN when none was.
    #[serde(serialize_with = "fixed_opt::<0, _>")]
    pub bytes_per_connection: Option<f64>,
    /// `uniform`, `mixed` (one request in a hundred slow) or `limit`.
    pub scenario: Option<String>,
    /// The open loop's schedule, requests/s over all connections.
    #[serde(serialize_with = "fixed_opt::<0, _>")]
    pub offered_per_sec: Option<f64>,
    pub max_ns: Option<u64>,
    /// Requests due in the window, and of those never answered.
    pub due: Option<u64>,
    pub unanswered: Option<u64>,
    /// The server process's CPU time per reply, and in cores.
    #[serde(serialize_with = "fixed_opt::<0, _>")]
    pub server_cpu_ns_per_request: Option<f64>,
    #[serde(serialize_with = "fixed_opt::<3, _>")]
    pub server_cores: Option<f64>,
    /// The load generator's CPU over its threads' time (1.0: saturated).
    #[serde(serialize_with = "fixed_opt::<3, _>")]
    pub generator_busy: Option<f64>,
    /// How late the generator's sends were, p99.
    pub lateness_p99_ns: Option<u64>,
    /// Whether the generator may have set the pace (not judged).
    pub client_bound: Option<bool>,
    /// The slow requests' latency (mixed scenario).
    pub slow_p50_ns: Option<u64>,
    pub slow_p99_ns: Option<u64>,
    /// From the actual write to the reply, p99 (the closed-loop view).
    pub service_p99_ns: Option<u64>,
    /// A per-core style's connections and requests served by each core
    /// over the server process's life (warm-up included), in core order:
    /// how evenly `SO_REUSEPORT` spread them. Empty for other styles.
    #[serde(default)]
    pub core_connections: Option<PerCore>,
    #[serde(default)]
    pub core_requests: Option<PerCore>,
    /// Rounds this row's cell was measured in (closed and open loop); its
    /// figures are the medians over them, field by field, and the four
    /// below give the lowest and highest round of the headline figures.
    pub repeats: Option<usize>,
    #[serde(serialize_with = "fixed_opt::<0, _>")]
    pub requests_per_sec_lowest: Option<f64>,
    #[serde(serialize_with = "fixed_opt::<0, _>")]
    pub requests_per_sec_highest: Option<f64>,
    pub p50_ns_lowest: Option<u64>,
    pub p50_ns_highest: Option<u64>,
    pub p99_ns_lowest: Option<u64>,
    pub p99_ns_highest: Option<u64>,
    #[serde(serialize_with = "fixed_opt::<0, _>")]
    pub server_cpu_ns_per_request_lowest: Option<f64>,
    #[serde(serialize_with = "fixed_opt::<0, _>")]
    pub server_cpu_ns_per_request_highest: Option<f64>,
}

/// A count per core, one CSV cell: the counts in core order, separated by
/// spaces (`"5012 4988"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PerCore(pub Vec<u64>);

impl PerCore {
    /// The largest core's share of the sum, 1/n when perfectly even;
    /// `None` for no counts or a zero sum.
    pub fn busiest_share(&self) -> Option<f64> {
        let sum: u64 = self.0.iter().sum();
        let max = self.0.iter().max()?;
        (sum > 0).then(|| *max as f64 / sum as f64)
    }
}

impl std::fmt::Display for PerCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, n) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

impl Serialize for PerCore {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PerCore {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<PerCore, D::Error> {
        let text = String::deserialize(d)?;
        text.split_whitespace()
            .map(str::parse)
            .collect::<Result<Vec<u64>, _>>()
            .map(PerCore)
            .map_err(|e| serde::de::Error::custom(format!("a per-core count in {text:?}: {e}")))
    }
}

/// One figure of the runtime workload: a kind of cost, on a runtime, for
/// `n` tasks, in `unit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuntimeRow {
    pub kind: String,
    pub runtime: String,
    pub n: usize,
    /// Written as the shortest text that reads back as the same number:
    /// the bench rounds it to what it means.
    pub value: f64,
    pub unit: String,
}

/// One figure of the context workload: a kind of measurement, a style (or
/// an id scheme), a concurrency, a metric, in `unit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContextRow {
    pub kind: String,
    pub style: String,
    pub concurrent: usize,
    pub metric: String,
    /// As [`RuntimeRow::value`].
    pub value: f64,
    pub unit: String,
}

/// One cell of the inbox workload: a backpressure style under one offered
/// load (a fraction of what the owner can handle), over one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxRow {
    pub style: String,
    /// Offered load as a fraction of the owner's capacity.
    pub load: f64,
    pub offered_per_sec: f64,
    /// Messages the producers' schedules made due within the window.
    pub due: u64,
    pub accepted: u64,
    pub refused: u64,
    /// Due, and never offered: the producers fell behind their schedule.
    pub held_back: u64,
    /// Handed to the owner within the window, a second.
    pub handled_per_sec: f64,
    /// From a message's intended send to its handling (accepted ones).
    pub p50_ns: u64,
    pub p99_ns: u64,
    pub max_ns: u64,
    /// How long a producer's `send` took, at its 99th percentile.
    pub send_p99_ns: u64,
    pub peak_backlog: u64,
    /// The peak backlog times a message's size.
    pub peak_backlog_bytes: u64,
    /// The process's resident memory at its peak, over its start.
    pub peak_rss_growth_bytes: u64,
    /// From the window's end until the owner had handled every accepted
    /// message.
    pub drain_ns: u64,
}
// ANCHOR_END: rows

impl ServerRow {
    /// A row of `kind` with every figure empty, for the caller to fill.
    pub fn empty(kind: &str, style: &str, connections: usize) -> ServerRow {
        ServerRow {
            kind: kind.to_string(),
            style: style.to_string(),
            connections,
            depth: None,
            requests_per_sec: None,
            p50_ns: None,
            p99_ns: None,
            p999_ns: None,
            answered: None,
            rss_bytes: None,
            bytes_per_connection: None,
            scenario: None,
            offered_per_sec: None,
            max_ns: None,
            due: None,
            unanswered: None,
            server_cpu_ns_per_request: None,
            server_cores: None,
            generator_busy: None,
            lateness_p99_ns: None,
            client_bound: None,
            slow_p50_ns: None,
            slow_p99_ns: None,
            service_p99_ns: None,
            core_connections: None,
            core_requests: None,
            repeats: None,
            requests_per_sec_lowest: None,
            requests_per_sec_highest: None,
            p50_ns_lowest: None,
            p50_ns_highest: None,
            p99_ns_lowest: None,
            p99_ns_highest: None,
            server_cpu_ns_per_request_lowest: None,
            server_cpu_ns_per_request_highest: None,
        }
    }
}

/// The criterion harness's cells (the book's snapshot until it is
/// refreshed): the first fifteen columns. Their figures were criterion's
/// medians of fixed work, one run; `oversubscribed` counted clients only.
const CRITERION_COLUMNS: &[&str] = &[
    "scenario",
    "style",
    "driver",
    "clients",
    "oversubscribed",
    "ops_per_sec",
    "median_ns_per_op",
    "baseline",
    "fraction_of_baseline",
    "breaks_contract",
    "spread_iqr",
    "repeats",
    "ops_per_sec_slowest",
    "ops_per_sec_fastest",
    "below_bar",
];

impl Row for CellRow {
    const EARLIER: &'static [&'static [&'static str]] = &[CRITERION_COLUMNS];
    // The three throughput workloads share the row; `WORKLOAD` names the
    // kind in messages.
    const WORKLOAD: &'static str = "throughput workload";
    const COLUMNS: &'static [&'static str] = &[
        "scenario",
        "style",
        "driver",
        "clients",
        "oversubscribed",
        "ops_per_sec",
        "median_ns_per_op",
        "baseline",
        "fraction_of_baseline",
        "breaks_contract",
        "spread_iqr",
        "repeats",
        "ops_per_sec_slowest",
        "ops_per_sec_fastest",
        "below_bar",
        "fraction_low",
        "fraction_high",
        "runnable_threads",
        "cpu_ns_per_op",
        "ops_per_cpu_sec",
        "voluntary_switches_per_op",
        "involuntary_switches_per_op",
        "allocations_per_op",
        "allocated_bytes_per_op",
        "slowest_client_share",
        "jain",
        "steal_share",
    ];
}

impl Row for SampleRow {
    const WORKLOAD: &'static str = "samples";
    const COLUMNS: &'static [&'static str] = &[
        "run",
        "scenario",
        "style",
        "driver",
        "clients",
        "round",
        "order",
        "runnable_threads",
        "cores",
        "ops",
        "span_ns",
        "cpu_ns",
        "voluntary_switches",
        "involuntary_switches",
        "allocations",
        "allocated_bytes",
        "steal_ns",
        "interval_ns",
        "steal_cpus",
        "slowest_client_ops",
        "fastest_client_ops",
        "jain",
    ];
}

impl Row for JobsRow {
    const WORKLOAD: &'static str = "jobs";
    const COLUMNS: &'static [&'static str] = &[
        "executor",
        "kind",
        "cost_us",
        "runner",
        "callers",
        "jobs_per_sec",
        "job_p50_ns",
        "job_p99_ns",
        "heartbeat_p50_ns",
        "heartbeat_p99_ns",
        "heartbeat_max_ns",
        "offered_per_sec",
        "due",
        "unanswered",
        "idle_callers",
    ];
    /// Before the open loop: callers that each waited for their result.
    const EARLIER: &'static [&'static [&'static str]] = &[&[
        "executor",
        "kind",
        "cost_us",
        "runner",
        "callers",
        "jobs_per_sec",
        "job_p50_ns",
        "job_p99_ns",
        "heartbeat_p50_ns",
        "heartbeat_p99_ns",
        "heartbeat_max_ns",
    ]];
}

impl Row for ServerRow {
    const WORKLOAD: &'static str = "server";
    const COLUMNS: &'static [&'static str] = &[
        "kind",
        "style",
        "connections",
        "depth",
        "requests_per_sec",
        "p50_ns",
        "p99_ns",
        "p999_ns",
        "answered",
        "rss_bytes",
        "bytes_per_connection",
        "scenario",
        "offered_per_sec",
        "max_ns",
        "due",
        "unanswered",
        "server_cpu_ns_per_request",
        "server_cores",
        "generator_busy",
        "lateness_p99_ns",
        "client_bound",
        "slow_p50_ns",
        "slow_p99_ns",
        "service_p99_ns",
        "core_connections",
        "core_requests",
        "repeats",
        "requests_per_sec_lowest",
        "requests_per_sec_highest",
        "p50_ns_lowest",
        "p50_ns_highest",
        "p99_ns_lowest",
        "p99_ns_highest",
        "server_cpu_ns_per_request_lowest",
        "server_cpu_ns_per_request_highest",
    ];
    /// Before the open-loop generator (closed-loop rows only), before the
    /// per-core counts, and before the rounds: each a prefix of today's
    /// columns.
    const EARLIER: &'static [&'static [&'static str]] = &[
        <ServerRow as Row>::COLUMNS.split_at(11).0,
        <ServerRow as Row>::COLUMNS.split_at(24).0,
        <ServerRow as Row>::COLUMNS.split_at(26).0,
    ];
}

impl Row for RuntimeRow {
    const WORKLOAD: &'static str = "runtime";
    const COLUMNS: &'static [&'static str] = &["kind", "runtime", "n", "value", "unit"];
}

impl Row for InboxRow {
    const WORKLOAD: &'static str = "inbox";
    const COLUMNS: &'static [&'static str] = &[
        "style",
        "load",
        "offered_per_sec",
        "due",
        "accepted",
        "refused",
        "held_back",
        "handled_per_sec",
        "p50_ns",
        "p99_ns",
        "max_ns",
        "send_p99_ns",
        "peak_backlog",
        "peak_backlog_bytes",
        "peak_rss_growth_bytes",
        "drain_ns",
    ];
}

impl Row for ContextRow {
    const WORKLOAD: &'static str = "context";
    const COLUMNS: &'static [&'static str] =
        &["kind", "style", "concurrent", "metric", "value", "unit"];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(name: &str) -> String {
        let path = format!(
            "{}/../book/src/results/{name}.csv",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Two cells hold the same value: the same text, or the same number.
    fn same(a: &str, b: &str) -> bool {
        a == b
            || match (a.parse::<f64>(), b.parse::<f64>()) {
                (Ok(x), Ok(y)) => x == y || (x.is_nan() && y.is_nan()),
                _ => false,
            }
    }

    /// The committed snapshot, read as typed rows and written again: the
    /// same header, the same cells, the same values.
    fn reproduces<R: Row>(name: &str) {
        let original = snapshot(name);
        let rows: Vec<R> = read(&original).unwrap_or_else(|e| panic!("{name}: {e}"));
        let written = write(&rows);
        let (before, after) = (
            Table::parse(&original).unwrap(),
            Table::parse(&written).unwrap(),
        );
        assert_eq!(after.header, R::COLUMNS, "{name}");
        assert!(
            R::COLUMNS.starts_with(&before.header.iter().map(String::as_str).collect::<Vec<_>>()),
            "{name}"
        );
        assert_eq!(before.records.len(), after.records.len(), "{name}");
        assert!(!rows.is_empty(), "{name}: no rows");
        for (i, (a, b)) in before.records.iter().zip(&after.records).enumerate() {
            for (column, (x, y)) in before.header.iter().zip(a.iter().zip(b)) {
                assert!(
                    same(x, y),
                    "{name} row {}, {column}: {x:?} became {y:?}",
                    i + 1
                );
            }
            // Columns the snapshot's version did not have are empty.
            for (column, y) in after.header.iter().zip(b).skip(before.header.len()) {
                assert!(y.is_empty(), "{name} row {}, {column}: {y:?}", i + 1);
            }
        }
    }

    #[test]
    fn the_committed_snapshot_is_reproduced_through_the_rows() {
        reproduces::<CellRow>("counter");
        reproduces::<CellRow>("bank");
        reproduces::<CellRow>("kv");
        reproduces::<JobsRow>("jobs");
        reproduces::<ServerRow>("server");
        reproduces::<RuntimeRow>("runtime");
        reproduces::<ContextRow>("context");
        reproduces::<InboxRow>("inbox");
    }

    #[test]
    fn per_core_counts_are_one_cell_and_read_back() {
        let rows = vec![ServerRow {
            core_connections: Some(PerCore(vec![5012, 4988])),
            core_requests: Some(PerCore(vec![7, 0])),
            ..ServerRow::empty("closed", "per_core_tokio", 10_000)
        }];
        let text = write(&rows);
        let table = Table::parse(&text).unwrap();
        let cell = |name: &str| {
            let at = table.header.iter().position(|h| h == name).unwrap();
            table.records[0][at].clone()
        };
        assert_eq!(
            (cell("core_connections"), cell("core_requests")),
            ("5012 4988".into(), "7 0".into())
        );
        assert_eq!(read::<ServerRow>(&text).unwrap(), rows);
        assert_eq!(PerCore(vec![30, 10]).busiest_share(), Some(0.75));
        assert_eq!(PerCore(vec![0, 0]).busiest_share(), None);
        let bad = text.replace("5012 4988", "5012 lots");
        let err = read::<ServerRow>(&bad).unwrap_err();
        assert!(
            err.contains("per-core count") && err.contains("row 1"),
            "{err}"
        );
    }

    #[test]
    fn earlier_server_files_read_with_the_new_columns_empty() {
        for columns in [11, 24, 26] {
            let header = ServerRow::COLUMNS[..columns].join(",");
            let cells = vec![""; columns - 3].join(",");
            let text = format!("{header}\nclosed,event_loop,100,{cells}\n");
            let rows = read::<ServerRow>(&text).unwrap_or_else(|e| panic!("{columns}: {e}"));
            assert_eq!(
                rows,
                vec![ServerRow::empty("closed", "event_loop", 100)],
                "{columns}"
            );
        }
        // Any other prefix is another version's.
        let header = ServerRow::COLUMNS[..23].join(",");
        assert!(read::<ServerRow>(&format!("{header}\n")).is_err());
    }

    #[test]
    fn fields_with_commas_and_quotes_survive() {
        let rows = vec![ContextRow {
            kind: "visitor_ids".into(),
            style: "a \"quoted\" scheme, with a comma".into(),
            concurrent: 1,
            metric: "burst".into(),
            value: 2.5,
            unit: "ms".into(),
        }];
        let text = write(&rows);
        assert_eq!(read::<ContextRow>(&text).unwrap(), rows);
        let table = Table::parse(&text).unwrap();
        assert_eq!(table.records[0][1], "a \"quoted\" scheme, with a comma");
    }

    #[test]
    fn another_versions_file_and_bad_cells_are_named() {
        let err = read::<RuntimeRow>("kind,value,runtime\nspawn,1,tokio\n").unwrap_err();
        assert!(
            err.contains("another version") && err.contains("kind, value, runtime"),
            "{err}"
        );
        let err =
            read::<RuntimeRow>("kind,runtime,n,value,unit\nspawn,tokio,many,1,ns\n").unwrap_err();
        assert!(err.contains("row 1"), "{err}");
        assert!(Table::parse("").unwrap_err().contains("empty"));
        // A shortened header is another version's, unless it is a known
        // earlier one.
        let err = read::<RuntimeRow>("kind,runtime\nspawn,tokio\n").unwrap_err();
        assert!(err.contains("another version"), "{err}");
        let err = read::<CellRow>("scenario,style,driver\na,b,c\n").unwrap_err();
        assert!(err.contains("another version"), "{err}");
        assert!(
            Table::parse("a,b\n1,2,3\n").is_err(),
            "a record longer than the header"
        );
    }
}
