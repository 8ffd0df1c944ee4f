//! Pinning the threads that run clients to cores, one each in turn.
//!
//! Unpinned, the scheduler may put two busy client threads on the same core
//! for a while. They then take turns instead of running together, share one
//! cache, and never contend for a cache line: on the reference machine two
//! clients doing random bank transfers ran at 18 ns per operation when
//! confined to one core and at up to 57 ns on two, and an unpinned run
//! flipped between the two within one benchmark. Pinning client `i` to the
//! `i`-th allowed core (round robin past the last) makes "2 clients on 2
//! cores" mean what it says, run after run. Threads an implementation starts
//! (owners, workers, blocking pools) are left to the scheduler: where they
//! run is part of the style being measured.
//!
//! Linux only; elsewhere, or when the process may not change its affinity
//! (a restrictive container), this does nothing and the benchmark runs
//! unpinned.

// The crate denies `unsafe`; this module is its one exception: reading and
// setting the affinity mask is a libc call on a plain C struct.
#![allow(unsafe_code)]

/// Pins the calling thread to the `slot`-th core the process may use,
/// modulo their number. Returns whether it did.
#[cfg(target_os = "linux")]
pub fn pin_this_thread(slot: usize) -> bool {
    use std::sync::OnceLock;

    static ALLOWED: OnceLock<Vec<usize>> = OnceLock::new();
    let allowed = ALLOWED.get_or_init(|| {
        // SAFETY: cpu_set_t is plain data; all zeroes is the empty set.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // The process's (main thread's) mask, not the calling thread's,
        // which may already be pinned. SAFETY: `set` is a valid, writable
        // cpu_set_t of the size passed.
        let read = unsafe {
            libc::sched_getaffinity(libc::getpid(), size_of::<libc::cpu_set_t>(), &mut set)
        };
        if read != 0 {
            return Vec::new();
        }
        (0..libc::CPU_SETSIZE as usize)
            // SAFETY: `cpu` is below CPU_SETSIZE, the set's capacity.
            .filter(|cpu| unsafe { libc::CPU_ISSET(*cpu, &set) })
            .collect()
    });
    if allowed.is_empty() {
        return false;
    }
    // SAFETY: as above.
    let mut one: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: the chosen CPU number comes from the set read above, so it is
    // below CPU_SETSIZE.
    unsafe { libc::CPU_SET(allowed[slot % allowed.len()], &mut one) };
    // SAFETY: pid 0 is the calling thread; `one` is a valid cpu_set_t of
    // the size passed.
    unsafe { libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &one) == 0 }
}

#[cfg(not(target_os = "linux"))]
pub fn pin_this_thread(_slot: usize) -> bool {
    false
}
