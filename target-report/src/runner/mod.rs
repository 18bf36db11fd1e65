//! Running the suite's bench executables for `ab`, `calibrate`, `layout` and `backfill`: what
//! they share.
//!
//! * [`git`] — the repository, revisions, and one git worktree per side under `target/ab/`.
//! * [`cargo`] — building a checkout's bench executables once and listing their benchmarks.
//! * [`flags`] — the same rustc flags for every build (the workspace's pinned code placement).
//! * [`child`] — child processes that a Ctrl-C (SIGINT or SIGTERM) stops cleanly.
//! * [`relink`] — the bench executables relinked in M section orders (`layout`, `ab --layouts`).
//! * [`session`] — a schedule of short Criterion runs, each written into a staging directory
//!   and moved into the Criterion directory only when complete, with a progress line.
//! * [`side_by_side`] — several of those runs at once, for benchmarks that wait on latency.
//! * [`entries`] — what one run measures: one benchmark, or a group's benchmarks together.
//!
//! This is the only part of `target-report` that runs anything; the rest reads files.

pub mod cargo;
pub mod child;
pub mod entries;
pub mod flags;
pub mod git;
pub mod relink;
pub mod session;
pub mod side_by_side;

use std::fs::File;
use std::os::unix::io::AsRawFd;
use std::path::Path;

use crate::error::{Error, Result};

/// An exclusive `flock(2)` on a lock file, held until dropped (or the process ends: the
/// kernel releases it, so a killed session never leaves a stale lock).
#[derive(Debug)]
pub struct Lock(#[allow(dead_code)] File);

/// The workspace containing `cwd`, or a one-line error saying there is nothing to `verb` (for
/// the commands that build the working tree: calibrate, layout).
pub fn workspace_root(
    cwd: &std::path::Path,
    verb: &str,
) -> crate::error::Result<std::path::PathBuf> {
    crate::machine::workspace_root(cwd).ok_or_else(|| {
        Error::at(
            cwd,
            format!("no Cargo.toml with [workspace] here or above: nothing to {verb}"),
        )
    })
}

/// Takes the lock at `path` (creating the file), or fails at once naming `what` when another
/// process holds it: two sessions sharing worktrees or a Criterion directory would overwrite
/// each other's checkouts and rounds.
pub fn lock(path: &Path, what: &str) -> Result<Lock> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::at(parent, format!("cannot create directory: {e}")))?;
    }
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| Error::at(path, format!("cannot open lock file: {e}")))?;
    // SAFETY: flock on a descriptor owned by `file`, which the returned guard keeps open.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        return Err(Error::at(
            path,
            format!("another target-report is using {what}; wait for it or stop it"),
        ));
    }
    Ok(Lock(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_refused_and_released_on_drop() {
        let dir = std::env::temp_dir().join(format!("tr-lock-{}", std::process::id()));
        let path = dir.join("x.lock");
        let held = lock(&path, "the thing").unwrap();
        let err = lock(&path, "the thing").unwrap_err().to_string();
        assert!(
            err.contains("another target-report is using the thing"),
            "{err}"
        );
        drop(held);
        assert!(lock(&path, "the thing").is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
