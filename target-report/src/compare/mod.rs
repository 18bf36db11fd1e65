//! The model of `compare` and `ab`: every benchmark in two baselines (or two sets of paired
//! rounds), the change of its median with an interval that includes the run-to-run noise, a
//! verdict, the changes the rules could see there, and where the noise estimate came from.
//!
//! `compare OLD NEW` on two plain runs ([`build`]): d = ln(median_new/median_old) from the two
//! `sample.json` files (per-iteration times) and w, the two runs' own bootstrap standard errors
//! of the log median combined in quadrature ([`Measurement`]). se = √2·σ_run with σ_run from
//! the [`crate::noise`] floor (calibration or history), else λ·w with λ learned from the spread
//! of these two runs' changes ([`crate::noise::pair`]), else the default — √(2σ²_run +
//! 2σ²_layout) where `cb-layout.json` knows the benchmark's code-placement noise — floored by
//! w with min(samples) − 1 df (a run whose own samples are noisier than σ_run says so).
//! [`crate::verdict::decide`] turns (d, se, df) into [`Entry`]s' verdicts with Holm's correction over all
//! benchmarks compared. Paired rounds (`ab`) produce the same model through [`from_rounds`].
//! Criterion's own verdict is not reused: it knows only one run's samples and never sets an
//! exit code.
//!
//! * `model` — the [`Comparison`] of [`Entry`]s (each decided by [`crate::verdict`]), shared
//!   by both.
//! * `rounds` — reading paired A/B rounds into that model ([`from_rounds`]).
//! * `config` — the two sides' settings side by side ([`side_by_side`]).
//! * [`advice`] — the one line on what a calibration would change.

pub mod advice;
mod config;
mod model;
mod rounds;
#[cfg(test)]
mod simulation;

use std::path::Path;

pub use crate::verdict::{DecisionInterval, Entry, Verdict, FEW_SAMPLES};
pub use config::{side_by_side, ConfigRow, Configs};
pub use model::Comparison;
#[cfg(test)]
pub(crate) use rounds::entry as paired_entry;
pub use rounds::{
    from_rounds, from_rounds_with_layout, from_sequential_rounds, rounds_method, PerRound,
};

use crate::criterion::{self, BenchDir, Measured};
use crate::error::{Error, Result};
use crate::noise::{Noise, NoiseFloor, PairSpread};
use crate::stats;
use crate::verdict;

/// One sentence on how `compare` decides, printed with every comparison.
pub const METHOD: &str = "d = ln(median(new)/median(old)) of the per-iteration times in sample.json; w = both runs' own bootstrap SE of ln(median) in quadrature; se = sqrt(2)·σ_run, the run-to-run SD of ln(median) from cb-calibration.json, else from ≥3 runs of one commit on one machine in the history, else se = λ·w with λ ≥ 1 the robust spread of d/w over the benchmarks compared (≥5 of them; changes beyond 3 robust SDs set aside), else a default of 10% per run (--noise-default PCT sets a fixed σ_run instead of λ); se is floored by w (min(samples) − 1 df); regressed (improved) = the one-sided t-test that the change exceeds +T (−T) rejects at α = 0.05 after Holm's correction over all benchmarks; unchanged = the 95% interval lies within ±T; otherwise inconclusive. The interval shown with regressed (improved) is the one-sided bound at the Holm level that decided it, else the 95% interval. Regressed at 80% = the true change called regressed with at least 80% probability (one-sided at α/m, Holm's worst case over the m benchmarks; the uncertainty of se integrated over its degrees of freedom); unchanged at 80% = the true changes within ± which it is called unchanged with 80% probability (or, when not even no change is, the se that would take).";

/// Default `--threshold`, percent.
pub const DEFAULT_THRESHOLD_PCT: f64 = 5.0;

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
    require_baselines(
        criterion_dir,
        criterion::discover(criterion_dir)?,
        baselines,
    )
}

