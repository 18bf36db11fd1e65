//! `history`: the trend page, one chart per benchmark across the history file with its step
//! changes.

use std::path::{Path, PathBuf};

use super::{default_history, given_or_present, print, CRITERION_DIR};
use crate::atomic_write;
use crate::error::Result;
use crate::export;
use crate::history;
use crate::noise::{Calibration, LayoutNoise, CALIBRATION_FILE, LAYOUT_FILE};
use crate::trend::HistoryReport;

/// `history`'s options.
#[derive(clap::Args)]
pub struct Args {
    /// History file [default: bench-history.jsonl at the workspace root].
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// Where to write index.html and the charts (created if needed).
    #[arg(long, default_value = "target/criterion/history")]
    pub out: PathBuf,
    /// Run-to-run noise per benchmark for the step detector [default: target/criterion/cb-calibration.json when present].
    #[arg(long, value_name = "FILE")]
    pub calibration: Option<PathBuf>,
    /// Code-placement noise per benchmark, a floor on the step detector's scale [default: target/criterion/cb-layout.json when present].
    #[arg(long, value_name = "FILE")]
    pub layout: Option<PathBuf>,
}

/// Reads the history (and the noise files) and writes the page and its charts.
pub fn run(args: Args) -> Result<i32> {
    let path = default_history(args.history)?;
    let criterion_dir = Path::new(CRITERION_DIR);
    let calibration = match given_or_present(args.calibration, criterion_dir.join(CALIBRATION_FILE))
    {
        Some(p) => Some((Calibration::load(&p)?, p)),
        None => None,
    };
    let loaded = history::load(&path)?;
    for (line, why) in &loaded.corrupt {
        eprintln!(
            "target-report: warning: {}:{line}: corrupt line skipped: {why}",
            path.display()
        );
    }
    let layout = match given_or_present(args.layout, criterion_dir.join(LAYOUT_FILE)) {
        Some(p) => Some((LayoutNoise::load(&p)?, p)),
        None => None,
    };
    let report = HistoryReport::build(
        &path,
        loaded,
        calibration.as_ref().map(|(c, p)| (p.as_path(), c)),
        layout.as_ref().map(|(l, p)| (p.as_path(), l)),
    )?;
    atomic_write::write_files(&args.out, &export::pages::history_files(&report))?;
    let steps: usize = report.charts.iter().map(|(s, _)| s.fit.steps.len()).sum();
    print(&format!(
        "wrote index.html and {} charts to {} from {} records: {steps} step changes\n",
        report.charts.len(),
        args.out.display(),
        report.records
    ))?;
    Ok(0)
}
