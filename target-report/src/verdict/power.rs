//! The power of the verdict rules as they are applied, not of a textbook test of "no change".
//!
//! With t = ln(1 + T), a true log change δ, the standard error `se` the rule's estimate ŝe
//! stands for and `df` its degrees of freedom (ŝe = se·√(χ²_df/df); `None`: ŝe = se):
//! * **called regressed** — Holm rejects "δ ≤ t". Holm's first step tests at α/m, and a p-value
//!   at or below α/m is rejected whatever the other benchmarks do, so P(called regressed) is at
//!   least P((d̂ − t)/ŝe ≥ t_{1−α/m,df}) = E[Φ((δ − t)/se − t_{1−α/m,df}·ŝe/se)]: the worst case
//!   (no other benchmark regressed), exact when nothing else in the family is rejected. The
//!   stated change is the δ at which that reaches [`super::POWER`]; the true power there is
//!   at least that.
//! * **called unchanged** — the 95% interval d̂ ± t_{.975,df}·ŝe lies within ±t:
//!   P = E[Φ((t − q·ŝe − δ)/se) − Φ((−t + q·ŝe − δ)/se)]₊, largest at δ = 0.
//!
//! The expectations over ŝe are integrals over the χ distribution (Simpson's rule on a fixed
//! grid), so no normal approximation of the noncentral t is involved; the unit test
//! `stated_power_matches_a_simulation_of_the_rule` checks the numbers against simulated rounds.

use super::{ALPHA, POWER};
use crate::stats::dist::{ln_gamma, normal_cdf, t_quantile};

/// Above this many degrees of freedom ŝe is taken as exact (its SD relative to se is below 0.1%).
const EXACT_ABOVE_DF: f64 = 1e6;

/// Simpson intervals over ±[`HALF_WIDTH`] around √df of the χ variable: the integrands are
/// smooth on the scale of its SD (≈ 0.7), so 0.1 steps are ample.
const INTERVALS: usize = 160;
const HALF_WIDTH: f64 = 8.0;

/// The rounds searched for before giving up.
const MAX_ROUNDS: u64 = 100_000;

/// The distribution of ŝe/se = √(χ²_df/df) as quadrature nodes (ratio, weight summing to 1).
pub struct SeRatio(Vec<(f64, f64)>);

impl SeRatio {
    /// The nodes for `df` degrees of freedom (`None`: one node, ŝe = se).
    pub fn new(df: Option<f64>) -> SeRatio {
        // Fewer than one df (a Satterthwaite combination can give that) is taken as one: the
        // density of u below is singular at 0 for k < 1, where Simpson's rule fails.
        let k = match df {
            Some(k) if k.is_finite() && k > 0.0 && k <= EXACT_ABOVE_DF => k.max(1.0),
            _ => return SeRatio(vec![(1.0, 1.0)]),
        };
        // u = √χ² has density ∝ u^(k−1)·e^(−u²/2): no singularity at 0 even for k = 1.
        let lo = (k.sqrt() - HALF_WIDTH).max(0.0);
        let h = (k.sqrt() + HALF_WIDTH - lo) / INTERVALS as f64;
        let ln_density = |u: f64| (k - 1.0) * u.ln() - u * u / 2.0 - ln_gamma(k / 2.0);
        let nodes: Vec<(f64, f64, f64)> = (0..=INTERVALS)
            .map(|i| {
                let u = lo + i as f64 * h;
                let simpson = if i == 0 || i == INTERVALS {
                    1.0
                } else if i % 2 == 1 {
                    4.0
                } else {
                    2.0
                };
                let ln_d = if u > 0.0 {
                    ln_density(u)
                } else if k == 1.0 {
                    -ln_gamma(0.5)
                } else {
                    f64::NEG_INFINITY
                };
                (u / k.sqrt(), simpson, ln_d)
            })
            .collect();
        // Relative to the largest: at thousands of df the unnormalised ln density passes 700,
        // where exp overflows.
        let peak = nodes.iter().map(|n| n.2).fold(f64::NEG_INFINITY, f64::max);
        let nodes: Vec<(f64, f64)> = nodes
            .into_iter()
            .map(|(r, simpson, ln_d)| (r, simpson * (ln_d - peak).exp()))
            .collect();
        // Normalising the weights removes the constant and the grid's truncation error.
        let total: f64 = nodes.iter().map(|n| n.1).sum();
        SeRatio(
            nodes
                .into_iter()
                .filter(|n| n.1 > 1e-14 * total)
                .map(|(r, w)| (r, w / total))
                .collect(),
        )
    }

