//! The `compare` command's model: every benchmark in two baselines, the change of its median
//! with a bootstrap confidence interval, and a verdict.
//!
//! A change counts only when it is statistically significant — the 95% percentile-bootstrap
//! interval of `median(new)/median(old) − 1` (per-iteration times from both `sample.json`
//! files, [`stats::BOOTSTRAP_RESAMPLES`] resamples, seeded from the benchmark id) excludes 0 —
//! **and** its point estimate is beyond the threshold. Criterion's own verdict is not reused:
//! it is only computed against the one baseline a run was compared with, and never sets an
//! exit code.

use std::path::Path;

use serde::Serialize;

use crate::criterion::{self, Measured};
use crate::error::{Error, Result};
use crate::stats::{self, Interval};

/// One sentence on how verdicts are decided, printed with every comparison.
pub const METHOD: &str = "A change counts when the 95% percentile-bootstrap interval of median(new)/median(old) - 1 (10,000 resamples of the per-iteration times in sample.json, fixed seed per benchmark) excludes 0 and the change is beyond the threshold.";

/// Fewer samples than this per side make intervals coarse (Criterion's `--quick` keeps 2);
/// the outputs say so.
pub const FEW_SAMPLES: usize = 10;

/// Default `--threshold`, percent.
pub const DEFAULT_THRESHOLD_PCT: f64 = 5.0;

/// The verdict on one benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Significantly slower, by more than the threshold.
    Regressed,
    /// Significantly faster, by more than the threshold.
    Improved,
    /// Not significant, or within the threshold.
    Unchanged,
}

impl Verdict {
    /// The lowercase word used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Regressed => "regressed",
            Verdict::Improved => "improved",
            Verdict::Unchanged => "unchanged",
        }
    }
}

/// One benchmark present in both baselines.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Criterion's full id.
    pub id: String,
    /// Median per-iteration time in the old baseline, ns.
    pub old_median_ns: f64,
    /// Median per-iteration time in the new baseline, ns.
    pub new_median_ns: f64,
    /// `median(new)/median(old) − 1` (0.05 = 5% slower) with its 95% interval.
    pub change: Interval,
    /// The interval excludes 0.
    pub significant: bool,
    /// The verdict.
    pub verdict: Verdict,
    /// Samples in the old and new `sample.json`.
    pub samples: (usize, usize),
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Old baseline name.
    pub old: String,
    /// New baseline name.
    pub new: String,
    /// The threshold, percent.
    pub threshold_pct: f64,
    /// Benchmarks in both, sorted by id.
    pub entries: Vec<Entry>,
    /// Ids only in the new baseline.
    pub added: Vec<String>,
    /// Ids only in the old baseline.
    pub removed: Vec<String>,
    /// Ids in both whose `sample.json` is missing on one side, with the side.
    pub incomplete: Vec<String>,
}

impl Comparison {
    /// Number of regressed benchmarks: the binary exits 1 when it is not zero.
    pub fn regressions(&self) -> usize {
        self.count(Verdict::Regressed)
    }

    /// Entries with fewer than [`FEW_SAMPLES`] samples on either side.
    pub fn few_samples(&self) -> Vec<&Entry> {
        self.entries
            .iter()
            .filter(|e| e.samples.0.min(e.samples.1) < FEW_SAMPLES)
            .collect()
    }

    /// Number of entries with `verdict`.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.entries.iter().filter(|e| e.verdict == verdict).count()
    }
}

/// Decides the verdict for a change interval (fractions) and a threshold in percent.
pub fn verdict(change: Interval, threshold_pct: f64) -> (bool, Verdict) {
    let significant = change.lower > 0.0 || change.upper < 0.0;
    let threshold = threshold_pct / 100.0;
    let v = if significant && change.point > threshold {
        Verdict::Regressed
    } else if significant && change.point < -threshold {
        Verdict::Improved
    } else {
        Verdict::Unchanged
    };
    (significant, v)
}

