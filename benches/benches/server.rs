//! Server benchmarks: every style of the registry, and redis-server, each
//! started as its own process on the server's CPUs and loaded by the
//! workbench's generator on the others (`benches::workloads::server`:
//! `generator` for the load, `sweep` for one cell, `render` for the
//! report). Loopback only; every loop is bounded in time and count.
//!
//! - **Closed-loop peak**: 1, 100, 1,000 and 10,000 connections, each
//!   keeping 1 or 16 requests outstanding: requests/s and server CPU per
//!   request. No latency here: in a closed loop it restates throughput.
//!   Measured in three interleaved rounds (`WORKBENCH_SERVER_ROUNDS`), as
//!   is the open loop: each row is the median with its range.
//! - **Latency under offered load**: 100 connections sending on a
//!   schedule (open loop), at shares of the best server's peak and at a
//!   fixed rate, latency timed from each request's intended send; once
//!   with every request alike (`uniform`) and once with one in a hundred
//!   slow (`mixed`).
//! - **Idle connections**: RSS with 1,000 and 19,000 open.
//! - **The limit**: limit 100, 200 connections.
//! - **redis-benchmark** as a second client, on populated keys.
//!
//! `--test` runs every cell kind briefly and writes nothing; `--quick`
//! shortens every window to a quarter.

use std::time::Duration;

use benches::harness::Harness;
use benches::report::table::{bytes, si};
use benches::settings::{self, or_exit};
use benches::workloads::server::generator::{Arrivals, Load, Mix};
use benches::workloads::server::memory::measure_memory;
use benches::workloads::server::placement::Placement;
use benches::workloads::server::process::no_limit;
use benches::workloads::server::redis::{redis_benchmark_row, redis_tools_installed};
use benches::workloads::server::render::{Measured, Settings, parameters, rows};
use benches::workloads::server::sweep::{LoadCell, Target, measure, shuffled};
use benches::workloads::server::{
    CLOSED_WARM_UP, CLOSED_WINDOW, CONNECTIONS, DEPTHS, FIXED_RATES, GRACE, IDLE_FEW, IDLE_MANY,
    LIMIT, LOAD_SHARES, LoadScenario, ONE_WORKER, OPEN_CONNECTIONS, OPEN_WARM_UP, OPEN_WINDOW,
    QUICK_CONNECTIONS, QUICK_LOAD_SHARES, SCENARIOS, styles, workload,
};
use patterns::primitives::rng::SplitMix64;

/// The server binary this bench starts, one process per style.
const SERVER: &str = env!("CARGO_BIN_EXE_server");

