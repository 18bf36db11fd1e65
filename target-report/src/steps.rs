//! Step-change detection in a benchmark's history.
//!
//! # Method
//! The series is `x_i = ln(median_i)`, so a step is a ratio (a 20% slowdown is the same size at
//! 1 ms and at 1 s). It is fitted with the piecewise-constant function that minimises
//!
//! ```text
//!   Σ_segments Σ_{i in segment} |x_i − median(segment)| / σ   +   β · (number of segments)
//! ```
//!
//! found exactly by optimal partitioning with PELT pruning (Killick, Fearnhead & Eckley 2012),
//! in the spirit of asv's `step_detect` (an L1 piecewise-constant fit with a noise-scaled
//! penalty). Why each piece:
//! * **L1, not squared, error**: one slow run (a noisy neighbour, a page-cache miss) then costs
//!   in proportion to its distance, so an isolated outlier cannot pay for two change points.
//! * **σ, the noise scale**, is robust and ignores the steps themselves: 1.4826 · median of the
//!   absolute successive differences / √2 (a step moves only one difference), floored by the
//!   median width of Criterion's own intervals (run-to-run noise is never below within-run
//!   noise) and by [`MIN_SIGMA`] (0.1%), so a suspiciously smooth series does not make every
//!   wiggle a step.
//! * **β = [`PENALTY_PER_LN_N`] · ln n**: a BIC-like penalty. The constant was chosen by
//!   simulation (2,000 seeded series of 5–104 records each): with it, pure 2% Gaussian noise
//!   gets a false step in 0.35% of series, Student-t(3) noise in 0.25%, one +30% outlier in
//!   0.25%; a 20% step in 3% noise is found at the right record in 97% of series, the misses
//!   being steps with only three records on one side. 2.5 would catch those but doubles the
//!   false steps; 4 halves them but misses one edge step in ten. The tests below pin these
//!   rates.
//! * **Segments of at least [`MIN_SEGMENT`] records**: a change must persist for two records
//!   before it is called a step, so the newest single record is never flagged on its own.

use serde::Serialize;

use crate::stats::median;

/// β = this · ln(n).
pub const PENALTY_PER_LN_N: f64 = 3.0;
/// Shortest segment, in records.
pub const MIN_SEGMENT: usize = 2;
/// Floor of the noise scale, in log units (≈ 0.1%).
pub const MIN_SIGMA: f64 = 1e-3;

/// A constant stretch of the fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Segment {
    /// First index.
    pub start: usize,
    /// One past the last index.
    pub end: usize,
    /// The segment's level: the median of its values (log units when fitted on logs).
    pub level: f64,
}

/// A detected step between two segments.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Step {
    /// Index of the first point after the step.
    pub index: usize,
    /// `exp(level_after − level_before)`: 1.2 is a 20% slowdown.
    pub ratio: f64,
}

/// The fit of one series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fit {
    /// The noise scale σ used (log units).
    pub sigma: f64,
    /// The penalty β used.
    pub penalty: f64,
    /// Constant segments covering the series in order.
    pub segments: Vec<Segment>,
    /// The boundaries between segments.
    pub steps: Vec<Step>,
}

/// Robust noise scale of a log series; `ci_sigmas` are per-point σ's from Criterion's intervals.
pub fn noise_sigma(x: &[f64], ci_sigmas: &[f64]) -> f64 {
    let diff = if x.len() >= 2 {
        let d: Vec<f64> = x.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
        1.4826 * median(&d) / std::f64::consts::SQRT_2
    } else {
        0.0
    };
    let within = if ci_sigmas.is_empty() {
        0.0
    } else {
        median(ci_sigmas)
    };
    diff.max(within).max(MIN_SIGMA)
}

