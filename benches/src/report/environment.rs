//! What a report must say about where it was measured: CPU, cores, OS,
//! compiler, the versions of the crates under test, and the commit.

use std::path::Path;
use std::process::Command;

/// Crates whose versions are quoted in every report.
const CRATES_UNDER_TEST: &[&str] = &[
    "tokio",
    "async-std",
    "smol",
    "async-executor",
    "crossbeam-channel",
    "crossbeam-utils",
    "parking_lot",
    "dashmap",
    "foldhash",
    "criterion",
];

pub struct Environment {
    pub cpu: String,
    pub cores: usize,
    pub os: String,
    pub rustc: String,
    pub crates: Vec<(String, String)>,
    pub commit: String,
}

impl Environment {
    pub fn detect(workspace: &Path) -> Environment {
        Environment {
            cpu: cpu_model(),
            cores: patterns::sync::cores(),
            os: os(),
            rustc: command_line("rustc", &["-V"]),
            crates: locked_versions(&workspace.join("Cargo.lock")),
            commit: commit(workspace),
        }
    }

    /// The environment as JSON, saved beside a report so that rebuilding
    /// the report later describes the run, not the machine and commit of
    /// the rebuild.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "cpu": self.cpu,
            "cores": self.cores,
            "os": self.os,
            "rustc": self.rustc,
            "crates": self.crates,
            "commit": self.commit,
        })
    }

    /// Reads what [`Environment::to_json`] wrote; `None` if a field is
    /// missing or mistyped.
    pub fn from_json(value: &serde_json::Value) -> Option<Environment> {
        let text = |field: &str| value[field].as_str().map(str::to_string);
        let crates = value["crates"]
            .as_array()?
            .iter()
            .map(|pair| {
                let pair = pair.as_array()?;
                Some((
                    pair.first()?.as_str()?.to_string(),
                    pair.get(1)?.as_str()?.to_string(),
                ))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Environment {
            cpu: text("cpu")?,
            cores: usize::try_from(value["cores"].as_u64()?).ok()?,
            os: text("os")?,
            rustc: text("rustc")?,
            crates,
            commit: text("commit")?,
        })
    }

    pub fn markdown(&self) -> String {
        let crates: Vec<String> = self
            .crates
            .iter()
            .map(|(n, v)| format!("{n} {v}"))
            .collect();
        format!(
            "| | |\n|---|---|\n| CPU | {} |\n| cores | {} |\n| OS | {} |\n| compiler | {} |\n| crates | {} |\n| commit | `{}` |\n",
            self.cpu,
            self.cores,
            self.os,
            self.rustc,
            crates.join(", "),
            self.commit
        )
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn os() -> String {
    let name = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|release| {
            release
                .lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_string())
        })
        .unwrap_or_else(|| std::env::consts::OS.to_string());
    match std::fs::read_to_string("/proc/sys/kernel/osrelease") {
        Ok(kernel) => format!("{name}, kernel {}", kernel.trim()),
        Err(_) => name,
    }
}

fn command_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn commit(workspace: &Path) -> String {
    let dir = workspace.to_string_lossy();
    let head = command_line("git", &["-C", &dir, "rev-parse", "--short=12", "HEAD"]);
    let dirty = !command_line(
        "git",
        &["-C", &dir, "status", "--porcelain", "--untracked-files=no"],
    )
    .is_empty();
    if dirty && head != "unknown" {
        format!("{head} (with uncommitted changes)")
    } else {
        head
    }
}

/// Reads `name = ...` / `version = ...` pairs from Cargo.lock.
fn locked_versions(lock_file: &Path) -> Vec<(String, String)> {
    let Ok(lock) = std::fs::read_to_string(lock_file) else {
        return vec![("Cargo.lock".into(), "not found".into())];
    };
    let mut found = Vec::new();
    let mut name = None;
    for line in lock.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"').to_string());
        } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), name.take())
            && CRATES_UNDER_TEST.contains(&n.as_str())
        {
            found.push((n, v.trim_matches('"').to_string()));
        }
    }
    found.sort();
    found.dedup();
    found
}
