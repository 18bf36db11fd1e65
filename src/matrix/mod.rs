//! The workload × strategy matrix: the resources a strategy needs that live across runs
//! (runtimes, a warm process pool), and one `run` that pairs a workload with a strategy.

pub mod cpu;
pub mod io;

use std::fmt;

use crate::strategy::Strategy;

pub use cpu::CpuMatrix;
pub use io::{BlockingSessions, FaultLedger, IoMatrix, BLOCKING_STRATEGIES};

/// A run that failed or computed a wrong answer: never timed as if it had worked.
#[derive(Debug)]
pub struct RunError {
    /// The strategy that was running.
    pub strategy: Strategy,
    /// The workload's name.
    pub workload: String,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} / {}: {}",
            self.workload,
            self.strategy.name(),
            self.message
        )
    }
}

impl std::error::Error for RunError {}

/// Prints a failed or wrong run as the one line the suite promises and exits with status 1: a
/// run that failed is never timed as if it had worked.
pub fn exit_with_run_error(error: &dyn fmt::Display) -> ! {
    eprintln!("concurrency-bench: {error}");
    std::process::exit(1)
}