/// [`discover_with`] for directories already discovered under `criterion_dir`.
pub fn require_baselines(
    criterion_dir: &Path,
    dirs: Vec<BenchDir>,
    baselines: &[&str],
) -> Result<Vec<BenchDir>> {
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
/// noise from `floor` (or, where it knows nothing, from the two runs' own spread).
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
    let mut measured = Vec::new();
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
                    let mut m =
                        Measurement::of(id.clone(), &sa.per_iteration(), &sb.per_iteration());
                    m.new_run_ns = sb.times.iter().sum();
                    measured.push(m);
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
    let (entries, pair) = decide_measured(&measured, threshold_pct, floor);
    added.sort();
    removed.sort();
    let config = side_by_side(&compared, old, new)?;
    let mut noise = floor.describe_sources(entries.iter().map(|e| &e.noise), &pair);
    noise.extend(floor.layout_source(entries.iter().map(|e| e.id.as_str())));
    noise.extend(advice::calibrate_line(
        &entries,
        &measured,
        threshold_pct,
        floor.calibration.as_ref().map(|(_, c)| c.runs),
    ));
    let mut warnings = floor.warnings.clone();
    warnings.extend(same_run_twice(&measured));
    Ok(Comparison {
        old: old.to_string(),
        new: new.to_string(),
        threshold_pct,
        method: METHOD.to_string(),
        noise,
        entries,
        added,
        removed,
        incomplete,
        config,
        warnings,
    })
}

/// The decided entries of `measured`, sorted by id, and the pair spread their noise may have
/// come from: every benchmark's noise from `floor`, λ estimated from all the decidable ones.
pub fn decide_measured(
    measured: &[Measurement],
    threshold_pct: f64,
    floor: &NoiseFloor,
) -> (Vec<Entry>, PairSpread) {
    let (mut entries, pair) = undecided(measured, floor);
    verdict::decide(&mut entries, threshold_pct);
    entries.sort_by(|x, y| x.id.cmp(&y.id));
    (entries, pair)
}

/// The entries of `measured` with their noise, in the same order, not yet decided.
fn undecided(measured: &[Measurement], floor: &NoiseFloor) -> (Vec<Entry>, PairSpread) {
    let z: Vec<f64> = measured.iter().map(Measurement::standardised).collect();
    let ids: Vec<&str> = measured.iter().map(|m| m.id.as_str()).collect();
    let pair = PairSpread::estimate(&ids, &z);
    let entries = measured
        .iter()
        .map(|m| {
            let noise = floor.for_measured(&m.id, m.within_se, m.samples, pair.inflation.as_ref());
            m.entry(noise)
        })
        .collect();
    (entries, pair)
}

/// A warning when every decidable benchmark has exactly the same median on both sides: the same
/// run under two names (Criterion writes `new/` and the saved baseline in one run), whose
/// spread says nothing about the noise between runs.
fn same_run_twice(measured: &[Measurement]) -> Option<String> {
    let decidable: Vec<&Measurement> = measured.iter().filter(|m| m.decidable()).collect();
    (decidable.len() > 1 && decidable.iter().all(|m| m.log_change == 0.0)).then(|| {
        "every benchmark has the same median on both sides: one run under two names? Compare two separate runs".to_string()
    })
}

fn missing_sides(a: &Measured, b: &Measured, old: &str, new: &str) -> String {
    match (a.sample.is_none(), b.sample.is_none()) {
        (true, true) => format!("{old} or {new}"),
        (true, false) => old.to_string(),
        _ => new.to_string(),
    }
}

/// One benchmark of two plain runs, measured but not yet given its noise.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// Criterion's full id.
    pub id: String,
    /// Median per-iteration time of the old side, ns.
    pub old_median_ns: f64,
    /// Median per-iteration time of the new side, ns.
    pub new_median_ns: f64,
    /// d = ln(new/old).
    pub log_change: f64,
    /// w: the two runs' own bootstrap SEs of ln(median), in quadrature.
    pub within_se: f64,
    /// Samples on the old and new side.
    pub samples: (usize, usize),
    /// The new run's measured time, ns (the sum of its samples' times; 0 when not known): what
    /// a calibration run of this benchmark costs, warm-up aside.
    pub new_run_ns: f64,
}

