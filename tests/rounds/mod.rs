//! Interleaved rounds on fake jobs with a fake clock: every strategy once per round, seeded
//! orders, drift shared alike, and the replay that hands Criterion exactly the measured samples
//! (`handoff`: through a real Criterion).

use std::cell::{Cell, RefCell};
use std::time::Duration;

use crate::util;
use concurrency_bench::rounds::{
    iters_per_sample, medians_per_iteration, pause, replay_measurement_time, round_orders,
    run_rounds, summary_scale, Answer, Job, Plan, Replay, Round, RoundsFile, Sample,
    MIN_ITERS_PER_SAMPLE,
};
use mock_server::SplitMix64;

fn plan(group: &str, samples: usize, seed: u64) -> Plan {
    let config = util::config(&[
        ("CB_SAMPLES", &samples.to_string()),
        ("CB_ORDER_SEED", &seed.to_string()),
    ]);
    Plan::new(
        group,
        &config,
        20,
        Duration::from_millis(100),
        Duration::from_millis(10),
    )
}

/// A fake job: each iteration takes `per_iteration` of fake time, twice that while the `load`
/// is on at the fake clock's current time; records the order of calls.
pub(super) fn fake_job<'a>(
    name: &'static str,
    per_iteration: Duration,
    clock: &'a Cell<Duration>,
    load: &'a dyn Fn(Duration) -> bool,
    calls: &'a RefCell<Vec<&'static str>>,
) -> Job<'a> {
    Job::new(name, move |iters| {
        calls.borrow_mut().push(name);
        let factor = if load(clock.get()) { 2 } else { 1 };
        let elapsed = per_iteration * factor * iters as u32;
        clock.set(clock.get() + elapsed);
        Ok(elapsed)
    })
}

#[test]
fn the_generator_is_splitmix64() {
    // Reference value of SplitMix64 seeded with 0 (from the published algorithm).
    assert_eq!(SplitMix64::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    let mut rng = SplitMix64::new(1);
    assert!((0..1000).all(|_| rng.below(7) < 7));
}

#[test]
fn every_strategy_runs_once_per_round_in_orders_that_differ() {
    let orders = round_orders(10, 20, 7, "cpu/fib");
    assert_eq!(orders.len(), 20);
    for order in &orders {
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..10).collect::<Vec<_>>());
    }
    let distinct: std::collections::HashSet<_> = orders.iter().collect();
    assert!(
        distinct.len() > 15,
        "orders repeat: {} distinct",
        distinct.len()
    );
    let firsts: std::collections::HashSet<_> = orders.iter().map(|order| order[0]).collect();
    assert!(firsts.len() > 3, "the same strategies always go first");
}

#[test]
fn orders_are_deterministic_for_a_seed_and_differ_across_seeds_and_groups() {
    assert_eq!(
        round_orders(10, 20, 42, "cpu/fib"),
        round_orders(10, 20, 42, "cpu/fib")
    );
    assert_ne!(
        round_orders(10, 20, 42, "cpu/fib"),
        round_orders(10, 20, 43, "cpu/fib")
    );
    assert_ne!(
        round_orders(10, 20, 42, "cpu/fib"),
        round_orders(10, 20, 42, "cpu/sum_of_squares")
    );
}

