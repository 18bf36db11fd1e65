//! A pool of worker processes, like Python's `multiprocessing.Pool()`.
//!
//! [`ProcessPool::start`] spawns the workers and waits until each says hello (so a "warm" pool
//! has paid all its start-up). [`ProcessPool::map`] hands jobs out one at a time to whichever
//! worker is free (`pool.map` with `chunksize=1`) and returns results in job order. Dropping the
//! pool closes the workers' stdin, waits for them to exit, kills any that do not, and reaps every
//! one: no zombies, also after an error.

use std::fmt;
use std::io::{self, BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::process::protocol::{read_frame, write_frame, WireJob, WireResult, HELLO};
use crate::strategy::thread_pool::{in_job_order, join_or_resume_panic};
use crate::timeline::Probe;

/// How long a dropped pool waits for its workers to exit on their own before killing them.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// A running pool of worker processes.
#[derive(Debug)]
pub struct ProcessPool {
    workers: Vec<Worker>,
}

#[derive(Debug)]
struct Worker {
    child: Child,
    to_worker: Option<BufWriter<ChildStdin>>,
    from_worker: BufReader<ChildStdout>,
}

/// Why the pool could not start or finish a map.
#[derive(Debug)]
pub enum PoolError {
    /// The worker executable could not be started.
    Spawn {
        /// The executable.
        exe: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// A worker broke the protocol or its pipe (it crashed, was killed, or sent garbage).
    Worker {
        /// The worker's index in the pool.
        worker: usize,
        /// What went wrong.
        source: io::Error,
    },
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::Spawn { exe, source } => {
                write!(f, "cannot start worker {}: {source}", exe.display())
            }
            PoolError::Worker { worker, source } => write!(f, "worker process {worker}: {source}"),
        }
    }
}

impl std::error::Error for PoolError {}

impl ProcessPool {
    /// Starts `processes` copies of the worker executable `exe` with `args` and waits until all
    /// are ready (each has run its initializer and said hello).
    pub fn start(exe: &Path, args: &[&str], processes: usize) -> Result<ProcessPool, PoolError> {
        let mut pool = ProcessPool {
            workers: Vec::with_capacity(processes),
        };
        // Spawn all first, then wait for the hellos, so the workers start up in parallel.
        for _ in 0..processes.max(1) {
            let mut child = Command::new(exe)
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .map_err(|source| PoolError::Spawn {
                    exe: exe.to_owned(),
                    source,
                })?;
            let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
                unreachable!("both pipes were requested")
            };
            pool.workers.push(Worker {
                child,
                to_worker: Some(BufWriter::new(stdin)),
                from_worker: BufReader::new(stdout),
            });
        }
        for (index, worker) in pool.workers.iter_mut().enumerate() {
            match read_frame(&mut worker.from_worker) {
                Ok(Some(hello)) if hello == HELLO => {}
                Ok(other) => {
                    return Err(PoolError::Worker {
                        worker: index,
                        source: io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!("expected a hello, got {other:?}"),
                        ),
                    })
                }
                Err(source) => {
                    return Err(PoolError::Worker {
                        worker: index,
                        source,
                    })
                }
            }
        }
        Ok(pool)
    }

    /// How many worker processes the pool has.
    pub fn len(&self) -> usize {
        self.workers.len()
    }

    /// Whether the pool has no workers (never true for a started pool).
    pub fn is_empty(&self) -> bool {
        self.workers.is_empty()
    }

    /// The workers' process ids.
    pub fn pids(&self) -> Vec<u32> {
        self.workers
            .iter()
            .map(|worker| worker.child.id())
            .collect()
    }

    /// Runs every job on some worker and returns the results in job order. A broken worker fails
    /// the map (the other workers finish the jobs they hold first).
    pub fn map(&mut self, jobs: &[WireJob], probe: &Probe) -> Result<Vec<WireResult>, PoolError> {
        let next_job = AtomicUsize::new(0);
        let first_error: Mutex<Option<PoolError>> = Mutex::new(None);
        let done: Vec<Vec<(usize, WireResult)>> = std::thread::scope(|scope| {
            let feeders: Vec<_> = self
                .workers
                .iter_mut()
                .enumerate()
                .map(|(index, worker)| {
                    let (next_job, first_error) = (&next_job, &first_error);
                    scope.spawn(move || {
                        let mut done = Vec::new();
                        loop {
                            let job_index = next_job.fetch_add(1, Ordering::Relaxed);
                            let Some(job) = jobs.get(job_index) else {
                                break;
                            };
                            match probe.span(index, job_index, || worker.call(job)) {
                                Ok(result) => done.push((job_index, result)),
                                Err(source) => {
                                    let mut slot =
                                        first_error.lock().unwrap_or_else(|p| p.into_inner());
                                    slot.get_or_insert(PoolError::Worker {
                                        worker: index,
                                        source,
                                    });
                                    // Stop handing out jobs: the map has failed.
                                    next_job.store(jobs.len(), Ordering::Relaxed);
                                    break;
                                }
                            }
                        }
                        done
                    })
                })
                .collect();
            feeders.into_iter().map(join_or_resume_panic).collect()
        });
        if let Some(error) = first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
            return Err(error);
        }
        Ok(in_job_order(jobs.len(), done.into_iter().flatten()))
    }
}

impl Worker {
    fn call(&mut self, job: &WireJob) -> io::Result<WireResult> {
        let to_worker = self
            .to_worker
            .as_mut()
            .ok_or_else(|| io::Error::from(io::ErrorKind::BrokenPipe))?;
        write_frame(to_worker, &job.encode())?;
        match read_frame(&mut self.from_worker)? {
            Some(payload) => WireResult::decode(&payload),
            None => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the worker exited before answering",
            )),
        }
    }
}

impl Drop for ProcessPool {
    fn drop(&mut self) {
        // Closing stdin is the workers' signal to finish.
        for worker in &mut self.workers {
            worker.to_worker = None;
        }
        let deadline = Instant::now() + EXIT_GRACE;
        for worker in &mut self.workers {
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
