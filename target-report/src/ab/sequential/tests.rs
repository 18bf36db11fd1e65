//! The sequential rounds' rules, simulated through the functions `ab` uses: false alarms
//! with repeated looks, what the README says an A/A and a +10% change give, futility, budgets.

use super::*;
use crate::compare::paired_entry;
use crate::stats::SplitMix64;

/// Per-round SDs of ln(new/old) spanning what `ab` measured on the 2-core machine (README:
/// 0.24–2.7% for the 10 I/O benchmarks, 0.36–5.7% for the 20 CPU ones), log-spaced.
fn measured_sds() -> Vec<f64> {
    let spaced = |lo: f64, hi: f64, n: usize| -> Vec<f64> {
        (0..n)
            .map(|i| (lo.ln() + (hi / lo).ln() * i as f64 / (n - 1) as f64).exp())
            .collect()
    };
    let mut sds = spaced(0.0024, 0.027, 10);
    sds.extend(spaced(0.0036, 0.057, 20));
    sds
}

/// One simulated suite through the rule `ab` applies: each benchmark's rounds drawn as
/// true change + noise, looked at after the first batch and every STEP rounds with
/// [`verdict::decided_alone`], stopped once decided or [`futile`]; then [`verdict::decide_verdicts`]
/// over all (Holm on the look-adjusted p-values). Returns the verdicts and the rounds each took.
fn simulate_suite(
    rng: &mut SplitMix64,
    deltas: &[f64],
    sds: &[f64],
    rule: &Stopping,
    threshold_pct: f64,
) -> (Vec<Verdict>, Vec<usize>) {
    let m = sds.len();
    let mut entries = Vec::with_capacity(m);
    let mut rounds = Vec::with_capacity(m);
    for (&delta, &sd) in deltas.iter().zip(sds) {
        let d: Vec<f64> = (0..rule.max_rounds)
            .map(|_| delta + sd * rng.normal())
            .collect();
        let mut k = rule.min_rounds;
        let entry = loop {
            let old = vec![1.0; k];
            let new: Vec<f64> = d[..k].iter().map(|x| x.exp()).collect();
            let mut e = paired_entry("g/f".into(), &old, &new, (10, 10), None);
            e.looks = rule.looks();
            if k >= rule.max_rounds
                || verdict::decided_alone(&e, threshold_pct, m).is_some()
                || futile(&e, threshold_pct, rule)
            {
                break e;
            }
            k += STEP;
        };
        entries.push(entry);
        rounds.push(k);
    }
    verdict::decide_verdicts(&mut entries, threshold_pct);
    (entries.iter().map(|e| e.verdict).collect(), rounds)
}

#[test]
fn a_a_suites_rarely_see_a_false_regression_despite_the_repeated_looks() {
    // 1,000 simulated A/A suites of the 30 benchmarks at their measured noise: at the
    // default T = 5% and at T = 0 (every test on its null boundary, the worst case), the
    // share of suites with any "regressed" stays at most α = 5%.
    let (rule, sds) = (Stopping::default(), measured_sds());
    let zero = vec![0.0; sds.len()];
    for (threshold, seed) in [(5.0, 1), (0.0, 2)] {
        let mut rng = SplitMix64::new(seed);
        let mut alarmed = 0;
        for _ in 0..1000 {
            let (v, _) = simulate_suite(&mut rng, &zero, &sds, &rule, threshold);
            alarmed += usize::from(v.contains(&Verdict::Regressed));
        }
        eprintln!("T = {threshold}%: {alarmed} of 1000 A/A suites with a false regression");
        assert!(alarmed <= 50, "T = {threshold}%: {alarmed} of 1000");
    }
}

#[test]
fn the_readme_numbers_of_sequential_rounds_come_from_here() {
    // 200 simulated suites each: A/A at T = 5% (how many benchmarks are decided unchanged,
    // and after how many rounds), and +10% on every CPU benchmark of the noisier half.
    let (rule, sds) = (Stopping::default(), measured_sds());
    let mut rng = SplitMix64::new(3);
    let (mut unchanged, mut rounds, mut total) = (0, 0, 0);
    for _ in 0..200 {
        let (v, k) = simulate_suite(&mut rng, &vec![0.0; sds.len()], &sds, &rule, 5.0);
        unchanged += v.iter().filter(|&&v| v == Verdict::Unchanged).count();
        rounds += k.iter().sum::<usize>();
        total += v.len();
    }
    let share = unchanged as f64 / total as f64;
    let mean_rounds = rounds as f64 / total as f64;
    eprintln!(
        "A/A: {:.1}% unchanged, {mean_rounds:.2} rounds per benchmark",
        100.0 * share
    );
    assert!(share >= 0.9, "{share}");
    assert!(mean_rounds < 6.0, "{mean_rounds}");
    // +10% where the CPU SD is at most 2% (the sum_of_squares strategies measured here).
    let deltas: Vec<f64> = sds
        .iter()
        .enumerate()
        .map(|(i, &sd)| {
            if i >= 10 && sd <= 0.02 {
                1.1f64.ln()
            } else {
                0.0
            }
        })
        .collect();
    let (mut found, mut shifted, mut false_alarms) = (0, 0, 0);
    for _ in 0..200 {
        let (v, _) = simulate_suite(&mut rng, &deltas, &sds, &rule, 5.0);
        for (verdict, &delta) in v.iter().zip(&deltas) {
            if delta > 0.0 {
                shifted += 1;
                found += usize::from(*verdict == Verdict::Regressed);
            } else {
                false_alarms += usize::from(*verdict == Verdict::Regressed);
            }
        }
    }
    let power = found as f64 / shifted as f64;
    eprintln!(
        "+10% called regressed {:.1}% of the time; {false_alarms} false",
        100.0 * power
    );
    assert!(power >= 0.9 && false_alarms == 0, "{power} {false_alarms}");
}

