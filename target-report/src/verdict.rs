//! The verdicts of `compare` and `ab`: one statistical rule for a change measured with a
//! standard error, whatever produced it (two plain runs and a noise floor, or paired rounds).
//!
//! A change is the log ratio d = ln(median_new / median_old), with standard error `se` and `df`
//! degrees of freedom (`None` = infinitely many: the normal). At threshold T (percent) and
//! t = ln(1 + T/100), with α = [`ALPHA`]:
//! * **regressed** — the one-sided test of H0 "d ≤ t" is rejected after Holm's step-down
//!   correction over every benchmark compared: the change is shown to *exceed* +T, not merely
//!   estimated above it;
//! * **improved** — the same for H0 "d ≥ −t", Holm over the improvement tests;
//! * **unchanged** — the 95% interval d ± t_{0.975,df}·se lies within [−t, +t];
//! * **inconclusive** — none of these: the data can neither show a change beyond T nor rule it
//!   out.
//!
//! Each benchmark also gets its minimum detectable change at 80% power (α two-sided, same se
//! and df): exp((t_{1−α/2} + t_{0.8})·se) − 1, and for paired rounds the rounds K' that would
//! make that reach T ([`rounds_needed`]).

pub mod dist;
use crate::compare::model::{Entry, Verdict, FEW_SAMPLES};
use crate::stats::Interval;
use dist::{t_cdf, t_quantile};

/// The false-alarm rate of each family of tests (regressions, improvements), after Holm.
pub const ALPHA: f64 = 0.05;

/// The power at which the minimum detectable change is computed.
pub const POWER: f64 = 0.8;

/// Holm's step-down adjusted p-values (Holm 1979): sort ascending, multiply the i-th smallest
/// (0-based) by m − i, carry the running maximum, cap at 1. A hypothesis is rejected when its
/// adjusted p-value is ≤ α; this controls the chance of *any* false rejection at α, for any
/// dependence between the tests.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut adjusted = vec![1.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

/// One-sided p-value of H0 "d ≤ t" (no regression beyond the threshold).
pub fn p_regressed(d: f64, se: f64, df: Option<f64>, t: f64) -> f64 {
    if se > 0.0 {
        1.0 - t_cdf((d - t) / se, df)
    } else if d > t {
        0.0
    } else {
        1.0
    }
}

/// One-sided p-value of H0 "d ≥ −t" (no improvement beyond the threshold).
pub fn p_improved(d: f64, se: f64, df: Option<f64>, t: f64) -> f64 {
    if se > 0.0 {
        t_cdf((d + t) / se, df)
    } else if d < -t {
        0.0
    } else {
        1.0
    }
}

/// The two-sided (1 − α) interval of the log change.
pub fn log_interval(d: f64, se: f64, df: Option<f64>) -> (f64, f64) {
    let q = t_quantile(1.0 - ALPHA / 2.0, df);
    (d - q * se, d + q * se)
}

/// The minimum detectable change (a fraction: 0.05 = 5%) at [`POWER`], two-sided α.
pub fn mdc(se: f64, df: Option<f64>) -> f64 {
    ((t_quantile(1.0 - ALPHA / 2.0, df) + t_quantile(POWER, df)) * se).exp() - 1.0
}

