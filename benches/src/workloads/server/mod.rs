//! The server workload: its description for the report, the cells its
//! bench measures, and the machinery that measures them: each style's
//! server in its own process ([`process`]), CPU placement ([`placement`]),
//! the load generator ([`generator`]) and one cell of it ([`sweep`]), the
//! memory probe ([`memory`]), redis-server and redis-benchmark
//! ([`redis`]), and its rows and the report made from them ([`render`]). The bench target
//! (`benches/benches/server.rs`) only walks the cells.

use crate::report::workload::{Source, Workload};

pub mod generator;
pub mod memory;
pub mod placement;
pub mod process;
pub mod redis;
pub mod render;
pub mod sweep;

use std::time::Duration;

use generator::Mix;

/// Styles measured a second time at one worker (`--workers 1`), as
/// `(style, row name)`, where the server has more than one CPU: the task
/// per connection on tokio's work-stealing runtime, so that the ADR's
/// `worker_threads(num_cpus)` has a row to be measured against.
pub const ONE_WORKER: [(&str, &str); 1] = [("task_tokio", "task_tokio_1_worker")];

/// Closed-loop peak: connections, and requests outstanding on each.
pub const CONNECTIONS: [usize; 4] = [1, 100, 1_000, 10_000];
pub const DEPTHS: [usize; 2] = [1, 16];
/// Short, because a cell is measured in interleaved rounds
/// ([`crate::settings::server_rounds`]); 50 ticks of the server's 10 ms
/// CPU clock.
pub const CLOSED_WARM_UP: Duration = Duration::from_millis(200);
pub const CLOSED_WINDOW: Duration = Duration::from_millis(500);
/// Open loop: this many connections, offered these shares of the best
/// server's closed-loop peak at that many connections, and these fixed
/// rates (the same load on every machine).
pub const OPEN_CONNECTIONS: usize = 100;
/// No 10% share: the fixed 10 k req/s rate is the light-load point (about
/// 7% of the peaks here), and the cells it took are better spent elsewhere.
/// No 80% share either since the fan-out scenario came: its cells, over
/// every server and two scenarios, cost about a hundred seconds, and the
/// knee lies between 50% and 95% for every style measured so far.
pub const LOAD_SHARES: [f64; 2] = [0.5, 0.95];
/// Quick mode's sweeps (`-- --quick`).
pub const QUICK_CONNECTIONS: [usize; 3] = [1, 100, 10_000];
pub const QUICK_LOAD_SHARES: [f64; 2] = [0.5, 0.95];
pub const FIXED_RATES: [f64; 1] = [10_000.0];
/// Ten thousand requests at the lowest rate in each round (a p99.9 of
/// ten), three rounds a cell.
pub const OPEN_WARM_UP: Duration = Duration::from_millis(300);
pub const OPEN_WINDOW: Duration = Duration::from_secs(1);
/// How long replies are awaited after a window; what is still out then is
/// unanswered (and charged the wait): far beyond the p99 of any server
/// that keeps up, so only one that fell behind leaves requests out.
pub const GRACE: Duration = Duration::from_millis(300);
/// The mixed scenario: one request in a hundred keeps its thread busy for
/// 500 µs (about fifty fast requests' worth), the rest as in `uniform`.
pub const MIXED: Mix = Mix {
    slow_one_in: 100,
    slow_micros: 500,
    slow_steps: 1,
};
/// The fan-out scenario: one request in twenty is `FANOUT 4 100` (four
/// independent steps of 100 µs), the rest as in `uniform`.
pub const FAN_OUT: Mix = Mix {
    slow_one_in: 20,
    slow_micros: 400,
    slow_steps: 4,
};
/// The styles the fan-out scenario measures: the two that run a
/// `FANOUT`'s steps as tasks (`session_tokio` owns them, `task_tokio`
/// detaches them), `per_core_tokio` (detached like `task_tokio`, but on
/// its core's runtime: no stealing), and two that run them in turn on the
/// connection's thread (a thread per connection, which the kernel
/// time-slices, and the event loop, which nothing does). Every style
/// answers `FANOUT`; the rest run it in turn as these two do. (Not the
/// pool: it serves as many connections as it has workers, so most of the
/// hundred wait whatever the mix.)
pub const FAN_OUT_STYLES: [&str; 5] = [
    "thread_per_conn",
    "event_loop",
    "per_core_tokio",
    "task_tokio",
    "session_tokio",
];

/// A latency scenario: its name, its requests, and which servers it
/// measures (`None`: every one, redis-server included).
#[derive(Debug, Clone, Copy)]
pub struct LoadScenario {
    pub name: &'static str,
    pub mix: Mix,
    pub only: Option<&'static [&'static str]>,
}

impl LoadScenario {
    /// Whether the scenario measures `server` (a style's name, or
    /// `redis-server`).
    pub fn measures(&self, server: &str) -> bool {
        self.only.is_none_or(|styles| styles.contains(&server))
    }
}

pub const SCENARIOS: [LoadScenario; 3] = [
    LoadScenario {
        name: "uniform",
        mix: Mix::UNIFORM,
        only: None,
    },
    LoadScenario {
        name: "mixed",
        mix: MIXED,
        only: None,
    },
    LoadScenario {
        name: "fanout",
        mix: FAN_OUT,
        only: Some(&FAN_OUT_STYLES),
    },
];
/// The limit cell: this many places, twice as many connections.
pub const LIMIT: usize = 100;
/// Idle connections held for the memory figure: the slope between these.
pub const IDLE_FEW: usize = 1_000;
pub const IDLE_MANY: usize = 19_000;
/// Connections opened at once while setting up (more overflow the listen
/// backlog, and the kernel then retries a dropped SYN after a second).
pub const CONNECTING_AT_ONCE: usize = 256;

/// The styles measured: never the broken one.
pub fn styles() -> Vec<&'static str> {
    patterns::registry::measured("server")
        .iter()
        .map(|style| style.name)
        .collect()
}

pub fn workload() -> Workload {
    Workload {
        name: "server",
        source: Source::Rows {
            render: render::report,
        },
        flagged: super::flag("server", ""),
        about: "Each server runs in its own process (the `server` binary; redis-server beside them), pinned to its own \
            CPUs; the load generator's threads run in this one, pinned to the others (`WORKBENCH_PLACEMENT=shared` \
            puts both everywhere). The generator speaks RESP, the same bytes to every server; loopback only. At low \
            rates every request wakes an idle server and an idle generator, and in a VM each wake costs tens of \
            microseconds of latency and of CPU: that, not the design, is the floor of the lowest rows.",
        typical_seconds: 900,
    }
}