#[test]
fn rounds_record_every_sample_in_the_order_it_ran() {
    let clock = Cell::new(Duration::ZERO);
    let calls = RefCell::new(Vec::new());
    let no_load = |_| false;
    let mut jobs = [
        fake_job(
            "sequential",
            Duration::from_millis(40),
            &clock,
            &no_load,
            &calls,
        ),
        fake_job("rayon", Duration::from_millis(20), &clock, &no_load, &calls),
        fake_job(
            "thread_pool",
            Duration::from_millis(25),
            &clock,
            &no_load,
            &calls,
        ),
    ];
    let plan = plan("cpu/fib", 12, 5);
    let iters = [2, 5, 4];
    let mut refs: Vec<&mut Job> = jobs.iter_mut().collect();
    let file = run_rounds(&plan, &mut refs, &iters, Some("sequential")).unwrap();
    assert_eq!(file.group, "cpu/fib");
    assert_eq!(file.seed, Some(5));
    assert_eq!(file.reference.as_deref(), Some("sequential"));
    assert_eq!(file.rounds.len(), 12);
    let expected_orders = round_orders(3, 12, 5, "cpu/fib");
    let names = ["sequential", "rayon", "thread_pool"];
    for (round, order) in file.rounds.iter().zip(&expected_orders) {
        let order: Vec<&str> = order.iter().map(|&index| names[index]).collect();
        assert_eq!(round.order, order);
        let sampled: Vec<&str> = round.samples.iter().map(|s| s.function.as_str()).collect();
        assert_eq!(sampled, order);
    }
    let ran: Vec<&str> = file
        .rounds
        .iter()
        .flat_map(|round| round.order.iter().map(String::as_str))
        .collect();
    assert_eq!(*calls.borrow(), ran, "samples are recorded as they ran");
    for sample in file.samples_of("rayon") {
        assert_eq!((sample.iters, sample.ns), (5, 100e6));
    }
    assert_eq!(file.samples_of("sequential").len(), 12);
    let json = serde_json::to_string(&file).unwrap();
    let back: RoundsFile = serde_json::from_str(&json).unwrap();
    assert_eq!(back, file);
    assert!(json.contains("\"fallback\":[]"), "{json}");
}

#[test]
fn a_reference_that_was_not_measured_is_not_named() {
    let clock = Cell::new(Duration::ZERO);
    let calls = RefCell::new(Vec::new());
    let no_load = |_| false;
    let mut jobs = [fake_job(
        "rayon",
        Duration::from_millis(1),
        &clock,
        &no_load,
        &calls,
    )];
    let mut refs: Vec<&mut Job> = jobs.iter_mut().collect();
    let file = run_rounds(&plan("cpu/fib", 10, 1), &mut refs, &[1], Some("sequential")).unwrap();
    assert_eq!(file.reference, None);
}

/// Mean time per iteration of each function's samples.
fn mean_per_iteration(samples: &[(u64, Duration)]) -> f64 {
    samples
        .iter()
        .map(|(iters, elapsed)| elapsed.as_secs_f64() / *iters as f64)
        .sum::<f64>()
        / samples.len() as f64
}

#[test]
fn a_load_that_starts_halfway_biases_block_order_but_not_rounds() {
    // Two equally fast strategies; a load that doubles every time switches on halfway through
    // the group's time. Criterion's old order (all of A, then all of B) puts the whole load on
    // B; rounds put half of it on each.
    let per_iteration = Duration::from_millis(10);
    let samples = 20;
    let iters = 3u64;
    let halfway = per_iteration * (2 * samples * iters as usize) as u32 / 2;
    let load = move |now: Duration| now >= halfway;
    let calls = RefCell::new(Vec::new());

    let clock = Cell::new(Duration::ZERO);
    let mut a = fake_job("a", per_iteration, &clock, &load, &calls);
    let mut b = fake_job("b", per_iteration, &clock, &load, &calls);
    let block_a: Vec<_> = (0..samples)
        .map(|_| (iters, (a.measure)(iters).unwrap()))
        .collect();
    let block_b: Vec<_> = (0..samples)
        .map(|_| (iters, (b.measure)(iters).unwrap()))
        .collect();
    let block_ratio = mean_per_iteration(&block_b) / mean_per_iteration(&block_a);
    assert!(block_ratio > 1.9, "block order: b/a = {block_ratio}");

    let clock = Cell::new(Duration::ZERO);
    let mut jobs = [
        fake_job("a", per_iteration, &clock, &load, &calls),
        fake_job("b", per_iteration, &clock, &load, &calls),
    ];
    let mut refs: Vec<&mut Job> = jobs.iter_mut().collect();
    let file = run_rounds(&plan("cpu/x", samples, 9), &mut refs, &[iters, iters], None).unwrap();
    let of = |name| -> Vec<(u64, Duration)> {
        file.samples_of(name)
            .iter()
            .map(|s| (s.iters, Duration::from_nanos(s.ns as u64)))
            .collect()
    };
    let rounds_ratio = mean_per_iteration(&of("b")) / mean_per_iteration(&of("a"));
    // At most the one round the switch falls in differs: 1 sample in 20 at twice the time.
    assert!(
        (rounds_ratio - 1.0).abs() <= 1.0 / samples as f64 + 1e-9,
        "rounds: b/a = {rounds_ratio}"
    );
}

