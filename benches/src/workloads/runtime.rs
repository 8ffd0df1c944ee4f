//! The runtime workload runs on the latency harness, which writes its own
//! report; its cells are described in `benches/benches/runtime.rs`.

use crate::report::workload::{Source, Workload};

pub fn workload() -> Workload {
    Workload {
        name: "runtime",
        source: Source::Harness,
        flagged: Vec::new(),
        about: "tokio: multi-thread with one worker per core, and current-thread; async-std: its global executor; \
            smol: an `async_executor::Executor` with one thread per core; threads: `std::thread`.",
        typical_seconds: 15,
    }
}
