//! [sequential] The tutorial's synchronous program: one loop, one job after another.
//!
//! For I/O, `work` captures the one client (the tutorial's single `requests.Session`).

use crate::timeline::Probe;

/// Runs every job in order on the calling thread.
pub fn run<J, R>(jobs: &[J], probe: &Probe, mut work: impl FnMut(&J) -> R) -> Vec<R> {
    let mut results = Vec::with_capacity(jobs.len());
    for (index, job) in jobs.iter().enumerate() {
        results.push(probe.span(0, index, || work(job)));
    }
    results
}