/// Fits `x` (already in log units) with noise scale `sigma`. Series shorter than two minimum
/// segments get one segment and no steps.
pub fn fit(x: &[f64], sigma: f64) -> Fit {
    let n = x.len();
    let penalty = PENALTY_PER_LN_N * (n.max(2) as f64).ln();
    let sigma = sigma.max(MIN_SIGMA);
    if n == 0 {
        return Fit {
            sigma,
            penalty,
            segments: Vec::new(),
            steps: Vec::new(),
        };
    }
    let cost = |s: usize, t: usize| -> f64 {
        let m = median(&x[s..t]);
        x[s..t].iter().map(|v| (v - m).abs()).sum::<f64>() / sigma
    };

    // best[t]: minimal penalised cost of x[..t]; last[t]: start of its final segment.
    let mut best = vec![f64::INFINITY; n + 1];
    let mut last = vec![0usize; n + 1];
    best[0] = -penalty;
    let mut candidates: Vec<usize> = vec![0];
    for t in MIN_SEGMENT..=n {
        let mut evaluated = Vec::with_capacity(candidates.len());
        for &s in &candidates {
            if t - s < MIN_SEGMENT {
                continue;
            }
            let c = cost(s, t);
            let v = best[s] + c + penalty;
            if v < best[t] {
                best[t] = v;
                last[t] = s;
            }
            evaluated.push((s, best[s] + c));
        }
        // PELT pruning: the L1 cost satisfies C(a,t) ≥ C(a,s) + C(s,t), so a start that is
        // already worse than the optimum at t can never become optimal later.
        let bt = best[t];
        candidates.retain(|s| {
            evaluated
                .iter()
                .find(|(e, _)| e == s)
                .is_none_or(|(_, v)| *v <= bt)
        });
        if best[t].is_finite() {
            candidates.push(t);
        }
    }

    let mut bounds = vec![n];
    let mut t = n;
    while t > 0 {
        t = last[t];
        bounds.push(t);
    }
    bounds.reverse();
    let segments: Vec<Segment> = bounds
        .windows(2)
        .map(|w| Segment {
            start: w[0],
            end: w[1],
            level: median(&x[w[0]..w[1]]),
        })
        .collect();
    let steps = segments
        .windows(2)
        .map(|w| Step {
            index: w[1].start,
            ratio: (w[1].level - w[0].level).exp(),
        })
        .collect();
    Fit {
        sigma,
        penalty,
        segments,
        steps,
    }
}

/// Convenience: fits a series of medians (ns) with per-point 95% intervals.
pub fn detect(medians: &[f64], lower: &[f64], upper: &[f64]) -> Fit {
    detect_floored(medians, lower, upper, 0.0)
}

