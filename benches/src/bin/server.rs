//! Starts one server style for a person to try, or for the server bench to
//! load from another process.
//!
//! ```sh
//! cargo run --release -p benches --bin server -- --style task_tokio --port 7878
//! nc -C 127.0.0.1 7878        # then type PING, LOGIN alice, SET 1 41, INCR 1 1, GET 1, QUIT
//! ```
//!
//! It listens on loopback only. It serves until SIGINT (Ctrl-C) or
//! SIGTERM, until `--seconds` have passed if given, or else until its
//! standard input ends (Ctrl-D in a terminal; the bench closes it); then it
//! shuts down gracefully (answers what it received, closes every
//! connection), prints what it served (and, for a per-core style, a line
//! per core: how the kernel spread the connections) and exits 0. A second signal during
//! that shutdown exits at once, with status 130. With `--seconds`,
//! standard input is not read, so `server --seconds 60 </dev/null &` serves
//! for a minute. The first line it prints is `listening on ADDRESS`; the
//! bench reads it.

use std::io::{BufRead, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use patterns::server::{Config, Server};

const USAGE: &str =
    "usage: server --style STYLE [--port N] [--address IP] [--limit N] [--workers N]
              [--idle-timeout SECS] [--request-timeout SECS] [--seconds SECS]
  --style STYLE        the connection model (see below)
  --port N             the port to listen on (default 7878; 0 for any free port)
  --address IP         a loopback address, 127.0.0.0/8 (default 127.0.0.1)
  --limit N            connections served at once (default 10000)
  --workers N          threads of the pool or runtime (default: one per core)
  --idle-timeout SECS  close a connection silent this long (default 60)
  --request-timeout SECS  close a connection whose request is unfinished this long (default 10)
  --seconds SECS       shut down after this long, not when standard input ends
  SIGINT or SIGTERM shuts it down gracefully at any time (a second one: at once)";

/// Serves with `style`, any registered one (the broken one included: it
/// is there to be shown failing).
fn run_style(style: &str, config: Config, stop: mpsc::Receiver<()>) -> Result<(), String> {
    macro_rules! serve_if_named {
        (broken $name:ident: $server:ty) => {
            if style == stringify!($name) {
                eprintln!("warning: {style} is a broken style, kept to show its bug");
                return serve::<$server>(config, stop);
            }
        };
        ($tier:ident $name:ident: $server:ty) => {
            if style == stringify!($name) {
                return serve::<$server>(config, stop);
            }
        };
    }
    patterns::for_each_server!(serve_if_named);
    Err(format!("unknown style {style:?}; styles: {}", names()))
}

/// Every registered style's name, for messages.
fn names() -> String {
    let styles = patterns::registry::styles_of("server");
    styles.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
}

/// Every registered style, a line each with its tier and summary.
fn style_list() -> String {
    patterns::registry::styles_of("server")
        .iter()
        .map(|s| format!("    {} ({}): {}", s.name, s.tier.name(), s.summary()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn serve<S: Server>(config: Config, stop: mpsc::Receiver<()>) -> Result<(), String> {
    let server = S::start(config.clone())
        .map_err(|e| format!("cannot listen on {}: {e}", config.address))?;
    println!("listening on {}", server.local_addr());
    eprintln!(
        "{} serving on {} (limit {}, {} workers); Ctrl-C to stop",
        S::STYLE,
        server.local_addr(),
        config.max_connections,
        config.workers
    );
    let _ = std::io::stdout().flush();
    let _ = stop.recv();
    let served = server.shutdown();
    println!(
        "served {} connections, {} requests",
        served.connections, served.requests
    );
    // How the kernel spread connections over a per-core style's listeners.
    for (core, share) in served.per_core.iter().enumerate() {
        println!(
            "core {core} served {} connections, {} requests",
            share.connections, share.requests
        );
    }
    Ok(())
}

fn number<T>(
    flag: &str,
    value: Option<String>,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    let value = value.ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
    match value.parse::<T>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(format!(
            "{flag} {value:?}: expected a number from {} to {}",
            range.start(),
            range.end()
        )),
    }
}

fn run() -> Result<(), String> {
    let mut config = Config {
        address: SocketAddr::from((Ipv4Addr::LOCALHOST, 7878)),
        ..Config::default()
    };
    let mut style = None;
    let mut seconds = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--style" => {
                style = Some(
                    args.next()
                        .ok_or(format!("--style needs a value\n{USAGE}"))?,
                )
            }
            "--port" => config
                .address
                .set_port(number("--port", args.next(), 0..=65535)?),
            "--address" => {
                let value = args
                    .next()
                    .ok_or(format!("--address needs a value\n{USAGE}"))?;
                let ip: IpAddr = value
                    .parse()
                    .map_err(|_| format!("--address {value:?}: not an IP address"))?;
                if !ip.is_loopback() {
                    return Err(format!(
                        "--address {ip}: only loopback addresses (127.0.0.0/8, ::1) are served here"
                    ));
                }
                config.address.set_ip(ip);
            }
            "--limit" => config.max_connections = number("--limit", args.next(), 1..=1_000_000)?,
            "--workers" => config.workers = number("--workers", args.next(), 1..=1024)?,
            "--idle-timeout" => {
                config.idle_timeout =
                    Duration::from_secs(number("--idle-timeout", args.next(), 1..=86_400)?)
            }
            "--request-timeout" => {
                config.request_timeout =
                    Duration::from_secs(number("--request-timeout", args.next(), 1..=86_400)?)
            }
            "--seconds" => seconds = Some(number("--seconds", args.next(), 1..=86_400u64)?),
            "-h" | "--help" => {
                println!("{USAGE}\n  styles:\n{}", style_list());
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let style = style.ok_or_else(|| format!("--style is required; styles: {}", names()))?;
    patterns::server::check_descriptors(config.max_connections)
        .map_err(|e| format!("--limit: {e}"))?;
    if !patterns::registry::styles_of("server")
        .iter()
        .any(|s| s.name == style)
    {
        return Err(format!("unknown style {style:?}; styles: {}", names()));
    }
    let (stopper, stop) = mpsc::channel();
    stop_on_signals(stopper.clone())?;
    match seconds {
        Some(seconds) => {
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs(seconds));
                let _ = stopper.send(());
            });
        }
        None => {
            std::thread::spawn(move || {
                // Ends when standard input does; an error counts as the end.
                for line in std::io::stdin().lock().lines() {
                    if line.is_err() {
                        break;
                    }
                }
                let _ = stopper.send(());
            });
        }
    }
    run_style(&style, config, stop)
}

/// SIGINT and SIGTERM: the first starts the graceful shutdown, a second
/// exits at once (a shutdown waits at most its grace for slow clients, but
/// a person pressing Ctrl-C twice means now). Registered before the server
/// listens, so a signal after the address line is never the default
/// action's abrupt death.
fn stop_on_signals(stopper: mpsc::Sender<()>) -> Result<(), String> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .map_err(|e| format!("cannot handle SIGINT and SIGTERM: {e}"))?;
    std::thread::spawn(move || {
        let mut signals = signals.forever();
        if let Some(signal) = signals.next() {
            eprintln!("signal {signal}: shutting down (a second signal exits at once)");
            let _ = stopper.send(());
        }
        if signals.next().is_some() {
            eprintln!("a second signal: exiting without finishing the shutdown");
            std::process::exit(130);
        }
    });
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
