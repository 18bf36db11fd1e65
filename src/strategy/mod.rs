//! How work is spread: one file per strategy, each reading like the tutorial's program for it,
//! and [`Strategy`], the one list that benches, tests and the report all read.
//!
//! Strategies are generic over the job and its result; the workloads (what is computed) live in
//! [`crate::workload`], and the matrix (`src/matrix/`) pairs the two.

pub mod async_tokio;
pub mod gil_threads;
pub mod process_pool;
pub mod rayon;
pub mod sequential;
pub mod spawn_blocking;
pub mod thread_per_job;
pub mod thread_pool;
pub mod tokio_bounded;

use serde::{Deserialize, Serialize};

use crate::config::Config;

/// Whether a workload waits (I/O) or computes (CPU).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Computing: more cores help.
    Cpu,
    /// Waiting on the network: overlapping the waits helps.
    Io,
}

impl Kind {
    /// `cpu` or `io`, as `cb-meta.json` names it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Cpu => "cpu",
            Kind::Io => "io",
        }
    }
}

/// A way of running a list of jobs. Its [`name`](Strategy::name) is the Criterion function name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// A plain loop (the tutorial's synchronous program).
    Sequential,
    /// A fixed pool of `CB_WORKERS` threads sharing a job queue (`ThreadPoolExecutor`); for I/O,
    /// each thread has its own client (the tutorial's thread-local Session).
    ThreadPool,
    /// The same pool, all threads sharing one blocking client (a ureq `Agent` is thread-safe;
    /// `requests.Session` is not).
    ThreadPoolSharedClient,
    /// One tokio task per job on the multi-thread runtime (asyncio, on every core).
    AsyncTokio,
    /// One tokio task per job on a current-thread runtime (asyncio's single thread).
    TokioCurrentThread,
    /// One tokio task per job, at most `CB_WORKERS` in flight (a semaphore).
    TokioBounded,
    /// One `spawn_blocking` call per job on tokio's blocking pool.
    SpawnBlocking,
    /// `CB_PROCESSES` worker processes, started and stopped inside the timing (`with Pool()`).
    ProcessPool,
    /// The same processes, started once outside the timing.
    ProcessPoolWarm,
    /// `par_iter` on rayon's global pool.
    Rayon,
    /// One OS thread per job.
    ThreadPerJob,
    /// `CB_WORKERS` threads that must hold one global lock to compute (CPython's GIL).
    GilThreads,
}

impl Strategy {
    /// The strategies of the CPU benchmarks, in the order they run: the tutorial's four first.
    pub const CPU: [Strategy; 10] = [
        Strategy::Sequential,
        Strategy::ThreadPool,
        Strategy::AsyncTokio,
        Strategy::ProcessPool,
        Strategy::TokioCurrentThread,
        Strategy::SpawnBlocking,
        Strategy::ProcessPoolWarm,
        Strategy::Rayon,
        Strategy::ThreadPerJob,
        Strategy::GilThreads,
    ];

    /// The strategies of the I/O benchmarks, in the order they run: the tutorial's four first.
    pub const IO: [Strategy; 10] = [
        Strategy::Sequential,
        Strategy::ThreadPool,
        Strategy::AsyncTokio,
        Strategy::ProcessPool,
        Strategy::ThreadPoolSharedClient,
        Strategy::ThreadPerJob,
        Strategy::TokioCurrentThread,
        Strategy::TokioBounded,
        Strategy::ProcessPoolWarm,
        Strategy::Rayon,
    ];

    /// The benchmark function name.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Sequential => "sequential",
            Strategy::ThreadPool => "thread_pool",
            Strategy::ThreadPoolSharedClient => "thread_pool_shared_client",
            Strategy::AsyncTokio => "async_tokio",
            Strategy::TokioCurrentThread => "tokio_current_thread",
            Strategy::TokioBounded => "tokio_bounded",
            Strategy::SpawnBlocking => "spawn_blocking",
            Strategy::ProcessPool => "process_pool",
            Strategy::ProcessPoolWarm => "process_pool_warm",
            Strategy::Rayon => "rayon",
            Strategy::ThreadPerJob => "thread_per_job",
            Strategy::GilThreads => "gil_threads",
        }
    }

    /// The strategy with this benchmark function name.
    pub fn from_name(name: &str) -> Option<Strategy> {
        Strategy::CPU
            .into_iter()
            .chain(Strategy::IO)
            .find(|strategy| strategy.name() == name)
    }

    /// How many of `jobs` jobs of `kind` can be in flight at once under this strategy: for I/O
    /// the C of the ideal time ⌈N/C⌉·L; for CPU work, how many can be computing (a task that
    /// never yields holds its runtime thread).
    pub fn concurrency(self, kind: Kind, config: &Config, jobs: usize) -> usize {
        let cores = crate::config::available_cores();
        let concurrency = match (self, kind) {
            (Strategy::AsyncTokio, Kind::Io) | (Strategy::TokioCurrentThread, Kind::Io) => jobs,
            (Strategy::AsyncTokio, Kind::Cpu) => cores,
            (Strategy::Sequential | Strategy::TokioCurrentThread | Strategy::GilThreads, _) => 1,
            (Strategy::ThreadPool | Strategy::ThreadPoolSharedClient, _) => config.workers,
            (Strategy::TokioBounded, _) => config.workers,
            (Strategy::SpawnBlocking, _) => jobs.min(512),
            (Strategy::ProcessPool | Strategy::ProcessPoolWarm, _) => config.processes,
            (Strategy::Rayon, _) => ::rayon::current_num_threads(),
            (Strategy::ThreadPerJob, _) => jobs,
        };
        concurrency.clamp(1, jobs.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        for strategy in Strategy::CPU.into_iter().chain(Strategy::IO) {
            assert_eq!(Strategy::from_name(strategy.name()), Some(strategy));
            let json = serde_json::to_string(&strategy).unwrap();
            assert_eq!(json, format!("\"{}\"", strategy.name()));
        }
        for kind in [Kind::Cpu, Kind::Io] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.name()));
        }
        for list in [&Strategy::CPU[..], &Strategy::IO[..]] {
            let mut names: Vec<_> = list.iter().map(|s| s.name()).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), list.len());
        }
    }
}
