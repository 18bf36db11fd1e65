//! [tokio_bounded] One task per job, but at most `limit` in flight: the readers' question "how do
//! I scale to thousands of requests?" answered with a semaphore.
//!
//! Every task is spawned at once and waits for a permit; a task holding one also holds a slot
//! number (`0..limit`), which is its row in the timeline. Results come back in job order.

use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::runtime::Runtime;
use tokio::sync::Semaphore;

use crate::join::join_task_or_resume_panic;
use crate::lock;
use crate::timeline::Probe;

/// Runs `task(index, job)` for every job on `runtime`, at most `limit` at a time.
pub fn run<J, R, Fut>(
    runtime: &Runtime,
    jobs: &[J],
    limit: usize,
    probe: &Probe,
    task: impl Fn(usize, &J) -> Fut,
) -> Vec<R>
where
    Fut: Future<Output = R> + Send + 'static,
    R: Send + 'static,
{
    let limit = limit.max(1);
    let permits = Arc::new(Semaphore::new(limit));
    let free_slots = Arc::new(Mutex::new((0..limit).rev().collect::<Vec<usize>>()));
    runtime.block_on(async {
        let tasks: Vec<_> = jobs
            .iter()
            .enumerate()
            .map(|(index, job)| {
                let work = task(index, job);
                let (permits, free_slots, probe) =
                    (Arc::clone(&permits), Arc::clone(&free_slots), probe.clone());
                tokio::spawn(async move {
                    let _permit = permits.acquire_owned().await.expect("never closed");
                    let slot = lock(&free_slots).pop().expect("a slot per permit");
                    let result = probe.span_async(slot, index, work).await;
                    lock(&free_slots).push(slot);
                    result
                })
            })
            .collect();
        let mut results = Vec::with_capacity(tasks.len());
        for task in tasks {
            results.push(join_task_or_resume_panic(task.await));
        }
        results
    })
}
