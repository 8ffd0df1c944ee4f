//! Each style's server in a process of its own: the `server` binary,
//! started on a free loopback port and stopped by closing its input.

use std::io::{BufRead, BufReader, Read};

use patterns::server::CoreServed;
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, Stdio};

// ANCHOR: server_process
/// A server style in its own process: started with `--port 0`, its address
/// read from its first line, stopped by closing its standard input.
pub struct ServerProcess {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub address: SocketAddr,
}

/// A connection limit no cell reaches, but one this process's descriptor
/// limit can hold (the server binary refuses more, and a child inherits
/// our limit): 20,000, or what fits.
pub fn no_limit() -> usize {
    let fits = patterns::server::descriptor_limits().map_or(usize::MAX, |(soft, _)| {
        soft.saturating_sub(patterns::server::DESCRIPTOR_RESERVE) as usize
    });
    20_000.min(fits)
}

impl ServerProcess {
    /// `binary` is the `server` binary (the bench passes
    /// `env!("CARGO_BIN_EXE_server")`, which only a bench or test target
    /// of this package can name).
    pub fn start(binary: &str, style: &str, limit: usize) -> ServerProcess {
        ServerProcess::start_on(binary, style, limit, None, &[])
    }

    /// As [`ServerProcess::start`], with `workers` threads of its pool or
    /// runtime (`None`: one per CPU it may use), pinned to `cpus`
    /// (anywhere if empty).
    pub fn start_on(
        binary: &str,
        style: &str,
        limit: usize,
        workers: Option<usize>,
        cpus: &[usize],
    ) -> ServerProcess {
        let mut command = Command::new(binary);
        if !cpus.is_empty() {
            super::placement::pin_child(&mut command, cpus);
        }
        let mut child = command
            .args([
                "--style",
                style,
                "--port",
                "0",
                "--limit",
                &limit.to_string(),
            ])
            .args(["--idle-timeout", "600"])
            .args(
                workers
                    .map(|n| ["--workers".to_string(), n.to_string()])
                    .into_iter()
                    .flatten(),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting the server binary");
        let stdin = child.stdin.take();
        let mut first = String::new();
        BufReader::new(child.stdout.as_mut().expect("piped"))
            .read_line(&mut first)
            .expect("reading the server's address");
        let address = first
            .trim()
            .strip_prefix("listening on ")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("the {style} server said {first:?}, not its address"));
        ServerProcess {
            child,
            stdin,
            address,
        }
    }

    /// The server's CPU time so far (every thread), from `/proc`.
    pub fn cpu(&self) -> Option<std::time::Duration> {
        crate::cost::process_cpu(self.child.id())
    }

    /// The server's resident memory now, from `/proc`.
    pub fn rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("this bench needs Linux's /proc");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kib| kib * 1024)
            .expect("VmRSS in /proc/PID/status")
    }

    /// Graceful shutdown; waits for the process (bounded by its own grace)
    /// and returns what each core served, as it printed at exit (`core N
    /// served C connections, R requests`; empty for a style that is not
    /// per-core, or a server that printed nothing).
    pub fn stop(mut self) -> Vec<CoreServed> {
        drop(self.stdin.take());
        let mut said = String::new();
        if let Some(mut out) = self.child.stdout.take() {
            // Bounded: the server prints a few lines and exits.
            let _ = out.read_to_string(&mut said);
        }
        let _ = self.child.wait();
        per_core(&said)
    }
}

/// The `core N served ...` lines of the server binary's exit report, in
/// order; a line of another shape is skipped.
pub fn per_core(said: &str) -> Vec<CoreServed> {
    said.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("core ")?;
            let (_, counts) = rest.split_once(" served ")?;
            let (connections, requests) = counts.split_once(" connections, ")?;
            Some(CoreServed {
                connections: connections.parse().ok()?,
                requests: requests.strip_suffix(" requests")?.parse().ok()?,
            })
        })
        .collect()
}
// ANCHOR_END: server_process
