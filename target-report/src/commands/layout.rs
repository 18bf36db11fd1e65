//! `layout`: the working tree's benches relinked in M section orders, each benchmark run K
//! times on each, for its code-placement noise.

use std::path::PathBuf;

use super::{interrupted, interrupted_as_such, print, start_session};
use crate::error::Result;
use crate::export::{self, Exporter, PlainTable};
use crate::layout::{self, Finished, Options, DEFAULT_BUILDS, DEFAULT_ROUNDS};
use crate::noise::LAYOUT_FILE;
use crate::runner::child;

/// `layout`'s options.
#[derive(clap::Args)]
pub struct Args {
    /// Link orders M (at least 2).
    #[arg(long, default_value_t = DEFAULT_BUILDS, value_name = "M")]
    pub builds: usize,
    /// Runs of every benchmark on every link order (at least 2).
    #[arg(long, default_value_t = DEFAULT_ROUNDS, value_name = "K")]
    pub rounds: usize,
    /// Seed of the link orders' seeds [default: from the clock].
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Criterion's output directory (earlier lay<b>-<r> baselines there are removed first).
    #[arg(long, default_value = "target/criterion")]
    pub criterion_dir: PathBuf,
    /// Criterion's filter and options, after `--`.
    #[arg(last = true, value_name = "CRITERION ARGS")]
    pub criterion_args: Vec<String>,
}

/// Builds, relinks and runs, then prints the table and writes `cb-layout.json`.
pub fn run(args: Args) -> Result<i32> {
    let opts = Options {
        builds: args.builds,
        rounds: args.rounds,
        seed: args.seed,
        criterion_dir: args.criterion_dir,
        criterion_args: args.criterion_args,
    };
    layout::validate(&opts)?;
    let cwd = start_session()?;
    match interrupted_as_such(layout::run(&opts, &cwd, child::stop_flag()))? {
        Some(Finished::Written(l)) => {
            print(&PlainTable.render(l.as_ref()))?;
            print(&format!(
                "{}; wrote {}\n",
                export::layout::summary_line(&l),
                opts.criterion_dir.join(LAYOUT_FILE).display()
            ))?;
            Ok(0)
        }
        Some(Finished::Interrupted(o)) => Ok(interrupted(o.as_ref(), &opts.criterion_dir)),
        None => Ok(interrupted(None, &opts.criterion_dir)),
    }
}
