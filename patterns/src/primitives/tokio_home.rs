//! Where a tokio-backed style runs: on the ambient runtime when it is
//! created inside one (as an application puts its actor on its own
//! runtime, beside the tasks that call it), on a runtime of its own
//! otherwise, so that any driver can call it. Written once here for every
//! tokio style (actors and bridges), so the rule is the same in every row.

use std::future::Future;

use crate::sync::tokio::runtime::{Builder, Handle, Runtime};

use crate::sync::{JoinHandle, spawn};

/// Runs `owner`, an actor's loop that ends by itself once its inbox
/// closes. Inside a tokio runtime it becomes a task there, detached
/// (`None`: nothing to join, the task ends with the loop). Elsewhere a
/// current-thread runtime on a thread of its own runs it, and that
/// thread's handle is returned for the style's `Drop` to join.
pub fn spawn_owner<F>(owner: F) -> Option<JoinHandle<()>>
where
    F: Future<Output = ()> + Send + 'static,
{
    match Handle::try_current() {
        Ok(ambient) => {
            drop(ambient.spawn(owner));
            None
        }
        Err(_) => {
            let runtime = own_runtime();
            Some(spawn(move || runtime.block_on(owner)))
        }
    }
}

/// A handle to a tokio blocking pool: the ambient runtime's, or that of a
/// runtime returned beside it, which the caller keeps alive as long as it
/// uses the handle (dropping it waits for the pool's threads).
pub fn blocking_pool() -> (Handle, Option<Runtime>) {
    match Handle::try_current() {
        Ok(ambient) => (ambient, None),
        Err(_) => {
            let runtime = own_runtime();
            (runtime.handle().clone(), Some(runtime))
        }
    }
}

/// A current-thread runtime: it adds no worker threads of its own; only
/// the thread that blocks on it (and its blocking pool, when used) runs.
fn own_runtime() -> Runtime {
    Builder::new_current_thread()
        .build()
        .expect("building a tokio runtime")
}
