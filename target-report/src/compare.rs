//! The model of `compare` and `ab`: every benchmark in two baselines (or two sets of paired
//! rounds), the change of its median with an interval that includes the run-to-run noise, a
//! verdict, the smallest change the data could detect, and where the noise estimate came from.
//!
//! `compare OLD NEW` on two plain runs ([`build`]): d = ln(median_new/median_old) from the two
//! `sample.json` files (per-iteration times), se = √2·σ_run with σ_run from the
//! [`crate::noise`] floor (calibration, history or the default), floored by the two runs' own
//! bootstrap standard errors of the log median combined in quadrature (a run whose own samples
//! are noisier than σ_run says so). [`crate::verdict::decide`] turns (d, se, df) into verdicts
//! with Holm's correction over all benchmarks compared. Paired rounds (`ab`) produce the same
//! model through [`crate::verdict::from_rounds`]. Criterion's own verdict is not reused: it
//! knows only one run's samples and never sets an exit code.

mod config;

use std::path::Path;

use serde::Serialize;

pub use config::{side_by_side, ConfigRow, Configs};

use crate::criterion::{self, BenchDir, Measured};
use crate::error::{Error, Result};
use crate::noise::{Noise, NoiseFloor};
use crate::stats::{self, Interval};
use crate::verdict;

/// One sentence on how `compare` decides, printed with every comparison.
pub const METHOD: &str = "d = ln(median(new)/median(old)) of the per-iteration times in sample.json; se = sqrt(2)·σ_run, the run-to-run SD of ln(median) (from cb-calibration.json, else ≥3 runs of one commit on one machine in the history, else a default, 10% per run unless --noise-default says otherwise), floored by both runs' own bootstrap SE of ln(median) combined in quadrature; regressed (improved) = the one-sided t-test that the change exceeds +T (−T) rejects at α = 0.05 after Holm's correction over all benchmarks; unchanged = the 95% interval lies within ±T; otherwise inconclusive. Detectable = exp((t.975 + t.8)·se) − 1, the change found with 80% power.";

/// Fewer samples than this on a side (Criterion's `--quick` keeps 2) decide nothing: such a
/// benchmark is inconclusive, and the outputs say why.
pub const FEW_SAMPLES: usize = 10;

/// Default `--threshold`, percent.
pub const DEFAULT_THRESHOLD_PCT: f64 = 5.0;

/// The verdict on one benchmark (see [`crate::verdict`] for the rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Shown to be slower by more than the threshold, after Holm's correction.
    Regressed,
    /// Shown to be faster by more than the threshold, after Holm's correction.
    Improved,
    /// The 95% interval of the change lies within ±threshold.
    Unchanged,
    /// None of the above: the noise is too large to tell.
    Inconclusive,
}

impl Verdict {
    /// Every verdict, in the order the outputs count them.
    pub const ALL: [Verdict; 4] = [
        Verdict::Regressed,
        Verdict::Improved,
        Verdict::Unchanged,
        Verdict::Inconclusive,
    ];

    /// The lowercase word used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Regressed => "regressed",
            Verdict::Improved => "improved",
            Verdict::Unchanged => "unchanged",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// One benchmark present on both sides.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Criterion's full id.
    pub id: String,
    /// Median per-iteration time on the old side, ns (for rounds: the geometric mean of the
    /// rounds' medians).
    pub old_median_ns: f64,
    /// Median per-iteration time on the new side, ns (same).
    pub new_median_ns: f64,
    /// The change as a fraction (0.05 = 5% slower) with its 95% interval.
    pub change: Interval,
    /// d = ln(new/old), the quantity tested.
    pub log_change: f64,
    /// Standard error of d.
    pub se: f64,
    /// Degrees of freedom of the t distribution of d; `null` = infinitely many (normal).
    pub df: Option<f64>,
    /// Holm-adjusted one-sided p-value of "no regression beyond the threshold".
    pub p_regressed: f64,
    /// Holm-adjusted one-sided p-value of "no improvement beyond the threshold".
    pub p_improved: f64,
    /// The verdict.
    pub verdict: Verdict,
    /// The minimum detectable change at 80% power, a fraction.
    pub mdc: f64,
    /// Where the noise estimate came from.
    pub noise: Noise,
    /// The runs' own samples were noisier than the noise floor, so their bootstrap standard
    /// error was used (with a normal distribution).
    pub within_run_floor: bool,
    /// Paired rounds only: the rounds that would detect the threshold at 80% power.
    pub rounds_needed: Option<u64>,
    /// Samples in the old and new `sample.json` (for rounds: the fewest of any round).
    pub samples: (usize, usize),
}

