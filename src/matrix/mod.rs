//! The workload × strategy matrix: the resources a strategy needs that live across runs
//! (runtimes, a warm process pool), and one `run` that pairs a workload with a strategy.

pub mod cpu;
pub mod io;

use std::fmt;

use crate::error::Error;
use crate::process::PoolError;
use crate::server::ServerError;
use crate::strategy::Strategy;
use crate::workload::io::{ClientError, DownloadError};

pub use cpu::CpuMatrix;
pub use io::{BlockingSessions, IoMatrix, BLOCKING_STRATEGIES};

/// A run that failed or computed a wrong answer: never timed as if it had worked.
#[derive(Debug)]
pub struct RunError {
    /// The strategy that was running.
    pub strategy: Strategy,
    /// The workload's name.
    pub workload: String,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} / {}: {}",
            self.workload,
            self.strategy.name(),
            self.message
        )
    }
}

impl std::error::Error for RunError {}

impl From<RunError> for Error {
    fn from(error: RunError) -> Error {
        Error::run(error)
    }
}

/// What a matrix needs could not be built: nothing has been measured yet.
#[derive(Debug)]
pub enum SetupError {
    /// The server the downloads go to.
    Server(ServerError),
    /// A tokio runtime.
    Runtime(std::io::Error),
    /// An HTTP client.
    Client(ClientError),
    /// The warm process pool.
    Pool(PoolError),
    /// The rayon strategy's own pool.
    Rayon {
        /// Its threads.
        threads: usize,
        /// Why.
        error: ::rayon::ThreadPoolBuildError,
    },
    /// `CB_TARGET_URL` did not answer one download.
    Unreachable {
        /// `CB_TARGET_URL`.
        url: String,
        /// The download's failure.
        error: DownloadError,
    },
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetupError::Server(error) => fmt::Display::fmt(error, f),
            SetupError::Runtime(error) => write!(f, "cannot build a tokio runtime: {error}"),
            SetupError::Client(error) => fmt::Display::fmt(error, f),
            SetupError::Pool(error) => fmt::Display::fmt(error, f),
            SetupError::Rayon { threads, error } => {
                write!(f, "cannot build a rayon pool of {threads}: {error}")
            }
            SetupError::Unreachable { url, error } => write!(f, "CB_TARGET_URL={url}: {error}"),
        }
    }
}

impl std::error::Error for SetupError {}

impl From<SetupError> for Error {
    fn from(error: SetupError) -> Error {
        Error::setup(error)
    }
}

impl From<ServerError> for SetupError {
    fn from(error: ServerError) -> SetupError {
        SetupError::Server(error)
    }
}

impl From<ClientError> for SetupError {
    fn from(error: ClientError) -> SetupError {
        SetupError::Client(error)
    }
}

impl From<PoolError> for SetupError {
    fn from(error: PoolError) -> SetupError {
        SetupError::Pool(error)
    }
}