    fn expect(&self, f: impl Fn(f64) -> f64) -> f64 {
        self.0.iter().map(|&(r, w)| w * f(r)).sum()
    }
}

/// P(called regressed) for a true change `shift` = (δ − t)/se standard errors beyond the
/// threshold, when the test rejects at (d̂ − t)/ŝe ≥ `q`.
pub fn p_called_regressed(shift: f64, q: f64, ratio: &SeRatio) -> f64 {
    ratio.expect(|r| normal_cdf(shift - q * r))
}

/// P(called unchanged) for a true change `mu` = δ/se and threshold `tau` = t/se, in standard
/// errors, when the interval is d̂ ± `q`·ŝe.
pub fn p_called_unchanged(mu: f64, tau: f64, q: f64, ratio: &SeRatio) -> f64 {
    ratio.expect(|r| {
        let half = tau - q * r;
        if half <= 0.0 {
            0.0
        } else {
            (normal_cdf(half - mu) - normal_cdf(-half - mu)).max(0.0)
        }
    })
}

/// The one-sided critical value of the regression (and improvement) test for one benchmark
/// among `m`, in Holm's worst case: t_{1−α/m,df}.
pub fn q_regressed(df: Option<f64>, m: usize) -> f64 {
    q_regressed_at_looks(df, m, 1)
}

/// [`q_regressed`] for a benchmark that may be looked at up to `looks` times (`ab`'s
/// sequential rounds): α is split evenly over the looks (Bonferroni), t_{1−α/(m·looks),df}.
pub fn q_regressed_at_looks(df: Option<f64>, m: usize, looks: usize) -> f64 {
    t_quantile(1.0 - ALPHA / (m.max(1) * looks.max(1)) as f64, df)
}

/// The two-sided critical value of the unchanged interval: t_{1−α/2,df}.
pub fn q_unchanged(df: Option<f64>) -> f64 {
    q_unchanged_at_looks(df, 1)
}

/// [`q_unchanged`] with up to `looks` looks: the interval at 1 − α/looks, t_{1−α/(2·looks),df},
/// so a true change of exactly ±T is called unchanged at most α/2 of the time over all looks.
pub fn q_unchanged_at_looks(df: Option<f64>, looks: usize) -> f64 {
    t_quantile(1.0 - ALPHA / (2 * looks.max(1)) as f64, df)
}

/// What the rule can see for one benchmark, as fractions (0.05 = 5%).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Power {
    /// The true change called regressed with probability ≥ [`POWER`] (the same change
    /// downwards, exp(−·), is called improved with the same probability).
    pub regressed_at: f64,
    /// A true change within ± this is called unchanged with probability ≥ [`POWER`]; `None`
    /// when not even no change at all is.
    pub unchanged_within: Option<f64>,
    /// When `unchanged_within` is `None`: the standard error of ln(new/old), at the same
    /// degrees of freedom, at which no change would be called unchanged with [`POWER`].
    pub se_for_unchanged: Option<f64>,
}

