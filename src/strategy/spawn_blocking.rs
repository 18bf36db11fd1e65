//! [spawn_blocking] Each job handed to tokio's blocking pool with `spawn_blocking`, then awaited
//! in order: how async code is told to run CPU-heavy or blocking work. The blocking pool grows a
//! thread per waiting job (up to 512), so this behaves like a thread per job with reuse.

use tokio::runtime::Runtime;

use crate::join::join_task_or_resume_panic;

/// Runs `work(index, job)` for every job on `runtime`'s blocking pool; results in job order.
pub fn run<J, R, F>(runtime: &Runtime, jobs: &[J], work: impl Fn(usize, &J) -> F) -> Vec<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    runtime.block_on(async {
        let tasks: Vec<_> = jobs
            .iter()
            .enumerate()
            .map(|(index, job)| tokio::task::spawn_blocking(work(index, job)))
            .collect();
        let mut results = Vec::with_capacity(tasks.len());
        for task in tasks {
            results.push(join_task_or_resume_panic(task.await));
        }
        results
    })
}