#[test]
fn iterations_per_sample_fill_the_target() {
    let ms = Duration::from_millis;
    assert_eq!(iters_per_sample(ms(150), ms(30)), 5);
    assert_eq!(iters_per_sample(ms(150), ms(40)), 4, "3.75 rounds to 4");
    assert_eq!(iters_per_sample(ms(150), ms(100)), 2, "1.5 rounds to 2");
    assert_eq!(
        iters_per_sample(ms(150), ms(700)),
        MIN_ITERS_PER_SAMPLE,
        "at least two: Criterion warns at one"
    );
    assert_eq!(
        iters_per_sample(ms(150), Duration::ZERO),
        MIN_ITERS_PER_SAMPLE
    );
    // CB_MIN_ITERS=1 (ab's rounds): one iteration of a slow strategy, the same count otherwise.
    assert_eq!(
        concurrency_bench::rounds::iters_per_sample_at_least(ms(150), ms(700), 1),
        1
    );
    assert_eq!(
        concurrency_bench::rounds::iters_per_sample_at_least(ms(150), ms(40), 1),
        4
    );
    assert_eq!(
        concurrency_bench::rounds::iters_per_sample_at_least(ms(150), ms(700), 0),
        1
    );
}

#[test]
fn criterion_never_plans_the_one_iteration_samples_it_warns_about() {
    // Criterion 0.8.2 prints "Unable to complete N samples" exactly when its flat plan is one
    // iteration per sample; whatever a strategy takes, the replay asks for at least two.
    let ms = Duration::from_millis;
    for per_iteration in [ms(1), ms(200), ms(400), ms(3_200), ms(60_000)] {
        let iters = iters_per_sample(ms(400), per_iteration);
        let met = pause(iters).as_nanos() as f64;
        let asked = criterion_iterations(replay_measurement_time(10, iters), 10, met);
        assert_eq!(asked, iters);
        assert!(
            asked >= 2,
            "{per_iteration:?}: {asked} iteration per sample"
        );
    }
}

#[test]
fn medians_spanning_more_than_ten_times_get_a_logarithmic_axis() {
    use criterion::AxisScale;
    let is_log = |medians: &[f64]| matches!(summary_scale(medians), AxisScale::Logarithmic);
    assert!(is_log(&[28e6, 3.5e9, 40e6]), "io/download: 28 ms to 3.5 s");
    assert!(!is_log(&[20e6, 41e6]), "cpu/sum_of_squares: 2×");
    assert!(!is_log(&[10.0, 100.0]), "exactly 10× stays linear");
    assert!(!is_log(&[]));
    assert!(
        !is_log(&[0.0, 5.0]),
        "a zero median has no place on a log axis"
    );
}

