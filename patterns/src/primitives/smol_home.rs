//! Where a smol-backed style runs: smol has no ambient runtime to ask for
//! (no `Handle::try_current`), so an application hands its executor to
//! whatever spawns tasks. This module is that hand-over for the
//! workbench: the smol driver marks its executor as this thread's while
//! it runs tasks (on its worker threads) and while it builds a style
//! (`Driver::enter`), and a style created there puts its owner task on it,
//! beside the clients' tasks, as `tokio_home` does for tokio. Created
//! anywhere else, the style runs its owner on a thread of its own.

use std::cell::RefCell;
use std::future::Future;
use std::sync::Arc as StdArc;

use smol::Executor;

use crate::sync::{JoinHandle, spawn};

std::thread_local! {
    static AMBIENT: RefCell<Option<StdArc<Executor<'static>>>> = const { RefCell::new(None) };
}

/// Runs `f` with `executor` as this thread's ambient smol executor (the
/// previous one, if any, is put back afterwards).
pub fn with_ambient<R>(executor: &StdArc<Executor<'static>>, f: impl FnOnce() -> R) -> R {
    let previous = AMBIENT.with(|a| a.replace(Some(StdArc::clone(executor))));
    // Put back on unwind too, so a panicking `f` leaves no stale executor.
    struct Restore(Option<StdArc<Executor<'static>>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            AMBIENT.with(|a| *a.borrow_mut() = previous);
        }
    }
    let _restore = Restore(previous);
    f()
}

// ANCHOR: spawn_owner
/// Runs `owner`, an actor's loop that ends by itself once its inbox
/// closes: on the ambient executor, detached (`None`), when there is one;
/// otherwise under `smol::block_on` on a thread of its own, whose handle
/// is returned for the style's `Drop` to join.
pub fn spawn_owner<F>(owner: F) -> Option<JoinHandle<()>>
where
    F: Future<Output = ()> + Send + 'static,
{
    match AMBIENT.with(|a| a.borrow().clone()) {
        Some(executor) => {
            executor.spawn(owner).detach();
            None
        }
        None => Some(spawn(move || smol::block_on(owner))),
    }
}
// ANCHOR_END: spawn_owner