/// The smallest x in [lo, hi] with `ok(x)`, for `ok` false below some point and true above
/// (bisection to 1e-9 relative). `None` when `ok(hi)` is false.
fn first_true(mut lo: f64, mut hi: f64, ok: impl Fn(f64) -> bool) -> Option<f64> {
    if !ok(hi) {
        return None;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if ok(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
        if hi - lo <= 1e-9 * hi.abs().max(1.0) {
            break;
        }
    }
    Some(hi)
}

/// The rules at one number of degrees of freedom and family size: what does not depend on se,
/// computed once and shared by every benchmark with the same df ([`Rules::power`]).
pub struct Rules {
    ratio: SeRatio,
    /// t_{.975,df}: the unchanged interval's half-width in ŝe.
    qu: f64,
    /// (δ − t)/se at which a true change is called regressed with [`POWER`].
    shift: f64,
}

impl Rules {
    /// The rules for `df` degrees of freedom among `m` benchmarks.
    pub fn new(df: Option<f64>, m: usize) -> Rules {
        Rules::at_looks(df, m, 1)
    }

    /// The rules for `df` degrees of freedom among `m` benchmarks, each looked at up to
    /// `looks` times ([`q_regressed_at_looks`], [`q_unchanged_at_looks`]).
    pub fn at_looks(df: Option<f64>, m: usize, looks: usize) -> Rules {
        let ratio = SeRatio::new(df);
        let qr = q_regressed_at_looks(df, m, looks);
        // Φ(shift − q·r) ≥ POWER needs shift ≥ q·r + z for most of the χ mass; q grows without
        // bound as df → 1 and m grows (t(1 − α/m, 1) ≈ 6.4·m), so the bracket doubles until it
        // holds.
        let called = |s: f64| p_called_regressed(s, qr, &ratio) >= POWER;
        let mut hi = 1e3;
        while !called(hi) && hi < 1e12 {
            hi *= 2.0;
        }
        let shift = first_true(-10.0, hi, called).unwrap_or(f64::INFINITY);
        Rules {
            qu: q_unchanged_at_looks(df, looks),
            ratio,
            shift,
        }
    }

    /// The power of the rules for a change estimated with standard error `se` (at this df) at
    /// `threshold_pct`.
    pub fn power(&self, se: f64, threshold_pct: f64) -> Power {
        let t = (1.0 + threshold_pct / 100.0).ln();
        if se <= 0.0 {
            // No noise: any change beyond T is called regressed, anything within ±T unchanged.
            return Power {
                regressed_at: t.exp() - 1.0,
                unchanged_within: Some(t.exp() - 1.0),
                se_for_unchanged: None,
            };
        }
        let tau = t / se;
        let at_zero = |tau: f64| p_called_unchanged(0.0, tau, self.qu, &self.ratio) >= POWER;
        let (unchanged_within, se_for_unchanged) = if at_zero(tau) {
            // P falls as |δ| grows: the largest μ still called unchanged with POWER.
            let mu = first_true(0.0, tau, |mu| {
                p_called_unchanged(mu, tau, self.qu, &self.ratio) < POWER
            })
            .unwrap_or(tau);
            (Some((mu * se).exp() - 1.0), None)
        } else {
            let need = first_true(tau, tau.max(1.0) * 1e6, at_zero);
            (None, need.filter(|_| t > 0.0).map(|tau| t / tau))
        };
        Power {
            regressed_at: (t + self.shift * se).exp() - 1.0,
            unchanged_within,
            se_for_unchanged,
        }
    }
}

/// The power of the rules for a change estimated with standard error `se` and `df` degrees of
/// freedom, at `threshold_pct`, among `m` benchmarks (the Holm family).
pub fn power(se: f64, df: Option<f64>, threshold_pct: f64, m: usize) -> Power {
    Rules::new(df, m).power(se, threshold_pct)
}

/// The rounds a paired comparison needs, per benchmark, at its SD per round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rounds {
    /// Rounds at which a true change of 2T is called regressed with [`POWER`].
    pub regressed: Option<u64>,
    /// Rounds at which no change is called unchanged with [`POWER`].
    pub unchanged: Option<u64>,
}

impl Rounds {
    /// Rounds for a gate that works both ways (the larger of the two); `None` if either is out
    /// of reach.
    pub fn both(&self) -> Option<u64> {
        Some(self.regressed?.max(self.unchanged?))
    }
}

