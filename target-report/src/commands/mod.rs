//! One handler per subcommand, each in its own file with its options (`Args`, which clap reads)
//! and its `run`: read the inputs through the readers and models, render through
//! [`crate::export`], write or print, and return the exit status. `main.rs` only parses the
//! command line and dispatches here; it alone exits.
//!
//! Exit status: 0 success (for `compare` and `ab`: nothing regressed and every benchmark
//! decided), 1 `compare` or `ab` found a regression, 2 bad input or usage (one line on stderr
//! naming the file; nothing written), 3 nothing regressed but some benchmarks inconclusive;
//! `ab`, `calibrate`, `layout` and `backfill` return [`INTERRUPTED`] when Ctrl-C stopped them.

// The options' docs are their `--help` lines, written for a terminal (`<criterion-dir>`).
#![allow(rustdoc::invalid_html_tags)]

pub mod ab;
pub mod backfill;
pub mod calibrate;
pub mod compare;
pub mod history;
pub mod layout;
pub mod record;
pub mod summary;
pub mod trace;

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::format::format_duration;
use crate::history::DEFAULT_FILE;
use crate::machine;
use crate::runner::{child, session::Outcome};

/// Exit status after Ctrl-C, as a shell reports a process ended by SIGINT.
pub const INTERRUPTED: i32 = 130;

/// Where the commands look for Criterion's files and the noise files by default.
const CRITERION_DIR: &str = "target/criterion";

/// Prints to stdout, treating a closed pipe (`| head`) as success.
fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::msg(format!("cannot write to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

/// The file named on the command line, else `default` when it exists.
fn given_or_present(given: Option<PathBuf>, default: PathBuf) -> Option<PathBuf> {
    given.or_else(|| Some(default).filter(|p| p.exists()))
}

/// What an interrupted `ab`, `calibrate` or `layout` completed, on stderr; [`INTERRUPTED`].
fn interrupted(outcome: Option<&Outcome>, criterion_dir: &Path) -> i32 {
    match outcome {
        None => eprintln!(
            "interrupted before the first run: nothing was written to {}",
            criterion_dir.display()
        ),
        Some(o) => eprintln!(
            "interrupted after {}: {} of {} runs completed and kept in {} ({} benchmarks complete{}); the run in progress was removed",
            format_duration(o.elapsed),
            o.completed,
            o.total,
            criterion_dir.display(),
            o.complete_benches.len(),
            if o.complete_benches.is_empty() {
                String::new()
            } else {
                format!(": {}", o.complete_benches.join(", "))
            }
        ),
    }
    INTERRUPTED
}

/// A terminal's Ctrl-C also reaches the short git and `--list` commands `ab` runs in its own
/// process group; they then fail, but the failure is the interruption, not an error: `None`.
fn interrupted_as_such<T>(result: Result<T>) -> Result<Option<T>> {
    match result {
        Err(_) if child::stop_flag().load(std::sync::atomic::Ordering::SeqCst) => Ok(None),
        other => other.map(Some),
    }
}

/// Ctrl-C handled from here on: the handlers of the commands that run bench executables call
/// this first, then run with [`child::stop_flag`].
fn start_session() -> Result<PathBuf> {
    child::install_signal_handlers()?;
    current_dir()
}

fn current_dir() -> Result<PathBuf> {
    std::env::current_dir()
        .map_err(|e| Error::msg(format!("cannot read the current directory: {e}")))
}

/// `--history FILE`, else `bench-history.jsonl` at the workspace root.
fn default_history(given: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(p) = given {
        return Ok(p);
    }
    let cwd = current_dir()?;
    machine::workspace_root(&cwd)
        .map(|root| root.join(DEFAULT_FILE))
        .ok_or_else(|| {
            Error::at(
                &cwd,
                "no Cargo.toml with [workspace] here or above; pass --history FILE",
            )
        })
}
