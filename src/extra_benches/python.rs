//! CPython side by side: the tutorial's own programs (`benches/python/`), run by one persistent
//! interpreter and measured in the same interleaved rounds as their Rust counterparts.
//!
//! [`Interpreter::start`] starts `benches/python/runner.py` once (its start-up and imports are
//! never timed) and [`Interpreter::setup`] hands it the jobs: the download URLs with the bytes
//! each body must be, and the CPU jobs' arguments. Each [`Interpreter::measure`] then asks for
//! `iters` calls of one program's timed function — the tutorial's `download_all_sites`, or
//! the CPU program's loop, pool or event loop — each timed alone by `time.perf_counter_ns`
//! inside the interpreter, and checked there exactly as the Rust side checks (status, whole
//! body, exact bytes; exact sums). A wrong result ends the run with the interpreter's one-line
//! message.

use std::fmt;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::config::Config;
use crate::cpu_time::{self, Role};
use crate::error::Error;
use crate::output::BenchMeta;
use crate::strategy::{Kind, Strategy};
use crate::workload::cpu::CpuWorkload;
use crate::workload::io::{Expect, IoWorkload};

/// The command that installs what the programs import, named by every "missing" error.
pub const INSTALL: &str = "python3 -m pip install -r benches/python/requirements.txt";

/// The programs' folder, in this repository.
pub const PROGRAMS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/python");

/// One of the tutorial's programs, as `benches/python/` writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Program {
    /// The tutorial's name for it, and the Criterion function name: `threading`.
    pub name: &'static str,
    /// I/O (`io_<name>.py`) or CPU (`cpu_<name>.py`).
    pub kind: Kind,
    /// The Rust strategy that does what it does, measured beside it.
    pub counterpart: Strategy,
}

impl Program {
    /// Jobs in flight at once: one, `CB_WORKERS` threads, `CB_PROCESSES` processes, or for
    /// asyncio downloads every job up to aiohttp's default limit of 100 connections (its CPU
    /// coroutines never wait, so they run one at a time).
    pub fn concurrency(&self, config: &Config, jobs: usize) -> usize {
        match (self.name, self.kind) {
            ("threading", _) => config.workers,
            ("multiprocessing" | "process_pool_executor", _) => config.processes,
            ("asyncio", Kind::Io) => jobs.min(AIOHTTP_CONNECTION_LIMIT),
            _ => 1,
        }
        .min(jobs)
    }

    /// Its `cb-meta.json`: its counterpart's `rust_meta` (same group, jobs and settings), with
    /// its own name, concurrency, `interpreter` and counterpart.
    pub fn meta(&self, rust_meta: BenchMeta, config: &Config, interpreter: &str) -> BenchMeta {
        BenchMeta {
            function: self.name.to_owned(),
            strategy: self.name.to_owned(),
            concurrency: self.concurrency(config, rust_meta.jobs as usize) as u64,
            python: Some(interpreter.to_owned()),
            rust_counterpart: Some(self.counterpart.name().to_owned()),
            ..rust_meta
        }
    }
}

/// aiohttp's `TCPConnector` default `limit`: connections open at once in one session.
const AIOHTTP_CONNECTION_LIMIT: usize = 100;

/// The tutorial's I/O programs, with their Rust counterparts.
pub const IO_PROGRAMS: [Program; 4] = [
    io("synchronous", Strategy::Sequential),
    io("threading", Strategy::ThreadPool),
    io("asyncio", Strategy::TokioCurrentThread),
    io("multiprocessing", Strategy::ProcessPool),
];

/// The tutorial's CPU programs (the 2024 revision's `ProcessPoolExecutor` and asyncio ones
/// included), with their Rust counterparts.
pub const CPU_PROGRAMS: [Program; 5] = [
    cpu("synchronous", Strategy::Sequential),
    cpu("threading", Strategy::ThreadPool),
    cpu("multiprocessing", Strategy::ProcessPool),
    cpu("process_pool_executor", Strategy::ProcessPool),
    cpu("asyncio", Strategy::TokioCurrentThread),
];

