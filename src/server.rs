//! Where the I/O benchmarks download from: the embedded mock server in this process, the same
//! server in a child process, or a server the user started (`CB_TARGET_URL`).
//!
//! In-process is the default (no setup, nothing left behind). A child process is chosen when the
//! downloads need more sockets than one process may open: with client and server in one process
//! every connection costs two file descriptors, so 10,000 concurrent downloads need over 20,000.

use std::fmt;
use std::io::{self, BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mock_server::{FaultCounts, Faults, MockSite, ServerConfig, StartError, STATS_PATH};

use crate::config::Config;
use crate::cpu_time::{self, Role};
use crate::limits::{ensure_fds, FdLimitError};

/// File name of the mock-server binary of this package, expected beside the worker binary.
pub const SERVER_EXE: &str = "cb-mock-server";

/// Descriptors the process needs besides the sockets of the downloads.
const SPARE_FDS: u64 = 512;

/// The server could not start, or could not say what it injected.
#[derive(Debug)]
pub enum ServerError {
    /// `CB_FAULTS` with `CB_TARGET_URL`: only the embedded server injects faults.
    FaultsNeedEmbedded {
        /// `CB_FAULTS`.
        faults: Faults,
        /// `CB_TARGET_URL`.
        url: String,
    },
    /// Not enough open files for the downloads' sockets.
    FdLimit(FdLimitError),
    /// The in-process server did not start.
    Start(StartError),
    /// The child server's executable did not start.
    Spawn {
        /// The executable.
        exe: PathBuf,
        /// Why.
        error: io::Error,
    },
    /// The child server did not print its URL.
    NoUrl {
        /// The executable.
        exe: PathBuf,
        /// What it printed first instead.
        got: String,
    },
    /// The child server's counts could not be read from its stats page.
    Stats {
        /// The stats page's URL.
        url: String,
        /// Why.
        problem: StatsProblem,
    },
}

/// Why a child server's stats page could not be read.
#[derive(Debug)]
pub enum StatsProblem {
    /// The request failed.
    Http(reqwest::Error),
    /// The body is not JSON.
    Json(serde_json::Error),
    /// A count is missing from the body.
    Missing {
        /// The count's name.
        kind: String,
        /// The whole body.
        text: String,
    },
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerError::FaultsNeedEmbedded { faults, url } => write!(
                f,
                "CB_FAULTS={faults} needs the embedded server: it cannot inject faults into CB_TARGET_URL={url}"
            ),
            ServerError::FdLimit(error) => fmt::Display::fmt(error, f),
            ServerError::Start(error) => write!(f, "cannot start the mock server: {error}"),
            ServerError::Spawn { exe, error } => {
                write!(f, "cannot start {}: {error}", exe.display())
            }
            ServerError::NoUrl { exe, got } => {
                write!(f, "{} did not print its URL (got {got:?})", exe.display())
            }
            ServerError::Stats { url, problem } => match problem {
                StatsProblem::Http(error) => write!(f, "GET {url}: {error}"),
                StatsProblem::Json(error) => write!(f, "GET {url}: {error}"),
                StatsProblem::Missing { kind, text } => {
                    write!(f, "GET {url}: no count {kind:?} in {text}")
                }
            },
        }
    }
}

impl std::error::Error for ServerError {}

impl From<FdLimitError> for ServerError {
    fn from(error: FdLimitError) -> ServerError {
        ServerError::FdLimit(error)
    }
}

/// A running (or given) server.
#[derive(Debug)]
pub enum Server {
    /// The embedded server, in this process.
    InProcess(MockSite),
    /// The embedded server's binary, in a child process; killed and reaped on drop.
    Child(ChildServer),
    /// A server the user started.
    External(String),
}

impl Server {
    /// Starts the server `config` asks for, able to hold `config.sites` connections at once.
    /// `worker_exe` locates this package's binaries (the server binary sits beside it).
    pub fn start(config: &Config, worker_exe: &Path) -> Result<Server, ServerError> {
        let sites = config.sites as u64;
        if let Some(url) = &config.target_url {
            if !config.faults.is_none() {
                return Err(ServerError::FaultsNeedEmbedded {
                    faults: config.faults,
                    url: url.clone(),
                });
            }
            ensure_fds(sites + SPARE_FDS, &format!("CB_SITES={sites}"))?;
            return Ok(Server::External(url.clone()));
        }
        let settings = server_config(config);
        if ensure_fds(2 * sites + SPARE_FDS, "").is_ok() {
            return MockSite::start_blocking(settings)
                .map(Server::InProcess)
                .map_err(ServerError::Start);
        }
        ensure_fds(
            sites + SPARE_FDS,
            &format!("CB_SITES={sites} (with the server in a child process)"),
        )?;
        let exe = worker_exe.with_file_name(SERVER_EXE);
        ChildServer::start(&exe, &settings).map(Server::Child)
    }

