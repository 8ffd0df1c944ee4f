//! The server workload: its description for the report, the cells its
//! bench measures, and the machinery that measures them: each style's
//! server in its own process ([`process`]), CPU placement ([`placement`]),
//! the load generator ([`generator`]) and one cell of it ([`sweep`]), the
//! memory probe ([`memory`]), redis-server and redis-benchmark
//! ([`redis`]), and the report's tables ([`render`]). The bench target
//! (`benches/benches/server.rs`) only walks the cells.

use crate::report::workload::{Source, Workload};
use crate::torn_style_names;

pub mod generator;
pub mod memory;
pub mod placement;
pub mod process;
pub mod redis;
pub mod render;
pub mod sweep;

use std::time::Duration;

use generator::Mix;

/// Closed-loop peak: connections, and requests outstanding on each.
pub const CONNECTIONS: [usize; 4] = [1, 100, 1_000, 10_000];
pub const DEPTHS: [usize; 2] = [1, 16];
pub const CLOSED_WARM_UP: Duration = Duration::from_millis(300);
pub const CLOSED_WINDOW: Duration = Duration::from_secs(1);
/// Open loop: this many connections, offered these shares of the best
/// server's closed-loop peak at that many connections, and these fixed
/// rates (the same load on every machine).
pub const OPEN_CONNECTIONS: usize = 100;
/// No 10% share: the fixed 10 k req/s rate is the light-load point (about
/// 7% of the peaks here), and the cells it took are better spent elsewhere.
pub const LOAD_SHARES: [f64; 3] = [0.5, 0.8, 0.95];
/// Quick mode's sweeps (`-- --quick`).
pub const QUICK_CONNECTIONS: [usize; 3] = [1, 100, 10_000];
pub const QUICK_LOAD_SHARES: [f64; 2] = [0.5, 0.95];
pub const FIXED_RATES: [f64; 1] = [10_000.0];
/// Long enough for a p99.9 of ten thousand requests at the lowest rate.
pub const OPEN_WARM_UP: Duration = Duration::from_millis(500);
pub const OPEN_WINDOW: Duration = Duration::from_secs(2);
/// How long replies are awaited after a window; what is still out then is
/// unanswered.
pub const GRACE: Duration = Duration::from_millis(500);
/// The mixed scenario: one request in a hundred keeps its thread busy for
/// 500 µs (about fifty fast requests' worth), the rest as in `uniform`.
pub const MIXED: Mix = Mix {
    slow_one_in: 100,
    slow_micros: 500,
};
pub const SCENARIOS: [(&str, Mix); 2] = [("uniform", Mix::UNIFORM), ("mixed", MIXED)];
/// The limit cell: this many places, twice as many connections.
pub const LIMIT: usize = 100;
/// Idle connections held for the memory figure: the slope between these.
pub const IDLE_FEW: usize = 1_000;
pub const IDLE_MANY: usize = 19_000;
/// Connections opened at once while setting up (more overflow the listen
/// backlog, and the kernel then retries a dropped SYN after a second).
pub const CONNECTING_AT_ONCE: usize = 256;

macro_rules! style_names {
    (
        facade: [$($f:ident: $ft:ty,)*],
        library: [$($l:ident: $lt:ty,)*],
        torn: [$($t:ident: $tt:ty,)*],
        broken: [$($b:ident: $bt:ty,)*],
    ) => {
        /// The styles measured: never the broken one.
        pub const STYLES: &[&str] = &[$(stringify!($f),)* $(stringify!($l),)* $(stringify!($t),)*];
    };
}
patterns::for_each_server!(style_names);

pub fn workload() -> Workload {
    Workload {
        name: "server",
        source: Source::Harness,
        flagged: super::flag(patterns::for_each_server!(torn_style_names), ""),
        about: "Each server runs in its own process (the `server` binary; redis-server beside them), pinned to its own \
            CPUs; the load generator's threads run in this one, pinned to the others (`WORKBENCH_PLACEMENT=shared` \
            puts both everywhere). The generator speaks RESP, the same bytes to every server; loopback only. At low \
            rates every request wakes an idle server and an idle generator, and in a VM each wake costs tens of \
            microseconds of latency and of CPU: that, not the design, is the floor of the lowest rows.",
        typical_seconds: 690,
    }
}
