//! Where things are: the workspace, cargo's target directory, and the
//! reports (with the samples they are rebuilt from).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (where Cargo.lock lives).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("benches/ sits in the workspace")
        .to_path_buf()
}

/// Cargo's target directory:
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

/// Where reports are written: `<target>/workbench-report/`.
pub fn default_out_dir() -> PathBuf {
    target_dir().join("workbench-report")
}

/// The book's committed snapshot of results.
pub fn book_results_dir() -> PathBuf {
    workspace_root().join("book/src/results")
}
