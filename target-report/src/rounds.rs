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
//!   differ significantly, the machine changed speed during the group: the summary says so. It
//!   still draws its findings from the paired speed-ups, which a change hitting both sides of a
//!   round alike cancels in (the simulation in this module's tests measures both).

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
            .find(|s| !s.is_measured());
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
    paired_ratio(pairs, stats::BOOTSTRAP_RESAMPLES, seed)
}

/// [`paired_ratio_of_medians`] with `resamples` resamples (fewer in the simulations).
fn paired_ratio(pairs: &[(f64, f64)], resamples: usize, seed: u64) -> Option<Interval> {
    if pairs.len() < MIN_PAIRED_ROUNDS {
        return None;
    }
    let (num, den): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
    let point = stats::median(&num) / stats::median(&den);
    let mut rng = SplitMix64::new(seed);
    let n = pairs.len();
    let mut ratios = Vec::with_capacity(resamples);
    let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
    for _ in 0..resamples {
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
    /// The change is significant: its interval excludes 0.
    pub drifted: bool,
}

/// Fewer reference samples than this give no drift verdict.
pub const MIN_DRIFT_ROUNDS: usize = 6;

/// The drift of `rounds`' reference. `None` without a reference, with a reference measured
/// live (a fallback: it has no rounds), or with too few of its samples.
pub fn drift(rounds: &Rounds) -> Option<Drift> {
    let reference = rounds.reference.as_ref()?;
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
    let seed = stats::seed_for(&format!("drift {}", rounds.group));
    let change = halves_change(&times, stats::BOOTSTRAP_RESAMPLES, seed);
    let (first, second) = times.split_at(times.len() / 2);
    Some(Drift {
        reference: reference.clone(),
        first_half_ns: stats::median(first),
        second_half_ns: stats::median(second),
        // A significance test alone: the simulation below found that also asking for a change
        // larger than the reference's own interval flags the same groups (that interval is
        // narrower than the halves' difference can be significant at).
        drifted: change.lower > 0.0 || change.upper < 0.0,
        change,
    })
}

/// `median(second half)/median(first half) − 1` of `times`, with a percentile-bootstrap
/// interval resampling each half independently.
fn halves_change(times: &[f64], resamples: usize, seed: u64) -> Interval {
    let (first, second) = times.split_at(times.len() / 2);
    stats::ratio_of_medians(second, first, resamples, seed).map(|x| x - 1.0)
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
                            cpu: None,
                        },
                        RoundSample {
                            function: "rayon".into(),
                            iters: 1,
                            ns: o,
                            cpu: None,
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
        let mut rng = SplitMix64::new(3);
        let steady: Vec<f64> = (0..20)
            .map(|_| 100.0 * (1.0 + 0.01 * rng.normal()))
            .collect();
        let d = drift(&rounds(&steady, &steady)).unwrap();
        assert!(!d.drifted, "{d:?}");
        let slowing: Vec<f64> = steady
            .iter()
            .enumerate()
            .map(|(i, x)| if i < 10 { *x } else { x * 1.2 })
            .collect();
        let d = drift(&rounds(&slowing, &slowing)).unwrap();
        assert!(d.drifted, "{d:?}");
        assert!((d.change.point - 0.2).abs() < 0.03, "{d:?}");
        assert!(drift(&rounds(&steady[..5], &steady[..5])).is_none());
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

/// The drift rule and the paired speed-ups on simulated groups, seeded so the numbers are fixed
/// (the README's "Summary page" section quotes them). A group is [`ROUNDS`] rounds of
/// [`STRATEGIES`] strategies in a shuffled order; a sample's time is its strategy's own time ×
/// the machine's slowness at the sample's moment (its round plus its position in the round) ×
/// normal noise with coefficient of variation `cv`.
#[cfg(test)]
mod simulation {
    use super::*;

    /// Bootstrap resamples: fewer than the summary's 10,000 keep the test fast; a rate over
    /// hundreds of groups does not need a percentile's last digit.
    const RESAMPLES: usize = 1_000;
    /// `cpu/fib`'s default sample count.
    const ROUNDS: usize = 12;
    /// `cpu/fib`'s ten strategies.
    const STRATEGIES: usize = 10;

    /// How much slower the machine runs at a moment in `0..ROUNDS` (1 = unchanged).
    type Slowness<'a> = &'a dyn Fn(f64) -> f64;

    /// The moment of the sample at `position` in round `round`.
    fn moment(round: usize, position: usize) -> f64 {
        round as f64 + position as f64 / STRATEGIES as f64
    }

    /// One sample of a strategy whose own time is `own`.
    fn sample(rng: &mut SplitMix64, own: f64, cv: f64, slowness: f64) -> f64 {
        own * slowness * (1.0 + cv * rng.normal())
    }

    /// The share of `groups` simulated groups whose reference is flagged as drifted: by the
    /// significance test alone, and by the former rule, which also asked for a change larger
    /// than half the width of the reference's own 95% interval (its median's bootstrap interval,
    /// as Criterion computes it).
    fn flagged(seed: u64, groups: usize, cv: f64, slowness: Slowness) -> (f64, f64) {
        let mut rng = SplitMix64::new(seed);
        let (mut alone, mut with_own) = (0, 0);
        for g in 0..groups as u64 {
            let times: Vec<f64> = (0..ROUNDS)
                .map(|r| {
                    let at = moment(r, rng.below(STRATEGIES));
                    sample(&mut rng, 100.0, cv, slowness(at))
                })
                .collect();
            let change = halves_change(&times, RESAMPLES, g);
            if change.lower > 0.0 || change.upper < 0.0 {
                alone += 1;
                let own = stats::ratio_of_medians(&times, &[1.0], RESAMPLES, !g);
                let half_width = (own.upper - own.lower) / 2.0 / own.point;
                with_own += usize::from(change.point.abs() > half_width);
            }
        }
        let share = |n: usize| n as f64 / groups as f64;
        (share(alone), share(with_own))
    }

    /// The share of `groups` simulated groups whose paired 95% interval of the speed-up holds
    /// the true `speedup` (the strategy and the reference at their own positions each round).
    fn paired_coverage(seed: u64, groups: usize, cv: f64, speedup: f64, slowness: Slowness) -> f64 {
        let mut rng = SplitMix64::new(seed);
        let mut covered = 0;
        for g in 0..groups as u64 {
            let pairs: Vec<(f64, f64)> = (0..ROUNDS)
                .map(|r| {
                    let p = rng.below(STRATEGIES);
                    let q = (p + 1 + rng.below(STRATEGIES - 1)) % STRATEGIES;
                    let reference = sample(&mut rng, 100.0, cv, slowness(moment(r, p)));
                    let strategy = sample(&mut rng, 100.0 / speedup, cv, slowness(moment(r, q)));
                    (reference, strategy)
                })
                .collect();
            let ci = paired_ratio(&pairs, RESAMPLES, g).unwrap();
            covered += usize::from(ci.contains(speedup));
        }
        covered as f64 / groups as f64
    }

    #[test]
    fn drift_is_flagged_by_its_test_alone_and_pairing_cancels_it() {
        let steady = |_: f64| 1.0;
        let linear = |total: f64| move |t: f64| 1.0 + total * t / ROUNDS as f64;
        let step = |t: f64| if t < ROUNDS as f64 / 2.0 { 1.0 } else { 1.3 };
        // Stationary groups: about 5% flagged (the test's level), and the former condition
        // drops next to none of them.
        for (cv, seed) in [(0.01, 1), (0.03, 2)] {
            let (alone, with_own) = flagged(seed, 400, cv, &steady);
            println!("steady, cv {cv}: {alone:.3} flagged, {with_own:.3} with the own-interval condition");
            assert!((0.01..=0.08).contains(&alone), "{alone}");
            assert!(alone - with_own <= 0.01, "{alone} {with_own}");
        }
        // A linear drift of a few % over the group: seen often at 1% noise.
        for (total, seed, at_least) in [(0.02, 3, 0.15), (0.04, 4, 0.6)] {
            let (alone, _) = flagged(seed, 200, 0.01, &linear(total));
            println!("linear {total}, cv 0.01: {alone:.3} flagged");
            assert!(alone >= at_least, "{alone}");
        }
        // A paired speed-up of 2x keeps its coverage when the machine drifts or steps: the
        // change hits both sides of a round alike.
        let linear4 = linear(0.04);
        let cases: [(&str, Slowness, u64); 3] = [
            ("steady", &steady, 5),
            ("linear 4%", &linear4, 6),
            ("step +30%", &step, 7),
        ];
        for (name, slowness, seed) in cases {
            let (flag, _) = flagged(seed, 200, 0.02, slowness);
            let covered = paired_coverage(seed, 200, 0.02, 2.0, slowness);
            println!(
                "{name}, cv 0.02: {flag:.3} flagged, paired interval covers 2x in {covered:.3}"
            );
            assert!(covered >= 0.9, "{name}: {covered}");
        }
    }
}
