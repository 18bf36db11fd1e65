//! The I/O half of the matrix: every [`Strategy::IO`] over the download workload.
//!
//! What the tutorial creates once per program is created here once, outside any timing: the
//! embedded server, the runtimes, and the clients — [`BlockingSessions`] for the thread
//! strategies (one blocking client, the Session, for `sequential` and shared by the threads of
//! `thread_pool_shared_client` and `thread_per_job`; one per pool thread, the thread-local
//! Sessions; one per rayon thread), one async client per runtime (the `ClientSession`), and a
//! warm process pool whose workers each built their own blocking client. Building clients once
//! also keeps their connections alive across iterations: thousands of iterations opening fresh
//! connections would exhaust the loopback ports (TIME_WAIT).
//!
//! The blocking clients are ureq agents ([`BlockingClientKind::Ureq`]): a thread running a
//! download writes the request and blocks reading the response on its own socket, as the
//! tutorial's threads do. The matrix can also be built with reqwest's blocking client, or give
//! a second set of sessions of it ([`IoMatrix::blocking_sessions`]), only to measure the hop to
//! that client's runtime thread (`cargo bench --bench blocking_hop`).

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mock_server::{page_body, FaultCounts};
use tokio::runtime::Runtime;

use crate::config::Config;
use crate::error::Error;
use crate::lock;
use crate::matrix::{RunError, SetupError};
use crate::process::{JobOutcome, ProcessPool, WireJob, WireResult};
use crate::server::{Server, ServerError};
use crate::strategy::{self, Strategy};
use crate::timeline::Probe;
use crate::workload::faults::{FailureTally, FaultLedger, FAULT_KINDS};
use crate::workload::io::{
    async_client, BlockingClient, BlockingClientKind, ClientError, Download, DownloadError, Expect,
    Fetched, IoWorkload, Page,
};

/// The I/O strategies that run each download on a thread of their own, through a blocking
/// client ([`BlockingSessions`]), in the order of [`Strategy::IO`].
pub const BLOCKING_STRATEGIES: [Strategy; 5] = [
    Strategy::Sequential,
    Strategy::ThreadPool,
    Strategy::ThreadPoolSharedClient,
    Strategy::ThreadPerJob,
    Strategy::Rayon,
];

/// The blocking clients of the thread strategies, one kind throughout, as the tutorial creates
/// its Sessions: one for `sequential` (the Session), which the threads of
/// `thread_pool_shared_client` and `thread_per_job` share; one per pool thread for
/// `thread_pool` (the thread-local Sessions); one per rayon thread for `rayon`.
#[derive(Debug)]
pub struct BlockingSessions {
    shared: BlockingClient,
    per_pool_thread: Vec<BlockingClient>,
    per_rayon_thread: Vec<BlockingClient>,
}

impl BlockingSessions {
    /// Clients of `kind` with `config`'s request timeout. The shared client keeps as many
    /// connections as `thread_per_job` has requests in flight (`CB_SITES`, or the pool's
    /// `CB_WORKERS` if more); a per-thread client carries one request at a time.
    pub fn new(kind: BlockingClientKind, config: &Config) -> Result<BlockingSessions, ClientError> {
        let timeout = config.timeout();
        let one_request_at_a_time = |count: usize| -> Result<Vec<BlockingClient>, ClientError> {
            (0..count)
                .map(|_| BlockingClient::new(kind, timeout, 1))
                .collect()
        };
        Ok(BlockingSessions {
            shared: BlockingClient::new(kind, timeout, config.sites.max(config.workers))?,
            per_pool_thread: one_request_at_a_time(config.workers)?,
            per_rayon_thread: one_request_at_a_time(::rayon::current_num_threads())?,
        })
    }

    /// The kind of every client in the set.
    pub fn kind(&self) -> BlockingClientKind {
        self.shared.kind()
    }
}

/// Extra time a worker gets beyond the request timeout before the pool gives up on it.
const WORKER_GRACE: Duration = Duration::from_secs(5);

/// What the I/O strategies need across runs. Built once, outside any timing.
pub struct IoMatrix {
    config: Config,
    worker_exe: PathBuf,
    server: Server,
    sessions: BlockingSessions,
    multi_thread: Runtime,
    multi_thread_client: reqwest::Client,
    current_thread: Runtime,
    current_thread_client: reqwest::Client,
    warm_pool: Mutex<ProcessPool>,
}