fn main() {
    let Some(mut harness) = Harness::from_args() else {
        return;
    };
    let workload = workload();
    let placement = or_exit(Placement::from_env());
    let poisson = or_exit(settings::poisson_arrivals());
    let redis_tools = redis_tools_installed();
    if !redis_tools {
        eprintln!(
            "note: redis-server or redis-benchmark is not installed: redis-server's rows are skipped \
             (apt-get install redis-server redis-tools)"
        );
    }
    eprintln!("placement: {}", placement.describe());
    let mut targets: Vec<Target> = styles()
        .iter()
        .map(|style| Target::style(SERVER, style, no_limit()))
        .collect();
    // Runtime configuration: a style at one worker beside its default of
    // one per server CPU, where the server has more than one (with one,
    // the two rows would be one server).
    if placement.server.len() > 1 {
        targets.extend(ONE_WORKER.iter().map(|&(style, label)| Target::Style {
            binary: SERVER,
            style,
            limit: no_limit(),
            workers: Some(1),
            label,
        }));
    }
    if redis_tools {
        targets.push(Target::Redis);
    }
    let (closed_for, open_for) = (
        (
            harness.duration(CLOSED_WARM_UP),
            harness.duration(CLOSED_WINDOW),
        ),
        (
            harness.duration(OPEN_WARM_UP),
            harness.duration(OPEN_WINDOW),
        ),
    );
    let grace = if harness.smoke {
        Duration::from_millis(50)
    } else {
        GRACE
    };
    let (connections, few, many): (&[usize], usize, usize) = if harness.smoke {
        (&[10], 20, 60)
    } else if settings::quick() {
        (&QUICK_CONNECTIONS, IDLE_FEW, 5_000)
    } else {
        (&CONNECTIONS, IDLE_FEW, IDLE_MANY)
    };
    let open_connections = if harness.smoke { 10 } else { OPEN_CONNECTIONS };
    // Quick mode: fewer connection counts and offered rates, not only
    // shorter windows (a cell's server start and connections cost the same
    // whatever its window).
    let shares: &[f64] = if settings::quick() {
        &QUICK_LOAD_SHARES
    } else {
        &LOAD_SHARES
    };
    let rates = shares.len() + FIXED_RATES.len();
    let rounds = if harness.smoke {
        1
    } else {
        or_exit(settings::server_rounds())
    };
    // Closed loop in rounds, each scenario's peaks and open-loop sweeps in
    // rounds (over the servers it measures); per style memory and limit;
    // redis-benchmark per server.
    let per_scenario: usize = SCENARIOS
        .iter()
        .map(|s| targets.iter().filter(|t| s.measures(t.name())).count() * (1 + rates * rounds))
        .sum();
    let cells = targets.len() * connections.len() * DEPTHS.len() * rounds
        + per_scenario
        + styles().len() * 2
        + if redis_tools { targets.len() } else { 0 };
    harness.plan(
        &workload,
        cells,
        open_for.0 + open_for.1 + Duration::from_millis(300),
    );
    let load = |connections: usize, arrivals: Arrivals, mix: Mix, (warm_up, window)| Load {
        connections,
        arrivals,
        mix,
        dialect: benches::workloads::server::generator::Dialect::Workbench,
        warm_up,
        window,
        grace,
        cpus: Vec::new(),
        pin: false,
    };
    let mut order = SplitMix64::new(0x005E_4EE4);
    let mut measured = Measured::default();

    // Closed-loop peaks in rounds: each round walks the whole grid, each
    // cell's servers in a fresh shuffled order, so a drift of the machine
    // over the run lands in every style's range alike.
    for round in 1..=rounds {
        for depth in DEPTHS {
            for &n in connections {
                for target in shuffled(&targets, &mut order) {
                    let name = format!("server/closed/{}/{n}x{depth}", target.name());
                    if !harness.wants(&name) {
                        continue;
                    }
                    let spec = load(n, Arrivals::Closed { depth }, Mix::UNIFORM, closed_for);
                    if let Some(cell) = measure(target, "uniform", spec, &placement) {
                        cell.print_closed(&format!("{name} (round {round} of {rounds})"));
                        measured.closed.push(cell);
                    }
                }
            }
        }
    }
    // Latency against offered load, per scenario: the rates from the best
    // peak at the sweep's connection count under the scenario's mix.
    for measured_here in SCENARIOS {
        let LoadScenario {
            name: scenario,
            mix,
            ..
        } = measured_here;
        let targets: Vec<Target> = targets
            .iter()
            .filter(|t| measured_here.measures(t.name()))
            .copied()
            .collect();
        let mut peaks: Vec<LoadCell> = Vec::new();
        for target in shuffled(&targets, &mut order) {
            let name = format!("server/peak/{}/{scenario}", target.name());
            if !harness.wants(&name) {
                continue;
            }
            let spec = load(
                open_connections,
                Arrivals::Closed { depth: 1 },
                mix,
                closed_for,
            );
            if let Some(cell) = measure(target, scenario, spec, &placement) {
                cell.print_closed(&name);
                peaks.push(cell);
            }
        }
        // The best peak the generator did not set: a client-bound peak
        // measures the generator (all of them, if every one was).
        let judged: Vec<&LoadCell> = peaks.iter().filter(|c| !c.outcome.client_bound()).collect();
        let from = if judged.is_empty() {
            peaks.iter().collect()
        } else {
            judged
        };
        let Some(best) = from.iter().map(|c| c.outcome.throughput()).reduce(f64::max) else {
            // No peak (filtered out, or none measured): its open-loop cells
            // are passed over, not asked about.
            harness.passes(targets.len() * rates * rounds);
            continue;
        };
        let mut offered: Vec<f64> = shares.iter().map(|s| (s * best).round()).collect();
        offered.extend(FIXED_RATES);
        offered.sort_by(f64::total_cmp);
        // The sweep in rounds, like the closed loop; the rates (from one
        // set of peaks) stay the same in every round.
        for round in 1..=rounds {
            for &rate in &offered {
                let arrivals = if poisson {
                    Arrivals::Poisson { rate }
                } else {
                    Arrivals::Constant { rate }
                };
                for target in shuffled(&targets, &mut order) {
                    let name = format!("server/open/{}/{scenario}/{}", target.name(), si(rate));
                    if !harness.wants(&name) {
                        continue;
                    }
                    let spec = load(open_connections, arrivals, mix, open_for);
                    if let Some(cell) = measure(target, scenario, spec, &placement) {
                        cell.print_open(&format!("{name} (round {round} of {rounds})"));
                        measured.open.push(cell);
                    }
                }
            }
        }
        measured.peaks.extend(peaks);
    }
    let server_cpus: &[usize] = if placement.shared {
        &[]
    } else {
        &placement.server
    };
    for style in styles() {
        let name = format!("server/memory/{style}/{many}");
        if harness.wants(&name) {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("the memory probe's runtime");
            let cell = measure_memory(&runtime, SERVER, style, few, many, server_cpus);
            eprintln!(
                "{name}: RSS {} at {few}, {} at {many}, held {}",
                bytes(cell.rss_few as f64),
                bytes(cell.rss_many as f64),
                cell.held_many
            );
            measured.memory.push(cell);
        }
        let (cap, clients) = if harness.smoke {
            (5, 10)
        } else {
            (LIMIT, 2 * LIMIT)
        };
        let name = format!("server/limit/{style}/{cap}");
        if harness.wants(&name) {
            let target = Target::style(SERVER, style, cap);
            let spec = load(
                clients,
                Arrivals::Closed { depth: 1 },
                Mix::UNIFORM,
                closed_for,
            );
            if let Some(cell) = measure(target, "limit", spec, &placement) {
                eprintln!(
                    "{name}: answered {} of {clients}",
                    clients - cell.outcome.silent
                );
                measured.limit.push(cell);
            }
        }
    }
    if redis_tools {
        for target in &targets {
            let name = format!("server/redis-benchmark/{}", target.name());
            if harness.wants(&name) {
                redis_benchmark_row(*target, &placement, harness.smoke, &mut measured.redis);
            }
        }
    }
    let parameters = parameters(&Settings {
        placement: &placement,
        arrivals: if poisson { "Poisson" } else { "constant-rate" },
        closed: closed_for,
        open: open_for,
        grace,
        shares,
        rounds,
    });
    let rows = if measured.is_empty() {
        String::new()
    } else {
        benches::results::write(&rows(&measured))
    };
    harness.finish(&workload, rows, parameters);
}
