//! The rounds handed to a real Criterion: it saves exactly the measured samples, replays tens of
//! thousands of iterations per sample, removes stale rounds where it measured anew, and a run
//! that fails inside it comes back as the error.

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use concurrency_bench::criterion_args::CriterionArgs;
use concurrency_bench::output::SideFiles;
use concurrency_bench::rounds::{
    self, iters_per_sample, overshoot_tolerance, pause, run_rounds, Job, Plan, Replay, RoundsFile,
    MIN_ITERS_PER_SAMPLE,
};

use super::fake_job;

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
        min_iters: MIN_ITERS_PER_SAMPLE,
        cpu_time: true,
        turns: None,
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
        assert_saved_as_measured(&home, baseline);
    }
    // 20 ms per sample: a takes 2 ms per iteration (10 per sample), b 7 ms (3 per sample).
    let file: RoundsFile =
        serde_json::from_slice(&std::fs::read(home.join("cpu_fib/new/cb-rounds.json")).unwrap())
            .unwrap();
    assert_eq!(file.samples_of("a")[0].iters, 10);
    assert_eq!(file.samples_of("b")[0].iters, 3);
    std::fs::remove_dir_all(dir).unwrap();
}

/// The (iterations, ns) pairs of `<home>/<group_dir>/<function>/<baseline>/sample.json`.
fn saved_pairs(home: &Path, group_dir: &str, function: &str, baseline: &str) -> Vec<(f64, f64)> {
    let sample_file = home
        .join(group_dir)
        .join(function)
        .join(baseline)
        .join("sample.json");
    let saved: SavedSample = serde_json::from_slice(&std::fs::read(&sample_file).unwrap()).unwrap();
    saved.iters.into_iter().zip(saved.times).collect()
}

/// `cpu/fib`'s rounds in `baseline`: 10 rounds of `a` and `b`, none fallen back, and each
/// one's `sample.json` exactly its samples in the rounds.
fn assert_saved_as_measured(home: &Path, baseline: &str) {
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
        let rounds: Vec<(f64, f64)> = file
            .samples_of(function)
            .iter()
            .map(|s| (s.iters as f64, s.ns))
            .collect();
        let criterion = saved_pairs(home, "cpu_fib", function, baseline);
        assert_eq!(criterion, rounds, "{function} in {baseline}");
    }
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
        min_iters: MIN_ITERS_PER_SAMPLE,
        cpu_time: true,
        turns: None,
    };
    let clock = Cell::new(Duration::ZERO);
    let calls = RefCell::new(Vec::new());
    let no_load = |_| false;
    let mut job = fake_job("tiny", Duration::from_nanos(5), &clock, &no_load, &calls);
    // Planned as `measure_group` plans it.
    let per_iteration = rounds::warm_up(&mut job.measure, plan.warm_up, None).unwrap();
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
        let replay = replay_once(&mut criterion, &plan, &mut job, &rounds, k);
        let wait = replay
            .warm_up()
            .expect("Criterion's first call is its 1-iteration warm-up");
        let overshoot = wait.overshoot(pause(k));
        let saved = saved_pairs(&home, "cpu_tiny", &job.name, "new");
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
            min_iters: MIN_ITERS_PER_SAMPLE,
            cpu_time: true,
            turns: None,
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
            min_iters: MIN_ITERS_PER_SAMPLE,
            cpu_time: true,
            turns: None,
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

/// Hands `rounds` (k iterations per sample) to Criterion as `job`'s benchmark in `cpu/tiny`,
/// and returns the replay, which knows how its warm-up wait went.
fn replay_once(
    criterion: &mut criterion::Criterion,
    plan: &Plan,
    job: &mut Job<'_>,
    rounds: &[(f64, f64)],
    k: u64,
) -> Replay {
    let samples = rounds
        .iter()
        .map(|&(_, ns)| Duration::from_nanos(ns as u64));
    let mut replay = Replay::new(k, samples);
    let mut group = criterion.benchmark_group("cpu/tiny");
    group.nresamples(1000);
    assert!(rounds::bench_replay(&mut group, plan, job, &mut replay).unwrap());
    group.finish();
    replay
}
