//! The server workload: its description for the report, the cells its
//! bench measures, and the machinery that measures them: each style's
//! server in its own process ([`process`]), the load generator and the
//! memory probe ([`load`]), redis-server and redis-benchmark
//! ([`redis`]), and the report's tables ([`render`]). The bench target
//! (`benches/benches/server.rs`) only walks the cells.

use crate::report::workload::{Source, Workload};
use crate::torn_style_names;

pub mod load;
pub mod process;
pub mod redis;
pub mod render;

pub const CONNECTIONS: [usize; 5] = [1, 10, 100, 1_000, 10_000];
pub const DEPTHS: [usize; 2] = [1, 16];
pub const WARM_UP: std::time::Duration = std::time::Duration::from_millis(300);
pub const MEASURE: std::time::Duration = std::time::Duration::from_secs(1);
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
        about: "The server runs in its own process (the `server` binary), the load generator in this one: \
            a tokio runtime with a task per connection, the same for every style. Both share this machine's cores, \
            so every figure includes the client's cost; loopback only.",
        typical_seconds: 260,
    }
}