impl std::fmt::Debug for IoMatrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IoMatrix")
            .field("server", &self.server)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl IoMatrix {
    /// Starts the embedded server (unless `CB_TARGET_URL` names another; in a child process if
    /// this one can't hold enough sockets), builds the clients and runtimes, and starts the warm
    /// process pool.
    pub fn new(config: &Config, worker_exe: &Path) -> Result<IoMatrix, SetupError> {
        IoMatrix::with_server(config, worker_exe, Server::start(config, worker_exe)?)
    }

    /// Like [`IoMatrix::new`], downloading from `server`.
    pub fn with_server(
        config: &Config,
        worker_exe: &Path,
        server: Server,
    ) -> Result<IoMatrix, SetupError> {
        IoMatrix::with_blocking_client(config, worker_exe, server, BlockingClientKind::Ureq)
    }

    /// Like [`IoMatrix::with_server`], the thread strategies and the process-pool workers using
    /// blocking clients of `kind` (the suite uses ureq; reqwest's only to measure its hop).
    pub fn with_blocking_client(
        config: &Config,
        worker_exe: &Path,
        server: Server,
        kind: BlockingClientKind,
    ) -> Result<IoMatrix, SetupError> {
        let timeout = config.timeout();
        let matrix = IoMatrix {
            worker_exe: worker_exe.to_owned(),
            sessions: BlockingSessions::new(kind, config)?,
            multi_thread: tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(SetupError::Runtime)?,
            multi_thread_client: async_client(timeout).map_err(ClientError)?,
            current_thread: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(SetupError::Runtime)?,
            current_thread_client: async_client(timeout).map_err(ClientError)?,
            warm_pool: Mutex::new(
                ProcessPool::start(worker_exe, &worker_args(config, kind), config.processes)?
                    .with_job_timeout(config.timeout() + WORKER_GRACE),
            ),
            config: config.clone(),
            server,
        };
        if let Server::External(_) = matrix.server {
            matrix.check_target_is_reachable()?;
        }
        Ok(matrix)
    }

    /// The configuration the matrix was built with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The kind of blocking client the thread strategies and the workers use.
    pub fn blocking_client_kind(&self) -> BlockingClientKind {
        self.sessions.kind()
    }

    /// A second set of blocking clients, of `kind`, built as the matrix built its own, for
    /// [`IoMatrix::run_blocking`]: the same strategies through another client, against the
    /// same server.
    pub fn blocking_sessions(
        &self,
        kind: BlockingClientKind,
    ) -> Result<BlockingSessions, ClientError> {
        BlockingSessions::new(kind, &self.config)
    }

    /// Where the downloads go: the embedded server's URL or `CB_TARGET_URL`.
    pub fn base_url(&self) -> &str {
        self.server.base_url()
    }

    /// The server the downloads go to.
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// The server's latency per request in milliseconds, when the matrix set it (embedded
    /// server); `None` for a server it did not start.
    pub fn latency_ms(&self) -> Option<f64> {
        self.server.settings().map(|_| self.config.latency_ms)
    }

    /// The tutorial's download list, `CB_SITES` long, checked byte for byte against the embedded
    /// server's pages or by `Content-Length` against another server.
    pub fn workload(&self) -> IoWorkload {
        self.workload_of(self.config.sites)
    }

    /// The download list with `sites` downloads.
    pub fn workload_of(&self, sites: usize) -> IoWorkload {
        let base_url = self.base_url();
        match self.server.settings() {
            Some(settings) => {
                let jython: Arc<[u8]> =
                    page_body(Page::Jython, settings.body_len(Page::Jython)).into();
                let dice: Arc<[u8]> = page_body(Page::Dice, settings.body_len(Page::Dice)).into();
                let body = move |page| match page {
                    Page::Jython => Arc::clone(&jython),
                    Page::Dice => Arc::clone(&dice),
                };
                IoWorkload::new(base_url, sites, Some(&body))
            }
            None => IoWorkload::new(base_url, sites, None),
        }
    }

    /// Runs the downloads with `strategy` and returns every download's outcome, in job order.
    pub fn run(
        &self,
        strategy: Strategy,
        workload: &IoWorkload,
        probe: &Probe,
    ) -> Result<Vec<Fetched>, RunError> {
        let jobs = &workload.jobs;
        let workers = self.config.workers;
        let outcomes = match strategy {
            Strategy::Sequential
            | Strategy::ThreadPool
            | Strategy::ThreadPoolSharedClient
            | Strategy::ThreadPerJob
            | Strategy::Rayon => {
                return self.run_blocking(strategy, &self.sessions, workload, probe)
            }
            Strategy::AsyncTokio => {
                self.tasks(&self.multi_thread, &self.multi_thread_client, jobs, probe)
            }
            Strategy::TokioCurrentThread => self.tasks(
                &self.current_thread,
                &self.current_thread_client,
                jobs,
                probe,
            ),
            Strategy::TokioBounded => self.run_bounded(workload, workers, probe),
            Strategy::ProcessPool => strategy::process_pool::run(
                &self.worker_exe,
                &worker_args(&self.config, self.sessions.kind()),
                self.config.processes,
                Some(self.config.timeout() + WORKER_GRACE),
                &wire_jobs(jobs),
                probe,
            )
            .map(|outcomes| from_wire(jobs, outcomes))
            .map_err(|failure| error(strategy, failure.to_string()))?,
            Strategy::ProcessPoolWarm => {
                let mut pool = lock(&self.warm_pool);
                let outcomes = strategy::process_pool::run_warm(&mut pool, &wire_jobs(jobs), probe);
                from_wire(jobs, outcomes)
            }
            Strategy::SpawnBlocking | Strategy::GilThreads => {
                return Err(error(
                    strategy,
                    "is a CPU strategy, not an I/O one".to_owned(),
                ))
            }
        };
        Ok(outcomes)
    }

    /// Runs the downloads with one of the [`BLOCKING_STRATEGIES`] through `sessions` (the
    /// matrix's own, or [`IoMatrix::blocking_sessions`]) and returns every outcome, in job order.
    pub fn run_blocking(
        &self,
        strategy: Strategy,
        sessions: &BlockingSessions,
        workload: &IoWorkload,
        probe: &Probe,
    ) -> Result<Vec<Fetched>, RunError> {
        let jobs = &workload.jobs;
        let workers = self.config.workers;
        let shared = &sessions.shared;
        let outcomes = match strategy {
            Strategy::Sequential => {
                strategy::sequential::run(jobs, probe, |job| job.fetch_blocking(shared))
            }
            Strategy::ThreadPool => strategy::thread_pool::run(
                jobs,
                workers,
                probe,
                |worker| &sessions.per_pool_thread[worker],
                |session, job| job.fetch_blocking(session),
            ),
            Strategy::ThreadPoolSharedClient => strategy::thread_pool::run(
                jobs,
                workers,
                probe,
                |_| shared,
                |session, job| job.fetch_blocking(session),
            ),
            Strategy::ThreadPerJob => {
                strategy::thread_per_job::run(jobs, probe, |job| job.fetch_blocking(shared))
            }
            Strategy::Rayon => strategy::rayon::run(
                jobs,
                probe,
                || {
                    let thread = ::rayon::current_thread_index().unwrap_or(0);
                    // The global pool's size is fixed once it exists, so every index has a
                    // client; the shared one is only a fallback that is never taken.
                    sessions.per_rayon_thread.get(thread).unwrap_or(shared)
                },
                |session, job| job.fetch_blocking(session),
            ),
            other => {
                return Err(error(
                    other,
                    "does not run its downloads with a blocking client".to_owned(),
                ))
            }
        };
        Ok(outcomes)
    }

    /// The measuring function of `strategy` (one of the [`BLOCKING_STRATEGIES`]) through
    /// `sessions` for a group's rounds: times `iters` runs, each checked as in
    /// [`IoMatrix::run_verified`]; the first failed download ends the measurement.
    pub fn measure_blocking<'a>(
        &'a self,
        strategy: Strategy,
        sessions: &'a BlockingSessions,
        workload: &'a IoWorkload,
    ) -> impl FnMut(u64) -> Result<Duration, Error> + 'a {
        crate::rounds::timed(None, move || {
            self.run_blocking_verified(strategy, sessions, workload, &Probe::OFF)
        })
    }

    /// [`IoMatrix::run_blocking`], then every download checked as in
    /// [`IoMatrix::run_verified`]; returns the bytes received.
    pub fn run_blocking_verified(
        &self,
        strategy: Strategy,
        sessions: &BlockingSessions,
        workload: &IoWorkload,
        probe: &Probe,
    ) -> Result<u64, RunError> {
        let outcomes = self.run_blocking(strategy, sessions, workload, probe)?;
        workload
            .verify(&outcomes)
            .map_err(|failed| error(strategy, failed.to_string()))
    }

    /// What each benchmark iteration does: runs, counts failures in `tally`, and checks. Without
    /// `CB_FAULTS` any failed download fails the run; with them, the failures the injected
    /// faults cause (status, connection, timeout) are expected and only counted, and any other
    /// failure (wrong bytes, a lost worker) still fails the run. Returns the bytes received.
    pub fn run_counted(
        &self,
        strategy: Strategy,
        workload: &IoWorkload,
        probe: &Probe,
        tally: &mut FailureTally,
    ) -> Result<u64, RunError> {
        let outcomes = self.run(strategy, workload, probe)?;
        tally.add(&outcomes);
        if self.config.faults.is_none() {
            return workload
                .verify(&outcomes)
                .map_err(|failed| error(strategy, failed.to_string()));
        }
        let expected = |error: &DownloadError| {
            FAULT_KINDS.iter().any(|&(kind, client_kind)| {
                client_kind == error.kind() && self.config.faults.rate(kind) > 0.0
            })
        };
        let mut bytes = 0;
        for (index, outcome) in outcomes.iter().enumerate() {
            match outcome {
                Ok(received) => bytes += *received as u64,
                Err(failure) if expected(failure) => {}
                Err(failure) => {
                    return Err(error(
                        strategy,
                        format!("job {index}: {failure} (not a fault that CB_FAULTS injects)"),
                    ))
                }
            }
        }
        Ok(bytes)
    }

    /// The measuring function of `strategy` for a group's rounds: times `iters` counted runs
    /// ([`IoMatrix::run_counted`], each followed by `slowdown` inside the timing), counting the
    /// clients' failures in `ledger`. With `CB_FAULTS` it also reads, outside the timing, what
    /// the embedded server injected during the call, and fails unless the clients' failures
    /// match it exactly ([`FailureTally::matches_injected`]): a fault hidden by a retry, or a
    /// timeout the server did not cause, stops the run. Interleaved samples of other
    /// strategies are not counted.
    pub fn measure_counted<'a>(
        &'a self,
        strategy: Strategy,
        workload: &'a IoWorkload,
        slowdown: Option<Duration>,
        ledger: &'a RefCell<FaultLedger>,
    ) -> impl FnMut(u64) -> Result<Duration, Error> + 'a {
        let mut timed = crate::rounds::timed(slowdown, move || {
            let mut ledger = ledger.borrow_mut();
            self.run_counted(strategy, workload, &Probe::OFF, &mut ledger.tally)
        });
        move |iters| {
            let before = match self.config.faults.is_none() {
                true => None,
                false => self
                    .server_counts()
                    .map_err(Error::run)?
                    .map(|counts| (counts, ledger.borrow().tally.clone())),
            };
            let elapsed = timed(iters)?;
            if let Some((before, tally_before)) = before {
                let after = self
                    .server_counts()
                    .map_err(Error::run)?
                    .unwrap_or_default();
                let mut ledger = ledger.borrow_mut();
                let call = ledger.tally.since(&tally_before);
                ledger
                    .settle(&call, after.since(&before))
                    .map_err(|mismatch| error(strategy, mismatch.to_string()))?;
            }
            Ok(elapsed)
        }
    }

    /// What the embedded server has injected so far (`None` for a server the suite did not start).
    fn server_counts(&self) -> Result<Option<FaultCounts>, ServerError> {
        self.server.fault_counts()
    }

    /// Runs and checks every download; returns the bytes received. What each iteration does.
    pub fn run_verified(
        &self,
        strategy: Strategy,
        workload: &IoWorkload,
        probe: &Probe,
    ) -> Result<u64, RunError> {
        let outcomes = self.run(strategy, workload, probe)?;
        workload
            .verify(&outcomes)
            .map_err(|failed| error(strategy, failed.to_string()))
    }

    /// One task per download, all spawned at once, gathered in order; the task's row in the
    /// timeline is its job.
    fn tasks(
        &self,
        runtime: &Runtime,
        client: &reqwest::Client,
        jobs: &[Download],
        probe: &Probe,
    ) -> Vec<Fetched> {
        strategy::async_tokio::run(runtime, jobs, |index, job| {
            let (client, job, probe) = (client.clone(), job.clone(), probe.clone());
            async move {
                probe
                    .span_async(index, index, job.fetch_async(&client))
                    .await
            }
        })
    }

    /// What one request really takes: the median of 21 sequential downloads of the small page,
    /// in milliseconds. The floor under every strategy's time per round of requests.
    pub fn measure_request_ms(&self) -> Result<f64, RunError> {
        let job = &self.workload_of(2).jobs[1];
        let mut times: Vec<f64> = (0..21)
            .map(|_| {
                let start = Instant::now();
                job.fetch_blocking(&self.sessions.shared)
                    .map(|_| start.elapsed().as_secs_f64() * 1e3)
                    .map_err(|failure| error(Strategy::Sequential, failure.to_string()))
            })
            .collect::<Result<_, _>>()?;
        times.sort_by(f64::total_cmp);
        Ok(times[times.len() / 2])
    }

    /// The server's capacity: `requests` downloads with `in_flight` at a time on the
    /// multi-thread runtime, as fast as the server answers. Returns requests per second.
    pub fn measure_capacity(&self, requests: usize, in_flight: usize) -> Result<f64, RunError> {
        let workload = self.workload_of(requests);
        let start = Instant::now();
        let outcomes = self.run_bounded(&workload, in_flight, &Probe::OFF);
        let seconds = start.elapsed().as_secs_f64();
        workload
            .verify(&outcomes)
            .map_err(|failed| error(Strategy::TokioBounded, failed.to_string()))?;
        Ok(requests as f64 / seconds)
    }

    fn run_bounded(&self, workload: &IoWorkload, limit: usize, probe: &Probe) -> Vec<Fetched> {
        let client = &self.multi_thread_client;
        strategy::tokio_bounded::run(
            &self.multi_thread,
            &workload.jobs,
            limit,
            probe,
            |_, job| {
                let (client, job) = (client.clone(), job.clone());
                async move { job.fetch_async(&client).await }
            },
        )
    }

    /// One download from a server we did not start, so a wrong `CB_TARGET_URL` fails at once.
    fn check_target_is_reachable(&self) -> Result<(), SetupError> {
        let probe_job = &self.workload_of(1).jobs[0];
        probe_job
            .fetch_blocking(&self.sessions.shared)
            .map(drop)
            .map_err(|error| SetupError::Unreachable {
                url: self.base_url().to_owned(),
                error,
            })
    }
}

