//! `calibrate`: the same build run K times, a group per call, interleaved, for each
//! benchmark's run-to-run noise; or the calibration from K plain runs already saved.

use std::path::PathBuf;

use super::{interrupted, interrupted_as_such, print, start_session};
use crate::calibrate::{self, Finished, Options, DEFAULT_RUNS};
use crate::error::Result;
use crate::noise::CALIBRATION_FILE;
use crate::runner::child;

/// `calibrate`'s options.
#[derive(clap::Args)]
pub struct Args {
    /// Runs per benchmark (at least 2).
    #[arg(long, default_value_t = DEFAULT_RUNS, value_name = "K")]
    pub runs: usize,
    /// Criterion's output directory (earlier cal-<r> baselines there are removed first).
    #[arg(long, default_value = "target/criterion")]
    pub criterion_dir: PathBuf,
    /// Run each benchmark alone (one call of its bench executable per benchmark and run, `--exact ID`) instead of each group's selected benchmarks together, interleaved in rounds as `cargo bench` runs them.
    #[arg(long)]
    pub per_benchmark: bool,
    /// Build the calibration from these baselines already measured (comma-separated; plain runs of one build, at least 2), running nothing.
    #[arg(long, value_delimiter = ',', value_name = "NAMES", conflicts_with_all = ["runs", "criterion_args", "per_benchmark"])]
    pub from_baselines: Vec<String>,
    /// Criterion's filter and options, after `--`.
    #[arg(last = true, value_name = "CRITERION ARGS")]
    pub criterion_args: Vec<String>,
}

/// Runs the K runs (or reads the named baselines) and writes `cb-calibration.json`.
pub fn run(args: Args) -> Result<i32> {
    if !args.from_baselines.is_empty() {
        let benchmarks = calibrate::from_baselines(&args.criterion_dir, &args.from_baselines)?;
        print(&format!(
            "wrote {} from {} runs of {benchmarks} benchmarks\n",
            args.criterion_dir.join(CALIBRATION_FILE).display(),
            args.from_baselines.len()
        ))?;
        return Ok(0);
    }
    let opts = Options {
        runs: args.runs,
        criterion_dir: args.criterion_dir,
        criterion_args: args.criterion_args,
        per_benchmark: args.per_benchmark,
    };
    calibrate::validate(&opts)?;
    let cwd = start_session()?;
    match interrupted_as_such(calibrate::run(&opts, &cwd, child::stop_flag()))? {
        Some(Finished::Written { benchmarks, runs }) => {
            print(&format!(
                "wrote {} from {runs} runs of {benchmarks} benchmarks\n",
                opts.criterion_dir.join(CALIBRATION_FILE).display()
            ))?;
            Ok(0)
        }
        Some(Finished::Interrupted(o)) => Ok(interrupted(o.as_ref(), &opts.criterion_dir)),
        None => Ok(interrupted(None, &opts.criterion_dir)),
    }
}
