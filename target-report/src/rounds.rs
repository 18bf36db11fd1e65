//! `cb-rounds.json`: how one run measured a group in interleaved rounds — every strategy one
//! sample per round, in a fresh shuffled order each round — and what the summary draws from it:
//!
//! * **which rows it describes** ([`Rounds::describes`]): a strategy whose `sample.json` holds
//!   exactly its samples in these rounds. Only two such strategies were measured in the same
//!   rounds of one run; a filtered run (`cargo bench -- fib/rayon`) rewrites the file with the
//!   strategies it measured, and the others' samples then come from earlier runs;
//! * **paired speed-ups**: the reference and a strategy measured in the same round saw the same
//!   machine, so resampling *rounds* (both samples of a round together) keeps load that came and
//!   went out of the interval instead of widening or shifting it;
//! * **drift**: the reference's samples in the first and second half of the rounds. When they
//!   differ significantly and by more than the reference's own interval, the machine changed speed
//!   during the group, and the summary draws no finding from that group.

use std::ops::Deref;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::criterion::load_optional;
use crate::error::{Error, Result};
use crate::meta::check_schema;
use crate::stats::{self, Interval, SplitMix64};

pub use cb_schema::{Round, RoundSample, ROUNDS_FILE};

/// `cb-rounds.json` ([`cb_schema::Rounds`], whose fields and methods it derefs to), loaded and
/// checked.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(transparent)]
pub struct Rounds(pub cb_schema::Rounds);

impl Deref for Rounds {
    type Target = cb_schema::Rounds;

    fn deref(&self) -> &cb_schema::Rounds {
        &self.0
    }
}

impl Rounds {
    /// Loads and checks `<group_dir>/<baseline>/cb-rounds.json`; `Ok(None)` when absent.
    pub fn load(group_dir: &Path, baseline: &str) -> Result<Option<Rounds>> {
        let path = group_dir.join(baseline).join(ROUNDS_FILE);
        let Some(r) = load_optional::<Rounds>(&path)? else {
            return Ok(None);
        };
        check_schema(&path, r.schema)?;
        let bad = r
            .rounds
            .iter()
            .flat_map(|round| &round.samples)
            .find(|s| !(s.iters > 0 && s.ns.is_finite() && s.ns > 0.0));
        if let Some(s) = bad {
            return Err(Error::at(
                &path,
                format!(
                    "corrupt rounds: sample of `{}` needs positive iters and ns",
                    s.function
                ),
            ));
        }
        Ok(Some(r))
    }

    /// Rounds where both `a` and `b` have a sample: their per-iteration times, paired. None
    /// when either fell back to Criterion's own measuring: its `sample.json` then holds other
    /// samples than the rounds.
    pub fn paired(&self, a: &str, b: &str) -> Vec<(f64, f64)> {
        if self.fallback.iter().any(|f| f == a || f == b) {
            return Vec::new();
        }
        self.per_iteration(a)
            .into_iter()
            .zip(self.per_iteration(b))
            .filter_map(|(x, y)| Some((x?, y?)))
            .collect()
    }

    /// Whether these rounds hold exactly the samples of `function` whose per-iteration times
    /// are `per_iteration` (its `sample.json`, in order): then the run that wrote this file
    /// measured it, in its rounds. False for a strategy measured live (a fallback), one this
    /// run did not measure, and one measured again since by a run that left this file (a
    /// suite from before rounds). Criterion stores each replayed time in whole nanoseconds, so
    /// a per-iteration time may be up to 1 ns below the rounds'.
    pub fn describes(&self, function: &str, per_iteration: &[f64]) -> bool {
        if self.fallback.iter().any(|f| f == function) {
            return false;
        }
        let own: Vec<f64> = self.per_iteration(function).into_iter().flatten().collect();
        own.len() == per_iteration.len()
            && !own.is_empty()
            && own
                .iter()
                .zip(per_iteration)
                .all(|(r, s)| (r - s).abs() <= 1.0 + 1e-9 * r.abs())
    }
}

/// Fewer paired rounds than this give no paired interval (the independent bootstrap is used).
pub const MIN_PAIRED_ROUNDS: usize = 5;

