//! A pool of worker processes, like Python's `multiprocessing.Pool()`.
//!
//! [`ProcessPool::start`] spawns the workers and waits until each says hello (so a "warm" pool
//! has paid all its start-up). [`ProcessPool::map`] hands jobs out one at a time to whichever
//! worker is free (`pool.map` with `chunksize=1`) and returns one outcome per job, in job order.
//!
//! Unlike an unread `executor.map`, nothing is swallowed or hung on: a worker that dies (killed,
//! crashed) or does not answer within the job timeout turns into an error for the job it held;
//! it is killed and reaped, the other workers finish the remaining jobs, and the next map starts
//! a replacement. Dropping the pool closes the workers' stdin, waits for them to exit, kills any
//! that do not, and reaps every one: no zombies, also after an error.

use std::fmt;
use std::io::{self, BufReader, BufWriter};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::cpu_time::{self, Role};
use crate::join::join_thread_or_resume_panic;
use crate::process::protocol::{read_frame, write_frame, WireJob, WireResult, HELLO};
use crate::timeline::Probe;

/// How long a dropped pool waits for its workers to exit on their own before killing them.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// A running pool of worker processes.
#[derive(Debug)]
pub struct ProcessPool {
    exe: PathBuf,
    args: Vec<String>,
    workers: Vec<Option<Worker>>,
    job_timeout: Option<Duration>,
}

#[derive(Debug)]
struct Worker {
    child: Child,
    to_worker: Option<BufWriter<ChildStdin>>,
    from_worker: BufReader<ChildStdout>,
    /// Its CPU time counts as a worker's until it is dropped, after it was reaped.
    _cpu: cpu_time::Registration,
}

/// One job's outcome from the pool: the worker's answer, or why there is none.
pub type JobOutcome = Result<WireResult, PoolError>;

/// Why the pool could not start, or a job got no answer.
#[derive(Debug)]
pub enum PoolError {
    /// The worker executable could not be started.
    Spawn {
        /// The executable.
        exe: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// A worker broke the protocol or its pipe (it crashed, was killed, sent garbage, or did not
    /// answer in time).
    Worker {
        /// The worker's index in the pool.
        worker: usize,
        /// What went wrong.
        source: io::Error,
    },
    /// Every worker had failed before this job could be handed out.
    NoWorkers,
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::Spawn { exe, source } => {
                write!(f, "cannot start worker {}: {source}", exe.display())
            }
            PoolError::Worker { worker, source } => write!(f, "worker process {worker}: {source}"),
            PoolError::NoWorkers => write!(f, "no worker process was left to run the job"),
        }
    }
}

impl std::error::Error for PoolError {}

impl ProcessPool {
    /// Starts `processes` copies of the worker executable `exe` with `args` and waits until all
    /// are ready (each has run its initializer and said hello).
    pub fn start(
        exe: &Path,
        args: &[impl AsRef<str>],
        processes: usize,
    ) -> Result<ProcessPool, PoolError> {
        let mut pool = ProcessPool {
            exe: exe.to_owned(),
            args: args.iter().map(|arg| arg.as_ref().to_owned()).collect(),
            workers: Vec::with_capacity(processes),
            job_timeout: None,
        };
        // Spawn all first, then wait for the hellos, so the workers start up in parallel.
        let mut spawned = Vec::with_capacity(processes);
        for _ in 0..processes.max(1) {
            spawned.push(pool.spawn()?);
        }
        for (index, mut worker) in spawned.into_iter().enumerate() {
            let hello = worker.await_hello();
            pool.workers.push(Some(worker));
            hello.map_err(|source| PoolError::Worker {
                worker: index,
                source,
            })?;
        }
        Ok(pool)
    }

    /// Fails a job whose worker has not answered within `timeout` (the worker is killed).
    pub fn with_job_timeout(mut self, timeout: Duration) -> ProcessPool {
        self.job_timeout = Some(timeout);
        self
    }

    /// How many worker processes the pool has.
    pub fn len(&self) -> usize {
        self.workers.len()
    }

    /// Whether the pool has no workers (never true for a started pool).
    pub fn is_empty(&self) -> bool {
        self.workers.is_empty()
    }

    /// The running workers' process ids.
    pub fn pids(&self) -> Vec<u32> {
        self.workers
            .iter()
            .flatten()
            .map(|worker| worker.child.id())
            .collect()
    }

