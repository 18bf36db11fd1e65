//! `record`: the latest run appended to the history file as one line, tagged with the commit
//! and the machine.

use std::path::PathBuf;

use super::{default_history, print};
use crate::error::Result;
use crate::history::{self, Record};
use crate::machine;

/// `record`'s options.
#[derive(clap::Args)]
pub struct Args {
    /// Criterion's output directory.
    #[arg(long, default_value = "target/criterion")]
    pub criterion_dir: PathBuf,
    /// History file [default: bench-history.jsonl at the workspace root].
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
}

/// Appends the run, unless the same run is already in the file.
pub fn run(args: Args) -> Result<i32> {
    let path = default_history(args.history)?;
    let (benchmarks, skipped) = history::collect(&args.criterion_dir)?;
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let repo = machine::workspace_root(&cwd).unwrap_or(cwd);
    let git = machine::git_info(&repo, Some(&path));
    if git.commit.is_none() {
        eprintln!(
            "target-report: warning: {} is not a git checkout (or git is missing): the record has no commit",
            repo.display()
        );
    }
    let record = Record {
        schema: 1,
        recorded_at: machine::utc_now(),
        git,
        machine: machine::machine(),
        benchmarks,
        origin: None,
        status: None,
        reason: None,
    };
    if let Some(line) = history::append_new_run(&path, &record)? {
        print(&format!(
            "not recorded: this run (the same Criterion samples) is already in {} at line {line}\n",
            path.display()
        ))?;
        return Ok(0);
    }
    for s in &skipped {
        eprintln!("target-report: warning: {s}: no estimates.json, not recorded");
    }
    print(&format!(
        "recorded {} benchmarks at {}{} to {}\n",
        record.benchmarks.len(),
        record
            .git
            .commit
            .as_deref()
            .map_or("no commit", |c| &c[..c.len().min(12)]),
        if record.git.dirty == Some(true) {
            " (dirty tree)"
        } else {
            ""
        },
        path.display()
    ))?;
    Ok(0)
}