/// `median(num)/median(den)` over paired rounds, with a 95% percentile-bootstrap interval that
/// resamples whole rounds (both members of a pair together), seeded by `seed`. `None` with
/// fewer than [`MIN_PAIRED_ROUNDS`] pairs.
pub fn paired_ratio_of_medians(pairs: &[(f64, f64)], seed: u64) -> Option<Interval> {
    if pairs.len() < MIN_PAIRED_ROUNDS {
        return None;
    }
    let (num, den): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
    let point = stats::median(&num) / stats::median(&den);
    let mut rng = SplitMix64::new(seed);
    let n = pairs.len();
    let mut ratios = Vec::with_capacity(stats::BOOTSTRAP_RESAMPLES);
    let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
    for _ in 0..stats::BOOTSTRAP_RESAMPLES {
        for i in 0..n {
            let k = rng.below(n);
            a[i] = num[k];
            b[i] = den[k];
        }
        ratios.push(stats::median(&a) / stats::median(&b));
    }
    ratios.sort_by(f64::total_cmp);
    let tail = (1.0 - stats::CONFIDENCE) / 2.0 * 100.0;
    Some(Interval {
        point,
        lower: stats::percentile_sorted(&ratios, tail),
        upper: stats::percentile_sorted(&ratios, 100.0 - tail),
    })
}

/// How the reference's speed changed between the first and the second half of the rounds.
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    /// The reference strategy.
    pub reference: String,
    /// Median per-iteration time in the first half of the rounds, ns.
    pub first_half_ns: f64,
    /// Median per-iteration time in the second half, ns.
    pub second_half_ns: f64,
    /// `second/first − 1`, with a 95% bootstrap interval (halves resampled independently).
    pub change: Interval,
    /// Half the width of the reference's own 95% interval, relative to its median.
    pub own_half_width: f64,
    /// The change is significant and larger than the reference's own interval.
    pub drifted: bool,
}

/// Fewer reference samples than this give no drift verdict.
pub const MIN_DRIFT_ROUNDS: usize = 6;

