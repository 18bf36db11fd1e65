//! The run-to-run noise of *this* pair of runs, learned from the comparison itself when no
//! calibration or history knows a benchmark (the third source of [`super::NoiseFloor`]).
//!
//! # Why it can be learned
//! Most benchmarks do not change between two runs, so their changes d_i = ln(median_new /
//! median_old) are noise, and their spread bounds how far *these* two runs moved apart. The
//! noise differs a lot between benchmarks (per-run SDs of 0.24–2.7% for the I/O strategies and
//! 0.36–5.7% for the CPU ones, measured here), so one pooled σ would under-state the noisy
//! benchmarks and call their noise regressions. Each change is therefore standardised by its
//! own within-run standard error w_i (both runs' bootstrap SEs of ln(median), in quadrature):
//! z_i = d_i / w_i. If the run-to-run noise is the within-run noise inflated by a common factor
//! λ, the z_i spread as λ·N(0, 1), and the noise of each benchmark is se_i = λ·w_i.
//!
//! # The estimate ([`inflation`])
//! 1. A robust first guess, s₀ = 1.4826·median|z_i| (the MAD about 0: an A/A change is centred
//!    on no change, and a machine-wide drift between the runs must count as noise, not be
//!    subtracted).
//! 2. Benchmarks with |z_i| > [`SCREEN`]·s₀ are set aside: real changes, or benchmarks far
//!    noisier than their samples show. They must not inflate λ.
//! 3. λ = max(1, [`TRUNCATION`]·√(mean z_i² over the rest)), with k − 1 degrees of freedom for
//!    k benchmarks kept. (The MAD alone has 37% efficiency, about 0.37·(k − 1) df; the
//!    screened mean square keeps nearly all of the k − 1. A prototype of the simulation below,
//!    300 pairs, found a +15% I/O change in 73% of pairs with it against 66% with the MAD, at
//!    no false regression either way.) λ ≥ 1: two runs never vary less than their own samples
//!    say.
//! 4. Each benchmark's se_i = λ·w_i, with the df of the two uncertain factors combined,
//!    1/(1/df_λ + 1/df_w), df_w = [`within_run_df`]: a Student-t interval, not the normal.
//!
//! With fewer than [`MIN_BENCHMARKS`] usable benchmarks there is nothing to learn from, and
//! `compare` falls back to the conservative default and says so.
//!
//! # How well it holds (`compare::simulation`, seeded)
//! 1,000 simulated A/A pairs of a 30-benchmark suite (10 I/O at 10 samples, 10 + 10 CPU at
//! 20 and 12), each benchmark's per-run noise drawn from the measured ranges above and its
//! ratio of run-to-run to within-run noise from 1 to 4 (log-uniform): 3 pairs (0.3%) had a
//! false *regressed* (asserted ≤ 5%); with one I/O benchmark +15% it was called regressed in
//! 737 pairs and another benchmark in 5. The assumption that fails gracefully is a common λ:
//! a benchmark whose run-to-run noise is far above λ times its within-run noise is
//! under-stated (ratios up to 8: 1.6% of pairs with a false regression). A change that moves
//! every benchmark alike cannot be told from a machine-wide drift by one pair: it inflates λ
//! instead. Pooled over the comparison rather than per kind: per kind, fewer benchmarks give
//! λ fewer df and cost more power (prototype: 59% against 73% found) than the pooled estimate
//! loses when the kinds' ratios differ (ratios 4× apart between the kinds still gave ≤ 3% of
//! pairs a false regression).

use serde::Serialize;

use crate::format::{fmt_x, sig3};

/// Benchmarks with a usable z (decidable, with a within-run SE above zero) below which the
/// pair's own spread is not estimated.
pub const MIN_BENCHMARKS: usize = 5;

/// Standardised changes beyond this many robust SDs are set aside from the estimate.
pub const SCREEN: f64 = 3.0;

/// The MAD of a normal sample times this estimates its SD.
const MAD_TO_SD: f64 = 1.4826;

/// 1/√E[z² | |z| ≤ 3] for a standard normal: the mean square of what the screen keeps is
/// short of the variance by that much (E = 1 − 6φ(3)/(2Φ(3) − 1) = 0.9733).
pub const TRUNCATION: f64 = 1.0136;

