//! PLACEHOLDER in branch wip-t2, replaced at merge by T1's `src/noise.rs` (noise-floor sources
//! and the `cb-calibration.json` file). Only the two items `calibrate` calls are here.

use std::path::Path;

use crate::error::{Error, Result};

/// Each benchmark's run-to-run noise from `calibrate`'s runs. Placeholder: holds nothing.
#[derive(Debug, Clone)]
pub struct Calibration;

/// The calibration from the baselines `runs` under `criterion_dir`. Placeholder: always an
/// error until T1's module is merged.
pub fn calibration_from_runs(criterion_dir: &Path, runs: &[String]) -> Result<Calibration> {
    let _ = (criterion_dir, runs);
    Err(Error::msg("noise::calibration_from_runs is provided by T1"))
}

impl Calibration {
    /// Writes `<criterion_dir>/cb-calibration.json`. Placeholder: always an error.
    pub fn write(&self, criterion_dir: &Path) -> Result<()> {
        let _ = criterion_dir;
        Err(Error::msg("noise::Calibration::write is provided by T1"))
    }
}
