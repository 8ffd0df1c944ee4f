//! What a run costs the machine besides time: the process's CPU time and
//! context switches (`getrusage`), the VM's steal time (`/proc/stat`), and
//! the allocations made by every thread of the process (a counting global
//! allocator, which a bench binary installs with
//! [`count_allocations!`](crate::count_allocations)).
//!
//! [`Cost::now`] reads them all; the difference of two readings taken
//! around a run is what the run cost, summed over every thread the style
//! and its clients ran (owners, workers, blocking pools, timers), which is
//! what a style that wins throughput by keeping a core busy must be
//! charged for.
//!
//! The allocator counts into one of [`STRIPES`] cache-padded counters
//! chosen per thread (threads are numbered as they first allocate), so
//! two busy threads never share a counter's cache line: counting costs an
//! uncontended atomic add on the thread's own line, a few nanoseconds per
//! allocation, and nothing at all for a style that does not allocate.

// The counting allocator wraps the system allocator (a `GlobalAlloc`
// impl) and reading the process's usage is a libc call: both need
// `unsafe`, allowed in this module only.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use crossbeam_utils::CachePadded;

/// Counters the threads are spread over (numbered in turn; thread `n`
/// counts into stripe `n % STRIPES`).
pub const STRIPES: usize = 64;

struct Stripe {
    allocations: AtomicU64,
    bytes: AtomicU64,
}

static COUNTS: [CachePadded<Stripe>; STRIPES] = [const {
    CachePadded::new(Stripe {
        allocations: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
    })
}; STRIPES];

static THREADS_SEEN: AtomicUsize = AtomicUsize::new(0);

std::thread_local! {
    // `const` and without a destructor: reading it never allocates or
    // registers anything, so the allocator may use it.
    static STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// The system allocator, counting allocations (and reallocations, which
/// may move) and the bytes asked for. Frees are not counted.
pub struct CountingAllocator;

#[inline]
fn count(bytes: usize) {
    let stripe = STRIPE
        .try_with(|s| {
            let mut i = s.get();
            if i == usize::MAX {
                i = THREADS_SEEN.fetch_add(1, Relaxed) % STRIPES;
                s.set(i);
            }
            i
        })
        // A thread being torn down: any stripe will do.
        .unwrap_or(0);
    let stripe = &COUNTS[stripe];
    stripe.allocations.fetch_add(1, Relaxed);
    stripe.bytes.fetch_add(bytes as u64, Relaxed);
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged; counting touches only atomics and a const thread-local, and
// never allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: as for `alloc`; `ptr` and `layout` come from this allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as for `alloc`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Installs [`CountingAllocator`] as the binary's global allocator:
/// `benches::count_allocations!();` at the top level of a bench that
/// reports allocations (the throughput benches and the context bench).
/// Not installed by the library itself, so the other binaries that link
/// it (the server under test, the report) allocate as they would without
/// the workbench.
#[macro_export]
macro_rules! count_allocations {
    () => {
        #[global_allocator]
        static COUNTING_ALLOCATOR: $crate::cost::CountingAllocator =
            $crate::cost::CountingAllocator;
    };
}

// The library's own unit tests count too.
#[cfg(test)]
count_allocations!();

/// Whether this binary counts allocations (it installed
/// [`CountingAllocator`], and something has allocated since).
pub fn counting() -> bool {
    THREADS_SEEN.load(Relaxed) > 0
}

/// Allocations and bytes allocated by every thread so far.
pub fn allocations() -> (u64, u64) {
    COUNTS.iter().fold((0, 0), |(n, b), s| {
        (n + s.allocations.load(Relaxed), b + s.bytes.load(Relaxed))
    })
}

/// The process's costs so far, or between two readings (see [`Cost::since`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cost {
    /// User plus system CPU time of every thread, living or ended.
    pub cpu: Duration,
    /// Context switches a thread asked for (it blocked: a lock, a park, a
    /// read) and ones the kernel imposed (its time slice ran out, or a
    /// waking thread took its core).
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
    pub allocations: u64,
    pub allocated_bytes: u64,
    /// Time the hypervisor ran something else on this VM's CPUs, summed
    /// over every CPU (zero on bare metal, or where `/proc/stat` is absent).
    pub steal: Duration,
    /// The CPUs that sum is over (the `cpuN` lines of `/proc/stat`): the
    /// machine's, not only those this process may use.
    pub steal_cpus: usize,
}

impl Cost {
    pub fn now() -> Cost {
        let usage = usage();
        let (allocations, allocated_bytes) = allocations();
        let stat = steal();
        Cost {
            cpu: usage.0,
            voluntary_switches: usage.1,
            involuntary_switches: usage.2,
            allocations,
            allocated_bytes,
            steal: stat.0,
            steal_cpus: stat.1,
        }
    }

    /// What happened between `earlier` and this reading.
    pub fn since(&self, earlier: &Cost) -> Cost {
        Cost {
            cpu: self.cpu.saturating_sub(earlier.cpu),
            voluntary_switches: self
                .voluntary_switches
                .saturating_sub(earlier.voluntary_switches),
            involuntary_switches: self
                .involuntary_switches
                .saturating_sub(earlier.involuntary_switches),
            allocations: self.allocations.saturating_sub(earlier.allocations),
            allocated_bytes: self.allocated_bytes.saturating_sub(earlier.allocated_bytes),
            steal: self.steal.saturating_sub(earlier.steal),
            steal_cpus: self.steal_cpus,
        }
    }
}

#[cfg(unix)]
fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
}

