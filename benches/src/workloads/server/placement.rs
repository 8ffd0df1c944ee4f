//! Where the server and its load generator run: on disjoint CPUs by
//! default, so that a server's figures are not its client's. With two CPUs
//! that is one each; a multi-threaded server then has one worker, so work
//! stealing has nothing to balance across (`WORKBENCH_PLACEMENT=shared`
//! gives the server every CPU, shared with the generator, as the earlier
//! runs measured).
//!
//! The bench's own main thread is not pinned (its environment reading
//! sees the whole machine): the generator's threads pin themselves, and a
//! child (the server, redis-server, redis-benchmark) is pinned between
//! `fork` and `exec`, so every thread it makes inherits the set.

// `unsafe`, allowed in this module only: `sched_setaffinity`, and the
// `pre_exec` hook that calls it in the child.
#![allow(unsafe_code)]

use std::os::unix::process::CommandExt;
use std::process::Command;

/// Which CPUs the server gets and which the load generator gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub server: Vec<usize>,
    pub generator: Vec<usize>,
    /// Whether the two sets overlap (`shared`, or a one-CPU machine).
    pub shared: bool,
}

impl Placement {
    /// The placement `WORKBENCH_PLACEMENT` asks for (`split`, the default,
    /// or `shared`) over the CPUs this process may use.
    pub fn from_env() -> Result<Placement, String> {
        let allowed = allowed_cpus();
        match std::env::var("WORKBENCH_PLACEMENT").as_deref() {
            Err(std::env::VarError::NotPresent) | Ok("split") => Ok(Placement::split(&allowed)),
            Ok("shared") => Ok(Placement::everywhere(&allowed)),
            Ok(other) => Err(format!(
                "WORKBENCH_PLACEMENT={other:?} is neither \"split\" (server and load generator on \
                 disjoint CPUs, the default) nor \"shared\" (both on every CPU)"
            )),
            Err(e) => Err(format!("WORKBENCH_PLACEMENT: {e}")),
        }
    }

    /// Disjoint sets: the generator gets a quarter of the CPUs (at least
    /// one, the last ones), the server the rest. One CPU cannot be split.
    pub fn split(allowed: &[usize]) -> Placement {
        if allowed.len() < 2 {
            return Placement::everywhere(allowed);
        }
        let generator = (allowed.len() / 4).max(1);
        let (server, generator) = allowed.split_at(allowed.len() - generator);
        Placement {
            server: server.to_vec(),
            generator: generator.to_vec(),
            shared: false,
        }
    }

    pub fn everywhere(allowed: &[usize]) -> Placement {
        Placement {
            server: allowed.to_vec(),
            generator: allowed.to_vec(),
            shared: true,
        }
    }

    /// One line for the report.
    pub fn describe(&self) -> String {
        if self.shared {
            format!(
                "server and load generator share CPUs {} (not split: WORKBENCH_PLACEMENT=shared, or a single CPU)",
                list(&self.server)
            )
        } else {
            format!(
                "server pinned to CPU{} {}, load generator to CPU{} {} (disjoint; `sched_setaffinity`)",
                plural(&self.server),
                list(&self.server),
                plural(&self.generator),
                list(&self.generator)
            )
        }
    }
}

fn plural(cpus: &[usize]) -> &'static str {
    if cpus.len() == 1 { "" } else { "s" }
}

fn list(cpus: &[usize]) -> String {
    cpus.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The CPUs this process may run on, in order.
pub fn allowed_cpus() -> Vec<usize> {
    // SAFETY: `cpu_set_t` is plain bits, valid zeroed.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a live `cpu_set_t` of the size passed.
    let got = unsafe { libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set) };
    if got != 0 {
        return (0..patterns::sync::cores()).collect();
    }
    (0..libc::CPU_SETSIZE as usize)
        // SAFETY: `cpu` is below CPU_SETSIZE, the set's size.
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect()
}

fn set_of(cpus: &[usize]) -> libc::cpu_set_t {
    // SAFETY: `cpu_set_t` is plain bits, valid zeroed.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &cpu in cpus {
        // SAFETY: CPU_SET ignores nothing: `cpu` came from
        // sched_getaffinity, so it is below CPU_SETSIZE.
        unsafe { libc::CPU_SET(cpu, &mut set) };
    }
    set
}

/// Pins the calling thread (and the threads it starts later) to `cpus`.
pub fn pin_this_thread(cpus: &[usize]) -> std::io::Result<()> {
    let set = set_of(cpus);
    // SAFETY: `set` is a live `cpu_set_t` of the size passed; pid 0 is
    // the calling thread.
    let done = unsafe { libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) };
    if done == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Makes `command`'s process run on `cpus` only, from before its first
/// instruction, so its threads inherit the set.
pub fn pin_child(command: &mut Command, cpus: &[usize]) {
    let set = set_of(cpus);
    // SAFETY: the hook runs in the forked child before exec, and calls only
    // sched_setaffinity: not on POSIX's async-signal-safe list, but on
    // Linux a bare system call wrapper that takes no lock and allocates
    // nothing (nor does `last_os_error`); `set` was built before the fork.
    unsafe {
        command.pre_exec(move || {
            if libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_gets_a_quarter_and_never_the_whole_machine() {
        let two = Placement::split(&[0, 1]);
        assert_eq!(
            (two.server, two.generator, two.shared),
            (vec![0], vec![1], false)
        );
        let eight = Placement::split(&(0..8).collect::<Vec<_>>());
        assert_eq!(eight.server, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(eight.generator, vec![6, 7]);
        let three = Placement::split(&[2, 5, 7]);
        assert_eq!((three.server, three.generator), (vec![2, 5], vec![7]));
        let one = Placement::split(&[3]);
        assert!(one.shared, "one CPU cannot be split");
        assert_eq!((one.server, one.generator), (vec![3], vec![3]));
    }

    #[test]
    fn a_pinned_thread_runs_where_it_was_told() {
        let allowed = allowed_cpus();
        let last = *allowed.last().expect("this process runs somewhere");
        let seen = std::thread::spawn(move || {
            pin_this_thread(&[last]).expect("pinning to an allowed CPU");
            allowed_cpus()
        })
        .join()
        .expect("no panic");
        assert_eq!(seen, vec![last]);
    }

    #[test]
    fn a_pinned_child_runs_where_it_was_told() {
        let allowed = allowed_cpus();
        let first = allowed[0];
        let mut command = Command::new("grep");
        command.args(["Cpus_allowed_list", "/proc/self/status"]);
        pin_child(&mut command, &[first]);
        let out = command.output().expect("grep runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            text.split(':').nth(1).map(str::trim),
            Some(first.to_string().as_str()),
            "{text}"
        );
    }
}
