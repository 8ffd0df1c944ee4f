//! The server workload runs on the latency harness, which writes its own
//! report; its cells are described in `benches/benches/server.rs`.

use crate::report::workload::{Source, Workload};
use crate::torn_style_names;

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
