//! What a report must say about where it was measured: CPU, cores and
//! their topology (SMT siblings, caches, frequency governor, the CPUs this
//! process may use), OS, compiler, the versions of the crates under test,
//! and the commit.

use std::path::{Path, PathBuf};
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
    "monoio",
    "glommio",
];

pub struct Environment {
    pub cpu: String,
    pub cores: usize,
    pub os: String,
    pub rustc: String,
    pub crates: Vec<(String, String)>,
    pub commit: String,
    /// SMT siblings, caches, governor and affinity, as one line.
    pub topology: String,
    /// What the run was set to that its rows do not say.
    pub run: Parameters,
}

/// A run's settings that its rows do not carry (a window, the placement),
/// by name: saved with the environment, so that a report rebuilt later
/// states what the run did, not what this build's defaults are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parameters(pub serde_json::Map<String, serde_json::Value>);

impl Parameters {
    pub fn set(&mut self, name: &str, value: impl Into<serde_json::Value>) -> &mut Self {
        self.0.insert(name.to_string(), value.into());
        self
    }

    /// Parameters that are durations only: `name_ms` for each.
    pub fn durations(durations: &[(&str, std::time::Duration)]) -> Parameters {
        let mut parameters = Parameters::default();
        for &(name, value) in durations {
            parameters.set_duration(name, value);
        }
        parameters
    }

    /// A duration, saved as whole milliseconds under `<name>_ms`.
    pub fn set_duration(&mut self, name: &str, value: std::time::Duration) -> &mut Self {
        let ms = u64::try_from(value.as_millis()).unwrap_or(u64::MAX);
        self.set(&format!("{name}_ms"), ms)
    }

    fn get(&self, name: &str) -> Result<&serde_json::Value, String> {
        self.0.get(name).ok_or_else(|| {
            format!("the run's `{name}` is not recorded in its environment (saved by an earlier version, or missing): measure again")
        })
    }

    pub fn duration(&self, name: &str) -> Result<std::time::Duration, String> {
        let key = format!("{name}_ms");
        let value = self.get(&key)?;
        value
            .as_u64()
            .map(std::time::Duration::from_millis)
            .ok_or_else(|| format!("the run's `{key}` is {value}, not milliseconds"))
    }

    pub fn number(&self, name: &str) -> Result<f64, String> {
        let value = self.get(name)?;
        value
            .as_f64()
            .ok_or_else(|| format!("the run's `{name}` is {value}, not a number"))
    }

    pub fn text(&self, name: &str) -> Result<&str, String> {
        let value = self.get(name)?;
        value
            .as_str()
            .ok_or_else(|| format!("the run's `{name}` is {value}, not text"))
    }

    pub fn numbers(&self, name: &str) -> Result<Vec<f64>, String> {
        let value = self.get(name)?;
        value
            .as_array()
            .and_then(|a| a.iter().map(serde_json::Value::as_f64).collect())
            .ok_or_else(|| format!("the run's `{name}` is {value}, not a list of numbers"))
    }
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
            topology: topology(Path::new("/sys/devices/system/cpu"), &allowed_cpus()),
            run: Parameters::default(),
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
            "topology": self.topology,
            "run": self.run.0,
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
            // Saved by an earlier version without it.
            topology: text("topology").unwrap_or_else(|| "not recorded".into()),
            // Saved by a throughput bench, or an earlier version: none.
            run: Parameters(value["run"].as_object().cloned().unwrap_or_default()),
        })
    }

    pub fn markdown(&self) -> String {
        let crates: Vec<String> = self
            .crates
            .iter()
            .map(|(n, v)| format!("{n} {v}"))
            .collect();
        format!(
            "| | |\n|---|---|\n| CPU | {} |\n| cores | {} |\n| topology | {} |\n| OS | {} |\n| compiler | {} |\n| crates | {} |\n| commit | `{}` |\n",
            self.cpu,
            self.cores,
            self.topology,
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

/// The CPUs this process may run on (`Cpus_allowed_list`).
fn allowed_cpus() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// One line about the CPUs under `sys` (`/sys/devices/system/cpu`): which
/// share a core (SMT siblings), the caches of the first CPU and which CPUs
/// share each, the frequency governor, and the CPUs this process may use.
/// What sysfs does not expose (a VM often hides the governor) is said.
pub fn topology(sys: &Path, allowed: &str) -> String {
    let read = |path: PathBuf| {
        std::fs::read_to_string(path)
            .ok()
            .map(|s| s.trim().to_string())
    };
    let online = read(sys.join("online")).unwrap_or_else(|| "unknown".into());
    let mut siblings: Vec<String> = Vec::new();
    for cpu in 0.. {
        let Some(list) = read(sys.join(format!("cpu{cpu}/topology/thread_siblings_list"))) else {
            break;
        };
        if !siblings.contains(&list) {
            siblings.push(list);
        }
    }
    let smt = if siblings.is_empty() {
        "SMT siblings not exposed".to_string()
    } else if siblings.iter().all(|s| !s.contains([',', '-'])) {
        format!(
            "{} cores, no two CPUs share one (no SMT siblings)",
            siblings.len()
        )
    } else {
        format!("SMT siblings {}", siblings.join(" | "))
    };
    let mut caches = Vec::new();
    for index in 0.. {
        let dir = sys.join(format!("cpu0/cache/index{index}"));
        let (Some(level), Some(kind), Some(size)) = (
            read(dir.join("level")),
            read(dir.join("type")),
            read(dir.join("size")),
        ) else {
            break;
        };
        let kind = match kind.as_str() {
            "Data" => "d",
            "Instruction" => "i",
            _ => "",
        };
        let shared = read(dir.join("shared_cpu_list")).unwrap_or_default();
        caches.push(format!("L{level}{kind} {size} (CPUs {shared})"));
    }
    let caches = if caches.is_empty() {
        "caches not exposed".to_string()
    } else {
        format!("caches {}", caches.join(", "))
    };
    let governor = read(sys.join("cpu0/cpufreq/scaling_governor"))
        .map_or("no frequency governor exposed".to_string(), |g| {
            format!("governor {g}")
        });
    format!(
        "CPUs {online} online; {smt}; {caches}; {governor}; this process may use CPUs {allowed}"
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, file: &str, text: &str) {
        let path = root.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, format!("{text}\n")).unwrap();
    }

    #[test]
    fn topology_names_siblings_caches_and_what_is_missing() {
        let root = std::env::temp_dir().join(format!("workbench-topology-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        write(&root, "online", "0-3");
        for (cpu, siblings) in [(0, "0,2"), (1, "1,3"), (2, "0,2"), (3, "1,3")] {
            write(
                &root,
                &format!("cpu{cpu}/topology/thread_siblings_list"),
                siblings,
            );
        }
        write(&root, "cpu0/cache/index0/level", "1");
        write(&root, "cpu0/cache/index0/type", "Data");
        write(&root, "cpu0/cache/index0/size", "48K");
        write(&root, "cpu0/cache/index0/shared_cpu_list", "0,2");
        let line = topology(&root, "0-3");
        let _ = std::fs::remove_dir_all(&root);
        assert_eq!(
            line,
            "CPUs 0-3 online; SMT siblings 0,2 | 1,3; caches L1d 48K (CPUs 0,2); \
             no frequency governor exposed; this process may use CPUs 0-3"
        );
        let bare = topology(Path::new("/nonexistent"), "0");
        assert!(bare.contains("SMT siblings not exposed") && bare.contains("caches not exposed"));
    }
}
