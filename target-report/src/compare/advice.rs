//! The one line every `compare` output carries on what a calibration would change: how many of
//! the benchmarks compared a `target-report calibrate --runs K` would let the gate call a true
//! change of 2T regressed (80% of the time, as the "regressed at 80%" column), against how many
//! these two runs already do, and about how long it would take here.
//!
//! What it assumes, from the current estimates: each benchmark's run-to-run σ is the one this
//! comparison used (calibration, history or the pair spread; where only the default was used,
//! the runs' own within-run SE, a lower bound, so the count is an upper bound and says "up
//! to"); a calibration of K runs measures it with K − 1 df, per benchmark, and `compare` then
//! uses se = √2·σ floored by the within-run SE, as for any calibration. 2T because a true
//! change of exactly T is called regressed at most α/m of the time, however good the noise
//! estimate (the same target as `ab`'s rounds for T).
//!
//! The time is the new run's own measured time per benchmark (the sum of its samples) plus
//! 2 s and four iterations for what a run adds around it (process start, warm-up, Criterion's
//! hand-over, the timeline run), times K: a calibration runs each benchmark at the sample
//! counts the compared runs had.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{Entry, Measurement};
use crate::format::format_duration_rough;
use crate::noise::{Noise, Source};
use crate::verdict::power::Rules;

/// Calibration sizes the line considers, smallest first: the first that beats the current
/// count is proposed (`calibrate`'s default is the first).
pub const CANDIDATE_RUNS: [usize; 4] = [5, 10, 20, 40];

/// Fixed cost of one benchmark's run beyond its samples, seconds.
const RUN_OVERHEAD_S: f64 = 2.0;

/// Iterations of a benchmark that a run adds to its samples (warm-up, timeline).
const EXTRA_ITERATIONS: f64 = 4.0;

/// The line, or `None` when nothing was decidable (or every candidate is no larger than the
/// calibration already used, `calibrated_runs`). `entries` are decided; `measured` the same
/// benchmarks' measurements, in any order.
pub fn calibrate_line(
    entries: &[Entry],
    measured: &[Measurement],
    threshold_pct: f64,
    calibrated_runs: Option<usize>,
) -> Option<String> {
    let by_id: BTreeMap<&str, &Measurement> = measured.iter().map(|m| (m.id.as_str(), m)).collect();
    let pairs: Vec<(&Entry, &Measurement)> = entries
        .iter()
        .filter_map(|e| Some((e, *by_id.get(e.id.as_str())?)))
        .filter(|(_, m)| m.decidable())
        .collect();
    if pairs.is_empty() || threshold_pct <= 0.0 {
        return None;
    }
    let target = 2.0 * threshold_pct / 100.0;
    let now = pairs.iter().filter(|(e, _)| e.mdc <= target).count();
    let candidates: Vec<usize> = CANDIDATE_RUNS
        .into_iter()
        .filter(|k| *k > calibrated_runs.unwrap_or(1))
        .collect();
    let m = entries.len();
    let counted: Vec<(usize, usize)> = candidates
        .iter()
        .map(|&k| (k, detected_after(&pairs, k, threshold_pct, m)))
        .collect();
    let &(runs, after) = counted
        .iter()
        .find(|(_, after)| *after > now)
        .or(counted.first())?;
    let upper = pairs.iter().any(|(e, _)| e.noise.source == Source::Default);
    let per_run: f64 = pairs.iter().map(|(_, m)| run_seconds(m)).sum();
    let duration = Duration::from_secs_f64(per_run * runs as f64);
    Some(format!(
        "calibrate: `target-report calibrate --runs {runs}` (about {} here) would call a +{}% change regressed in {}{after} of {} benchmarks; these two runs: {now}",
        format_duration_rough(duration),
        crate::format::trim_decimals(2.0 * threshold_pct),
        if upper { "up to " } else { "" },
        pairs.len(),
    ))
}

