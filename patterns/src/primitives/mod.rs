//! Machinery written once on the facade and shared by several styles: the
//! bounded queue that actors and pools receive from, the per-thread reply
//! queue they answer on, and the seed's `SpawnBlocking` future.

pub mod bounded_queue;
pub mod completion;
pub mod gate;
pub mod job_queue;
pub mod reply;
pub mod spawn_blocking;

pub use bounded_queue::BoundedQueue;
pub use spawn_blocking::{SpawnBlocking, spawn_blocking};
