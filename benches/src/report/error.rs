//! What can go wrong while reading results and writing reports, with
//! messages that say what to do about it.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug)]
pub enum ReportError {
    NoResults { dir: PathBuf, workload: String },
    Unreadable { path: PathBuf, reason: String },
    Write { path: PathBuf, reason: String },
}

impl ReportError {
    pub fn write(path: &std::path::Path, e: std::io::Error) -> ReportError {
        ReportError::Write {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }
    }
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportError::NoResults { dir, workload } => write!(
                f,
                "no {workload} results under {}: run `cargo bench --bench {workload}` first",
                dir.display()
            ),
            ReportError::Unreadable { path, reason } => {
                write!(f, "cannot read {}: {reason}", path.display())
            }
            ReportError::Write { path, reason } => {
                write!(f, "cannot write {}: {reason}", path.display())
            }
        }
    }
}

impl std::error::Error for ReportError {}
