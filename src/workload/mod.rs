//! What is computed: the tutorial's workloads, each a list of jobs with a way to check every result.

pub mod client;
pub mod cpu;
pub mod faults;
pub mod io;