/// The Rust strategies measured in the CPU groups beside the programs: every counterpart,
/// and `gil_threads`, the suite's emulation of the GIL that CPython's `threading` really has.
pub const CPU_STRATEGIES: [Strategy; 5] = [
    Strategy::Sequential,
    Strategy::ThreadPool,
    Strategy::GilThreads,
    Strategy::ProcessPool,
    Strategy::TokioCurrentThread,
];

/// The Rust strategies measured in the download group beside the programs: their counterparts.
pub const IO_STRATEGIES: [Strategy; 4] = [
    Strategy::Sequential,
    Strategy::ThreadPool,
    Strategy::TokioCurrentThread,
    Strategy::ProcessPool,
];

const fn io(name: &'static str, counterpart: Strategy) -> Program {
    Program {
        name,
        kind: Kind::Io,
        counterpart,
    }
}

const fn cpu(name: &'static str, counterpart: Strategy) -> Program {
    Program {
        name,
        kind: Kind::Cpu,
        counterpart,
    }
}

/// The CPU sizes of the python bench: `CB_PY_CPU_START` and `CB_PY_FIB_N` in place of
/// `CB_CPU_START` and `CB_FIB_N`, so that CPython finishes in minutes; the Rust strategies of
/// the same groups run these sizes too.
pub fn sized_for_python(config: &Config) -> Config {
    Config {
        cpu_start: config.py_cpu_start,
        fib_n: config.py_fib_n,
        ..config.clone()
    }
}

/// The interpreter could not start, or did not answer as it should; each is one line, and
/// one that a missing interpreter or package causes names [`INSTALL`].
#[derive(Debug)]
pub enum PythonError {
    /// `CB_PYTHON` could not be run.
    Spawn {
        /// `CB_PYTHON`.
        python: String,
        /// Why.
        error: io::Error,
    },
    /// The runner did not say it was up.
    NotStarted {
        /// `CB_PYTHON`.
        python: String,
        /// The runner script.
        runner: PathBuf,
        /// What went wrong instead.
        error: Box<PythonError>,
    },
    /// The interpreter lacks packages the programs import.
    Missing {
        /// `CB_PYTHON`.
        python: String,
        /// The packages it cannot import.
        names: Vec<String>,
    },
    /// The runner's first answer was not that it is ready.
    NotReady {
        /// `CB_PYTHON`.
        python: String,
        /// Its answer.
        answer: Value,
    },
    /// The runner's own one-line error (a failed download, a wrong sum, an unknown program).
    Failed(String),
    /// An answer without the times it was asked for.
    NoTimes(Value),
    /// Times of another number of calls than asked.
    Timed {
        /// The calls it timed.
        got: usize,
        /// The calls asked for.
        iters: u64,
    },
    /// The request could not be written.
    Write(io::Error),
    /// The answer could not be read.
    Read(io::Error),
    /// The interpreter exited, and its status could not be read.
    Wait(io::Error),
    /// The interpreter exited without answering.
    Exited(ExitStatus),
    /// An answer line that is not JSON.
    BadAnswer {
        /// The line.
        line: String,
        /// Why it is not JSON.
        error: serde_json::Error,
    },
}

