//! [process_pool] and [process_pool_warm] The tutorial's `multiprocessing.Pool()`: worker
//! processes (one per core by default), each computing jobs sent over a pipe.
//!
//! `worker_args` choose the worker's initializer: `--http-client` builds one HTTP client per
//! process at start-up, as the tutorial's `initializer=` builds one Session per process.
//!
//! [`run`] is the tutorial's `with Pool() as pool: pool.map(...)`: starting the processes and
//! reaping them are part of the timed work. [`run_warm`] reuses a pool started beforehand, to
//! show what the work costs once start-up is paid.

use std::path::Path;
use std::time::Duration;

use crate::process::{JobOutcome, PoolError, ProcessPool, WireJob};
use crate::timeline::Probe;

/// Starts a pool of `processes` workers, maps the jobs over it, and shuts it down. A job that
/// got no answer (its worker died or timed out) is an error in its place.
pub fn run(
    worker_exe: &Path,
    worker_args: &[impl AsRef<str>],
    processes: usize,
    job_timeout: Option<Duration>,
    jobs: &[WireJob],
    probe: &Probe,
) -> Result<Vec<JobOutcome>, PoolError> {
    let mut pool = ProcessPool::start(worker_exe, worker_args, processes)?;
    if let Some(timeout) = job_timeout {
        pool = pool.with_job_timeout(timeout);
    }
    Ok(pool.map(jobs, probe))
    // `pool` drops here: stdin closed, every worker waited for.
}

/// Maps the jobs over an already running pool.
pub fn run_warm(pool: &mut ProcessPool, jobs: &[WireJob], probe: &Probe) -> Vec<JobOutcome> {
    pool.map(jobs, probe)
}
