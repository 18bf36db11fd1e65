//! The mock server's integration tests, in one test binary (one link instead of one per file,
//! as ripgrep keeps its tests): a module per concern, and `util` for what they share.
//!
//! All tests run in one process, in parallel; the one that measures the process's memory runs
//! in a process of its own ([`util::run_alone`]), so that no other test inflates it.

mod util;

mod binary;
mod faults;
mod jitter;
mod latency;
mod memory;
mod pages;
mod recycling;