impl Entry {
    /// An entry not yet decided: [`crate::verdict::decide`] fills `change`, the p-values, the
    /// verdict and `mdc` once every benchmark of the comparison is known.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: String,
        old_median_ns: f64,
        new_median_ns: f64,
        log_change: f64,
        se: f64,
        df: Option<f64>,
        noise: Noise,
        samples: (usize, usize),
    ) -> Entry {
        let point = log_change.exp() - 1.0;
        Entry {
            id,
            old_median_ns,
            new_median_ns,
            change: Interval {
                point,
                lower: point,
                upper: point,
            },
            log_change,
            se,
            df,
            p_regressed: 1.0,
            p_improved: 1.0,
            verdict: Verdict::Inconclusive,
            mdc: f64::NAN,
            noise,
            within_run_floor: false,
            rounds_needed: None,
            samples,
        }
    }
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Old side (a baseline name, or a label for rounds).
    pub old: String,
    /// New side.
    pub new: String,
    /// The threshold, percent.
    pub threshold_pct: f64,
    /// How the verdicts were decided, one paragraph.
    pub method: String,
    /// Benchmarks on both sides, sorted by id.
    pub entries: Vec<Entry>,
    /// Ids only on the new side.
    pub added: Vec<String>,
    /// Ids only on the old side.
    pub removed: Vec<String>,
    /// Ids on both sides that could not be compared, with the reason.
    pub incomplete: Vec<String>,
    /// Where the noise estimates came from, one sentence per source.
    pub noise: Vec<String>,
    /// The two sides' configurations (`cb-meta.json`) side by side.
    pub config: Configs,
    /// Other things the reader should know, one line each.
    pub warnings: Vec<String>,
}

impl Comparison {
    /// Number of regressed benchmarks.
    pub fn regressions(&self) -> usize {
        self.count(Verdict::Regressed)
    }

    /// Number of entries with `verdict`.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.entries.iter().filter(|e| e.verdict == verdict).count()
    }

    /// Entries with fewer than [`FEW_SAMPLES`] samples on either side.
    pub fn few_samples(&self) -> Vec<&Entry> {
        self.entries
            .iter()
            .filter(|e| e.samples.0.min(e.samples.1) < FEW_SAMPLES)
            .collect()
    }

    /// The exit status for CI: 1 when something regressed, else 3 when something is
    /// inconclusive, else 0 (nothing regressed and every benchmark decided).
    pub fn exit_code(&self) -> i32 {
        if self.regressions() > 0 {
            1
        } else if self.count(Verdict::Inconclusive) > 0 {
            3
        } else {
            0
        }
    }

    /// `1 regressed, 0 improved, 20 unchanged, 9 inconclusive (threshold 5%, Holm over 30
    /// benchmarks)`.
    pub fn counts_line(&self) -> String {
        let counts: Vec<String> = Verdict::ALL
            .iter()
            .map(|v| format!("{} {}", self.count(*v), v.as_str()))
            .collect();
        format!(
            "{} (threshold {}%, Holm over {} benchmarks)",
            counts.join(", "),
            self.threshold_pct,
            self.entries.len()
        )
    }
}

/// Fails unless `threshold_pct` is a non-negative percentage.
pub fn check_threshold(threshold_pct: f64) -> Result<()> {
    if threshold_pct.is_finite() && threshold_pct >= 0.0 {
        Ok(())
    } else {
        Err(Error::msg(format!(
            "--threshold must be a non-negative percentage, got {threshold_pct}"
        )))
    }
}

/// The benchmark directories under `criterion_dir`; fails when there are none, or when one of
/// `baselines` is in none of them.
pub fn discover_with(criterion_dir: &Path, baselines: &[&str]) -> Result<Vec<BenchDir>> {
    let dirs = criterion::discover(criterion_dir)?;
    if dirs.is_empty() {
        return Err(Error::at(
            criterion_dir,
            "no benchmarks found; run `cargo bench` first",
        ));
    }
    for name in baselines {
        if !dirs.iter().any(|d| d.has_baseline(name)) {
            return Err(Error::at(
                criterion_dir,
                format!("unknown baseline '{name}': no benchmark has {name}/benchmark.json (save one with `cargo bench -- --save-baseline {name}`)"),
            ));
        }
    }
    Ok(dirs)
}

