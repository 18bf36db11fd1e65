//! What every bench's `main` does with an [`Error`] the library returns, and how it ends a run
//! that saved results: with the summary page.

use std::fmt;
use std::path::Path;

use concurrency_bench::criterion_args::CriterionArgs;
use concurrency_bench::error::Error;
use concurrency_bench::output;
use target_report::commands::summary::{write_latest, Page};

/// Prints `error` as the suite's one line and exits with its status (2: before anything was
/// measured; 1: a run failed or its results could not be written). A `main` calls it while its
/// matrix, servers and pools still live: exiting, not returning, leaves them to end with the
/// process (the child server on its parent-death signal, the workers on their closed stdin) as
/// they always have, instead of stopping each in turn before the line is printed.
pub fn exit(error: Error) -> ! {
    eprintln!("concurrency-bench: {error}");
    std::process::exit(error.exit_code().into())
}

/// A `main`'s last step, after `criterion.final_summary()`: when this run saved results
/// (`measured` benchmarks, [`CriterionArgs::saved_results`]), writes the summary page of every
/// group's latest run in the Criterion directory into `<criterion>/summary`, as `target-report
/// summary` does; prints its warnings (measurement defects) on stderr, then where it is as the
/// last line on stdout ([`summary_line`]). A run that saved nothing writes and prints nothing.
/// A summary that cannot be written (a corrupt file in the Criterion directory) stops with one
/// line and exit status 1.
pub fn write_summary(args: &CriterionArgs, measured: usize) {
    let home = output::criterion_home();
    match summary_after_run(args, measured, &home) {
        Ok(None) => {}
        Ok(Some(page)) => {
            for warning in &page.warnings {
                eprintln!("concurrency-bench: warning: {warning}");
            }
            println!("{}", summary_line(&home, &page));
        }
        Err(error) => exit(error),
    }
}

/// [`write_summary`]'s page in the Criterion directory `home`, without printing: `None` when
/// the run saved nothing (nothing is written then).
pub fn summary_after_run(
    args: &CriterionArgs,
    measured: usize,
    home: &Path,
) -> Result<Option<Page>, Error> {
    if !args.saved_results(measured) {
        return Ok(None);
    }
    write_latest(home)
        .map(Some)
        .map_err(|error| Error::run(SummaryNotWritten(error)))
}

/// The run's last line: which directory the page summarises and where it is, as absolute
/// paths. The bench runs in the package's directory, which need not be the shell's, so only an
/// absolute path opens from wherever `cargo bench` was typed (and terminals make it a link).
pub fn summary_line(home: &Path, page: &Page) -> String {
    format!(
        "summary of every group in {}: {}",
        absolute(home),
        absolute(&page.index)
    )
}

/// `path` from the filesystem's root (not resolving links), as the user would type it.
fn absolute(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_owned())
        .display()
        .to_string()
}

/// The summary page could not be written after the run: its results are saved, but the page
/// the run promised is not there (exit status 1, as for results that could not be written).
#[derive(Debug)]
struct SummaryNotWritten(target_report::Error);

impl fmt::Display for SummaryNotWritten {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "summary not written: {}", self.0)
    }
}

impl std::error::Error for SummaryNotWritten {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}
