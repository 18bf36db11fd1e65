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
//! A benchmark that may be looked at up to L times before its verdict ([`Entry::looks`]: `ab`'s
//! sequential rounds, which stop when a benchmark is decided) has α split evenly over its looks
//! (Bonferroni): its one-sided p-values are multiplied by L before Holm's correction, and its
//! unchanged interval is the 1 − α/L interval. Whatever look a benchmark stopped at, the chance
//! of a false *regressed* anywhere in the comparison stays at most α, and a true change of
//! exactly ±T is called *unchanged* at most α/2 of the time.
//!
//! The interval shown with a verdict is the one that decided it ([`DecisionInterval`]): for
//! *regressed* the one-sided lower bound at the Holm level its test was rejected at (so never
//! below +T), likewise for *improved*; otherwise the 95% interval.
//!
//! Each benchmark also says what these rules can see, computed for the rules themselves
//! ([`power`]): the true change *called regressed* with 80% probability at this se, df and
//! number of benchmarks m (Holm's worst case, one-sided at α/m), the true changes *called
//! unchanged* with 80% probability (or the se that would take), and for paired rounds the
//! rounds K at which a true 2T is called regressed and no change is called unchanged, each
//! with 80% probability.

mod entry;
pub mod power;

pub use entry::{DecisionInterval, Entry, Verdict, FEW_SAMPLES};

use crate::noise::Source;
use crate::stats::dist::{t_cdf, t_quantile};
use crate::stats::Interval;

/// The false-alarm rate of each family of tests (regressions, improvements), after Holm.
pub const ALPHA: f64 = 0.05;

/// The probability at which what a rule can see is stated ([`power`]).
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

/// The interval *unchanged* is judged by after up to `looks` looks: two-sided 1 − α/looks.
pub fn unchanged_interval(d: f64, se: f64, df: Option<f64>, looks: usize) -> (f64, f64) {
    let q = power::q_unchanged_at_looks(df, looks);
    (d - q * se, d + q * se)
}

/// The verdict one benchmark already has on its own, among `m` compared, before the others are
/// known: *regressed* (*improved*) when its look-adjusted p-value passes α/m — Bonferroni, the
/// first step of Holm's, so [`decide`] over all of them calls it the same — *unchanged* by its
/// own interval, `None` while undecided. `ab`'s sequential rounds stop a benchmark on it.
pub fn decided_alone(e: &Entry, threshold_pct: f64, m: usize) -> Option<Verdict> {
    let t = (1.0 + threshold_pct / 100.0).ln();
    let level = ALPHA / (m.max(1) * e.looks.max(1)) as f64;
    let interval = unchanged_interval(e.log_change, e.se, e.df, e.looks);
    let tests = (
        p_regressed(e.log_change, e.se, e.df, t) <= level,
        p_improved(e.log_change, e.se, e.df, t) <= level,
    );
    match verdict_of(e, tests, interval, t) {
        Verdict::Inconclusive => None,
        decided => Some(decided),
    }
}

/// Whether both sides have a distribution: at least [`FEW_SAMPLES`] samples each.
fn decidable(e: &Entry) -> bool {
    e.samples.0.min(e.samples.1) >= FEW_SAMPLES
}

/// The rules in their order, once both one-sided tests are known (`rejected`: regression,
/// improvement) and the interval *unchanged* is judged by. A benchmark not [`decidable`]
/// (Criterion's `--quick` keeps 2 samples, at different iteration counts) decides nothing.
fn verdict_of(e: &Entry, rejected: (bool, bool), (lo, hi): (f64, f64), t: f64) -> Verdict {
    if !decidable(e) {
        Verdict::Inconclusive
    } else if rejected.0 {
        Verdict::Regressed
    } else if rejected.1 {
        Verdict::Improved
    } else if -t <= lo && hi <= t {
        Verdict::Unchanged
    } else {
        Verdict::Inconclusive
    }
}

/// Holm's level for each p-value: α/(m − rank), rank its 0-based place in ascending order.
/// A hypothesis Holm rejects has p at or below its level, so the one-sided bound at
/// 1 − level lies beyond the threshold: the decision's own interval.
fn holm_levels(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut levels = vec![ALPHA; m];
    for (rank, &i) in order.iter().enumerate() {
        levels[i] = ALPHA / (m - rank) as f64;
    }
    levels
}

/// The interval a verdict was decided by (see [`DecisionInterval`]): `level` is the Holm
/// level (over the looks) of the test that decided a regression or improvement; `two_sided`
/// the 1 − α/`looks` interval the other verdicts are judged by.
fn decision_interval(
    e: &Entry,
    level: f64,
    two_sided: (f64, f64),
    looks: usize,
) -> DecisionInterval {
    let bound = t_quantile(1.0 - level, e.df) * e.se;
    let frac = |x: f64| Some(x.exp() - 1.0);
    match e.verdict {
        Verdict::Regressed => DecisionInterval {
            lower: frac(e.log_change - bound),
            upper: None,
            confidence: 1.0 - level,
        },
        Verdict::Improved => DecisionInterval {
            lower: None,
            upper: frac(e.log_change + bound),
            confidence: 1.0 - level,
        },
        _ => DecisionInterval {
            lower: frac(two_sided.0),
            upper: frac(two_sided.1),
            confidence: 1.0 - ALPHA / looks as f64,
        },
    }
}

