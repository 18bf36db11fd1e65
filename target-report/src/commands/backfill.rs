//! `backfill A..B`: each commit of a range built, benchmarked and appended to the history,
//! then the history page drawn.

use std::path::PathBuf;

use super::{default_history, history, interrupted_as_such, start_session, INTERRUPTED};
use crate::backfill::{self, Finished, Options, Tally};
use crate::error::Result;
use crate::runner::child;

/// `backfill`'s options.
#[derive(clap::Args)]
pub struct Args {
    /// The commits: A..B (those reachable from B but not A, first parents only, oldest first).
    pub range: String,
    /// Measure every Nth commit, counted back from B (B is always measured).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub every: usize,
    /// History file [default: bench-history.jsonl at the workspace root].
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// Where to write the history page at the end (as `history --out`).
    #[arg(long, default_value = "target/criterion/history")]
    pub out: PathBuf,
    /// Criterion's filter and options, after `--`.
    #[arg(last = true, value_name = "CRITERION ARGS")]
    pub criterion_args: Vec<String>,
}

/// Runs the backfill, then writes the history page as `history --out` does.
pub fn run(args: Args) -> Result<i32> {
    let opts = Options {
        range: args.range,
        every: args.every,
        history: default_history(args.history)?,
        criterion_args: args.criterion_args,
    };
    backfill::validate(&opts)?;
    let cwd = start_session()?;
    match interrupted_as_such(backfill::run(&opts, &cwd, child::stop_flag()))? {
        Some(Finished::Done(tally)) => eprintln!("{}", tally.done_line()),
        Some(Finished::Interrupted(tally)) => {
            eprintln!("{}", Tally::interrupted_line(Some(&tally), &opts.history));
            return Ok(INTERRUPTED);
        }
        None => {
            eprintln!("{}", Tally::interrupted_line(None, &opts.history));
            return Ok(INTERRUPTED);
        }
    }
    history::run(history::Args {
        history: Some(opts.history),
        out: args.out,
        calibration: None,
        layout: None,
    })
}
