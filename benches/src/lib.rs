//! Shared machinery of the benchmarks, one module per concern:
//!
//! | module | what it holds |
//! |---|---|
//! | [`settings`] | what a run measures: clients, drivers, quick mode, the name filter |
//! | [`runner`] | the throughput side: a plan of cells, interleaved rounds, the one generic style runner |
//! | [`busy`] | busy work of a calibrated length (the hold-time sweep's critical sections) |
//! | [`cost`] | what a run costs: CPU time, context switches, steal, allocations (a counting allocator) |
//! | [`owners`] | round trips to an owner of state over bare channels: the actors' floors in the bank and the session store |
//! | [`harness`] | the latency harness, for workloads that need percentiles (jobs, inbox, server, runtime, context): they save rows, their report is made from them |
//! | [`progress`] | progress lines and time left during the long run |
//! | [`workloads`] | one description per workload, shared by its bench and the report |
//! | [`report`] | the side-by-side report: tables, charts, the run's environment, the book's snapshot |
//! | [`results`] | results as data: each workload's typed row, the one CSV writer and reader |

pub mod busy;
pub mod cost;
pub mod harness;
pub mod owners;
pub mod progress;
pub mod report;
pub mod results;
pub mod runner;
pub mod settings;
pub mod workloads;
