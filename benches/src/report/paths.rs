//! Where things are: the workspace, cargo's target directory, criterion's
//! output, and the reports.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (where Cargo.lock lives).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("benches/ sits in the workspace")
        .to_path_buf()
}

/// Cargo's target directory, found the way criterion finds it:
/// `CARGO_TARGET_DIR`, else `cargo metadata`, else `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(workspace_root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| serde_json::from_slice::<serde_json::Value>(&o.stdout).ok())
        .and_then(|m| m["target_directory"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// Criterion's output directory: `CRITERION_HOME`, else `<target>/criterion`.
pub fn criterion_dir() -> PathBuf {
    std::env::var_os("CRITERION_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("criterion"))
}

/// Where reports are written: `<target>/workbench-report/`.
pub fn default_out_dir() -> PathBuf {
    target_dir().join("workbench-report")
}

/// The book's committed snapshot of results.
pub fn book_results_dir() -> PathBuf {
    workspace_root().join("book/src/results")
}