/// How much more two runs differ than their own samples say, learned from the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Inflation {
    /// λ ≥ 1: each benchmark's se of the change is λ times its within-run SE.
    pub factor: f64,
    /// Degrees of freedom of λ: the benchmarks kept, minus one.
    pub df: f64,
    /// Benchmarks kept in the estimate.
    pub kept: usize,
    /// Benchmarks set aside by the screen (changed, or far noisier than their samples).
    pub set_aside: usize,
    /// The screen: |z| beyond this was set aside.
    pub cut: f64,
}

/// What a comparison's own spread gave: λ, or why not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairSpread {
    /// Benchmarks with a usable z (decidable, within-run SE above zero).
    pub usable: usize,
    /// λ; `None` with fewer than [`MIN_BENCHMARKS`] usable benchmarks.
    pub inflation: Option<Inflation>,
    /// The ids the screen set aside, largest |z| first: their verdicts rest on λ times their
    /// own within-run SE although their change is far outside what the others show — a real
    /// change, or a benchmark noisier than its samples, which one pair cannot tell apart.
    pub set_aside: Vec<String>,
}

impl PairSpread {
    /// The spread of the standardised changes `z` of the benchmarks `ids` (non-finite values
    /// are not usable).
    pub fn estimate(ids: &[&str], z: &[f64]) -> PairSpread {
        let inflation = inflation(z);
        let mut aside: Vec<(f64, &str)> = match &inflation {
            Some(i) => ids
                .iter()
                .zip(z)
                .filter(|(_, z)| z.abs() > i.cut)
                .map(|(id, z)| (z.abs(), *id))
                .collect(),
            None => Vec::new(),
        };
        aside.sort_by(|a, b| b.0.total_cmp(&a.0));
        PairSpread {
            usable: z.iter().filter(|x| x.is_finite()).count(),
            inflation,
            set_aside: aside.into_iter().map(|(_, id)| id.to_string()).collect(),
        }
    }

    /// The noise sentence for the `n` benchmarks whose noise came from it.
    pub fn sentence(&self, n: usize) -> String {
        let Some(i) = self.inflation else {
            return format!("{n} benchmarks: the spread of these two runs");
        };
        let spread = if i.factor > 1.0 {
            format!(
                "are {} what their own samples predict (λ = {}",
                fmt_x(i.factor),
                sig3(i.factor)
            )
        } else {
            "are no larger than their own samples predict (λ = 1".to_string()
        };
        format!(
            "{n} benchmarks: the noise of these two runs themselves: the changes of {} benchmarks {spread}, {} df{}); each benchmark's se = λ × its within-run SE (no calibration or history for them; --noise-default PCT sets a fixed σ_run instead)",
            i.kept,
            i.df,
            match i.set_aside {
                0 => String::new(),
                k => format!(
                    "; {k} set aside beyond {SCREEN} robust SDs as changed or noisier than their samples: {}{}",
                    self.set_aside.iter().take(3).cloned().collect::<Vec<_>>().join(", "),
                    if k > 3 { ", …" } else { "" }
                ),
            }
        )
    }
}

/// λ from the standardised changes `z` (d_i / w_i of the decidable benchmarks); `None` with
/// fewer than [`MIN_BENCHMARKS`] finite values.
pub fn inflation(z: &[f64]) -> Option<Inflation> {
    let z: Vec<f64> = z.iter().copied().filter(|x| x.is_finite()).collect();
    if z.len() < MIN_BENCHMARKS {
        return None;
    }
    let abs: Vec<f64> = z.iter().map(|x| x.abs()).collect();
    let first_guess = MAD_TO_SD * crate::stats::median(&abs);
    let cut = SCREEN * first_guess;
    let kept: Vec<f64> = abs.into_iter().filter(|a| *a <= cut).collect();
    let mean_square = kept.iter().map(|a| a * a).sum::<f64>() / kept.len() as f64;
    Some(Inflation {
        factor: (TRUNCATION * mean_square.sqrt()).max(1.0),
        df: (kept.len() - 1) as f64,
        kept: kept.len(),
        set_aside: z.len() - kept.len(),
        cut,
    })
}