/// The smallest K ≥ 2 with `ok(K)`, for `ok` monotone in K; `None` beyond [`MAX_ROUNDS`].
fn first_k(ok: impl Fn(u64) -> bool) -> Option<u64> {
    if ok(2) {
        return Some(2);
    }
    let (mut lo, mut hi) = (2u64, 4u64);
    while !ok(hi) {
        lo = hi;
        hi *= 2;
        if hi > MAX_ROUNDS {
            return None;
        }
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ok(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

/// The rounds K (se = sd/√K, df = K − 1) at which a true change of 2T is called regressed, and
/// at which no change is called unchanged, each with probability [`POWER`], among `m`
/// benchmarks. 2T because a true change of exactly T is called regressed at most α/m of the
/// time however many rounds are run: the gate needs room beyond T. `None` at T = 0.
pub fn rounds_needed(sd: f64, threshold_pct: f64, m: usize) -> Option<Rounds> {
    rounds_needed_at_looks(sd, 0.0, threshold_pct, m, 1)
}

/// [`rounds_needed`] when the standard error has a part that rounds do not shrink, `floor`
/// (`ab`'s 2σ²_layout with one build per side): se = √(sd²/K + floor²), and for the rule with
/// up to `looks` looks per benchmark (`ab`'s sequential rounds): the K at which that rule,
/// looking at K, has the stated power. The estimate's spread is taken as that of K − 1 df, the
/// rounds' own (the floor's df is ignored: an approximation, optimistic when the floor
/// dominates). A count the floor alone keeps out of reach is `None` (no K up to the search's
/// limit gets there).
pub fn rounds_needed_at_looks(
    sd: f64,
    floor: f64,
    threshold_pct: f64,
    m: usize,
    looks: usize,
) -> Option<Rounds> {
    let t = (1.0 + threshold_pct / 100.0).ln();
    if !(t > 0.0 && sd.is_finite() && floor.is_finite()) {
        return None;
    }
    if sd <= 0.0 && floor <= 0.0 {
        return Some(Rounds {
            regressed: Some(2),
            unchanged: Some(2),
        });
    }
    let big = (1.0 + 2.0 * threshold_pct / 100.0).ln();
    let regressed = rounds_to_call_at_looks(sd, floor, big, threshold_pct, m, looks);
    let unchanged = first_k(|k| {
        let (se, df, ratio) = at_rounds(sd, floor, k);
        p_called_unchanged(0.0, t / se, q_unchanged_at_looks(df, looks), &ratio) >= POWER
    });
    Some(Rounds {
        regressed,
        unchanged,
    })
}

/// se = √(sd²/K + floor²), its df (K − 1) and the distribution of ŝe/se at K rounds.
fn at_rounds(sd: f64, floor: f64, k: u64) -> (f64, Option<f64>, SeRatio) {
    let df = Some((k - 1) as f64);
    let se = (sd * sd / k as f64 + floor * floor).sqrt();
    (se, df, SeRatio::new(df))
}

/// The rounds K at which a true log change `change` beyond ±T is called regressed (beyond +T)
/// or improved (beyond −T, by symmetry) with [`POWER`], by the rule of
/// [`rounds_needed_at_looks`] (se = √(sd²/K + floor²), up to `looks` looks, among `m`).
/// `None` when |`change`| ≤ T, or when no K up to the search's limit gets there.
pub fn rounds_to_call_at_looks(
    sd: f64,
    floor: f64,
    change: f64,
    threshold_pct: f64,
    m: usize,
    looks: usize,
) -> Option<u64> {
    let beyond = change.abs() - (1.0 + threshold_pct / 100.0).ln();
    if !(beyond > 0.0 && sd.is_finite() && floor.is_finite()) {
        return None;
    }
    if sd <= 0.0 && floor <= 0.0 {
        return Some(2);
    }
    first_k(|k| {
        let (se, df, ratio) = at_rounds(sd, floor, k);
        p_called_regressed(beyond / se, q_regressed_at_looks(df, m, looks), &ratio) >= POWER
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{self, SplitMix64};
    use crate::verdict::{log_interval, p_regressed};

    /// One simulated paired comparison of `k` rounds (or, at `k` = `None`, one change with a
    /// known se): the estimate and its se, as the rule sees them.
    fn simulate(rng: &mut SplitMix64, delta: f64, sd: f64, k: Option<usize>) -> (f64, f64) {
        match k {
            Some(k) => {
                let d: Vec<f64> = (0..k).map(|_| delta + sd * rng.normal()).collect();
                (stats::mean(&d), stats::sd(&d) / (k as f64).sqrt())
            }
            None => (delta + sd * rng.normal(), sd),
        }
    }

    /// The share of `n` simulated comparisons at a true log change `delta` that the rule calls
    /// regressed (Holm's worst case: p ≤ α/m) and unchanged (the 95% interval within ±t).
    fn called(delta: f64, sd: f64, k: Option<usize>, threshold: f64, m: usize) -> (f64, f64) {
        let t = (1.0 + threshold / 100.0).ln();
        let df = k.map(|k| (k - 1) as f64);
        // log_interval's quantile, once: the interval is d ± q·se (checked below), and a
        // quantile per simulation would take seconds in a debug build.
        let q = q_unchanged(df);
        let (lo, hi) = log_interval(0.01, 0.02, df);
        assert!((lo - (0.01 - q * 0.02)).abs() < 1e-12 && (hi - (0.01 + q * 0.02)).abs() < 1e-12);
        let mut rng = SplitMix64::new(2026);
        let n = 10_000;
        let (mut regressed, mut unchanged) = (0, 0);
        for _ in 0..n {
            let (d, se) = simulate(&mut rng, delta, sd, k);
            regressed += usize::from(p_regressed(d, se, df, t) <= ALPHA / m as f64);
            unchanged += usize::from(-t <= d - q * se && d + q * se <= t);
        }
        (regressed as f64 / n as f64, unchanged as f64 / n as f64)
    }

    #[test]
    fn stated_power_matches_a_simulation_of_the_rule() {
        // (SD per round, rounds or None for a known se, threshold %, benchmarks in the family).
        let cases = [
            (0.02, Some(5), 5.0, 30),
            (0.01, Some(3), 5.0, 1),
            (0.03, Some(10), 5.0, 10),
            (0.015, None, 5.0, 30),
        ];
        for (sd, k, threshold, m) in cases {
            let se = sd / (k.unwrap_or(1) as f64).sqrt();
            let df = k.map(|k| (k - 1) as f64);
            let p = power(se, df, threshold, m);
            let (reg, _) = called((1.0 + p.regressed_at).ln(), sd, k, threshold, m);
            eprintln!("sd {sd} K {k:?} m {m}: {p:?}; simulated regressed {reg}");
            assert!((reg - POWER).abs() <= 0.02, "{sd} {k:?} {m}: {p:?} → {reg}");
            if let Some(u) = p.unchanged_within {
                for delta in [(1.0 + u).ln(), -(1.0 + u).ln()] {
                    let (_, unch) = called(delta, sd, k, threshold, m);
                    eprintln!("  at {delta:+.5}: simulated unchanged {unch}");
                    assert!((unch - POWER).abs() <= 0.02, "{sd} {k:?}: {p:?} → {unch}");
                }
            }
        }
    }

    #[test]
    fn stated_rounds_match_a_simulation_of_the_rule() {
        // 2% per round, T = 5%, 30 benchmarks: at the stated K a true +10% is called regressed,
        // and no change unchanged, at least 80% of the time; one round fewer, less.
        let (sd, m) = (0.02, 30);
        let r = rounds_needed(sd, 5.0, m).unwrap();
        let kr = r.regressed.unwrap() as usize;
        let (at, below) = (
            called(1.1f64.ln(), sd, Some(kr), 5.0, m).0,
            called(1.1f64.ln(), sd, Some(kr - 1), 5.0, m).0,
        );
        eprintln!("{r:?}: +10% regressed {at} at K = {kr}, {below} at K − 1");
        assert!(at >= POWER - 0.02 && below < POWER, "{r:?}");
        let ku = r.unchanged.unwrap() as usize;
        let at = called(0.0, sd, Some(ku), 5.0, m).1;
        eprintln!("0% unchanged {at} at K = {ku}");
        assert!(at >= POWER - 0.02, "{r:?}");
        if ku > 2 {
            assert!(called(0.0, sd, Some(ku - 1), 5.0, m).1 < POWER, "{r:?}");
        }
        assert_eq!(r.both(), Some(kr.max(ku) as u64));
    }

    #[test]
    fn the_rounds_to_call_an_estimate_match_a_simulation_of_the_rule() {
        // `cpu/sum_of_squares/thread_pool` at +10% work: +6.2% at 1.02% per round, among 20.
        let (sd, m, change) = (0.0102, 20, 1.062f64.ln());
        let k = rounds_to_call_at_looks(sd, 0.0, change, 5.0, m, 1).unwrap() as usize;
        let (at, below) = (
            called(change, sd, Some(k), 5.0, m).0,
            called(change, sd, Some(k - 1), 5.0, m).0,
        );
        eprintln!("+6.2% at 1.02%: regressed {at} at K = {k}, {below} at K − 1");
        assert!(at >= POWER - 0.02 && below < POWER, "{k}: {at} {below}");
        // An improvement as far below −T takes as many; within ±T nothing is ever called.
        assert_eq!(
            rounds_to_call_at_looks(sd, 0.0, -change, 5.0, m, 1),
            Some(k as u64)
        );
        assert_eq!(rounds_to_call_at_looks(sd, 0.0, 0.04, 5.0, m, 1), None);
        // More looks split α further: more rounds.
        let five = rounds_to_call_at_looks(sd, 0.0, change, 5.0, m, 5).unwrap();
        assert!(five > k as u64, "{five} vs {k}");
        // At 2T it is the stated rounds for a regression.
        let r = rounds_needed(0.02, 5.0, 30).unwrap();
        let twice = 1.1f64.ln();
        assert_eq!(
            rounds_to_call_at_looks(0.02, 0.0, twice, 5.0, 30, 1),
            r.regressed
        );
    }

    #[test]
    fn the_old_formula_overstated_what_the_gate_sees() {
        // The case: K = 5, Holm over 30. The old "detectable" change,
        // exp((t.975 + t.8)·se) − 1, is called regressed about α/m of the time at T = 5% if it
        // is below T, and the stated change now lies beyond T by more than (t(1−α/30, 4) +
        // t(.8, 4))·se (the noncentral t needs slightly more).
        let se = 0.02 / 5f64.sqrt();
        let p = power(se, Some(4.0), 5.0, 30);
        let approx = 1.05f64.ln() + (q_regressed(Some(4.0), 30) + t_quantile(0.8, Some(4.0))) * se;
        assert!((1.0 + p.regressed_at).ln() > approx, "{p:?}");
        assert!((1.0 + p.regressed_at).ln() < approx + 3.0 * se, "{p:?}");
        let old = ((t_quantile(0.975, Some(4.0)) + t_quantile(0.8, Some(4.0))) * se).exp() - 1.0;
        assert!(old < 0.05 && p.regressed_at > 0.05 + old, "{old} {p:?}");
    }

    #[test]
    fn no_change_cannot_be_called_unchanged_when_the_interval_is_wider_than_the_gate() {
        // se = 10%·√2 against ±5%: never unchanged; the se that would do is well below T/2.
        let p = power(0.1 * 2f64.sqrt(), None, 5.0, 30);
        assert_eq!(p.unchanged_within, None);
        let need = p.se_for_unchanged.unwrap();
        let check = power(need, None, 5.0, 30);
        let u = check.unchanged_within.unwrap();
        assert!(u < 1e-3, "{need} {check:?}");
        assert!(need < 1.05f64.ln() / 2.0, "{need}");
        // No noise: exactly T both ways.
        let exact = power(0.0, None, 5.0, 30);
        assert!((exact.regressed_at - 0.05).abs() < 1e-12);
        assert_eq!(rounds_needed(0.1, 0.0, 30), None);
    }

    #[test]
    fn the_quadrature_is_a_distribution_with_mean_square_one() {
        // E[ŝe²/se²] = E[χ²_df/df] = 1 for every df.
        // 1e4 and 1e5: past the df where the unnormalised density overflowed exp.
        for df in [1.0, 2.0, 4.0, 29.0, 1000.0, 1e4, 1e5] {
            let r = SeRatio::new(Some(df));
            assert!((r.expect(|_| 1.0) - 1.0).abs() < 1e-12);
            assert!((r.expect(|x| x * x) - 1.0).abs() < 1e-6, "{df}");
        }
        assert_eq!(SeRatio::new(None).0, vec![(1.0, 1.0)]);
    }

    #[test]
    fn the_stated_change_is_finite_for_few_df_and_many_benchmarks() {
        // `ab --rounds 2` (df = 1) over 1,000 benchmarks: q = t(1 − 0.05/1000, 1) ≈ 6,366.
        let rules = Rules::new(Some(1.0), 1000);
        assert!(
            rules.shift.is_finite() && rules.shift > 1e3,
            "{}",
            rules.shift
        );
        // And many df (history pooled over many commits): a finite, small shift.
        let pooled = Rules::new(Some(5000.0), 30);
        assert!(
            pooled.shift.is_finite() && pooled.shift < 5.0,
            "{}",
            pooled.shift
        );
    }

    /// `x` as a percentage rounded to 0.1, as the README prints it.
    fn pct(x: f64) -> f64 {
        (x * 1000.0).round() / 10.0
    }

    #[test]
    fn the_readme_numbers_come_from_here() {
        // The README's "Is it slower?" section, default suite (m = 30 benchmarks), T = 5%.
        // `ab` at K = 5: the per-round SDs s are those the README measured, backed out of the
        // old two-sided "detectable" numbers it printed, exp((t.975,4 + t.8,4)·s/√5) − 1:
        // 0.4% and 4.5% (I/O), 0.6% and 10% (CPU).
        let old = t_quantile(0.975, Some(4.0)) + t_quantile(0.8, Some(4.0));
        let s = |detectable: f64| (1.0f64 + detectable).ln() * 5f64.sqrt() / old;
        let at_k5 = |d: f64| power(s(d) / 5f64.sqrt(), Some(4.0), 5.0, 30);
        let rounds = |d: f64| rounds_needed(s(d), 5.0, 30).unwrap();
        let row = |d: f64| {
            let (p, r) = (at_k5(d), rounds(d));
            (
                pct(p.regressed_at),
                p.unchanged_within.map(pct),
                r.regressed.unwrap(),
                r.unchanged.unwrap(),
            )
        };
        assert_eq!(row(0.004), (5.9, Some(4.6), 3, 2));
        assert_eq!(row(0.045), (15.2, None, 9, 6));
        assert_eq!(row(0.006), (6.3, Some(4.4), 3, 2));
        assert_eq!(row(0.10), (28.4, None, 26, 17));
        // At df = 4, no change is called unchanged at 80% only once se ≤ 1.1%.
        assert_eq!(at_k5(0.10).se_for_unchanged.map(pct), Some(1.1));
        // `compare` under the 10% default (se = √2·10%, infinite df).
        let default = |m| power(0.1 * 2f64.sqrt(), None, 5.0, m);
        assert_eq!(pct(default(30).regressed_at), 79.1);
        assert_eq!(pct(default(1).regressed_at), 49.2);
        assert_eq!(default(30).unchanged_within, None);
        assert_eq!(default(30).se_for_unchanged.map(pct), Some(1.5));
    }
}
