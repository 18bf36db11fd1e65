//! PLACEHOLDER in branch wip-t2, replaced at merge by T1's `src/verdict.rs` (the statistics of
//! issue 9: paired rounds, Student t, Holm). Only the signature `ab` calls is here, so that
//! `ab` compiles and runs up to the verdict.

use std::path::Path;

use crate::compare::Comparison;
use crate::error::{Error, Result};

/// The verdict on `ab`'s paired rounds: baselines `old[r]` and `new[r]` of round `r` under
/// `criterion_dir`, at `threshold_pct`. Placeholder: always an error until T1's module is merged.
pub fn from_rounds(
    criterion_dir: &Path,
    old: &[String],
    new: &[String],
    threshold_pct: f64,
) -> Result<Comparison> {
    let _ = (criterion_dir, old, new, threshold_pct);
    Err(Error::msg("verdict::from_rounds is provided by T1"))
}