    /// Runs every job on some worker and returns one outcome per job, in job order. Workers
    /// that failed in an earlier map are replaced first.
    pub fn map(&mut self, jobs: &[WireJob], probe: &Probe) -> Vec<JobOutcome> {
        if let Err(error) = self.replace_failed_workers() {
            let message = error.to_string();
            return jobs
                .iter()
                .map(|_| {
                    Err(PoolError::Worker {
                        worker: 0,
                        source: io::Error::other(message.clone()),
                    })
                })
                .collect();
        }
        let next_job = AtomicUsize::new(0);
        let timeout = self.job_timeout;
        let done: Vec<Vec<(usize, JobOutcome)>> = std::thread::scope(|scope| {
            let feeders: Vec<_> = self
                .workers
                .iter_mut()
                .enumerate()
                .map(|(index, slot)| {
                    let next_job = &next_job;
                    scope.spawn(move || {
                        let mut done = Vec::new();
                        while let Some(worker) = slot.as_mut() {
                            let job_index = next_job.fetch_add(1, Ordering::Relaxed);
                            let Some(job) = jobs.get(job_index) else {
                                break;
                            };
                            match probe.span(index, job_index, || worker.call(job, timeout)) {
                                Ok(result) => done.push((job_index, Ok(result))),
                                Err(source) => {
                                    // This worker is done for: the job it held fails, the
                                    // others go on without it.
                                    done.push((
                                        job_index,
                                        Err(PoolError::Worker {
                                            worker: index,
                                            source,
                                        }),
                                    ));
                                    if let Some(worker) = slot.take() {
                                        worker.kill_and_reap();
                                    }
                                }
                            }
                        }
                        done
                    })
                })
                .collect();
            feeders
                .into_iter()
                .map(join_thread_or_resume_panic)
                .collect()
        });
        let mut outcomes: Vec<Option<JobOutcome>> = jobs.iter().map(|_| None).collect();
        for (index, outcome) in done.into_iter().flatten() {
            outcomes[index] = Some(outcome);
        }
        outcomes
            .into_iter()
            .map(|outcome| outcome.unwrap_or(Err(PoolError::NoWorkers)))
            .collect()
    }

    /// Starts a new worker in every slot whose worker failed.
    fn replace_failed_workers(&mut self) -> Result<(), PoolError> {
        for index in 0..self.workers.len() {
            if self.workers[index].is_none() {
                let mut worker = self.spawn()?;
                worker.await_hello().map_err(|source| PoolError::Worker {
                    worker: index,
                    source,
                })?;
                self.workers[index] = Some(worker);
            }
        }
        Ok(())
    }

    fn spawn(&self) -> Result<Worker, PoolError> {
        let mut child = Command::new(&self.exe)
            .args(&self.args)
            // Turns (`ab`'s lock step) are the bench process's, taken while it holds them.
            .env_remove(cb_turns::ENV)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|source| PoolError::Spawn {
                exe: self.exe.clone(),
                source,
            })?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            unreachable!("both pipes were requested")
        };
        Ok(Worker {
            _cpu: cpu_time::register(child.id(), Role::Worker),
            child,
            to_worker: Some(BufWriter::new(stdin)),
            from_worker: BufReader::new(stdout),
        })
    }
}

impl Worker {
    fn await_hello(&mut self) -> io::Result<()> {
        match read_frame(&mut self.from_worker)? {
            Some(hello) if hello == HELLO => Ok(()),
            other => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("expected a hello, got {other:?}"),
            )),
        }
    }

    fn call(&mut self, job: &WireJob, timeout: Option<Duration>) -> io::Result<WireResult> {
        let to_worker = self
            .to_worker
            .as_mut()
            .ok_or_else(|| io::Error::from(io::ErrorKind::BrokenPipe))?;
        write_frame(to_worker, &job.encode())?;
        if let Some(timeout) = timeout {
            if self.from_worker.buffer().is_empty() {
                wait_readable(self.from_worker.get_ref(), timeout)?;
            }
        }
        match read_frame(&mut self.from_worker)? {
            Some(payload) => WireResult::decode(&payload),
            None => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the worker exited before answering",
            )),
        }
    }

    fn kill_and_reap(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `pipe` has data (or its writer closed it), at most `timeout`.
fn wait_readable(pipe: &impl AsRawFd, timeout: Duration) -> io::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut poll = libc::pollfd {
            fd: pipe.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let millis = left.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd for the duration of the call.
        match unsafe { libc::poll(&mut poll, 1, millis) } {
            0 => {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no answer within {timeout:?}"),
                ))
            }
            n if n > 0 => return Ok(()),
            _ => {
                let error = io::Error::last_os_error();
                if error.kind() != io::ErrorKind::Interrupted {
                    return Err(error);
                }
            }
        }
    }
}

impl Drop for ProcessPool {
    fn drop(&mut self) {
        // Closing stdin is the workers' signal to finish.
        for worker in self.workers.iter_mut().flatten() {
            worker.to_worker = None;
        }
        let deadline = Instant::now() + EXIT_GRACE;
        for worker in self.workers.iter_mut().flatten() {
            loop {
                match worker.child.try_wait() {
                    Ok(Some(_)) => break,
                    Ok(None) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_micros(200))
                    }
                    _ => {
                        let _ = worker.child.kill();
                        let _ = worker.child.wait();
                        break;
                    }
                }
            }
        }
    }
}