#[test]
fn only_a_spread_no_round_count_can_beat_and_an_estimate_within_t_is_futile() {
    // Four rounds of ln ratios with the given spread around the given mean.
    let entry = |mean: f64, spread: f64| {
        let new: Vec<f64> = [-1.0, 1.0, -1.0, 1.0]
            .iter()
            .map(|z| (mean + z * spread).exp())
            .collect();
        let mut e = paired_entry("g/f".into(), &[1.0; 4], &new, (10, 10), None);
        e.looks = Stopping::default().looks();
        e
    };
    let rule = Stopping::default();
    // SD 23%: at 12 rounds a zero estimate's unchanged interval still reaches ±20%: futile.
    assert!(futile(&entry(0.0, 0.2), 5.0, &rule));
    // SD 2.3%: at 12 rounds it would reach ±2%: keep going.
    assert!(!futile(&entry(0.0, 0.02), 5.0, &rule));
    // As noisy, but the estimate is +22%: it may be a regression, keep going.
    assert!(!futile(&entry(0.2, 0.2), 5.0, &rule));
}

#[test]
fn an_estimate_beyond_t_says_by_when_it_would_be_named() {
    let rule = Stopping::default();
    // K rounds of ln ratios alternating ±spread around the mean, among 20 benchmarks.
    let entry = |mean: f64, spread: f64, k: usize| {
        let new: Vec<f64> = (0..k)
            .map(|i| (mean + if i % 2 == 0 { -spread } else { spread }).exp())
            .collect();
        let mut e = paired_entry("g/f".into(), &vec![1.0; k], &new, (10, 10), None);
        e.looks = rule.looks();
        verdict::fill_power_among(&mut e, 5.0, 20);
        e
    };
    let line = |e: &Entry, k: usize| {
        let undecided = Undecided {
            gives_up: false,
            at_estimate: verdict::rounds_at_estimate(e, 5.0, 20),
        };
        look_line(e, k, None, &rule, &undecided)
    };
    // `cpu/sum_of_squares/thread_pool` at +10% work: +6.2% at about 1% per round, beyond T,
    // but 12 rounds cannot name it at the rule's 99.95%.
    let e = entry(1.062f64.ln(), 0.01, 12);
    let text = line(&e, 12);
    eprintln!("{text}");
    let says = "undecided at --max-rounds; were the change the +6.2% estimated, it would likely (80%) be called regressed only by";
    assert!(text.contains(says), "{text}");
    assert!(text.ends_with("rounds, beyond --max-rounds 12"), "{text}");
    // +4%, within ±T: nothing to say of when it would be named.
    assert_eq!(
        verdict::rounds_at_estimate(&entry(0.04, 0.01, 4), 5.0, 20),
        None
    );
    // −9% at that spread after 4 rounds: improved, within reach.
    let e = entry(0.91f64.ln(), 0.01, 4);
    let r = verdict::rounds_at_estimate(&e, 5.0, 20).flatten().unwrap();
    assert!((4..=rule.max_rounds as u64).contains(&r), "{r}");
    let text = line(&e, 4);
    let says = format!("undecided; were the change the -9.0% estimated, it would likely (80%) be called improved by {r} rounds");
    assert!(text.ends_with(&says), "{text}");
}

#[test]
fn budgets_parse_and_the_rule_counts_its_looks() {
    assert_eq!(parse_budget("20m"), Ok(Duration::from_secs(1200)));
    assert_eq!(parse_budget("1h30m"), Ok(Duration::from_secs(5400)));
    assert_eq!(parse_budget("90s"), Ok(Duration::from_secs(90)));
    assert_eq!(parse_budget("15"), Ok(Duration::from_secs(900)));
    for bad in ["", "0m", "m", "5x", "1h30", "-5m"] {
        assert!(parse_budget(bad).is_err(), "{bad}");
    }
    assert_eq!(Stopping::default().looks(), 5);
    let rule = |min, max| Stopping {
        min_rounds: min,
        max_rounds: max,
        ..Stopping::default()
    };
    assert!(rule(4, 12).validate().is_ok());
    assert!(rule(2, 2).validate().is_ok());
    assert!(rule(3, 5).validate().is_err());
    assert!(rule(4, 7).validate().is_err());
    assert!(rule(4, 2).validate().is_err());
}

#[test]
fn the_budget_counts_a_benchmark_s_own_time_per_run() {
    let rule = Stopping {
        budget: Some(Duration::from_secs(60)),
        ..Stopping::default()
    };
    let started = Instant::now();
    let spent = |secs, runs| Progress {
        rounds: runs / 2,
        spent: Duration::from_secs(secs),
        runs,
        ..Progress::default()
    };
    // 8 runs of 5 s so far: two more rounds (4 runs, 20 s) fit in a minute, ten do not.
    let state = [spent(40, 8), Progress::default()];
    assert!(!over_budget(&rule, &state, 0, 6, started));
    assert!(over_budget(&rule, &state, 0, 14, started));
    // A benchmark not yet run is costed at the mean of all runs: 2 rounds (4 runs × 5 s)
    // fit, a first batch of 8 rounds (16 runs × 5 s) does not.
    assert!(!over_budget(&rule, &state, 1, 2, started));
    assert!(over_budget(&rule, &state, 1, 8, started));
    // No budget: never over.
    assert!(!over_budget(&Stopping::default(), &state, 0, 100, started));
}
