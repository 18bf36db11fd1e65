//! Timelines: which worker ran which job, from when to when — the data behind the tutorial's
//! pictures, recorded from a real run.
//!
//! Strategies wrap each job in [`Probe::span`]. A benchmark's timed iterations pass
//! [`Probe::OFF`], which costs one branch per job (jobs take milliseconds); the benches then run
//! each strategy once more, untimed, with a [`Timeline`] attached.

use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::Instant;

use crate::lock;

/// One job's run: who ran it (the worker's row) and when, in nanoseconds since the timeline
/// started — the span of `cb-timeline.json`.
pub use cb_schema::Span;

/// Collects spans from all the threads of one run.
#[derive(Debug)]
pub struct Timeline {
    origin: Instant,
    spans: Mutex<Vec<Span>>,
    threads: Mutex<Vec<ThreadId>>,
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline::new()
    }
}

impl Timeline {
    /// Starts a timeline now.
    pub fn new() -> Timeline {
        Timeline {
            origin: Instant::now(),
            spans: Mutex::new(Vec::new()),
            threads: Mutex::new(Vec::new()),
        }
    }

    /// A probe that records into this timeline.
    pub fn probe(self: &Arc<Self>) -> Probe {
        Probe(Some(Arc::clone(self)))
    }

    /// The spans recorded so far, sorted by job.
    pub fn spans(&self) -> Vec<Span> {
        let mut spans = lock(&self.spans).clone();
        spans.sort_by_key(|span| span.job);
        spans
    }

    /// Nanoseconds from the start of the timeline to now.
    pub fn elapsed_ns(&self) -> u64 {
        nanos_since(self.origin)
    }

    /// Records job `job` on row `worker`, from `start_ns` until now.
    fn record_since(&self, worker: usize, job: usize, start_ns: u64) {
        let end_ns = self.elapsed_ns();
        lock(&self.spans).push(Span {
            job: job as u64,
            worker: worker as u64,
            start_ns,
            end_ns,
        });
    }

    /// A small number for the calling thread, stable within this timeline: the row of strategies
    /// whose workers are threads they did not number themselves (tokio's, rayon's).
    fn thread_row(&self) -> usize {
        let id = std::thread::current().id();
        let mut threads = lock(&self.threads);
        match threads.iter().position(|&known| known == id) {
            Some(row) => row,
            None => {
                threads.push(id);
                threads.len() - 1
            }
        }
    }
}

/// Where a strategy reports its jobs: into a [`Timeline`], or nowhere. Cloning it is free when off
/// and an `Arc` clone when on, so tasks and threads can each own one.
#[derive(Clone, Debug, Default)]
pub struct Probe(Option<Arc<Timeline>>);

impl Probe {
    /// Records nothing.
    pub const OFF: Probe = Probe(None);

    /// Runs `work` as job `job` on worker row `worker`, recording its span when on.
    #[inline]
    pub fn span<R>(&self, worker: usize, job: usize, work: impl FnOnce() -> R) -> R {
        match &self.0 {
            None => work(),
            Some(timeline) => {
                let start_ns = timeline.elapsed_ns();
                let result = work();
                timeline.record_since(worker, job, start_ns);
                result
            }
        }
    }

    /// Like [`Probe::span`], with the calling thread as the worker row.
    #[inline]
    pub fn span_on_this_thread<R>(&self, job: usize, work: impl FnOnce() -> R) -> R {
        let worker = self.0.as_deref().map_or(0, Timeline::thread_row);
        self.span(worker, job, work)
    }

    /// Like [`Probe::span`], for a future: the span runs from the first poll to completion.
    pub async fn span_async<R>(
        &self,
        worker: usize,
        job: usize,
        work: impl std::future::Future<Output = R>,
    ) -> R {
        match &self.0 {
            None => work.await,
            Some(timeline) => {
                let start_ns = timeline.elapsed_ns();
                let result = work.await;
                timeline.record_since(worker, job, start_ns);
                result
            }
        }
    }
}

fn nanos_since(origin: Instant) -> u64 {
    u64::try_from(origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_records_nothing_and_returns_the_result() {
        assert_eq!(Probe::OFF.span(3, 7, || 42), 42);
    }

    #[test]
    fn spans_are_recorded_in_job_order_with_rows() {
        let timeline = Arc::new(Timeline::new());
        let probe = timeline.probe();
        probe.span(1, 2, || {
            std::thread::sleep(std::time::Duration::from_millis(2))
        });
        probe.span(0, 0, || ());
        std::thread::scope(|scope| {
            scope.spawn(|| probe.span_on_this_thread(1, || ()));
        });
        probe.span_on_this_thread(3, || ());
        let spans = timeline.spans();
        assert_eq!(
            spans.iter().map(|s| s.job).collect::<Vec<_>>(),
            [0, 1, 2, 3]
        );
        assert!(spans[2].end_ns - spans[2].start_ns >= 2_000_000);
        assert_eq!(spans[1].worker, 0, "first thread seen gets row 0");
        assert_eq!(spans[3].worker, 1, "second thread seen gets row 1");
    }
}