impl fmt::Display for PythonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PythonError::Spawn { python, error } => write!(
                f,
                "cannot run `{python}` (CB_PYTHON): {error}; install CPython 3.8 or later, then `{INSTALL}`"
            ),
            PythonError::NotStarted {
                python,
                runner,
                error,
            } => write!(f, "`{python} {}` did not start: {error}", runner.display()),
            PythonError::Missing { python, names } => write!(
                f,
                "`{python}` (CB_PYTHON) cannot import {}: run `{INSTALL}`",
                names.join(", ")
            ),
            PythonError::NotReady { python, answer } => {
                write!(f, "`{python}` answered {answer} instead of being ready")
            }
            PythonError::Failed(message) => f.write_str(message),
            PythonError::NoTimes(answer) => {
                write!(f, "the interpreter answered {answer} instead of times")
            }
            PythonError::Timed { got, iters } => {
                write!(f, "the interpreter timed {got} of {iters} calls")
            }
            PythonError::Write(error) => write!(f, "cannot write to the interpreter: {error}"),
            PythonError::Read(error) => write!(f, "cannot read from the interpreter: {error}"),
            PythonError::Wait(error) => fmt::Display::fmt(error, f),
            PythonError::Exited(status) => {
                write!(f, "the interpreter exited ({status}) without answering")
            }
            PythonError::BadAnswer { line, error } => {
                write!(f, "the interpreter answered {line:?}: {error}")
            }
        }
    }
}

impl std::error::Error for PythonError {}

/// The interpreter failed in the middle of a bench run: handing it the jobs, or running one
/// program. Like a failed Rust run, it stops the bench (exit status 1).
#[derive(Debug)]
pub struct RunFailure {
    /// The program and workload that were running (`download` or a kernel's name); `None` in
    /// [`Interpreter::setup`].
    pub program: Option<(&'static str, &'static str)>,
    /// What went wrong.
    pub error: PythonError,
}

impl fmt::Display for RunFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.program {
            Some((program, workload)) => {
                write!(f, "python {workload} / {program}: {}", self.error)
            }
            None => write!(f, "python: {}", self.error),
        }
    }
}

impl std::error::Error for RunFailure {}

impl From<RunFailure> for Error {
    fn from(failure: RunFailure) -> Error {
        Error::run(failure)
    }
}

/// What the interpreter says once it is up.
#[derive(Debug, Deserialize)]
struct Ready {
    python: String,
    packages: std::collections::BTreeMap<String, String>,
    unpinned: Vec<String>,
}

/// The persistent CPython process that runs the programs.
#[derive(Debug)]
pub struct Interpreter {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    /// e.g. `CPython 3.11.7 (aiohttp 3.14.5, requests 2.34.2)`.
    pub description: String,
    /// Installed packages whose versions differ from `requirements.txt`'s pins, as lines.
    pub unpinned: Vec<String>,
    /// Its CPU time (with its own children's) counts as a worker's until it is dropped,
    /// after it was reaped.
    _cpu: cpu_time::Registration,
}