#[test]
fn medians_per_iteration_are_per_function_in_first_appearance_order() {
    let sample = |function: &str, iters: u64, ns: f64| Sample {
        function: function.to_owned(),
        iters,
        ns,
        cpu: None,
    };
    let file = RoundsFile {
        schema: 1,
        group: "g".to_owned(),
        reference: None,
        seed: Some(0),
        rounds: vec![
            Round {
                order: vec!["b".into(), "a".into()],
                samples: vec![sample("b", 2, 40.0), sample("a", 1, 5.0)],
            },
            Round {
                order: vec!["a".into(), "b".into()],
                samples: vec![sample("a", 1, 7.0), sample("b", 2, 60.0)],
            },
            Round {
                order: vec!["a".into(), "b".into()],
                samples: vec![sample("a", 1, 100.0), sample("b", 2, 44.0)],
            },
        ],
        fallback: Vec::new(),
    };
    // b: 20, 30, 22 per iteration → 22; a: 5, 7, 100 → 7.
    assert_eq!(medians_per_iteration(&file), vec![22.0, 7.0]);
}

/// Criterion 0.8.2's Flat `iteration_counts` (src/lib.rs), for the estimate `met` its one
/// warm-up call gives.
fn criterion_iterations(measurement_time: Duration, samples: usize, met_ns: f64) -> u64 {
    let per_sample = measurement_time.as_nanos() as f64 / samples as f64;
    ((per_sample / met_ns).ceil() as u64).max(1)
}

#[test]
fn criterion_asks_for_the_measured_iterations_despite_sleep_overshoot() {
    for samples in [10, 15, 20, 1000] {
        for iters in [1, 2, 3, 7, 20, 50] {
            let time = replay_measurement_time(samples, iters);
            for overshoot_us in [0, 50, 1_000, 19_000] {
                let met = (pause(iters) + Duration::from_micros(overshoot_us)).as_nanos() as f64;
                assert_eq!(
                    criterion_iterations(time, samples, met),
                    iters,
                    "n={samples} k={iters} overshoot {overshoot_us} µs"
                );
            }
        }
    }
    // Beyond the tolerance Criterion asks for fewer: that is the live fallback's case.
    let met = (pause(5) + Duration::from_millis(150)).as_nanos() as f64;
    assert_ne!(
        criterion_iterations(replay_measurement_time(10, 5), 10, met),
        5
    );
}

#[test]
fn a_replay_answers_warm_up_then_samples_then_falls_back_to_live() {
    let ms = Duration::from_millis;
    let mut replay = Replay::new(3, [ms(30), ms(31)]);
    assert_eq!(replay.answer(1), Answer::WarmUp(pause(3)));
    assert_eq!(replay.answer(3), Answer::Sample(ms(30)));
    assert_eq!(replay.answer(3), Answer::Sample(ms(31)));
    assert!(!replay.fell_back());
    assert_eq!(
        replay.answer(3),
        Answer::Live { first: true },
        "no samples left"
    );
    assert!(replay.fell_back());

    let mut overshot = Replay::new(3, [ms(30), ms(31)]);
    overshot.answer(1);
    assert_eq!(overshot.answer(2), Answer::Live { first: true });
    assert_eq!(
        overshot.answer(3),
        Answer::Live { first: false },
        "once live, always live: no mixing of live and replayed samples"
    );
}

#[test]
fn only_a_one_iteration_first_call_is_answered_with_the_warm_up_wait() {
    // A first call for any other count is not the warm-up the wait steers: answered with the
    // wait, Criterion would record a wait as a sample of that many iterations.
    let ms = Duration::from_millis;
    for first in [2, 3, 1000] {
        let mut replay = Replay::new(3, [ms(30), ms(31)]);
        assert_eq!(
            replay.answer(first),
            Answer::Live { first: true },
            "{first}"
        );
        assert!(replay.fell_back());
        assert_eq!(
            replay.answer(3),
            Answer::Live { first: false },
            "{first}: the samples are not replayed after a live call"
        );
        assert_eq!(replay.warm_up(), None);
    }
    let mut one = Replay::new(1, [ms(10)]);
    assert_eq!(one.answer(1), Answer::WarmUp(pause(1)));
    assert_eq!(
        one.answer(1),
        Answer::Sample(ms(10)),
        "later calls for 1 are samples"
    );
    assert!(!one.fell_back());
}

mod handoff;
mod turns;