    /// The base URL, `http://host:port`.
    pub fn base_url(&self) -> &str {
        match self {
            Server::InProcess(site) => site.base_url(),
            Server::Child(child) => &child.base_url,
            Server::External(url) => url,
        }
    }

    /// The server's settings, when the suite started it (so bodies can be checked byte for byte).
    pub fn settings(&self) -> Option<&ServerConfig> {
        match self {
            Server::InProcess(site) => Some(site.config()),
            Server::Child(child) => Some(&child.settings),
            Server::External(_) => None,
        }
    }

    /// What the server has injected so far, by kind (`None` for a server the suite did not
    /// start). A child server is asked over HTTP, at its stats path.
    pub fn fault_counts(&self) -> Result<Option<FaultCounts>, ServerError> {
        match self {
            Server::InProcess(site) => Ok(Some(site.fault_counts())),
            Server::Child(child) => child.fault_counts().map(Some),
            Server::External(_) => Ok(None),
        }
    }

    /// Where the server runs, for messages: `in-process`, `child process`, or `external`.
    pub fn placement(&self) -> &'static str {
        match self {
            Server::InProcess(_) => "in-process",
            Server::Child(_) => "child process",
            Server::External(_) => "external",
        }
    }
}

/// The embedded server's settings from `CB_LATENCY_MS` and `CB_JITTER_MS`.
pub fn server_config(config: &Config) -> ServerConfig {
    ServerConfig {
        latency: Duration::from_secs_f64(config.latency_ms / 1000.0),
        jitter: Duration::from_secs_f64(config.jitter_ms / 1000.0),
        faults: config.faults,
        ..ServerConfig::default()
    }
}

/// The mock server running as a child process.
#[derive(Debug)]
pub struct ChildServer {
    child: Child,
    // Kept open: the child may print more (statistics on exit), and a closed pipe would fail it.
    _stdout: BufReader<std::process::ChildStdout>,
    base_url: String,
    settings: ServerConfig,
    exe: PathBuf,
    /// Its CPU time counts as the server's until it is dropped, after it was reaped.
    _cpu: cpu_time::Registration,
}

impl ChildServer {
    /// Starts `exe` with `settings` and reads its base URL from the first line of its stdout.
    pub fn start(exe: &Path, settings: &ServerConfig) -> Result<ChildServer, ServerError> {
        let mut command = Command::new(exe);
        // Turns (`ab`'s lock step) are the bench process's, taken while it holds them.
        command.env_remove(cb_turns::ENV);
        // The server must not outlive the suite, even when a failed benchmark exits at once
        // (no destructors run then): the kernel sends it SIGTERM when this thread ends.
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
        let mut child = command
            .args(settings.to_args())
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .map_err(|error| ServerError::Spawn {
                exe: exe.to_owned(),
                error,
            })?;
        let stdout = child.stdout.take().expect("stdout was piped");
        let mut first_line = String::new();
        let mut stdout = BufReader::new(stdout);
        let read = stdout.read_line(&mut first_line);
        let server = ChildServer {
            _cpu: cpu_time::register(child.id(), Role::Server),
            child,
            _stdout: stdout,
            base_url: first_line.trim().to_owned(),
            settings: settings.clone(),
            exe: exe.to_owned(),
        };
        match read {
            Ok(_) if server.base_url.starts_with("http://") => Ok(server),
            _ => Err(ServerError::NoUrl {
                exe: exe.to_owned(),
                got: server.base_url.clone(),
            }),
        }
    }
}

impl ChildServer {
    /// The child's counts, from its stats page.
    fn fault_counts(&self) -> Result<FaultCounts, ServerError> {
        let url = format!("{}{STATS_PATH}", self.base_url);
        let failed = |problem| ServerError::Stats {
            url: url.clone(),
            problem,
        };
        let text = reqwest::blocking::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()
            .and_then(|client| client.get(&url).send())
            .and_then(|response| response.error_for_status())
            .and_then(|response| response.text())
            .map_err(|error| failed(StatsProblem::Http(error)))?;
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|error| failed(StatsProblem::Json(error)))?;
        let count = |kind: &str| {
            json.get(kind)
                .and_then(serde_json::Value::as_u64)
                .ok_or_else(|| {
                    failed(StatsProblem::Missing {
                        kind: kind.to_owned(),
                        text: text.clone(),
                    })
                })
        };
        Ok(FaultCounts {
            ok: count("ok")?,
            error: count("error")?,
            reset: count("reset")?,
            stall: count("stall")?,
            truncate: count("truncate")?,
        })
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        // SIGTERM lets it exit cleanly; kill() is the fallback if the signal can't be sent.
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: sending a signal to our own child, whose pid is valid until we reap it below.
        if unsafe { libc::kill(pid, libc::SIGTERM) } != 0 {
            let _ = self.child.kill();
        }
        if self.child.wait().is_err() {
            eprintln!("concurrency-bench: could not reap {}", self.exe.display());
        }
    }
}
