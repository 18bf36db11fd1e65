//! Interleaved rounds on fake jobs with a fake clock: every strategy once per round, seeded
//! orders, drift shared alike, and Criterion handed exactly the measured samples.

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use crate::util;
use concurrency_bench::criterion_args::CriterionArgs;
use concurrency_bench::output::SideFiles;
use concurrency_bench::rounds::{
    self, iters_per_sample, medians_per_iteration, overshoot_tolerance, pause,
    replay_measurement_time, round_orders, run_rounds, summary_scale, Answer, Job, Plan, Replay,
    Round, RoundsFile, Sample, MIN_ITERS_PER_SAMPLE,
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
fn fake_job<'a>(
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

#[derive(serde::Deserialize)]
struct SavedSample {
    iters: Vec<f64>,
    times: Vec<f64>,
}

#[test]
fn criterion_saves_exactly_the_rounds_samples() {
    let dir = std::env::temp_dir().join(format!("cb-rounds-test-{}", std::process::id()));
    let home: PathBuf = dir.join("criterion");
    let args = CriterionArgs::parse(["--bench", "--save-baseline", "x", "fib/(a|b)$"]).unwrap();
    let side_files = SideFiles {
        criterion_home: home.clone(),
        baselines: args.baseline_dirs(),
    };
    let mut criterion = criterion::Criterion::default()
        .output_directory(&home)
        .without_plots()
        .with_filter("fib/(a|b)$")
        .save_baseline("x".to_owned());
    let clock = Cell::new(Duration::ZERO);
    let calls = RefCell::new(Vec::new());
    let no_load = |_| false;
    let skipped_calls = Rc::new(Cell::new(0));
    let skipped = Rc::clone(&skipped_calls);
    let jobs = vec![
        fake_job("a", Duration::from_millis(2), &clock, &no_load, &calls),
        Job::new("c", move |_| {
            skipped.set(skipped.get() + 1);
            Ok(Duration::from_millis(1))
        }),
        fake_job("b", Duration::from_millis(7), &clock, &no_load, &calls),
    ];
    let plan = Plan {
        group: "cpu/fib".to_owned(),
        samples: 10,
        sample_target: Duration::from_millis(20),
        warm_up: Duration::from_millis(5),
        seed: 3,
    };
    let mut group = criterion.benchmark_group("cpu/fib");
    group.nresamples(1000);
    let measured = rounds::measure_group(group, &args, &plan, None, jobs, &side_files).unwrap();
    assert_eq!(measured, ["a", "b"]);
    assert_eq!(
        skipped_calls.get(),
        0,
        "a strategy Criterion skips is not run"
    );

    for baseline in ["new", "x"] {
        let text = std::fs::read(home.join("cpu_fib").join(baseline).join("cb-rounds.json"))
            .unwrap_or_else(|error| panic!("{baseline}: {error}"));
        let file: RoundsFile = serde_json::from_slice(&text).unwrap();
        // 3 and 10 iterations per sample leave the warm-up wait 100 ms of overshoot: only a
        // thread off the CPU for that long could miss it, so a fallback here is a broken replay.
        assert!(file.fallback.is_empty(), "fell back: {:?}", file.fallback);
        assert_eq!(file.rounds.len(), 10);
        for round in &file.rounds {
            assert_eq!(round.order.len(), 2);
        }
        for function in ["a", "b"] {
            let sample_file = home
                .join("cpu_fib")
                .join(function)
                .join(baseline)
                .join("sample.json");
            let saved: SavedSample =
                serde_json::from_slice(&std::fs::read(&sample_file).unwrap()).unwrap();
            let rounds: Vec<(f64, f64)> = file
                .samples_of(function)
                .iter()
                .map(|s| (s.iters as f64, s.ns))
                .collect();
            let criterion: Vec<(f64, f64)> = saved.iters.into_iter().zip(saved.times).collect();
            assert_eq!(criterion, rounds, "{function} in {baseline}");
        }
    }
    // 20 ms per sample: a takes 2 ms per iteration (10 per sample), b 7 ms (3 per sample).
    let file: RoundsFile =
        serde_json::from_slice(&std::fs::read(home.join("cpu_fib/new/cb-rounds.json")).unwrap())
            .unwrap();
    assert_eq!(file.samples_of("a")[0].iters, 10);
    assert_eq!(file.samples_of("b")[0].iters, 3);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn samples_of_tens_of_thousands_of_iterations_are_replayed() {
    // A job of 5 ns per iteration and a 150 µs sample target: k = 30,000 iterations per sample,
    // so Criterion's warm-up call may end at most 1 s/29,999 ≈ 33 µs late (a sleep alone ends
    // 0.1–0.2 ms late). The wait spins through its deadline, which holds that whenever its
    // thread has a CPU at the deadline; under load it may not (with two busy loops beside other
    // builds on two cores, in most waits), and then Criterion rightly asks for fewer
    // iterations. So each attempt checks what the wait's own clock readings decide: on time →
    // replayed exactly; late by the tolerance → measured live. Up to three attempts, to see a
    // replay under load; none is guaranteed then (the lib's `real_waits_…` test holds the spin
    // itself to its precision in a way load cannot fail).
    let dir = std::env::temp_dir().join(format!("cb-rounds-many-{}", std::process::id()));
    let home: PathBuf = dir.join("criterion");
    let mut criterion = criterion::Criterion::default()
        .output_directory(&home)
        .without_plots();
    let plan = Plan {
        group: "cpu/tiny".to_owned(),
        samples: 10,
        sample_target: Duration::from_micros(150),
        warm_up: Duration::from_micros(1),
        seed: 11,
    };
    let clock = Cell::new(Duration::ZERO);
    let calls = RefCell::new(Vec::new());
    let no_load = |_| false;
    let mut job = fake_job("tiny", Duration::from_nanos(5), &clock, &no_load, &calls);
    // Planned as `measure_group` plans it.
    let per_iteration = rounds::warm_up(&mut job.measure, plan.warm_up).unwrap();
    let k = iters_per_sample(plan.sample_target, per_iteration);
    assert!(k >= 20_000, "k = {k}");
    let record = run_rounds(&plan, &mut [&mut job], &[k], None).unwrap();
    let rounds: Vec<(f64, f64)> = record
        .samples_of("tiny")
        .iter()
        .map(|s| (s.iters as f64, s.ns))
        .collect();
    let tolerance = overshoot_tolerance(k);

    let mut replayed = false;
    let mut misses = Vec::new();
    for attempt in 0..3 {
        // A fresh benchmark id per attempt: Criterion refuses a repeated one.
        job.name = format!("tiny{attempt}");
        let mut replay = Replay::new(
            k,
            rounds
                .iter()
                .map(|&(_, ns)| Duration::from_nanos(ns as u64)),
        );
        let mut group = criterion.benchmark_group("cpu/tiny");
        group.nresamples(1000);
        assert!(rounds::bench_replay(&mut group, &plan, &mut job, &mut replay).unwrap());
        group.finish();
        let wait = replay
            .warm_up()
            .expect("Criterion's first call is its 1-iteration warm-up");
        let overshoot = wait.overshoot(pause(k));
        let sample_file = home
            .join("cpu_tiny")
            .join(&job.name)
            .join("new/sample.json");
        let saved: SavedSample =
            serde_json::from_slice(&std::fs::read(&sample_file).unwrap()).unwrap();
        let saved: Vec<(f64, f64)> = saved.iters.into_iter().zip(saved.times).collect();
        // Criterion's clock around the wait adds the call's own nanoseconds: half the
        // tolerance leaves them ample room.
        // Replayed or not, a replay that was not measured live is exact.
        if !replay.fell_back() {
            assert_eq!(saved, rounds, "attempt {attempt}");
        }
        if overshoot < tolerance / 2 && !replay.fell_back() {
            replayed = true;
            break;
        }
        // On time by the wait's clock yet live: Criterion's clock around the call saw a gap
        // outside the wait (its thread preempted there), which the fallback warning names.
        if overshoot >= tolerance {
            assert!(replay.fell_back(), "{wait:?}: late, yet replayed");
            assert!(
                saved.iter().all(|&(iters, _)| iters < k as f64),
                "live samples are Criterion's own counts"
            );
        }
        misses.push(wait);
    }
    if !replayed {
        eprintln!("no attempt's warm-up wait had a CPU at its deadline (load): {misses:?}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn without_rounds_a_stale_rounds_file_goes_only_where_criterion_measured_anew() {
    let dir = std::env::temp_dir().join(format!("cb-rounds-quick-{}", std::process::id()));
    let home: PathBuf = dir.join("criterion");
    let args = CriterionArgs::parse(["--bench", "--quick", "fib/a$"]).unwrap();
    assert!(!args.interleaves());
    let side_files = SideFiles {
        criterion_home: home.clone(),
        baselines: args.baseline_dirs(),
    };
    for group in ["cpu_fib", "cpu_sum_of_squares"] {
        for baseline in ["new", "base"] {
            let path = home.join(group).join(baseline).join("cb-rounds.json");
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, "{}").unwrap();
        }
    }
    let mut criterion = criterion::Criterion::default()
        .output_directory(&home)
        .without_plots()
        .with_filter("fib/a$");
    let clock = Cell::new(Duration::ZERO);
    let calls = RefCell::new(Vec::new());
    let no_load = |_| false;
    for (group_id, function) in [("cpu/fib", "a"), ("cpu/sum_of_squares", "b")] {
        let plan = Plan {
            group: group_id.to_owned(),
            samples: 10,
            sample_target: Duration::from_millis(2),
            warm_up: Duration::from_nanos(1),
            seed: 1,
        };
        let jobs = vec![fake_job(
            function,
            Duration::from_micros(1),
            &clock,
            &no_load,
            &calls,
        )];
        let mut group = criterion.benchmark_group(group_id);
        group.nresamples(1000);
        rounds::measure_group(group, &args, &plan, None, jobs, &side_files).unwrap();
    }
    for baseline in ["new", "base"] {
        let rounds_file = |group: &str| home.join(group).join(baseline).join("cb-rounds.json");
        assert!(!rounds_file("cpu_fib").exists(), "measured anew: stale");
        assert!(rounds_file("cpu_sum_of_squares").exists(), "not run: kept");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_failed_run_inside_criterion_comes_back_as_the_error_and_nothing_more_is_written() {
    // With rounds the failure happens in the planning warm-up; measured live (`--quick`), inside
    // Criterion's own routine, from which it escapes.
    for (mode, line) in [
        ("rounds", &["--bench"][..]),
        ("live", &["--bench", "--quick"][..]),
    ] {
        let dir =
            std::env::temp_dir().join(format!("cb-rounds-fail-{mode}-{}", std::process::id()));
        let home: PathBuf = dir.join("criterion");
        let args = CriterionArgs::parse(line.iter().copied()).unwrap();
        let side_files = SideFiles {
            criterion_home: home.clone(),
            baselines: args.baseline_dirs(),
        };
        let mut criterion = criterion::Criterion::default()
            .output_directory(&home)
            .without_plots();
        let calls = Cell::new(0);
        let failing = Job::new("b", |iters| {
            calls.set(calls.get() + 1);
            match calls.get() {
                3 => Err(concurrency_bench::matrix::RunError {
                    strategy: concurrency_bench::strategy::Strategy::Rayon,
                    workload: "cpu/fib".to_owned(),
                    message: "job 2: expected 5, got 6".to_owned(),
                }
                .into()),
                _ => Ok(Duration::from_micros(10) * iters as u32),
            }
        });
        let fine = Job::new("a", |iters| Ok(Duration::from_micros(10) * iters as u32));
        let plan = Plan {
            group: "cpu/fib".to_owned(),
            samples: 10,
            sample_target: Duration::from_micros(100),
            warm_up: Duration::from_micros(1),
            seed: 1,
        };
        let mut group = criterion.benchmark_group("cpu/fib");
        group.nresamples(1000);
        let error =
            rounds::measure_group(group, &args, &plan, None, vec![fine, failing], &side_files)
                .unwrap_err();
        assert_eq!(error.exit_code(), 1, "{mode}");
        assert_eq!(
            error.to_string(),
            "cpu/fib / rayon: job 2: expected 5, got 6",
            "{mode}"
        );
        assert_eq!(calls.get(), 3, "{mode}: nothing ran after the failure");
        let report = home.join("cpu_fib").join("report");
        assert!(!report.exists(), "{mode}: the group's summary was written");
        assert!(
            !home
                .join("cpu_fib")
                .join("new")
                .join("cb-rounds.json")
                .exists(),
            "{mode}: rounds written after a failure"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
