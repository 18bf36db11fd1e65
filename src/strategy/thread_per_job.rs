//! [thread_per_job] One OS thread per job, all started at once, then joined in order: what
//! "just use threads" means without a pool.

use crate::join::join_thread_or_resume_panic;
use crate::timeline::Probe;

/// Starts a thread for every job and returns the results in job order.
pub fn run<J, R>(jobs: &[J], probe: &Probe, work: impl Fn(&J) -> R + Sync) -> Vec<R>
where
    J: Sync,
    R: Send,
{
    std::thread::scope(|scope| {
        let threads: Vec<_> = jobs
            .iter()
            .enumerate()
            .map(|(index, job)| {
                let work = &work;
                scope.spawn(move || probe.span(index, index, || work(job)))
            })
            .collect();
        threads
            .into_iter()
            .map(join_thread_or_resume_panic)
            .collect()
    })
}
