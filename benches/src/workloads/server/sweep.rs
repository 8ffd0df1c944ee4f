//! One cell of the server bench: a server (a workbench style in its own
//! process, or redis-server) started on the server's CPUs, loaded by
//! [the generator](super::generator) on its own CPUs, its CPU time read
//! from `/proc` as the window opens and closes, then stopped.

use std::net::SocketAddr;
use std::time::Duration;

use patterns::server::CoreServed;

use super::generator::{self, Arrivals, Dialect, Load, Outcome};
use super::placement::Placement;
use super::process::ServerProcess;
use super::redis::RedisServer;
use crate::report::table::{si, time};
use patterns::primitives::rng::SplitMix64;

/// What is measured: a style of the registry, or redis-server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    Style {
        binary: &'a str,
        style: &'a str,
        limit: usize,
        /// `--workers` (a pool's threads, a runtime's workers); `None`:
        /// the binary's default, one per CPU the server may use.
        workers: Option<usize>,
        /// The row's name: the style's, or the style's with its setting.
        label: &'a str,
    },
    Redis,
}

impl<'a> Target<'a> {
    /// `style` as the server binary starts it by default.
    pub fn style(binary: &'a str, style: &'a str, limit: usize) -> Target<'a> {
        Target::Style {
            binary,
            style,
            limit,
            workers: None,
            label: style,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Target::Style { label, .. } => label,
            Target::Redis => "redis-server",
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Target::Style { .. } => Dialect::Workbench,
            Target::Redis => Dialect::Redis,
        }
    }
}

/// One measured cell.
#[derive(Debug, Clone)]
pub struct LoadCell {
    pub server: String,
    /// `uniform`, `mixed` or `limit`.
    pub scenario: &'static str,
    pub arrivals: Arrivals,
    pub outcome: Outcome,
    /// The server process's CPU time over the window (10 ms ticks).
    pub server_cpu: Option<Duration>,
    /// What each core of a per-core style served over the process's life
    /// (its exit report); empty for other styles and redis-server.
    pub per_core: Vec<CoreServed>,
}

impl LoadCell {
    /// Server CPU per reply in the window, in nanoseconds.
    pub fn server_cpu_per_request(&self) -> Option<f64> {
        let replies = self.outcome.replies_in_window;
        self.server_cpu
            .filter(|_| replies > 0)
            .map(|cpu| cpu.as_nanos() as f64 / replies as f64)
    }

    /// The server's CPU over the window, in cores (1.0: one CPU busy).
    pub fn server_cores(&self) -> Option<f64> {
        self.server_cpu
            .map(|cpu| cpu.as_secs_f64() / self.outcome.window.as_secs_f64())
    }

    pub fn offered(&self) -> Option<f64> {
        self.arrivals.rate()
    }
}

/// Runs `load` against `target`, started afresh for this cell; `None` if
/// it could not be started (redis-server missing or failing).
pub fn measure(
    target: Target<'_>,
    scenario: &'static str,
    mut load: Load,
    placement: &Placement,
) -> Option<LoadCell> {
    load.dialect = target.dialect();
    load.cpus.clone_from(&placement.generator);
    load.pin = !placement.shared;
    let cpus: &[usize] = if placement.shared {
        &[]
    } else {
        &placement.server
    };
    let (address, cpu): (SocketAddr, Box<dyn Fn() -> Option<Duration>>);
    let style_process;
    let redis_process;
    match target {
        Target::Style {
            binary,
            style,
            limit,
            workers,
            ..
        } => {
            let server = ServerProcess::start_on(binary, style, limit, workers, cpus);
            address = server.address;
            let pid = server.child.id();
            cpu = Box::new(move || crate::cost::process_cpu(pid));
            style_process = Some(server);
            redis_process = None;
        }
        Target::Redis => {
            let server = RedisServer::start(cpus)?;
            address = SocketAddr::from(([127, 0, 0, 1], server.port));
            let pid = server.child.id();
            cpu = Box::new(move || crate::cost::process_cpu(pid));
            redis_process = Some(server);
            style_process = None;
        }
    }
    let (mut before, mut after) = (None, None);
    let outcome = generator::run(address, &load, || before = cpu(), || after = cpu());
    let per_core = style_process.map(ServerProcess::stop).unwrap_or_default();
    drop(redis_process);
    let server_cpu = match (before, after) {
        (Some(b), Some(a)) => Some(a.saturating_sub(b)),
        _ => None,
    };
    Some(LoadCell {
        server: target.name().to_string(),
        scenario,
        arrivals: load.arrivals,
        outcome,
        server_cpu,
        per_core,
    })
}

/// `targets` in a fresh random order: every cell's servers interleaved
/// differently, so no style always runs first (or after the heaviest).
pub fn shuffled<'a>(targets: &[Target<'a>], rng: &mut SplitMix64) -> Vec<Target<'a>> {
    let mut order = targets.to_vec();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    order
}

impl LoadCell {
    /// The progress line of a closed-loop cell.
    pub fn print_closed(&self, name: &str) {
        let cell = self;
        eprintln!(
            "{name}: {} req/s, server {} CPU/req, generator {:.0}% busy, answered {} of {}{}",
            si(cell.outcome.throughput()),
            cell.server_cpu_per_request()
                .map_or("–".into(), |ns| time(ns.round() as u64)),
            cell.outcome.generator_busy() * 100.0,
            cell.outcome.connections - cell.outcome.silent,
            cell.outcome.connections,
            if cell.outcome.client_bound() {
                " (client-bound)"
            } else {
                ""
            }
        );
    }

    /// The progress line of an open-loop cell.
    pub fn print_open(&self, name: &str) {
        let cell = self;
        let latency = cell.outcome.latency();
        eprintln!(
            "{name}: {} req/s of {}, p99 {}, unanswered {}, server {} CPU/req, generator {:.0}% busy, {} late at p99{}",
            si(cell.outcome.throughput()),
            si(cell.offered().unwrap_or(0.0)),
            time(latency.value_at_quantile(0.99)),
            cell.outcome.unanswered,
            cell.server_cpu_per_request()
                .map_or("–".into(), |ns| time(ns.round() as u64)),
            cell.outcome.generator_busy() * 100.0,
            time(cell.outcome.lateness.value_at_quantile(0.99)),
            if cell.outcome.client_bound() {
                " (client-bound)"
            } else {
                ""
            }
        );
    }
}
