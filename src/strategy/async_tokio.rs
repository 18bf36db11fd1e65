//! [async_tokio] and [tokio_current_thread] The tutorial's asyncio program: one task per job,
//! all spawned at once, then gathered in order (`asyncio.gather`).
//!
//! The runtime is built once, outside the timed work (the suite owns it), the way one event loop
//! serves the whole program. On the multi-thread runtime tasks run on every core; on the
//! current-thread runtime they share one thread, as asyncio's do. A task that panics re-raises in
//! the caller: nothing is swallowed the way `return_exceptions=True` swallows.

use std::future::Future;

use tokio::runtime::Runtime;

use crate::join::join_task_or_resume_panic;

/// Spawns `task(index, job)` for every job on `runtime` and returns the results in job order.
pub fn run<J, R, Fut>(runtime: &Runtime, jobs: &[J], task: impl Fn(usize, &J) -> Fut) -> Vec<R>
where
    Fut: Future<Output = R> + Send + 'static,
    R: Send + 'static,
{
    runtime.block_on(async {
        let tasks: Vec<_> = jobs
            .iter()
            .enumerate()
            .map(|(index, job)| tokio::spawn(task(index, job)))
            .collect();
        let mut results = Vec::with_capacity(tasks.len());
        for task in tasks {
            results.push(join_task_or_resume_panic(task.await));
        }
        results
    })
}
