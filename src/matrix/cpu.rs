//! The CPU half of the matrix: every [`Strategy::CPU`] over a [`CpuWorkload`].

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tokio::runtime::Runtime;

use crate::config::Config;
use crate::lock;
use crate::matrix::{RunError, SetupError};
use crate::process::{JobOutcome, ProcessPool, WireJob, WireResult};
use crate::strategy::{self, Strategy};
use crate::timeline::Probe;
use crate::workload::cpu::{CpuJob, CpuWorkload};

/// CPU workers need no initializer.
const NO_ARGS: &[&str] = &[];

/// What the CPU strategies need across runs. Built once, outside any timing.
#[derive(Debug)]
pub struct CpuMatrix {
    config: Config,
    worker_exe: PathBuf,
    multi_thread: Runtime,
    current_thread: Runtime,
    warm_pool: Mutex<ProcessPool>,
    rayon_pool: Option<::rayon::ThreadPool>,
}

impl CpuMatrix {
    /// Builds the runtimes and starts the warm process pool from the worker executable.
    /// Warns on stderr, once per matrix, when the kernels' placement is not pinned.
    pub fn new(config: &Config, worker_exe: &Path) -> Result<CpuMatrix, SetupError> {
        if let Some(warning) = crate::workload::cpu::placement_warning() {
            eprintln!("warning: {warning}");
        }
        let multi_thread = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(SetupError::Runtime)?;
        let current_thread = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(SetupError::Runtime)?;
        let warm_pool = ProcessPool::start(worker_exe, NO_ARGS, config.processes)?;
        Ok(CpuMatrix {
            config: config.clone(),
            worker_exe: worker_exe.to_owned(),
            multi_thread,
            current_thread,
            warm_pool: Mutex::new(warm_pool),
            rayon_pool: None,
        })
    }

    /// Makes the rayon strategy run on a local pool of `threads` threads instead of the global
    /// one (the global pool's size is fixed for the life of the process).
    pub fn with_rayon_threads(mut self, threads: usize) -> Result<CpuMatrix, SetupError> {
        let pool = ::rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|error| SetupError::Rayon { threads, error })?;
        self.rayon_pool = Some(pool);
        Ok(self)
    }

    /// Threads the rayon strategy runs on.
    pub fn rayon_threads(&self) -> usize {
        self.rayon_pool
            .as_ref()
            .map_or_else(::rayon::current_num_threads, |pool| {
                pool.current_num_threads()
            })
    }

    /// The configuration the matrix was built with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Runs `workload` with `strategy` and returns every job's result in order.
    pub fn run(
        &self,
        strategy: Strategy,
        workload: &CpuWorkload,
        probe: &Probe,
    ) -> Result<Vec<u128>, RunError> {
        let jobs = &workload.jobs;
        let workers = self.config.workers;
        let results = match strategy {
            Strategy::Sequential => strategy::sequential::run(jobs, probe, CpuJob::run),
            Strategy::ThreadPool => {
                strategy::thread_pool::run(jobs, workers, probe, |_| (), |(), job| job.run())
            }
            Strategy::AsyncTokio => self.tasks(&self.multi_thread, jobs, probe),
            Strategy::TokioCurrentThread => self.tasks(&self.current_thread, jobs, probe),
            Strategy::SpawnBlocking => {
                strategy::spawn_blocking::run(&self.multi_thread, jobs, |index, &job| {
                    let probe = probe.clone();
                    move || probe.span_on_this_thread(index, || job.run())
                })
            }
            Strategy::ProcessPool => {
                let wire = wire_jobs(jobs);
                let results = strategy::process_pool::run(
                    &self.worker_exe,
                    NO_ARGS,
                    self.config.processes,
                    None,
                    &wire,
                    probe,
                )
                .map_err(|error| self.error(strategy, workload, error.to_string()))?;
                from_wire(results, |message| self.error(strategy, workload, message))?
            }
            Strategy::ProcessPoolWarm => {
                let wire = wire_jobs(jobs);
                let mut pool = lock(&self.warm_pool);
                let results = strategy::process_pool::run_warm(&mut pool, &wire, probe);
                drop(pool);
                from_wire(results, |message| self.error(strategy, workload, message))?
            }
            Strategy::Rayon => {
                let run = || strategy::rayon::run(jobs, probe, || (), |(), job| job.run());
                match &self.rayon_pool {
                    Some(pool) => pool.install(run),
                    None => run(),
                }
            }
            Strategy::ThreadPerJob => strategy::thread_per_job::run(jobs, probe, CpuJob::run),
            Strategy::GilThreads => {
                strategy::gil_threads::run(jobs, workers, probe, |job, checkpoint| {
                    job.run_with_checkpoints(checkpoint)
                })
            }
            Strategy::ThreadPoolSharedClient | Strategy::TokioBounded => {
                let message = "is an I/O strategy, not a CPU one".to_owned();
                return Err(self.error(strategy, workload, message));
            }
        };
        Ok(results)
    }

    /// Runs and checks every result against the expected one: what each benchmark iteration does.
    pub fn run_verified(
        &self,
        strategy: Strategy,
        workload: &CpuWorkload,
        probe: &Probe,
    ) -> Result<(), RunError> {
        let results = self.run(strategy, workload, probe)?;
        workload
            .verify(&results)
            .map_err(|wrong| self.error(strategy, workload, wrong.to_string()))
    }

    /// One tokio task per job; each computes on whichever runtime thread polls it.
    fn tasks(&self, runtime: &Runtime, jobs: &[CpuJob], probe: &Probe) -> Vec<u128> {
        strategy::async_tokio::run(runtime, jobs, |index, &job| {
            let probe = probe.clone();
            async move { probe.span_on_this_thread(index, || job.run()) }
        })
    }

    fn error(&self, strategy: Strategy, workload: &CpuWorkload, message: String) -> RunError {
        RunError {
            strategy,
            workload: format!("cpu/{}", workload.kernel.name()),
            message,
        }
    }
}

fn wire_jobs(jobs: &[CpuJob]) -> Vec<WireJob> {
    jobs.iter().copied().map(WireJob::Cpu).collect()
}

/// A CPU job can only fail by losing its worker: any failure fails the run (`fail` makes the
/// run's error from the message).
fn from_wire(
    results: Vec<JobOutcome>,
    fail: impl Fn(String) -> RunError,
) -> Result<Vec<u128>, RunError> {
    results
        .into_iter()
        .enumerate()
        .map(|(index, result)| match result {
            Err(error) => Err(fail(format!("job {index}: {error}"))),
            Ok(WireResult::Value(value)) => Ok(value),
            Ok(WireResult::Failed(message)) => {
                Err(fail(format!("job {index} failed in a worker: {message}")))
            }
            Ok(WireResult::DownloadFailed(error)) => Err(fail(format!(
                "job {index}: a download result for a CPU job: {error}"
            ))),
        })
        .collect()
}
