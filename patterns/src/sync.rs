//! The synchronisation facade: the only module in `patterns` that names
//! `std::sync`, `std::thread`, loom or shuttle.
//!
//! Implementations written from first principles import their primitives from
//! here (`use crate::sync::{Arc, Mutex}`), the way tokio's code imports from
//! its own `loom` module. In an ordinary build this re-exports std; in a loom
//! build it re-exports loom's checked doubles, so the very same source is
//! model-checked.
//!
//! A third build, under `workbench_shuttle`, re-exports shuttle's doubles
//! instead, and with them shuttle's stand-ins for parking_lot, dashmap and
//! tokio ([`parking_lot`], [`dashmap`], [`tokio`] below): the styles built
//! on those libraries import them from here, so shuttle's scheduler also
//! controls every lock and channel inside them. shuttle explores schedules
//! at random (or by PCT) rather than exhaustively, so its models can be
//! larger than loom's. Styles on crossbeam, async-std, smol or mio have no
//! stand-in: their threads and parking would run outside the scheduler.
//!
//! The switch is the project's own cfg, `workbench_loom`, not the bare
//! `loom` cfg. RUSTFLAGS reach every crate in the dependency graph, and tokio
//! and the smol family (concurrent-queue, event-listener, async-lock...) read
//! `cfg(loom)` themselves: under it they swap their internals for loom types,
//! or stop compiling, outside any `loom::model`. A name nobody else reads
//! switches only our code. Loom and shuttle builds use their own target
//! directories (`target-loom/`, `target-shuttle/`) so flipping RUSTFLAGS
//! does not rebuild the normal one.

#[cfg(not(any(workbench_loom, workbench_shuttle)))]
mod world {
    pub use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering, fence};
    pub use std::sync::{
        Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
    };
    pub use std::thread::{JoinHandle, Thread, current, park, spawn, yield_now};
    pub use std::thread_local;

    /// How many cores the workbench may use; sizes worker pools.
    pub fn cores() -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

#[cfg(workbench_loom)]
mod world {
    pub use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering, fence};
    pub use loom::sync::{
        Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
    };
    pub use loom::thread::{JoinHandle, Thread, current, park, spawn, yield_now};
    pub use loom::thread_local;

    /// Under loom the "machine" is whatever the model says; two cores keeps
    /// pools within loom's limit of five threads.
    pub fn cores() -> usize {
        2
    }
}

#[cfg(workbench_shuttle)]
mod world {
    pub use shuttle::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering, fence};
    pub use shuttle::sync::{
        Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
    };
    pub use shuttle::thread::{JoinHandle, Thread, current, park, spawn, yield_now};
    pub use shuttle::thread_local;

    /// As under loom: the models decide how many threads run, and two
    /// cores keeps pools small enough for a model.
    pub fn cores() -> usize {
        2
    }
}

pub use world::*;

/// The libraries shuttle has stand-ins for: the real crates in an ordinary
/// build, shuttle's wrappers (the same API on shuttle's primitives) under
/// `workbench_shuttle`. The library styles name them through here.
#[cfg(not(workbench_shuttle))]
pub use ::{dashmap, parking_lot, tokio};
#[cfg(workbench_shuttle)]
pub use ::{
    shuttle_dashmap as dashmap, shuttle_parking_lot as parking_lot, shuttle_tokio as tokio,
};

// ANCHOR: lock
/// Locks `mutex`, ignoring poisoning. Every critical section in this crate
/// leaves its data consistent at each step (a panic cannot interrupt a
/// half-done update), so a poisoned lock holds nothing worth refusing.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
// ANCHOR_END: lock

/// Takes `rwlock` for reading, ignoring poisoning (see [`lock`]).
pub fn read<T>(rwlock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    rwlock
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Takes `rwlock` for writing, ignoring poisoning (see [`lock`]).
pub fn write<T>(rwlock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    rwlock
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Waits on `condvar`, ignoring poisoning (see [`lock`]): the guard comes
/// back locked, as from [`Condvar::wait`]. Callers loop on their condition;
/// a wake-up may be spurious.
pub fn wait<'a, T>(condvar: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    condvar
        .wait(guard)
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