/// Degrees of freedom of a within-run SE of d from samples of `n_old` and `n_new`: the
/// smaller count minus one. The bootstrap SE of a median of 10–20 samples is itself uncertain
/// (simulated, both sides in quadrature: a coefficient of variation of 0.21–0.24, about 9–11
/// df), and d/ŵ has heavier tails than the normal: at n = 10 beyond 2.98 in 1% of cases and
/// beyond 3.41 in 0.3% (normal: 2.58 and 2.97; t₉: 3.25 and 4.02), at n = 20 beyond 2.80 and
/// 3.32 (t₁₉: 2.86 and 3.40). Student's t with n − 1 df holds at every level checked (the test
/// `the_within_run_se_needs_t_with_n_minus_1_df` below); the normal does not.
pub fn within_run_df(samples: (usize, usize)) -> f64 {
    (samples.0.min(samples.1).max(2) - 1) as f64
}

/// The df of se = λ·w: λ's and w's uncertainties combined, 1/(1/df_λ + 1/df_w) (their relative
/// variances, 1/(2·df) each, add).
pub fn combined_df(df_inflation: f64, df_within: f64) -> f64 {
    1.0 / (1.0 / df_inflation + 1.0 / df_within)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::dist::t_quantile;
    use crate::stats::{bootstrap_se_log_median, median, SplitMix64};

    #[test]
    fn a_common_inflation_is_recovered_and_real_changes_do_not_inflate_it() {
        let mut rng = SplitMix64::new(3);
        let mut z: Vec<f64> = (0..30).map(|_| 2.0 * rng.normal()).collect();
        let clean = inflation(&z).unwrap();
        assert!((clean.factor - 2.0).abs() < 0.6, "{clean:?}");
        assert_eq!((clean.kept, clean.df), (30, 29.0));
        // Three benchmarks changed by 40 of their within-run SEs: set aside, λ as before.
        for x in z.iter_mut().take(3) {
            *x += 40.0;
        }
        let changed = inflation(&z).unwrap();
        assert_eq!((changed.set_aside, changed.kept), (3, 27));
        assert!((changed.factor - clean.factor).abs() < 0.3, "{changed:?}");
    }

    #[test]
    fn too_few_benchmarks_learn_nothing_and_lambda_is_at_least_one() {
        assert_eq!(inflation(&[0.1, -0.2, 0.3, f64::NAN]), None);
        let p = PairSpread::estimate(&["a", "b", "c", "d", "e"], &[0.1, -0.2, 0.3, f64::NAN, 0.0]);
        assert_eq!((p.usable, p.inflation), (4, None));
        // Changes smaller than the samples say: two runs never vary less than that.
        let tiny = inflation(&[0.1, -0.2, 0.3, -0.1, 0.05]).unwrap();
        assert_eq!(tiny.factor, 1.0);
        // The same run twice: every z is 0.
        assert_eq!(inflation(&[0.0; 8]).unwrap().factor, 1.0);
    }

    #[test]
    fn the_within_run_se_needs_t_with_n_minus_1_df() {
        // Two runs of n normal samples with no difference between runs: d/w is the statistic
        // the within-run floor tests. Its tails beyond the 99% two-sided quantile: t with
        // n − 1 df keeps them at or below 1%, the normal does not.
        let mut rng = SplitMix64::new(4);
        for n in [10usize, 20] {
            let reps: u64 = 2_000;
            let t = t_quantile(0.995, Some(within_run_df((n, n))));
            let z = t_quantile(0.995, None);
            let (mut beyond_t, mut beyond_z) = (0, 0);
            for r in 0..reps {
                let mut side = |seed: u64| {
                    let xs: Vec<f64> = (0..n).map(|_| (0.01 * rng.normal()).exp()).collect();
                    (median(&xs).ln(), bootstrap_se_log_median(&xs, 400, seed))
                };
                let (a, wa) = side(2 * r);
                let (b, wb) = side(2 * r + 1);
                let stat = ((b - a) / wa.hypot(wb)).abs();
                beyond_t += u64::from(stat > t);
                beyond_z += u64::from(stat > z);
            }
            assert!(beyond_t <= reps / 100, "n = {n}: {beyond_t} beyond t");
            assert!(
                beyond_z > reps / 100,
                "n = {n}: {beyond_z} beyond the normal's"
            );
            // The README quotes n = 10: 0.65% beyond t₉'s quantile, 1.85% beyond the normal's.
            if n == 10 {
                assert_eq!((beyond_t, beyond_z), (13, 37));
            }
        }
    }
}