impl Measurement {
    /// Medians, change and within-run SE of per-iteration times `old` and `new`
    /// ([`stats::SE_RESAMPLES`] bootstrap resamples per side, seeded by `id`).
    ///
    /// # Panics
    /// On an empty sample (the loaders refuse those).
    pub fn of(id: String, old: &[f64], new: &[f64]) -> Measurement {
        Measurement::with_resamples(id, old, new, stats::SE_RESAMPLES)
    }

    /// [`Measurement::of`] with `resamples` bootstrap resamples per side.
    pub fn with_resamples(id: String, old: &[f64], new: &[f64], resamples: usize) -> Measurement {
        let (mo, mn) = (stats::median(old), stats::median(new));
        let seed = stats::seed_for(&id);
        let within = stats::bootstrap_se_log_median(old, resamples, seed)
            .hypot(stats::bootstrap_se_log_median(new, resamples, !seed));
        Measurement {
            id,
            old_median_ns: mo,
            new_median_ns: mn,
            log_change: (mn / mo).ln(),
            within_se: within,
            samples: (old.len(), new.len()),
            new_run_ns: 0.0,
        }
    }

    /// Whether both sides have enough samples to decide anything ([`FEW_SAMPLES`]).
    pub fn decidable(&self) -> bool {
        self.samples.0.min(self.samples.1) >= FEW_SAMPLES
    }

    /// z = d/w, what the pair spread is learned from; NaN when not decidable or w is 0.
    pub fn standardised(&self) -> f64 {
        if self.decidable() && self.within_se > 0.0 {
            self.log_change / self.within_se
        } else {
            f64::NAN
        }
    }

    /// The undecided entry with run-to-run `noise`: se² = 2σ²_run (+ 2σ²_layout), floored by
    /// the within-run SE w with [`crate::noise::pair::within_run_df`] df.
    pub fn entry(&self, noise: Noise) -> Entry {
        // se² = 2σ²_run, plus 2σ²_layout where the layout noise is known: each side's binary
        // is one draw of a code placement.
        let run_var = 2.0 * noise.sd_log.powi(2);
        let (between, between_df) = match &noise.layout {
            Some(t) => t.add_to(run_var, noise.df, 2.0),
            None => (run_var.sqrt(), noise.df),
        };
        // Only beyond rounding: the pair spread's √(2·(λw/√2)²) at λ = 1 is w itself.
        let floored = self.within_se > between * (1.0 + 1e-9);
        let (se, df) = if floored {
            (
                self.within_se,
                Some(crate::noise::pair::within_run_df(self.samples)),
            )
        } else {
            (between, between_df)
        };
        let mut e = Entry::new(
            self.id.clone(),
            self.old_median_ns,
            self.new_median_ns,
            self.log_change,
            se,
            df,
            noise,
            self.samples,
        );
        e.within_run_floor = floored;
        e
    }
}

/// One benchmark of two plain runs, undecided: per-iteration times `old` and `new`, and the
/// benchmark's run-to-run `noise`.
///
/// # Panics
/// On an empty sample (the loaders refuse those).
pub fn entry(id: String, old: &[f64], new: &[f64], noise: Noise) -> Entry {
    Measurement::of(id, old, new).entry(noise)
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
            layout: None,
        }
    }

    #[test]
    fn noise_floor_and_within_run_floor() {
        let mut rng = SplitMix64::new(1);
        let old: Vec<f64> = (0..20).map(|_| 1e6 * (1.0 + 0.02 * rng.normal())).collect();
        let slow: Vec<f64> = old.iter().map(|x| x * 1.5).collect();
        // Tight calibration: the runs' own spread (~0.6% SE per side) is the larger.
        let e = entry("g/f".into(), &old, &slow, calibrated(0.001, 10));
        // The bootstrap SE of a median of 20 samples is itself uncertain: 19 df.
        assert!(e.within_run_floor && e.df == Some(19.0), "{e:?}");
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
