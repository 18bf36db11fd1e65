//! Paired A/B rounds (`ab`): K rounds, each one short Criterion run per side saved as its own
//! baseline (`ab-old-<r>`, `ab-new-<r>`). Round r gives d_r = ln(median(new_r)/median(old_r));
//! the verdict comes from their spread: d̄ ± t_{K−1}·s/√K. Drift that hits both sides of a round
//! alike cancels in d_r, and the round-to-round spread s is exactly the noise the verdict must
//! beat, so no noise floor is assumed.

use std::path::Path;

use super::model::{Comparison, Entry};
use crate::compare;
use crate::criterion::{self, BenchDir, Measured};
use crate::error::{Error, Result};
use crate::noise::{Noise, Source};
use crate::stats;
use crate::verdict;

/// One sentence on how `ab` decides, printed with every comparison.
pub const ROUNDS_METHOD: &str = "K paired rounds, each one short Criterion run per side; d_r = ln(median(new_r)/median(old_r)) per round; d̄ ± t(K−1)·s/√K with s the SD of the d_r; regressed (improved) = the one-sided t-test that the change exceeds +T (−T) rejects at α = 0.05 after Holm's correction over all benchmarks; unchanged = the 95% interval lies within ±T; otherwise inconclusive. The interval shown with regressed (improved) is the one-sided bound at the Holm level that decided it, else the 95% interval. Regressed at 80% = the true change called regressed with at least 80% probability (one-sided at α/m, Holm's worst case over the m benchmarks; the uncertainty of se integrated over its degrees of freedom); unchanged at 80% = the true changes within ± which it is called unchanged with 80% probability (or, when not even no change is, the se that would take). Rounds for T = the K at which both a true change of 2T is called regressed and no change is called unchanged, each with 80% probability.";

/// The per-round data of one benchmark, or why it is not complete.
enum Rounds {
    /// In none of the baselines.
    Absent,
    /// Every baseline has a sample: (id, per-round medians, fewest samples in a round).
    Complete(String, Vec<f64>, usize),
    /// Some baselines have it, others do not: (id, the baselines without a sample).
    Partial(String, Vec<String>),
}

fn load_rounds(dir: &BenchDir, names: &[String]) -> Result<Rounds> {
    let mut id = None;
    let mut medians = Vec::new();
    let mut fewest = usize::MAX;
    let mut missing = Vec::new();
    for name in names {
        match criterion::load_measured(dir, name)? {
            Some(Measured {
                id: b,
                sample: Some(s),
                ..
            }) => {
                medians.push(stats::median(&s.per_iteration()));
                fewest = fewest.min(s.times.len());
                id = Some(b.full_id);
            }
            Some(m) => {
                id = Some(m.id.full_id);
                missing.push(name.clone());
            }
            None => missing.push(name.clone()),
        }
    }
    Ok(match id {
        None => Rounds::Absent,
        Some(id) if missing.is_empty() => Rounds::Complete(id, medians, fewest),
        Some(id) => Rounds::Partial(id, missing),
    })
}

/// `first … last` for a list of baseline names.
fn label(names: &[String]) -> String {
    match names {
        [one] => one.clone(),
        [first, .., last] => format!("{first} … {last}"),
        [] => String::new(),
    }
}

/// Compares paired rounds: baselines `old[r]` and `new[r]` under `criterion_dir` form round r.
/// Every benchmark present in all those baselines gets d_r per round, a t-interval with K − 1
/// degrees of freedom, the verdict rules of [`crate::verdict`] with Holm over all of them, its
/// power and the rounds each verdict would need ([`crate::verdict::power`]). Benchmarks in
/// some of the baselines only are listed as incomplete (or added/removed when a whole side
/// lacks them). The sides are labelled `first … last` baseline; callers may relabel them
/// (e.g. with the git revisions).
///
/// Fails with fewer than two rounds, unequal sides, a missing or empty Criterion directory, a
/// baseline no benchmark has, or a corrupt file.
pub fn from_rounds(
    criterion_dir: &Path,
    old: &[String],
    new: &[String],
    threshold_pct: f64,
) -> Result<Comparison> {
    compare::check_threshold(threshold_pct)?;
    if old.len() != new.len() || old.len() < 2 {
        return Err(Error::at(
            criterion_dir,
            format!(
                "paired rounds need the same number (at least 2) of old and new baselines, got {} and {}",
                old.len(),
                new.len()
            ),
        ));
    }
    let names: Vec<&str> = old.iter().chain(new).map(String::as_str).collect();
    let dirs = compare::discover_with(criterion_dir, &names)?;
    let k = old.len();
    let mut entries = Vec::new();
    let (mut added, mut removed, mut incomplete) = (Vec::new(), Vec::new(), Vec::new());
    let mut compared: Vec<(&BenchDir, String)> = Vec::new();
    for dir in &dirs {
        match (load_rounds(dir, old)?, load_rounds(dir, new)?) {
            (Rounds::Absent, Rounds::Absent) => {}
            (Rounds::Absent, Rounds::Complete(id, ..)) => added.push(id),
            (Rounds::Complete(id, ..), Rounds::Absent) => removed.push(id),
            (Rounds::Complete(id, mo, so), Rounds::Complete(_, mn, sn)) => {
                entries.push(entry(id.clone(), &mo, &mn, (so, sn)));
                compared.push((dir, id));
            }
            (a, b) => {
                // Some rounds lack it: name every baseline without a sample.
                let mut id = String::new();
                let mut lacking = Vec::new();
                for (r, names) in [(a, old), (b, new)] {
                    match r {
                        Rounds::Partial(i, missing) => {
                            id = i;
                            lacking.extend(missing);
                        }
                        Rounds::Complete(i, ..) => id = i,
                        Rounds::Absent => lacking.extend(names.iter().cloned()),
                    }
                }
                incomplete.push(format!("{id}: no sample.json in {}", lacking.join(", ")));
            }
        }
    }
    verdict::decide(&mut entries, threshold_pct);
    entries.sort_by(|x, y| x.id.cmp(&y.id));
    added.sort();
    removed.sort();
    incomplete.sort();
    let config = compare::side_by_side(&compared, &old[0], &new[0])?;
    Ok(Comparison {
        old: label(old),
        new: label(new),
        threshold_pct,
        method: ROUNDS_METHOD.to_string(),
        noise: if entries.is_empty() {
            Vec::new()
        } else {
            vec![format!(
                "{} benchmarks: the spread of {k} paired rounds",
                entries.len()
            )]
        },
        entries,
        added,
        removed,
        incomplete,
        config,
        warnings: Vec::new(),
    })
}

/// One benchmark from its per-round medians on each side, undecided.
fn entry(id: String, old: &[f64], new: &[f64], samples: (usize, usize)) -> Entry {
    let k = old.len();
    let d: Vec<f64> = old.iter().zip(new).map(|(o, n)| (n / o).ln()).collect();
    let s = stats::sd(&d);
    let df = Some((k - 1) as f64);
    let log_mean = |xs: &[f64]| stats::mean(&xs.iter().map(|x| x.ln()).collect::<Vec<_>>());
    Entry::new(
        id,
        log_mean(old).exp(),
        log_mean(new).exp(),
        stats::mean(&d),
        s / (k as f64).sqrt(),
        df,
        Noise {
            source: Source::PairedRounds,
            sd_log: s,
            runs: Some(k),
            df,
        },
        samples,
    )
}
