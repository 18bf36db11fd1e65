//! What the verdict rules decide: one [`Entry`] per benchmark (medians on both sides, the
//! change with its interval, p-values, the [`Verdict`] and the [`DecisionInterval`] that
//! decided it, what the rules can see, the noise estimate). `compare` and `ab` build the
//! entries; the rules in this module's parent fill in their verdicts.

use serde::Serialize;

use crate::noise::Noise;
use crate::stats::Interval;

/// Fewer samples than this on a side (Criterion's `--quick` keeps 2) decide nothing: such a
/// benchmark is inconclusive, and the outputs say why.
pub const FEW_SAMPLES: usize = 10;

/// The verdict on one benchmark (the rules are in the `verdict` module).
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

/// The interval a verdict was decided by, as fractions: for *regressed* (*improved*) the
/// one-sided bound at the Holm level its test was rejected at — always beyond +T (−T) —
/// and for the other verdicts the two-sided 95% interval that *unchanged* must lie within.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DecisionInterval {
    /// Lower bound; `null` = unbounded (an improvement's one-sided bound).
    pub lower: Option<f64>,
    /// Upper bound; `null` = unbounded (a regression's one-sided bound).
    pub upper: Option<f64>,
    /// Its confidence level, e.g. 0.95, or 1 − α/m for the first step of Holm's.
    pub confidence: f64,
}

impl DecisionInterval {
    /// Whether it is a one-sided bound (regressed or improved).
    pub fn one_sided(&self) -> bool {
        self.lower.is_none() || self.upper.is_none()
    }
}

/// One benchmark present on both sides.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Criterion's full id.
    pub id: String,
    /// Median per-iteration time on the old side, ns (for `ab`'s rounds: the geometric mean of
    /// the rounds' values, each run's fastest sample, or its median in lock step).
    pub old_median_ns: f64,
    /// Median per-iteration time on the new side, ns (same).
    pub new_median_ns: f64,
    /// The change as a fraction (0.05 = 5% slower) with its two-sided 95% interval: the interval
    /// *unchanged* is judged by, not the one-sided bound that decides *regressed* or
    /// *improved* (that is [`Entry::decision`]).
    pub change: Interval,
    /// The interval the verdict was decided by (fractions).
    pub decision: DecisionInterval,
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
    /// The true change that the rule calls *regressed* with probability ≥ 80% (a fraction;
    /// the same change downwards is called *improved* as often): one-sided at α/m, Holm's worst
    /// case over the m benchmarks compared, at this se and df ([`super::power`]).
    /// The JSON name is kept from when it was the 80%-power change of a two-sided test of no
    /// change, which the gate does not apply.
    pub mdc: f64,
    /// A true change within ± this fraction is called *unchanged* with probability ≥ 80%;
    /// `null` when not even no change at all is.
    pub unchanged_within: Option<f64>,
    /// When `unchanged_within` is `null`: the se (of ln(new/old), at the same df) at which no
    /// change would be called unchanged with 80% probability.
    pub se_for_unchanged: Option<f64>,
    /// Where the noise estimate came from.
    pub noise: Noise,
    /// The runs' own samples were noisier than the noise floor, so their bootstrap standard
    /// error was used (Student-t with min(samples) − 1 df).
    pub within_run_floor: bool,
    /// Paired rounds only: the rounds for a gate that works both ways, the larger of
    /// `rounds_for_regressed` and `rounds_for_unchanged` (`null` if either is out of reach).
    pub rounds_needed: Option<u64>,
    /// Paired rounds only: the rounds at which a true change of 2T is called regressed with
    /// 80% probability (Holm's worst case over the benchmarks compared).
    pub rounds_for_regressed: Option<u64>,
    /// Paired rounds only: the rounds at which no change is called unchanged with 80%
    /// probability.
    pub rounds_for_unchanged: Option<u64>,
    /// Samples in the old and new `sample.json` (for rounds: the fewest of any round).
    pub samples: (usize, usize),
    /// The most times this benchmark could have been looked at before its verdict (`ab`'s
    /// sequential rounds: one look per batch of rounds up to `--max-rounds`; 1 otherwise).
    /// α is split evenly over the looks, so the error rates hold however early it stopped.
    #[serde(skip_serializing_if = "is_one")]
    pub looks: usize,
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

impl Entry {
    /// An entry not yet decided: `verdict::decide` fills `change`, the p-values, the
    /// verdict, `decision` and what the rules can see (`mdc`, `unchanged_within`, the rounds)
    /// once every benchmark of the comparison is known.
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
            decision: DecisionInterval {
                lower: Some(point),
                upper: Some(point),
                confidence: 0.0,
            },
            p_regressed: 1.0,
            p_improved: 1.0,
            verdict: Verdict::Inconclusive,
            mdc: f64::NAN,
            unchanged_within: None,
            se_for_unchanged: None,
            noise,
            within_run_floor: false,
            rounds_needed: None,
            rounds_for_regressed: None,
            rounds_for_unchanged: None,
            samples,
            looks: 1,
        }
    }
}
