//! `trace`: a Chrome trace-event file per timeline run of a baseline, and one per workload.

use std::path::PathBuf;

use super::print;
use crate::atomic_write;
use crate::error::Result;
use crate::export::trace;
use crate::meta;

/// `trace`'s options.
#[derive(clap::Args)]
pub struct Args {
    /// Criterion's output directory.
    #[arg(long, default_value = "target/criterion")]
    pub criterion_dir: PathBuf,
    /// Where to write the trace files (created if needed).
    #[arg(long, default_value = "target/criterion/summary/traces")]
    pub out: PathBuf,
    /// The baseline whose timelines to export (`new` is the latest run).
    #[arg(long, default_value = "new")]
    pub baseline: String,
    /// Only benchmarks whose id contains this text (e.g. `io/download/`).
    pub filter: Option<String>,
}

/// Reads the timelines and writes their trace files.
pub fn run(args: Args) -> Result<i32> {
    let loaded = meta::timelines(&args.criterion_dir, &args.baseline, args.filter.as_deref())?;
    let sources: Vec<trace::TraceSource> = loaded.iter().map(trace::TraceSource::from).collect();
    let files = trace::files(&sources);
    atomic_write::write_files(&args.out, &files)?;
    print(&format!(
        "wrote {} trace files to {}: {} timelines, one file each, and {} per workload\n",
        files.len(),
        args.out.display(),
        sources.len(),
        files.len().saturating_sub(sources.len())
    ))?;
    Ok(0)
}
