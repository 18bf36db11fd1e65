//! `compare OLD NEW`: every benchmark of two Criterion baselines with its verdict, held against
//! the run-to-run noise; the exit status says whether anything regressed.

use std::path::{Path, PathBuf};

use super::{default_history, given_or_present, print};
use crate::compare::{self, DEFAULT_THRESHOLD_PCT};
use crate::error::Result;
use crate::export::{render_comparison, Format};
use crate::noise::{NoiseFloor, CALIBRATION_FILE, LAYOUT_FILE};

/// `compare`'s options.
#[derive(clap::Args)]
pub struct Args {
    /// The old baseline name.
    pub old: String,
    /// The new baseline name (`new` = the latest run).
    pub new: String,
    /// Criterion's output directory.
    #[arg(long, default_value = "target/criterion")]
    pub criterion_dir: PathBuf,
    /// Smallest change that counts, in percent.
    #[arg(long, default_value_t = DEFAULT_THRESHOLD_PCT, value_name = "PCT", allow_negative_numbers = true)]
    pub threshold: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Run-to-run noise per benchmark [default: <criterion-dir>/cb-calibration.json when present].
    #[arg(long, value_name = "FILE")]
    pub calibration: Option<PathBuf>,
    /// History file for repeated runs of one commit [default: bench-history.jsonl at the workspace root, when present].
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// A fixed σ_run, in percent per run, for benchmarks neither the calibration nor the history knows [default: learned from the two runs' own spread; 10 when fewer than 5 benchmarks are compared].
    #[arg(long, value_name = "PCT", allow_negative_numbers = true)]
    pub noise_default: Option<f64>,
    /// Code-placement noise per benchmark, added in quadrature [default: <criterion-dir>/cb-layout.json when present].
    #[arg(long, value_name = "FILE")]
    pub layout: Option<PathBuf>,
}

/// Compares the two baselines and prints every benchmark's verdict in `--format`.
pub fn run(args: Args) -> Result<i32> {
    let floor = noise_floor(
        &args.criterion_dir,
        args.calibration,
        args.history,
        args.noise_default,
    )?;
    let layout = given_or_present(args.layout, args.criterion_dir.join(LAYOUT_FILE));
    let floor = floor.with_layout(layout.as_deref())?;
    let c = compare::build(
        &args.criterion_dir,
        &args.old,
        &args.new,
        args.threshold,
        &floor,
    )?;
    print(&render_comparison(&c, args.format))?;
    Ok(c.exit_code())
}

/// The noise floor `compare` holds changes against: `--calibration` (default: the Criterion
/// directory's `cb-calibration.json`, when present), the history file (optional unless named),
/// else `--noise-default` when given, else the two runs' own spread (see `compare::build`),
/// else the default SD per run.
fn noise_floor(
    criterion_dir: &Path,
    calibration: Option<PathBuf>,
    history: Option<PathBuf>,
    noise_default: Option<f64>,
) -> Result<NoiseFloor> {
    let calibration = given_or_present(calibration, criterion_dir.join(CALIBRATION_FILE));
    // The history is optional unless named: no workspace, or no file, means no history.
    let history = history.or_else(|| default_history(None).ok().filter(|p| p.exists()));
    NoiseFloor::load(
        calibration.as_deref(),
        history.as_deref(),
        noise_default.map(|pct| pct / 100.0),
    )
}
