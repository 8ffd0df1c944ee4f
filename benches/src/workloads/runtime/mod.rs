//! The runtime workload: its description for the report, the executors
//! and measurements ([`measure`]), its rows and the report made from them
//! ([`render`]). The bench target (`benches/benches/runtime.rs`) only walks
//! the cells.

use crate::report::workload::{Source, Workload};

pub mod measure;
pub mod render;

pub fn workload() -> Workload {
    Workload {
        name: "runtime",
        source: Source::Rows {
            render: render::report,
        },
        flagged: Vec::new(),
        about: "tokio: multi-thread with one worker per core, and current-thread; async-std: its global executor; \
            smol: an `async_executor::Executor` with one thread per core; monoio (io_uring driver, timer) and glommio: \
            one thread-per-core executor on the measuring thread, as each core of their server styles runs one; \
            threads: `std::thread`.",
        typical_seconds: 20,
    }
}
