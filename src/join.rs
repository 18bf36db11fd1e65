//! Waiting for threads and tasks the way the tutorial's executors do: a worker's panic is
//! re-raised in the caller (as `executor.map` re-raises), never swallowed. Shared by the
//! strategies and the process pool's feeder threads.

/// Joins a scoped thread, re-raising its panic in the caller.
pub(crate) fn join_thread_or_resume_panic<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// A finished tokio task's result, re-raising its panic in the caller.
pub(crate) fn join_task_or_resume_panic<R>(joined: Result<R, tokio::task::JoinError>) -> R {
    joined.unwrap_or_else(|error| match error.try_into_panic() {
        Ok(panic) => std::panic::resume_unwind(panic),
        Err(error) => panic!("task did not finish: {error}"),
    })
}