/// Compares baseline `old` with baseline `new` under `criterion_dir`.
///
/// Fails on a missing directory, no benchmarks, a baseline that no benchmark has, or a corrupt
/// file. Benchmarks present on one side only are reported as added or removed.
pub fn build(criterion_dir: &Path, old: &str, new: &str, threshold_pct: f64) -> Result<Comparison> {
    if !(threshold_pct.is_finite() && threshold_pct >= 0.0) {
        return Err(Error::msg(format!(
            "--threshold must be a non-negative percentage, got {threshold_pct}"
        )));
    }
    let dirs = criterion::discover(criterion_dir)?;
    if dirs.is_empty() {
        return Err(Error::at(
            criterion_dir,
            "no benchmarks found; run `cargo bench` first",
        ));
    }
    for name in [old, new] {
        if !dirs.iter().any(|d| d.has_baseline(name)) {
            return Err(Error::at(
                criterion_dir,
                format!("unknown baseline '{name}': no benchmark has {name}/benchmark.json (save one with `cargo bench -- --save-baseline {name}`)"),
            ));
        }
    }
    let mut cmp = Comparison {
        old: old.to_string(),
        new: new.to_string(),
        threshold_pct,
        entries: Vec::new(),
        added: Vec::new(),
        removed: Vec::new(),
        incomplete: Vec::new(),
    };
    for dir in &dirs {
        let a = criterion::load_measured(dir, old)?;
        let b = criterion::load_measured(dir, new)?;
        match (a, b) {
            (None, None) => {}
            (None, Some(b)) => cmp.added.push(b.id.full_id),
            (Some(a), None) => cmp.removed.push(a.id.full_id),
            (Some(a), Some(b)) => match (&a.sample, &b.sample) {
                (Some(sa), Some(sb)) => {
                    let id = b.id.full_id.clone();
                    cmp.entries.push(entry(
                        id,
                        &sa.per_iteration(),
                        &sb.per_iteration(),
                        threshold_pct,
                    ));
                }
                _ => cmp.incomplete.push(format!(
                    "{}: no sample.json in {}",
                    b.id.full_id,
                    missing_sides(&a, &b, old, new)
                )),
            },
        }
    }
    cmp.entries.sort_by(|x, y| x.id.cmp(&y.id));
    cmp.added.sort();
    cmp.removed.sort();
    Ok(cmp)
}

fn missing_sides(a: &Measured, b: &Measured, old: &str, new: &str) -> String {
    match (a.sample.is_none(), b.sample.is_none()) {
        (true, true) => format!("{old} or {new}"),
        (true, false) => old.to_string(),
        _ => new.to_string(),
    }
}

/// Compares two samples of per-iteration times for benchmark `id`.
pub fn entry(id: String, old: &[f64], new: &[f64], threshold_pct: f64) -> Entry {
    let ratio = stats::ratio_of_medians(new, old, stats::BOOTSTRAP_RESAMPLES, stats::seed_for(&id));
    let change = ratio.map(|r| r - 1.0);
    let (significant, verdict) = verdict(change, threshold_pct);
    Entry {
        old_median_ns: stats::median(old),
        new_median_ns: stats::median(new),
        change,
        significant,
        verdict,
        samples: (old.len(), new.len()),
        id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::SplitMix64;

    fn iv(point: f64, lower: f64, upper: f64) -> Interval {
        Interval {
            point,
            lower,
            upper,
        }
    }

    #[test]
    fn verdict_needs_significance_and_size() {
        // Big and significant.
        assert_eq!(verdict(iv(0.5, 0.4, 0.6), 5.0).1, Verdict::Regressed);
        assert_eq!(verdict(iv(-0.2, -0.3, -0.1), 5.0).1, Verdict::Improved);
        // Big but the interval includes 0: noise.
        assert_eq!(
            verdict(iv(0.5, -0.1, 1.0), 5.0),
            (false, Verdict::Unchanged)
        );
        // Significant but under the threshold.
        assert_eq!(
            verdict(iv(0.03, 0.01, 0.05), 5.0),
            (true, Verdict::Unchanged)
        );
        // The same change counts with a lower threshold.
        assert_eq!(verdict(iv(0.03, 0.01, 0.05), 2.0).1, Verdict::Regressed);
    }

    #[test]
    fn synthetic_slowdown_is_detected_and_identical_samples_are_not() {
        let mut rng = SplitMix64::new(1);
        let old: Vec<f64> = (0..20).map(|_| 1e6 * (1.0 + 0.02 * rng.normal())).collect();
        let slow: Vec<f64> = old.iter().map(|x| x * 1.5).collect();
        let e = entry("g/f".into(), &old, &slow, 5.0);
        assert_eq!(e.verdict, Verdict::Regressed);
        assert!((e.change.point - 0.5).abs() < 1e-12);
        let same = entry("g/f".into(), &old, &old, 5.0);
        assert_eq!(same.verdict, Verdict::Unchanged);
        assert!(!same.significant);
    }
}