impl Interpreter {
    /// Starts `python` (`CB_PYTHON`) on the runner and waits until it has imported what the
    /// programs need. Errors are one line; one that a missing interpreter or package causes
    /// names [`INSTALL`].
    pub fn start(python: &str) -> Result<Interpreter, PythonError> {
        let runner = Path::new(PROGRAMS_DIR).join("runner.py");
        let mut child = Command::new(python)
            .arg(&runner)
            // No __pycache__ in the source tree.
            .env("PYTHONDONTWRITEBYTECODE", "1")
            // Turns (`ab`'s lock step) are the bench process's, taken while it holds them.
            .env_remove(cb_turns::ENV)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|error| PythonError::Spawn {
                python: python.to_owned(),
                error,
            })?;
        let input = child.stdin.take().expect("piped stdin");
        let output = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut interpreter = Interpreter {
            _cpu: cpu_time::register(child.id(), Role::Worker),
            child,
            input,
            output,
            description: String::new(),
            unpinned: Vec::new(),
        };
        let answer = interpreter
            .answer()
            .map_err(|error| PythonError::NotStarted {
                python: python.to_owned(),
                runner: runner.clone(),
                error: Box::new(error),
            })?;
        if let Some(missing) = answer.get("missing") {
            let names = missing
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            let python = python.to_owned();
            return Err(PythonError::Missing { python, names });
        }
        let ready: Ready = answer
            .get("ready")
            .cloned()
            .and_then(|ready| serde_json::from_value(ready).ok())
            .ok_or_else(|| PythonError::NotReady {
                python: python.to_owned(),
                answer: answer.clone(),
            })?;
        let packages: Vec<String> = ready
            .packages
            .iter()
            .map(|(name, version)| format!("{name} {version}"))
            .collect();
        interpreter.description = format!("{} ({})", ready.python, packages.join(", "));
        interpreter.unpinned = ready.unpinned;
        Ok(interpreter)
    }

    /// Hands the interpreter the jobs: `downloads` (URLs and the bytes each body must be, or
    /// `None` to check `Content-Length`), the CPU `workloads`' arguments, and `CB_WORKERS`,
    /// `CB_PROCESSES` and `CB_TIMEOUT_MS`.
    pub fn setup(
        &mut self,
        config: &Config,
        downloads: &IoWorkload,
        workloads: &[CpuWorkload],
    ) -> Result<(), PythonError> {
        let mut bodies = serde_json::Map::new();
        for job in &downloads.jobs {
            let body = match &job.expect {
                Expect::Body { bytes, .. } => Value::String(hex(bytes)),
                Expect::ContentLength => Value::Null,
            };
            bodies.insert(job.url.clone(), body);
        }
        let numbers: serde_json::Map<String, Value> = workloads
            .iter()
            .map(|workload| {
                let numbers: Vec<u64> = workload.jobs.iter().map(|job| job.n).collect();
                (workload.kernel.name().to_owned(), json!(numbers))
            })
            .collect();
        let urls: Vec<&str> = downloads.jobs.iter().map(|job| job.url.as_str()).collect();
        let request = json!({"setup": {
            "bodies": bodies,
            "sites": urls,
            "workers": config.workers,
            "processes": config.processes,
            "timeout_s": config.timeout_ms as f64 / 1000.0,
            "numbers": numbers,
        }});
        self.ask(&request).map(drop)
    }

    /// `iters` calls of `program`'s timed function on `workload` (`download` or a kernel's
    /// name), every result checked; their summed time.
    pub fn measure(
        &mut self,
        program: &Program,
        workload: &str,
        iters: u64,
    ) -> Result<Duration, PythonError> {
        let request =
            json!({"run": {"program": program.name, "workload": workload, "iters": iters}});
        let answer = self.ask(&request)?;
        let times: Vec<u64> = answer
            .get("ns")
            .cloned()
            .and_then(|ns| serde_json::from_value(ns).ok())
            .ok_or_else(|| PythonError::NoTimes(answer.clone()))?;
        if times.len() as u64 != iters {
            let got = times.len();
            return Err(PythonError::Timed { got, iters });
        }
        Ok(times.iter().map(|&ns| Duration::from_nanos(ns)).sum())
    }

    /// Sends one request and reads its answer; an `error` answer becomes the error.
    fn ask(&mut self, request: &Value) -> Result<Value, PythonError> {
        writeln!(self.input, "{request}")
            .and_then(|()| self.input.flush())
            .map_err(PythonError::Write)?;
        let answer = self.answer()?;
        match answer.get("error").and_then(Value::as_str) {
            Some(message) => Err(PythonError::Failed(message.to_owned())),
            None => Ok(answer),
        }
    }

    /// The next answer line, or why there is none (the interpreter exited: its status).
    fn answer(&mut self) -> Result<Value, PythonError> {
        let mut line = String::new();
        let read = self
            .output
            .read_line(&mut line)
            .map_err(PythonError::Read)?;
        if read == 0 {
            let status = self.child.wait().map_err(PythonError::Wait)?;
            return Err(PythonError::Exited(status));
        }
        serde_json::from_str(&line).map_err(|error| PythonError::BadAnswer { line, error })
    }
}

impl Drop for Interpreter {
    /// Nothing runs between requests, so the runner is killed outright, and reaped.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Lower-case hex of `bytes`: how page bodies travel in JSON (Python's `bytes.fromhex`).
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
