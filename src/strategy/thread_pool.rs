//! [thread_pool] The tutorial's `ThreadPoolExecutor(max_workers=N)` with `executor.map`.
//!
//! A fixed pool of OS threads takes jobs from one shared queue (an atomic cursor over the job
//! list). Each thread first gets its own state from `init(worker)`: the tutorial's
//! `threading.local()` Session for I/O, nothing for CPU work. The pool is built inside the call, as the tutorial's
//! `with ThreadPoolExecutor(...)` block is, so thread start-up is part of what is timed.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::join::join_thread_or_resume_panic;
use crate::timeline::Probe;

/// Runs the jobs on `workers` threads and returns the results in job order.
pub fn run<J, S, R>(
    jobs: &[J],
    workers: usize,
    probe: &Probe,
    init: impl Fn(usize) -> S + Sync,
    work: impl Fn(&mut S, &J) -> R + Sync,
) -> Vec<R>
where
    J: Sync,
    R: Send,
{
    let next_job = AtomicUsize::new(0);
    let finished: Vec<Vec<(usize, R)>> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..workers.max(1))
            .map(|worker| {
                let (next_job, init, work) = (&next_job, &init, &work);
                scope.spawn(move || {
                    let mut state = init(worker);
                    let mut done = Vec::new();
                    loop {
                        let index = next_job.fetch_add(1, Ordering::Relaxed);
                        let Some(job) = jobs.get(index) else { break };
                        done.push((index, probe.span(worker, index, || work(&mut state, job))));
                    }
                    done
                })
            })
            .collect();
        threads
            .into_iter()
            .map(join_thread_or_resume_panic)
            .collect()
    });
    in_job_order(jobs.len(), finished.into_iter().flatten())
}

/// Puts `(index, result)` pairs back in job order; every index in `0..count` must appear once.
pub(crate) fn in_job_order<R>(count: usize, done: impl Iterator<Item = (usize, R)>) -> Vec<R> {
    let mut slots: Vec<Option<R>> = (0..count).map(|_| None).collect();
    for (index, result) in done {
        slots[index] = Some(result);
    }
    slots
        .into_iter()
        .map(|slot| slot.expect("every job ran exactly once"))
        .collect()
}