/// CPU time, voluntary and involuntary switches of the whole process.
#[cfg(unix)]
fn usage() -> (Duration, u64, u64) {
    // SAFETY: `rusage` is plain data, all zeroes a valid value, and
    // getrusage only writes into the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return (Duration::ZERO, 0, 0);
        }
        usage
    };
    (
        timeval(usage.ru_utime) + timeval(usage.ru_stime),
        usage.ru_nvcsw.max(0) as u64,
        usage.ru_nivcsw.max(0) as u64,
    )
}

#[cfg(not(unix))]
fn usage() -> (Duration, u64, u64) {
    (Duration::ZERO, 0, 0)
}

/// The CPU time (user + system) the calling thread has used so far.
#[cfg(target_os = "linux")]
pub fn thread_cpu() -> Duration {
    // SAFETY: as in `usage`: plain data, written only by getrusage.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_THREAD, &mut usage) != 0 {
            return Duration::ZERO;
        }
        usage
    };
    timeval(usage.ru_utime) + timeval(usage.ru_stime)
}

#[cfg(not(target_os = "linux"))]
pub fn thread_cpu() -> Duration {
    Duration::ZERO
}

/// The CPU time (user + system, every thread, those already ended
/// included) of process `pid`, from `/proc/<pid>/stat`, in clock ticks
/// (10 ms here); `None` if it cannot be read.
pub fn process_cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let ticks = parse_process_ticks(&stat)?;
    Some(Duration::from_nanos(
        ticks.saturating_mul(1_000_000_000 / ticks_per_second()),
    ))
}

/// utime + stime from a `/proc/<pid>/stat` line: fields 14 and 15, counted
/// after the command name (which may hold spaces and parentheses, so the
/// fields start after its last `)`).
fn parse_process_ticks(stat: &str) -> Option<u64> {
    let after = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_ascii_whitespace().collect();
    // Field 3 (state) is the first after the name: utime is field 14.
    let utime: u64 = fields.get(14 - 3)?.parse().ok()?;
    let stime: u64 = fields.get(15 - 3)?.parse().ok()?;
    Some(utime + stime)
}

/// Steal time over every CPU, from the first line of `/proc/stat`, and
/// how many CPUs that line sums.
fn steal() -> (Duration, usize) {
    std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|stat| parse_steal(&stat, ticks_per_second()))
        .unwrap_or_default()
}

/// The `steal` field (the eighth number) of the `cpu` line, in clock
/// ticks, and the number of `cpuN` lines.
fn parse_steal(stat: &str, ticks_per_second: u64) -> Option<(Duration, usize)> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let ticks: u64 = line.split_whitespace().nth(8)?.parse().ok()?;
    let cpus = stat
        .lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .count();
    Some((
        Duration::from_nanos(ticks.saturating_mul(1_000_000_000) / ticks_per_second.max(1)),
        cpus.max(1),
    ))
}

#[cfg(unix)]
fn ticks_per_second() -> u64 {
    // SAFETY: sysconf reads a configuration value and has no other effect.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(ticks).ok().filter(|t| *t > 0).unwrap_or(100)
}

#[cfg(not(unix))]
fn ticks_per_second() -> u64 {
    100
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_cpu_time_is_read_after_a_name_with_spaces() {
        let stat = "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 31 0 0 20 0 3 0 9 1 2";
        assert_eq!(parse_process_ticks(stat), Some(281));
        assert_eq!(parse_process_ticks("4242 (cut) S 1 2"), None);
        let own = process_cpu(std::process::id()).expect("our own /proc entry");
        // Work until this thread has used 60 ms of CPU (bounded in wall
        // time: a loaded machine may run it slowly).
        let (started, mine) = (std::time::Instant::now(), thread_cpu());
        let mut x = 0u64;
        while thread_cpu() - mine < Duration::from_millis(60)
            && started.elapsed() < Duration::from_secs(20)
        {
            for _ in 0..10_000 {
                x = std::hint::black_box(x.wrapping_add(1));
            }
        }
        assert!(thread_cpu() - mine >= Duration::from_millis(60));
        assert!(
            process_cpu(std::process::id()).expect("again") > own,
            "60 ms of this thread's CPU shows in the process's"
        );
    }

    #[test]
    fn allocations_are_counted_on_every_thread() {
        let before = allocations();
        let boxes: Vec<Box<[u8; 1000]>> = (0..10).map(|_| Box::new([0; 1000])).collect();
        std::thread::spawn(|| drop(std::hint::black_box(vec![0u8; 5000])))
            .join()
            .unwrap();
        let after = allocations();
        drop(boxes);
        // The test harness's own threads may allocate meanwhile: at least.
        assert!(after.0 - before.0 >= 11, "{before:?} -> {after:?}");
        assert!(after.1 - before.1 >= 15_000, "{before:?} -> {after:?}");
    }

    #[test]
    fn cpu_time_grows_with_work_and_differences_never_underflow() {
        let before = Cost::now();
        let mut x = 0u64;
        let started = std::time::Instant::now();
        while started.elapsed() < Duration::from_millis(30) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        let spent = Cost::now().since(&before);
        assert!(spent.cpu >= Duration::from_millis(10), "{spent:?}");
        assert_eq!(before.since(&Cost::now()).cpu, Duration::ZERO);
    }

    #[test]
    fn steal_is_the_eighth_field_of_the_cpu_line() {
        let stat = "cpu  10 0 20 300 4 0 1 250 0 0\ncpu0 5 0 10 150 2 0 1 125 0 0\nintr 7\n";
        assert_eq!(
            parse_steal(stat, 100),
            Some((Duration::from_millis(2500), 1))
        );
        assert_eq!(parse_steal("intr 1 2 3\n", 100), None);
        assert_eq!(parse_steal("cpu  1 2\n", 100), None);
    }
}
