//! What can go wrong while reading results and writing reports, with
//! messages that say what to do about it.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug)]
pub enum ReportError {
    NoCriterionDir(PathBuf),
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
            ReportError::NoCriterionDir(dir) => write!(
                f,
                "no criterion results at {}: run the benchmarks first (cargo bench), \
                 or point --criterion-dir at criterion's output",
                dir.display()
            ),
            ReportError::NoResults { dir, workload } => write!(
                f,
                "no {workload} results under {}: run `cargo bench --bench {workload}` first",
                dir.display()
            ),
            ReportError::Unreadable { path, reason } => write!(
                f,
                "cannot read {}: {reason} (criterion's output format may have changed; \
                 this report reads the format of the criterion version pinned in Cargo.toml)",
                path.display()
            ),
            ReportError::Write { path, reason } => {
                write!(f, "cannot write {}: {reason}", path.display())
            }
        }
    }
}

impl std::error::Error for ReportError {}