/// Fills what the rules can see for one entry among `m` ([`power`]): the change called
/// regressed and the changes called unchanged at [`POWER`], and for paired rounds the rounds
/// each would take.
fn fill_power(e: &mut Entry, rules: &power::Rules, threshold_pct: f64, m: usize) {
    let p = rules.power(e.se, threshold_pct);
    e.mdc = p.regressed_at;
    e.unchanged_within = p.unchanged_within;
    e.se_for_unchanged = p.se_for_unchanged;
    if e.noise.source == Source::PairedRounds {
        let r = power::rounds_needed_at_looks(
            e.noise.sd_log,
            layout_floor(e),
            threshold_pct,
            m,
            e.looks,
        );
        e.rounds_for_regressed = r.and_then(|r| r.regressed);
        e.rounds_for_unchanged = r.and_then(|r| r.unchanged);
        e.rounds_needed = r.and_then(|r| r.both());
    }
}

/// The part of a paired-rounds se that rounds do not shrink: with one build per side,
/// 2σ²_layout stays whatever the number of rounds (√2·σ_layout).
fn layout_floor(e: &Entry) -> f64 {
    e.noise
        .layout
        .map_or(0.0, |l| std::f64::consts::SQRT_2 * l.sd_log)
}

/// For a benchmark of paired rounds whose estimate lies beyond ±T (`None` within): the rounds
/// at which, were its true change the estimate, it would be called regressed (improved) with
/// 80% probability among `m`, at its spread so far; `Some(None)` when no number of rounds the
/// search tries gets there. What `ab` tells of a benchmark that sits just beyond the threshold.
pub fn rounds_at_estimate(e: &Entry, threshold_pct: f64, m: usize) -> Option<Option<u64>> {
    let beyond = e.log_change.abs() > (1.0 + threshold_pct / 100.0).ln();
    beyond.then(|| {
        power::rounds_to_call_at_looks(
            e.noise.sd_log,
            layout_floor(e),
            e.log_change,
            threshold_pct,
            m,
            e.looks,
        )
    })
}

/// What does not depend on se ([`power::Rules`]), once per df, family size and looks, and
/// remembered per thread: a comparison has one or a few, and simulations decide thousands.
fn rules_for(df: Option<f64>, m: usize, looks: usize) -> std::rc::Rc<power::Rules> {
    type Known = std::collections::HashMap<(Option<u64>, usize, usize), std::rc::Rc<power::Rules>>;
    thread_local! {
        static KNOWN: std::cell::RefCell<Known> = Default::default();
    }
    let key = (df.map(f64::to_bits), m, looks);
    crate::stats::remembered(&KNOWN, key, 256, || {
        std::rc::Rc::new(power::Rules::at_looks(df, m, looks))
    })
}

/// Decides every entry from its `log_change`, `se` and `df`: the 95% interval of the change,
/// the Holm-adjusted one-sided p-values, the verdict, the interval that decided it and what
/// the rules can see ([`power`]). The Holm families are all of `entries`, so call it once
/// with every benchmark compared.
pub fn decide(entries: &mut [Entry], threshold_pct: f64) {
    decide_verdicts(entries, threshold_pct);
    let m = entries.len();
    for e in entries.iter_mut() {
        fill_power_among(e, threshold_pct, m);
    }
}

/// Fills what the rules can see ([`power`]) for one entry as one of `m` benchmarks compared:
/// [`decide`] does it for its whole family; `ab`'s looks for a benchmark among all it will
/// compare, before the others have rounds.
pub fn fill_power_among(e: &mut Entry, threshold_pct: f64, m: usize) {
    let rules = rules_for(e.df, m, e.looks.max(1));
    fill_power(e, &rules, threshold_pct, m);
}