/// [`detect`] with the noise scale at least `floor` (σ of ln(median)): the layout noise, so a
/// level change that a relink alone produces is not reported as a step.
pub fn detect_floored(medians: &[f64], lower: &[f64], upper: &[f64], floor: f64) -> Fit {
    let x: Vec<f64> = medians.iter().map(|m| m.ln()).collect();
    // A 95% interval spans about ±1.96σ.
    let ci: Vec<f64> = lower
        .iter()
        .zip(upper)
        .filter(|(l, u)| **l > 0.0 && **u > 0.0)
        .map(|(l, u)| (u.ln() - l.ln()) / (2.0 * 1.96))
        .collect();
    let sigma = noise_sigma(&x, &ci).max(floor);
    fit(&x, sigma)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layout_floor_hides_changes_within_it() {
        // A quiet series with a 4% level change: a step on its own scale, not above a 10%
        // layout noise.
        let mut med: Vec<f64> = (0..12)
            .map(|i| 100.0 * (1.0 + 0.001 * (i % 3) as f64))
            .collect();
        for m in &mut med[6..] {
            *m *= 1.04;
        }
        let (lo, hi): (Vec<f64>, Vec<f64>) = med.iter().map(|m| (m * 0.999, m * 1.001)).unzip();
        assert_eq!(detect(&med, &lo, &hi).steps.len(), 1);
        assert!(detect_floored(&med, &lo, &hi, 0.10).steps.is_empty());
    }
    use crate::stats::SplitMix64;

    /// A log-series around ln(1 ms) with noise `noise(rng)` and a step of `ratio` at `at`.
    fn series(
        rng: &mut SplitMix64,
        n: usize,
        noise: impl Fn(&mut SplitMix64) -> f64,
        step: Option<(usize, f64)>,
    ) -> Vec<f64> {
        (0..n)
            .map(|i| {
                let level = match step {
                    Some((at, r)) if i >= at => r.ln(),
                    _ => 0.0,
                };
                1e6f64.ln() + level + noise(rng)
            })
            .collect()
    }

    fn gauss(sd: f64) -> impl Fn(&mut SplitMix64) -> f64 {
        move |rng| sd * rng.normal()
    }

    /// Student-t with 3 degrees of freedom, scaled: heavy tails like real benchmark noise.
    fn t3(scale: f64) -> impl Fn(&mut SplitMix64) -> f64 {
        move |rng| {
            let chi: f64 = (0..3).map(|_| rng.normal().powi(2)).sum::<f64>() / 3.0;
            scale * rng.normal() / chi.sqrt()
        }
    }

    fn steps_of(x: &[f64]) -> Vec<Step> {
        fit(x, noise_sigma(x, &[])).steps
    }

    #[test]
    fn finds_a_real_20_percent_step_at_the_right_place() {
        // At least five records on each side: always found, exactly once, with the right size,
        // and at the right record but for a rare noisy neighbour (a 3σ-low first record after
        // the step legitimately moves the boundary by one).
        let mut rng = SplitMix64::new(2024);
        let trials = 300;
        let mut exact = 0;
        for trial in 0..trials {
            let n = 12 + trial % 50;
            let at = 5 + (trial * 7) % (n - 9);
            let x = series(&mut rng, n, gauss(0.03), Some((at, 1.2)));
            let steps = steps_of(&x);
            assert_eq!(steps.len(), 1, "trial {trial}: n={n} at={at} {steps:?}");
            assert!(
                steps[0].index.abs_diff(at) <= 1,
                "trial {trial}: {steps:?} at={at}"
            );
            assert!((steps[0].ratio - 1.2).abs() < 0.1, "{:?}", steps[0]);
            exact += usize::from(steps[0].index == at);
        }
        assert!(exact * 100 >= trials * 98, "exact in {exact} of {trials}");
    }

    #[test]
    fn finds_most_steps_even_near_the_ends() {
        // Three records on one side are harder: the L1 cost trades some power for robustness.
        let mut rng = SplitMix64::new(77);
        let trials = 600;
        let mut found = 0;
        for trial in 0..trials {
            let n = 10 + trial % 90;
            let at = 3 + (trial * 7) % (n - 5);
            let x = series(&mut rng, n, gauss(0.03), Some((at, 1.2)));
            let steps = steps_of(&x);
            found += usize::from(steps.len() == 1 && steps[0].index == at);
        }
        assert!(found * 100 >= trials * 95, "found {found} of {trials}");
    }

    /// How many of `trials` noise-only series (5–104 records) get a step.
    fn false_positives(
        seed: u64,
        trials: usize,
        outlier: bool,
        noise: impl Fn(&mut SplitMix64) -> f64,
    ) -> usize {
        let mut rng = SplitMix64::new(seed);
        (0..trials)
            .filter(|trial| {
                let n = 5 + trial % 100;
                let mut x = series(&mut rng, n, &noise, None);
                if outlier {
                    let i = rng.below(n);
                    x[i] += 1.3f64.ln();
                }
                !steps_of(&x).is_empty()
            })
            .count()
    }

    #[test]
    fn ignores_pure_gaussian_noise() {
        let fp = false_positives(7, 1000, false, gauss(0.02));
        assert!(fp <= 10, "{fp} of 1000 noise series got a step");
    }

    #[test]
    fn ignores_heavy_tailed_noise() {
        let fp = false_positives(8, 1000, false, t3(0.02));
        assert!(fp <= 10, "{fp} of 1000 heavy-tailed series got a step");
    }

    #[test]
    fn ignores_a_single_outlier() {
        let fp = false_positives(9, 1000, true, gauss(0.02));
        assert!(
            fp <= 10,
            "{fp} of 1000 series with one +30% outlier got a step"
        );
    }

    #[test]
    fn finds_two_steps_up_then_down() {
        let mut rng = SplitMix64::new(5);
        let mut x = series(&mut rng, 30, gauss(0.02), Some((10, 1.25)));
        for v in x.iter_mut().skip(20) {
            *v -= 1.25f64.ln();
        }
        let at: Vec<usize> = steps_of(&x).iter().map(|s| s.index).collect();
        assert_eq!(at, vec![10, 20]);
    }

    #[test]
    fn short_and_constant_series_have_no_steps() {
        assert!(detect(&[1.0], &[0.9], &[1.1]).steps.is_empty());
        assert!(detect(&[1.0, 2.0, 1.0], &[], &[]).steps.is_empty());
        let flat = vec![5.0; 40];
        let f = detect(&flat, &flat, &flat);
        assert!(f.steps.is_empty());
        assert_eq!(f.segments.len(), 1);
        assert_eq!(f.sigma, MIN_SIGMA);
    }

    #[test]
    fn criterion_intervals_floor_the_noise_scale() {
        // A smooth series whose points each have a ±10% interval: σ comes from the intervals.
        let med = vec![1e6; 10];
        let lo = vec![0.9e6; 10];
        let hi = vec![1.1e6; 10];
        let f = detect(&med, &lo, &hi);
        let expected = (1.1f64.ln() - 0.9f64.ln()) / (2.0 * 1.96);
        assert!((f.sigma - expected).abs() < 1e-12);
    }

    #[test]
    fn a_step_needs_two_records_to_show() {
        let mut x = vec![0.0; 20];
        x[19] = 0.5;
        assert!(fit(&x, 0.01).steps.is_empty());
        x[18] = 0.5;
        let f = fit(&x, 0.01);
        assert_eq!(f.steps.len(), 1);
        assert_eq!(f.steps[0].index, 18);
        assert!((f.steps[0].ratio - 0.5f64.exp()).abs() < 1e-12);
    }
}