fn error(strategy: Strategy, message: String) -> RunError {
    RunError {
        strategy,
        workload: "io/download".to_owned(),
        message,
    }
}

fn wire_jobs(jobs: &[Download]) -> Vec<WireJob> {
    jobs.iter()
        .map(|job| WireJob::Download {
            url: job.url.clone(),
            page: job.page,
            body_len: match &job.expect {
                Expect::Body { bytes, .. } => Some(bytes.len() as u64),
                Expect::ContentLength => None,
            },
        })
        .collect()
}

/// The workers' answers as download outcomes; a job whose worker died or hung is a
/// [`DownloadError::Worker`] in its place.
fn from_wire(jobs: &[Download], outcomes: Vec<JobOutcome>) -> Vec<Fetched> {
    jobs.iter()
        .zip(outcomes)
        .map(|(job, outcome)| {
            let lost = |message: String| DownloadError::Worker {
                url: job.url.clone(),
                message,
            };
            match outcome {
                Ok(WireResult::Value(bytes)) => Ok(bytes as usize),
                Ok(WireResult::DownloadFailed(error)) => Err(error),
                Ok(WireResult::Failed(message)) => Err(lost(format!("worker failed: {message}"))),
                Err(error) => Err(lost(error.to_string())),
            }
        })
        .collect()
}

/// The worker's initializer: one blocking HTTP client of `kind` per process, with the suite's
/// request timeout.
fn worker_args(config: &Config, kind: BlockingClientKind) -> [String; 5] {
    [
        "--http-client".to_owned(),
        "--blocking-client".to_owned(),
        kind.name().to_owned(),
        "--timeout-ms".to_owned(),
        config.timeout_ms.to_string(),
    ]
}
