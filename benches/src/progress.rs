//! Progress during the long run: a line on stderr now and then with how
//! far a workload's bench has come and how long the workload and the whole
//! `cargo bench` have left. On a terminal, at most one line every few
//! seconds; otherwise (CI logs, a file) only at the workload's start and
//! end, so a log stays readable.
//!
//! Estimates: at first from the configured time per benchmark or cell,
//! then from the rate observed so far; the rest of the run from the
//! typical durations of the workloads cargo runs after this one (their
//! descriptions carry them, measured on the reference machine).

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::report::Workload;

/// How often a terminal gets a line.
const EVERY: Duration = Duration::from_secs(5);

pub struct Progress {
    workload: &'static str,
    total: usize,
    per_item: Duration,
    /// What the workloads that run after this one typically take.
    after: Duration,
    started: Instant,
    terminal: bool,
    state: Mutex<(usize, Instant)>,
}

/// `1h 02m`, `3m 05s`, `12s`.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s >= 3600 => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{}m {:02}s", s / 60, s % 60),
        s => format!("{s}s"),
    }
}

impl Progress {
    /// Starts a workload of `total` benchmarks or cells of about
    /// `per_item` each, and says so.
    pub fn start(workload: &Workload, total: usize, per_item: Duration) -> Progress {
        let after = crate::workloads::all()
            .iter()
            .filter(|w| w.name > workload.name)
            .map(Workload::typical)
            .sum();
        let progress = Progress {
            workload: workload.name,
            total,
            per_item,
            after,
            started: Instant::now(),
            terminal: std::io::stderr().is_terminal(),
            state: Mutex::new((0, Instant::now())),
        };
        eprintln!(
            "{}: {total} to measure, about {} (a full `cargo bench` has about {} more after it)",
            workload.name,
            duration(per_item * total as u32),
            duration(after)
        );
        progress
    }

    /// One more done; on a terminal, a line every few seconds.
    pub fn tick(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.0 += 1;
        if !self.terminal || state.1.elapsed() < EVERY {
            return;
        }
        state.1 = Instant::now();
        let done = state.0;
        let left = self.left(done);
        eprintln!(
            "{}: {done}/{} done, about {} left here, {} in a full `cargo bench`",
            self.workload,
            self.total,
            duration(left),
            duration(left + self.after)
        );
    }

    fn left(&self, done: usize) -> Duration {
        let remaining = self.total.saturating_sub(done) as u32;
        if done >= 5 {
            self.started.elapsed() / done as u32 * remaining
        } else {
            self.per_item * remaining
        }
    }

    /// Says the workload is done.
    pub fn finish(&self) {
        eprintln!(
            "{}: done in {} (about {} left in a full `cargo bench`)",
            self.workload,
            duration(self.started.elapsed()),
            duration(self.after)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(duration(Duration::from_secs(12)), "12s");
        assert_eq!(duration(Duration::from_secs(185)), "3m 05s");
        assert_eq!(duration(Duration::from_secs(3720)), "1h 02m");
    }
}
