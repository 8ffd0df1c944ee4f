//! loom model checks of every facade-based implementation. The models live
//! in `tests/`; they compile only under the project's loom switch:
//!
//! ```sh
//! RUSTFLAGS="--cfg workbench_loom" LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test -p loom-tests --release --target-dir target-loom
//! ```
//!
//! Without the switch this crate is empty, so ordinary `cargo test` skips it.