/// The drift of `rounds`' reference, given the reference's own median interval `own` (ns).
/// `None` without a reference or enough of its samples.
pub fn drift(rounds: &Rounds, own: Interval) -> Option<Drift> {
    let reference = rounds.reference.as_ref()?;
    // A reference measured live has no rounds to compare with its own interval.
    if rounds.fallback.contains(reference) {
        return None;
    }
    let times: Vec<f64> = rounds
        .per_iteration(reference)
        .into_iter()
        .flatten()
        .collect();
    if times.len() < MIN_DRIFT_ROUNDS {
        return None;
    }
    let (first, second) = times.split_at(times.len() / 2);
    let ratio = stats::ratio_of_medians(
        second,
        first,
        stats::BOOTSTRAP_RESAMPLES,
        stats::seed_for(&format!("drift {}", rounds.group)),
    );
    let change = Interval {
        point: stats::median(second) / stats::median(first),
        ..ratio
    }
    .map(|x| x - 1.0);
    let own_half_width = (own.upper - own.lower) / 2.0 / own.point;
    let significant = change.lower > 0.0 || change.upper < 0.0;
    Some(Drift {
        reference: reference.clone(),
        first_half_ns: stats::median(first),
        second_half_ns: stats::median(second),
        drifted: significant && change.point.abs() > own_half_width,
        change,
        own_half_width,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rounds(reference_times: &[f64], other_times: &[f64]) -> Rounds {
        Rounds(cb_schema::Rounds {
            schema: 1,
            group: "cpu/g".into(),
            reference: Some("sequential".into()),
            seed: Some(1),
            rounds: reference_times
                .iter()
                .zip(other_times)
                .map(|(&r, &o)| Round {
                    order: vec!["sequential".into(), "rayon".into()],
                    samples: vec![
                        RoundSample {
                            function: "sequential".into(),
                            iters: 2,
                            ns: 2.0 * r,
                        },
                        RoundSample {
                            function: "rayon".into(),
                            iters: 1,
                            ns: o,
                        },
                    ],
                })
                .collect(),
            fallback: vec![],
        })
    }

    #[test]
    fn pairing_keeps_shared_load_out_of_the_interval() {
        // Load halves the machine's speed in every other round; rayon is always 2x faster than
        // sequential within a round.
        let reference: Vec<f64> = (0..20)
            .map(|i| if i % 2 == 0 { 100.0 } else { 200.0 })
            .collect();
        let other: Vec<f64> = reference.iter().map(|x| x / 2.0).collect();
        let r = rounds(&reference, &other);
        let pairs = r.paired("sequential", "rayon");
        assert_eq!(pairs.len(), 20);
        assert_eq!(pairs[0], (100.0, 50.0));
        let paired = paired_ratio_of_medians(&pairs, 7).unwrap();
        assert!((paired.point - 2.0).abs() < 1e-12);
        assert!((paired.lower - 2.0).abs() < 1e-12 && (paired.upper - 2.0).abs() < 1e-12);
        // Resampled independently, the same data give a much wider interval.
        let independent =
            stats::ratio_of_medians(&reference, &other, stats::BOOTSTRAP_RESAMPLES, 7);
        assert!(
            independent.upper - independent.lower > 1.0,
            "{independent:?}"
        );
    }

    #[test]
    fn a_strategy_measured_live_is_not_paired() {
        let mut r = rounds(&[1.0; 6], &[2.0; 6]);
        assert_eq!(r.paired("sequential", "rayon").len(), 6);
        r.0.fallback = vec!["rayon".into()];
        assert!(r.paired("sequential", "rayon").is_empty());
    }

    #[test]
    fn too_few_pairs_give_no_paired_interval() {
        assert!(paired_ratio_of_medians(&[(1.0, 1.0); 4], 1).is_none());
    }

    #[test]
    fn a_machine_that_slows_down_halfway_is_drift_and_steady_noise_is_not() {
        let own = Interval {
            point: 100.0,
            lower: 98.0,
            upper: 102.0,
        };
        let mut rng = SplitMix64::new(3);
        let steady: Vec<f64> = (0..20)
            .map(|_| 100.0 * (1.0 + 0.01 * rng.normal()))
            .collect();
        let d = drift(&rounds(&steady, &steady), own).unwrap();
        assert!(!d.drifted, "{d:?}");
        let slowing: Vec<f64> = steady
            .iter()
            .enumerate()
            .map(|(i, x)| if i < 10 { *x } else { x * 1.2 })
            .collect();
        let d = drift(&rounds(&slowing, &slowing), own).unwrap();
        assert!(d.drifted, "{d:?}");
        assert!((d.change.point - 0.2).abs() < 0.03, "{d:?}");
        assert!(drift(&rounds(&steady[..5], &steady[..5]), own).is_none());
    }

    #[test]
    fn rounds_describe_only_the_samples_they_hold() {
        let r = rounds(&[100.0; 6], &[50.0; 6]);
        // Criterion keeps whole nanoseconds: 1 ns less per iteration is the same sample.
        assert!(r.describes("sequential", &[100.0, 99.5, 100.0, 100.0, 100.0, 99.0]));
        assert!(r.describes("rayon", &[50.0; 6]));
        // Measured again by a later run, one sample fewer, or not in this run at all.
        assert!(!r.describes("rayon", &[52.0; 6]));
        assert!(!r.describes("rayon", &[50.0; 5]));
        assert!(!r.describes("thread_pool", &[50.0; 6]));
        assert!(!r.describes("thread_pool", &[]));
        let mut live = r.clone();
        live.0.fallback = vec!["rayon".into()];
        assert!(!live.describes("rayon", &[50.0; 6]));
    }

    #[test]
    fn corrupt_and_future_files_are_errors_naming_the_file() {
        let dir = std::env::temp_dir().join(format!("cb-rounds-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("new")).unwrap();
        let path = dir.join("new").join(ROUNDS_FILE);
        let mut r = rounds(&[1.0], &[1.0]);
        r.0.rounds[0].samples[0].ns = -1.0;
        std::fs::write(&path, serde_json::to_string(&r).unwrap()).unwrap();
        let e = Rounds::load(&dir, "new").unwrap_err().to_string();
        assert!(e.contains(ROUNDS_FILE) && e.contains("positive"), "{e}");
        r.0.schema = 2;
        std::fs::write(&path, serde_json::to_string(&r).unwrap()).unwrap();
        let e = Rounds::load(&dir, "new").unwrap_err().to_string();
        assert!(e.contains("schema 2"), "{e}");
        assert!(Rounds::load(&dir, "other").unwrap().is_none());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