/// The smallest number of paired rounds K' ≥ 2 whose minimum detectable change reaches the
/// threshold, for rounds whose log ratios have SD `sd`: (t_{.975,K'−1} + t_{.8,K'−1})·sd/√K' ≤
/// ln(1 + T). The left side falls with K', so a binary search finds it. `None` when the
/// threshold is 0 (nothing finite can detect it).
pub fn rounds_needed(sd: f64, threshold_pct: f64) -> Option<u64> {
    let t = (1.0 + threshold_pct / 100.0).ln();
    if !(t > 0.0 && sd.is_finite()) {
        return None;
    }
    let reaches = |k: u64| {
        let df = Some((k - 1) as f64);
        (t_quantile(1.0 - ALPHA / 2.0, df) + t_quantile(POWER, df)) * sd / (k as f64).sqrt() <= t
    };
    if reaches(2) {
        return Some(2);
    }
    let (mut lo, mut hi) = (2u64, 4u64);
    while !reaches(hi) {
        lo = hi;
        hi = hi.checked_mul(2)?;
    }
    // reaches(hi) and not reaches(lo).
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if reaches(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// Decides every entry from its `log_change`, `se` and `df`: the 95% interval of the change,
/// the Holm-adjusted one-sided p-values, the verdict and the minimum detectable change. The
/// Holm families are all of `entries`, so call it once with every benchmark compared.
pub fn decide(entries: &mut [Entry], threshold_pct: f64) {
    let t = (1.0 + threshold_pct / 100.0).ln();
    // A side with fewer than FEW_SAMPLES samples (Criterion's `--quick` keeps 2, at different
    // iteration counts) is no distribution: such a benchmark is never called regressed,
    // improved or unchanged.
    let decidable = |e: &Entry| e.samples.0.min(e.samples.1) >= FEW_SAMPLES;
    let raw = |p: fn(f64, f64, Option<f64>, f64) -> f64| -> Vec<f64> {
        entries
            .iter()
            .map(|e| {
                if decidable(e) {
                    p(e.log_change, e.se, e.df, t)
                } else {
                    1.0
                }
            })
            .collect()
    };
    let (raw_up, raw_down) = (raw(p_regressed), raw(p_improved));
    let up = holm(&raw_up);
    let down = holm(&raw_down);
    for (i, e) in entries.iter_mut().enumerate() {
        let (lo, hi) = log_interval(e.log_change, e.se, e.df);
        e.change = Interval {
            point: e.log_change.exp() - 1.0,
            lower: lo.exp() - 1.0,
            upper: hi.exp() - 1.0,
        };
        e.p_regressed = up[i];
        e.p_improved = down[i];
        e.mdc = mdc(e.se, e.df);
        e.verdict = if !decidable(e) {
            Verdict::Inconclusive
        } else if up[i] <= ALPHA {
            Verdict::Regressed
        } else if down[i] <= ALPHA {
            Verdict::Improved
        } else if -t <= lo && hi <= t {
            Verdict::Unchanged
        } else {
            Verdict::Inconclusive
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noise::{Noise, Source};
    use crate::stats::SplitMix64;

    fn entry(d: f64, se: f64, df: Option<f64>) -> Entry {
        Entry::new(
            "g/f".into(),
            1.0,
            d.exp(),
            d,
            se,
            df,
            Noise {
                source: Source::Default,
                sd_log: se / 2f64.sqrt(),
                runs: None,
                df,
                layout: None,
            },
            (10, 10),
        )
    }

    fn verdict_of(d: f64, se: f64, df: Option<f64>, threshold: f64) -> Verdict {
        let mut e = [entry(d, se, df)];
        decide(&mut e, threshold);
        e[0].verdict
    }

    #[test]
    fn holm_matches_a_worked_example() {
        // p = (0.01, 0.04, 0.03, 0.005), m = 4: sorted 0.005·4, 0.01·3, 0.03·2, 0.04·1 →
        // 0.02, 0.03, 0.06, max(0.06, 0.04) = 0.06.
        let adj = holm(&[0.01, 0.04, 0.03, 0.005]);
        let want = [0.03, 0.06, 0.06, 0.02];
        for (a, w) in adj.iter().zip(want) {
            assert!((a - w).abs() < 1e-12, "{adj:?}");
        }
        assert_eq!(holm(&[0.9, 0.8]), vec![1.0, 1.0]);
        assert!(holm(&[]).is_empty());
    }

    #[test]
    fn the_threshold_is_held_against_the_interval() {
        let t5 = 1.05f64.ln();
        // The point estimate is beyond +5%, but the interval is not: not a regression.
        assert_eq!(verdict_of(0.08, 0.03, None, 5.0), Verdict::Inconclusive);
        // Far beyond: shown to exceed +5%.
        assert_eq!(verdict_of(0.30, 0.03, None, 5.0), Verdict::Regressed);
        assert_eq!(verdict_of(-0.30, 0.03, None, 5.0), Verdict::Improved);
        // Just at the one-sided 95% bound.
        let z = t_quantile(0.95, None);
        assert_eq!(
            verdict_of(t5 + 1.01 * z * 0.01, 0.01, None, 5.0),
            Verdict::Regressed
        );
        assert_eq!(
            verdict_of(t5 + 0.99 * z * 0.01, 0.01, None, 5.0),
            Verdict::Inconclusive
        );
        // A tight interval inside ±5%.
        assert_eq!(verdict_of(0.01, 0.01, None, 5.0), Verdict::Unchanged);
        // The same interval is not inside ±1%.
        assert_eq!(verdict_of(0.01, 0.01, None, 1.0), Verdict::Inconclusive);
        // Few degrees of freedom widen it.
        assert_eq!(verdict_of(0.0, 0.02, None, 5.0), Verdict::Unchanged);
        assert_eq!(verdict_of(0.0, 0.02, Some(1.0), 5.0), Verdict::Inconclusive);
        // No noise at all: the point decides.
        assert_eq!(verdict_of(0.0, 0.0, Some(3.0), 5.0), Verdict::Unchanged);
        assert_eq!(verdict_of(0.2, 0.0, Some(3.0), 5.0), Verdict::Regressed);
    }

    #[test]
    fn decide_fills_interval_and_mdc() {
        let mut e = [entry(0.1, 0.02, Some(4.0))];
        decide(&mut e, 5.0);
        let q = 2.776_445;
        assert!((e[0].change.point - (0.1f64.exp() - 1.0)).abs() < 1e-12);
        assert!((e[0].change.lower - ((0.1 - q * 0.02f64).exp() - 1.0)).abs() < 1e-6);
        assert!((e[0].mdc - ((q + 0.940_965) * 0.02f64).exp() + 1.0).abs() < 1e-6);
    }

    #[test]
    fn holm_keeps_false_alarms_rare_over_many_benchmarks() {
        // 40 same-code benchmarks, σ_run = 5% per run (se = √2·5%), 200 seeded simulations,
        // each change drawn from the very noise its se describes. At T = 0 every test sits on
        // its null boundary, the worst case: Holm keeps the chance of any false "regressed" in
        // a family at or below α = 5% (~10 of 200; allow 20), where 40 uncorrected tests
        // would alarm in ~87% of the families. At the default T = 5% false alarms all but
        // vanish.
        let mut rng = SplitMix64::new(99);
        let (sims, n, se) = (200, 40, 0.05 * 2f64.sqrt());
        let (mut holm_at_0, mut uncorrected, mut holm_at_5) = (0, 0, 0);
        for _ in 0..sims {
            let changes: Vec<f64> = (0..n).map(|_| se * rng.normal()).collect();
            let family = |threshold: f64| {
                let mut es: Vec<Entry> = changes.iter().map(|&d| entry(d, se, None)).collect();
                decide(&mut es, threshold);
                es.iter().any(|e| e.verdict == Verdict::Regressed)
            };
            holm_at_0 += usize::from(family(0.0));
            holm_at_5 += usize::from(family(5.0));
            uncorrected += usize::from(
                changes
                    .iter()
                    .any(|&d| p_regressed(d, se, None, 0.0) <= ALPHA),
            );
        }
        assert!(holm_at_0 <= 20, "{holm_at_0} of {sims}");
        assert!(holm_at_5 <= 2, "{holm_at_5} of {sims}");
        assert!(uncorrected > 150, "{uncorrected} of {sims}");
    }

    #[test]
    fn mdc_and_rounds_needed() {
        // 5 rounds, 2% SD per round: se = 0.02/√5, df = 4.
        let se = 0.02 / 5f64.sqrt();
        let m = mdc(se, Some(4.0));
        assert!((m - ((2.776_445 + 0.940_965) * se).exp() + 1.0).abs() < 1e-6);
        // That detects 5% (m ≈ 3.4%), so 5 rounds or fewer suffice.
        assert!(rounds_needed(0.02, 5.0).unwrap() <= 5);
        // 10% per round needs many more: K' with (t+t)/√K'·0.1 ≤ ln 1.05.
        let k = rounds_needed(0.10, 5.0).unwrap();
        let ok = |k: u64| {
            let df = Some((k - 1) as f64);
            (t_quantile(0.975, df) + t_quantile(0.8, df)) * 0.1 / (k as f64).sqrt() <= 1.05f64.ln()
        };
        assert!(ok(k) && !ok(k - 1), "{k}");
        assert!((30..40).contains(&k), "{k}");
        assert_eq!(rounds_needed(0.0, 5.0), Some(2));
        assert_eq!(rounds_needed(0.1, 0.0), None);
    }
}