/// How many of `pairs` a calibration of `runs` runs would let the gate call a true change of
/// 2T regressed with 80% probability, among `m` benchmarks.
fn detected_after(
    pairs: &[(&Entry, &Measurement)],
    runs: usize,
    threshold_pct: f64,
    m: usize,
) -> usize {
    let mut rules: Vec<(Option<u64>, Rules)> = Vec::new();
    let target = 2.0 * threshold_pct / 100.0;
    pairs
        .iter()
        .filter(|(e, meas)| {
            let calibrated = meas.entry(Noise {
                source: Source::Calibration,
                sd_log: sigma_run(e, meas),
                runs: Some(runs),
                df: Some((runs - 1) as f64),
                layout: e.noise.layout,
            });
            let key = calibrated.df.map(f64::to_bits);
            let at = match rules.iter().position(|r| r.0 == key) {
                Some(at) => at,
                None => {
                    rules.push((key, Rules::new(calibrated.df, m)));
                    rules.len() - 1
                }
            };
            rules[at].1.power(calibrated.se, threshold_pct).regressed_at <= target
        })
        .count()
}

/// The best current guess of a benchmark's σ_run: the one the comparison used, or where that
/// was the default, the within-run SE per run (w/√2), a lower bound.
fn sigma_run(e: &Entry, m: &Measurement) -> f64 {
    match e.noise.source {
        Source::Default => m.within_se / std::f64::consts::SQRT_2,
        _ => e.noise.sd_log,
    }
}

/// One calibration run of benchmark `m`, seconds (see the module doc).
fn run_seconds(m: &Measurement) -> f64 {
    m.new_run_ns / 1e9 + RUN_OVERHEAD_S + EXTRA_ITERATIONS * m.new_median_ns / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::decide_measured;
    use crate::noise::NoiseFloor;

    /// `n` benchmarks of 10 samples a side with within-run SE `w`, changes alternating ±w/2.
    fn measured(n: usize, w: f64) -> Vec<Measurement> {
        (0..n)
            .map(|i| Measurement {
                id: format!("g/f{i}"),
                old_median_ns: 1e6,
                new_median_ns: 1e6 * (if i % 2 == 0 { w } else { -w } / 2.0).exp(),
                log_change: if i % 2 == 0 { w } else { -w } / 2.0,
                within_se: w,
                samples: (10, 10),
                new_run_ns: 10.0 * 1e6,
            })
            .collect()
    }

    #[test]
    fn the_line_proposes_the_smallest_calibration_that_sees_more_and_its_time() {
        let m = measured(10, 0.01);
        let floor = NoiseFloor::load(None, None, None).unwrap();
        let (entries, pair) = decide_measured(&m, 5.0, &floor);
        assert!(pair.inflation.is_some());
        let line = calibrate_line(&entries, &m, 5.0, None).unwrap();
        // λ = 1 here (the changes are half their SEs), with 9 df: these two runs see +10%
        // nowhere (se 1% at 4.5 df, 10 benchmarks), nor does a calibration of 5 runs (4 df);
        // one of 10 runs (9 df, the same σ) sees it everywhere. 10 runs × 10 benchmarks ×
        // (10 ms + 2 s + 4 ms) ≈ 3.4 min.
        assert_eq!(
            line,
            "calibrate: `target-report calibrate --runs 10` (about 3 min here) would call a +10% change regressed in 10 of 10 benchmarks; these two runs: 0"
        );
        // Nothing decidable: no line.
        let mut few = m.clone();
        for x in &mut few {
            x.samples = (2, 2);
        }
        let (entries, _) = decide_measured(&few, 5.0, &floor);
        assert_eq!(calibrate_line(&entries, &few, 5.0, None), None);
    }

    #[test]
    fn where_only_the_default_was_used_the_count_is_an_upper_bound() {
        let m = measured(3, 0.005);
        let floor = NoiseFloor::load(None, None, None).unwrap();
        let (entries, pair) = decide_measured(&m, 5.0, &floor);
        assert_eq!(pair.inflation, None);
        let line = calibrate_line(&entries, &m, 5.0, None).unwrap();
        assert!(
            line.contains("would call a +10% change regressed in up to 3 of 3"),
            "{line}"
        );
    }
}
