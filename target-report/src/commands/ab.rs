//! `ab OLD [NEW]`: interleaved A/B rounds of two commits, and their verdict.

use std::path::PathBuf;
use std::time::Duration;

use super::{
    given_or_present, interrupted, interrupted_as_such, print, start_session, CRITERION_DIR,
};
use crate::ab::{self, Finished, RoundCount, Stopping};
use crate::compare::DEFAULT_THRESHOLD_PCT;
use crate::error::Result;
use crate::export::{render_comparison, Format};
use crate::noise::LAYOUT_FILE;
use crate::runner::child;

/// `ab`'s options.
#[derive(clap::Args)]
pub struct Args {
    /// The old revision (any git revision: commit, branch, tag, HEAD~2).
    pub old: String,
    /// The new revision [default: the working tree, uncommitted changes included].
    pub new: Option<String>,
    /// Exactly K paired rounds for every benchmark (at least 2), one look at the end, instead of stopping each benchmark once decided.
    #[arg(long, value_name = "K", conflicts_with_all = ["min_rounds", "max_rounds", "budget", "side_by_side_cores", "no_lock_step"])]
    pub rounds: Option<usize>,
    /// The first batch of rounds of every benchmark (even: as many old-first as new-first).
    #[arg(long, default_value_t = ab::DEFAULT_MIN_ROUNDS, value_name = "K")]
    pub min_rounds: usize,
    /// The most rounds of any benchmark: undecided ones get 2 more at a time up to this.
    #[arg(long, default_value_t = ab::DEFAULT_MAX_ROUNDS, value_name = "K")]
    pub max_rounds: usize,
    /// Start no batch of rounds that would end after this much time (e.g. 20m, 1h30m); what it leaves undecided is reported so.
    #[arg(long, value_name = "DURATION", value_parser = ab::parse_budget)]
    pub budget: Option<Duration>,
    /// Benchmarks that wait on latency (round 0 kept at most 0.1 cores busy on each side) run their later rounds side by side, as many runs at once as keep this many cores busy by round 0's measure; 0 runs everything alone.
    #[arg(long, default_value_t = ab::DEFAULT_SIDE_BY_SIDE_CORES, value_name = "CORES", allow_negative_numbers = true)]
    pub side_by_side_cores: f64,
    /// Run the two sides of a round one after the other, not at once taking turns sample by sample (the default when both sides' suites read CB_TURNS).
    #[arg(long)]
    pub no_lock_step: bool,
    /// Smallest change that counts, in percent.
    #[arg(long, default_value_t = DEFAULT_THRESHOLD_PCT, value_name = "PCT", allow_negative_numbers = true)]
    pub threshold: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Where the rounds' baselines go (earlier ab rounds there are removed first).
    #[arg(long, default_value = "target/ab/criterion")]
    pub criterion_dir: PathBuf,
    /// A CB_* setting for the old side's runs only (repeatable), e.g. CB_LATENCY_MS=22.
    #[arg(long, value_name = "CB_NAME=VALUE", value_parser = ab::parse_side_env)]
    pub old_env: Vec<(String, String)>,
    /// A CB_* setting for the new side's runs only (repeatable), e.g. the testing-only
    /// CB_TEST_SLOWDOWN=cpu/fib/rayon:5 to check that a slowdown is found.
    #[arg(long, value_name = "CB_NAME=VALUE", value_parser = ab::parse_side_env)]
    pub new_env: Vec<(String, String)>,
    /// Link orders per side: each side relinked M times (rust-lld --shuffle-sections), round r on link order r mod M, so the verdict is about the source, not one binary; for CPU kernels of a few instructions per iteration when the commits moved code.
    #[arg(long, default_value_t = 1, value_name = "M")]
    pub layouts: usize,
    /// Code-placement noise added to each benchmark without --layouts (2σ²_layout) [default: target/criterion/cb-layout.json when present].
    #[arg(long, value_name = "FILE")]
    pub layout: Option<PathBuf>,
    /// Criterion's filter and options, after `--` (e.g. `-- '^cpu/fib/'`).
    #[arg(last = true, value_name = "CRITERION ARGS")]
    pub criterion_args: Vec<String>,
}

impl Args {
    /// The session's options: `--rounds K`, or the sequential stopping rule.
    fn options(self) -> ab::Options {
        ab::Options {
            old: self.old,
            new: self.new,
            rounds: match self.rounds {
                Some(k) => RoundCount::Fixed(k),
                None => RoundCount::Sequential(Stopping {
                    min_rounds: self.min_rounds,
                    max_rounds: self.max_rounds,
                    budget: self.budget,
                    side_by_side_cores: self.side_by_side_cores,
                    lock_step: !self.no_lock_step,
                }),
            },
            threshold_pct: self.threshold,
            criterion_dir: self.criterion_dir,
            criterion_args: self.criterion_args,
            old_env: self.old_env,
            new_env: self.new_env,
            layouts: self.layouts,
            layout_file: given_or_present(
                self.layout,
                PathBuf::from(CRITERION_DIR).join(LAYOUT_FILE),
            ),
        }
    }
}

/// Runs the rounds and prints the verdict in `--format`.
pub fn run(args: Args) -> Result<i32> {
    let format = args.format;
    let opts = args.options();
    ab::validate(&opts)?;
    let cwd = start_session()?;
    match interrupted_as_such(ab::run(&opts, &cwd, child::stop_flag()))? {
        Some(Finished::Verdict(c)) => {
            print(&render_comparison(&c, format))?;
            Ok(c.exit_code())
        }
        Some(Finished::Interrupted(o)) => Ok(interrupted(o.as_ref(), &opts.criterion_dir)),
        None => Ok(interrupted(None, &opts.criterion_dir)),
    }
}