/// Compares baseline `old` with baseline `new` under `criterion_dir`, with the run-to-run
/// noise from `floor`.
///
/// Fails on a missing directory, no benchmarks, a baseline that no benchmark has, or a corrupt
/// file. Benchmarks present on one side only are reported as added or removed.
pub fn build(
    criterion_dir: &Path,
    old: &str,
    new: &str,
    threshold_pct: f64,
    floor: &NoiseFloor,
) -> Result<Comparison> {
    check_threshold(threshold_pct)?;
    let dirs = discover_with(criterion_dir, &[old, new])?;
    let mut entries = Vec::new();
    let (mut added, mut removed, mut incomplete) = (Vec::new(), Vec::new(), Vec::new());
    let mut compared: Vec<(&BenchDir, String)> = Vec::new();
    for dir in &dirs {
        let a = criterion::load_measured(dir, old)?;
        let b = criterion::load_measured(dir, new)?;
        match (a, b) {
            (None, None) => {}
            (None, Some(b)) => added.push(b.id.full_id),
            (Some(a), None) => removed.push(a.id.full_id),
            (Some(a), Some(b)) => match (&a.sample, &b.sample) {
                (Some(sa), Some(sb)) => {
                    let id = b.id.full_id.clone();
                    entries.push(entry(
                        id.clone(),
                        &sa.per_iteration(),
                        &sb.per_iteration(),
                        floor.for_benchmark(&id),
                    ));
                    compared.push((dir, id));
                }
                _ => incomplete.push(format!(
                    "{}: no sample.json in {}",
                    b.id.full_id,
                    missing_sides(&a, &b, old, new)
                )),
            },
        }
    }
    verdict::decide(&mut entries, threshold_pct);
    entries.sort_by(|x, y| x.id.cmp(&y.id));
    added.sort();
    removed.sort();
    let config = side_by_side(&compared, old, new)?;
    Ok(Comparison {
        old: old.to_string(),
        new: new.to_string(),
        threshold_pct,
        method: METHOD.to_string(),
        noise: floor.describe_sources(entries.iter().map(|e| &e.noise)),
        entries,
        added,
        removed,
        incomplete,
        config,
        warnings: floor.warnings.clone(),
    })
}

fn missing_sides(a: &Measured, b: &Measured, old: &str, new: &str) -> String {
    match (a.sample.is_none(), b.sample.is_none()) {
        (true, true) => format!("{old} or {new}"),
        (true, false) => old.to_string(),
        _ => new.to_string(),
    }
}

/// One benchmark of two plain runs, undecided: per-iteration times `old` and `new`, and the
/// benchmark's run-to-run `noise`.
///
/// # Panics
/// On an empty sample (the loaders refuse those).
pub fn entry(id: String, old: &[f64], new: &[f64], noise: Noise) -> Entry {
    let (mo, mn) = (stats::median(old), stats::median(new));
    let seed = stats::seed_for(&id);
    let within = stats::bootstrap_se_log_median(old, stats::SE_RESAMPLES, seed).hypot(
        stats::bootstrap_se_log_median(new, stats::SE_RESAMPLES, !seed),
    );
    let between = std::f64::consts::SQRT_2 * noise.sd_log;
    let (se, df, floored) = if within > between {
        (within, None, true)
    } else {
        (between, noise.df, false)
    };
    let mut e = Entry::new(
        id,
        mo,
        mn,
        (mn / mo).ln(),
        se,
        df,
        noise,
        (old.len(), new.len()),
    );
    e.within_run_floor = floored;
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noise::Source;
    use crate::stats::SplitMix64;

    fn calibrated(sd_log: f64, runs: usize) -> Noise {
        Noise {
            source: Source::Calibration,
            sd_log,
            runs: Some(runs),
            df: Some((runs - 1) as f64),
        }
    }

    #[test]
    fn noise_floor_and_within_run_floor() {
        let mut rng = SplitMix64::new(1);
        let old: Vec<f64> = (0..20).map(|_| 1e6 * (1.0 + 0.02 * rng.normal())).collect();
        let slow: Vec<f64> = old.iter().map(|x| x * 1.5).collect();
        // Tight calibration: the runs' own spread (~0.6% SE per side) is the larger.
        let e = entry("g/f".into(), &old, &slow, calibrated(0.001, 10));
        assert!(e.within_run_floor && e.df.is_none(), "{e:?}");
        assert!((e.log_change - 1.5f64.ln()).abs() < 1e-12);
        // Realistic calibration: √2·σ_run.
        let e = entry("g/f".into(), &old, &slow, calibrated(0.03, 10));
        assert!(!e.within_run_floor);
        assert!((e.se - 0.03 * 2f64.sqrt()).abs() < 1e-12);
        assert_eq!(e.df, Some(9.0));
    }

    #[test]
    fn exit_codes() {
        let mut c = Comparison {
            old: "a".into(),
            new: "b".into(),
            threshold_pct: 5.0,
            method: METHOD.into(),
            entries: vec![],
            added: vec![],
            removed: vec![],
            incomplete: vec![],
            noise: vec![],
            config: Configs::default(),
            warnings: vec![],
        };
        assert_eq!(c.exit_code(), 0);
        let mut e = Entry::new(
            "g/f".into(),
            1.0,
            1.0,
            0.0,
            0.1,
            None,
            calibrated(0.1, 3),
            (10, 10),
        );
        c.entries.push(e.clone());
        assert_eq!(c.exit_code(), 3);
        e.verdict = Verdict::Unchanged;
        c.entries[0] = e.clone();
        assert_eq!(c.exit_code(), 0);
        e.verdict = Verdict::Regressed;
        c.entries.push(e);
        assert_eq!(c.exit_code(), 1);
        assert_eq!(
            c.counts_line(),
            "1 regressed, 0 improved, 1 unchanged, 0 inconclusive (threshold 5%, Holm over 2 benchmarks)"
        );
    }
}