/// [`decide`] without what the rules can see: the intervals, p-values, verdicts and deciding
/// intervals only (simulations of the rules need no more, and the power is the costly part).
pub fn decide_verdicts(entries: &mut [Entry], threshold_pct: f64) {
    let t = (1.0 + threshold_pct / 100.0).ln();
    // An undecidable benchmark enters the Holm families at p = 1.
    let raw = |p: fn(f64, f64, Option<f64>, f64) -> f64| -> Vec<f64> {
        entries
            .iter()
            .map(|e| {
                if decidable(e) {
                    (p(e.log_change, e.se, e.df, t) * e.looks.max(1) as f64).min(1.0)
                } else {
                    1.0
                }
            })
            .collect()
    };
    let (raw_up, raw_down) = (raw(p_regressed), raw(p_improved));
    let (up, down) = (holm(&raw_up), holm(&raw_down));
    let (up_level, down_level) = (holm_levels(&raw_up), holm_levels(&raw_down));
    for (i, e) in entries.iter_mut().enumerate() {
        let (lo95, hi95) = log_interval(e.log_change, e.se, e.df);
        e.change = Interval {
            point: e.log_change.exp() - 1.0,
            lower: lo95.exp() - 1.0,
            upper: hi95.exp() - 1.0,
        };
        let looks = e.looks.max(1);
        let (lo, hi) = unchanged_interval(e.log_change, e.se, e.df, looks);
        e.p_regressed = up[i];
        e.p_improved = down[i];
        e.verdict = verdict_of(e, (up[i] <= ALPHA, down[i] <= ALPHA), (lo, hi), t);
        let level = match e.verdict {
            Verdict::Improved => down_level[i],
            _ => up_level[i],
        } / looks as f64;
        e.decision = decision_interval(e, level, (lo, hi), looks);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::noise::Noise;
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
    fn decide_fills_intervals_and_power() {
        let mut e = [entry(0.1, 0.02, Some(4.0))];
        decide(&mut e, 5.0);
        let q = 2.776_445;
        assert!((e[0].change.point - (0.1f64.exp() - 1.0)).abs() < 1e-12);
        assert!((e[0].change.lower - ((0.1 - q * 0.02f64).exp() - 1.0)).abs() < 1e-6);
        let p = power::power(0.02, Some(4.0), 5.0, 1);
        assert_eq!(e[0].mdc, p.regressed_at);
        assert_eq!(e[0].unchanged_within, p.unchanged_within);
        // Not paired rounds: no rounds.
        assert_eq!(e[0].rounds_needed, None);
        // A regression of one benchmark alone: the one-sided 95% bound, t(.95, 4) = 2.131847.
        assert_eq!(e[0].verdict, Verdict::Regressed);
        let d = e[0].decision;
        assert_eq!((d.upper, d.confidence), (None, 0.95));
        assert!((d.lower.unwrap() - ((0.1 - 2.131_847 * 0.02f64).exp() - 1.0)).abs() < 1e-6);
    }

    #[test]
    fn a_regressed_row_shows_a_bound_beyond_the_threshold() {
        // Borderline regressions, alone (m = 1: one-sided at 95%) and among 30 benchmarks
        // (Holm's levels): every row called regressed has its decision bound at or above +5%,
        // though alone the two-sided 95% interval of many of them reaches below it.
        let mut rng = SplitMix64::new(7);
        let (t5, se) = (1.05f64.ln(), 0.02);
        let (mut regressed, mut ci_below) = (0, 0);
        for family in [1, 30] {
            for _ in 0..200 {
                let mut es: Vec<Entry> = (0..family)
                    .map(|i| {
                        let z = if family == 1 { 1.8 } else { 3.0 };
                        let d = if i < 3 {
                            t5 + se * (z + 0.3 * rng.normal())
                        } else {
                            0.0
                        };
                        entry(d, se, None)
                    })
                    .collect();
                decide(&mut es, 5.0);
                for e in es.iter().filter(|e| e.verdict == Verdict::Regressed) {
                    regressed += 1;
                    assert!(e.decision.lower.unwrap() >= 0.05 - 1e-12, "{e:?}");
                    assert!(e.decision.one_sided() && e.decision.confidence >= 0.95);
                    ci_below += usize::from(e.change.lower < 0.05);
                }
            }
        }
        assert!(regressed > 300 && ci_below > 50, "{regressed} {ci_below}");
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
    fn the_stated_change_is_called_regressed_80_percent_of_the_time_by_decide() {
        // Through decide and the real Holm family: one benchmark at the change its row states,
        // nine unchanged ones; 400 families: 80% ± 5% (2.5 binomial SDs).
        let (se, m) = (0.02, 10);
        let mut rng = SplitMix64::new(11);
        let stated = power::power(se, None, 5.0, m).regressed_at;
        let mut called = 0;
        for _ in 0..400 {
            let mut es: Vec<Entry> = (0..m).map(|_| entry(se * rng.normal(), se, None)).collect();
            es[0] = entry((1.0 + stated).ln() + se * rng.normal(), se, None);
            decide(&mut es, 5.0);
            assert_eq!(es[0].mdc, stated);
            called += usize::from(es[0].verdict == Verdict::Regressed);
        }
        eprintln!("{called} of 400 called regressed at the stated {stated}");
        assert!((300..=340).contains(&called), "{called} of 400");
    }

    #[test]
    fn paired_rounds_get_the_rounds_they_need() {
        // 5 rounds, 2% SD per round.
        let mut e = [entry(0.0, 0.02 / 5f64.sqrt(), Some(4.0))];
        e[0].noise = Noise {
            source: Source::PairedRounds,
            sd_log: 0.02,
            runs: Some(5),
            df: Some(4.0),
            layout: None,
        };
        decide(&mut e, 5.0);
        let r = power::rounds_needed(0.02, 5.0, 1).unwrap();
        assert_eq!(e[0].rounds_for_regressed, r.regressed);
        assert_eq!(e[0].rounds_for_unchanged, r.unchanged);
        assert_eq!(e[0].rounds_needed, r.both());
        assert!(r.both().unwrap() >= 2);
    }
}
