//! [rayon] `par_iter` on rayon's global pool (one thread per core), with per-thread state built by
//! `map_init` — rayon's answer to the tutorial's `initializer=`.
//!
//! For CPU work this is the idiomatic Rust choice; for I/O it is the wrong tool (only cores-many
//! threads wait on the network), measured so the report can say so.

use rayon::prelude::*;

use crate::timeline::Probe;

/// Runs the jobs with rayon's global pool and returns the results in job order.
pub fn run<J, S, R>(
    jobs: &[J],
    probe: &Probe,
    init: impl Fn() -> S + Sync + Send,
    work: impl Fn(&mut S, &J) -> R + Sync + Send,
) -> Vec<R>
where
    J: Sync,
    R: Send,
{
    jobs.par_iter()
        .enumerate()
        .map_init(init, |state, (index, job)| {
            probe.span_on_this_thread(index, || work(state, job))
        })
        .collect()
}
