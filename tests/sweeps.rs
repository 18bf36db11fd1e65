//! The sweep machinery at tiny sizes: every sweep's points build, run and check their work,
//! points too slow for the budget are planned as skipped with the reason, and a point measured
//! by a real Criterion records the CPU time of exactly its samples.

use std::path::Path;

use concurrency_bench::config::Config;
use concurrency_bench::criterion_args::CriterionArgs;
use concurrency_bench::extra_benches::sweep::{Sweep, SweepPoint, POINT_BUDGET, SAMPLES};
use concurrency_bench::output::{CpuSamples, SideFiles, CPU_FILE, META_FILE};
use concurrency_bench::strategy::Strategy;
use concurrency_bench::timeline::Probe;

use crate::util::{self, WORKER};

/// The tutorial's shape at a size a debug build runs in a blink.
fn tiny(sweep: Sweep, parameter: u64) -> Config {
    let mut config = sweep.config_at(&util::config(&[]), parameter);
    config.sites = config.sites.min(12);
    config.latency_ms = config.latency_ms.min(2.0);
    config.cpu_start = config.cpu_start.min(5_000);
    config.cpu_count = config.cpu_count.min(4);
    config.processes = config.processes.min(2);
    config
}

#[test]
fn every_sweep_point_runs_every_strategy_and_checks_it() {
    for sweep in Sweep::ALL {
        // The first and last parameter values of each sweep.
        let parameters = sweep.parameters();
        for &parameter in [parameters[0], parameters[parameters.len() - 1]].iter() {
            let config = tiny(sweep, parameter);
            let point = SweepPoint::with_config(sweep, config, parameter, Path::new(WORKER))
                .unwrap_or_else(|error| panic!("{sweep:?} at {parameter}: {error}"));
            assert!(point.elements() > 0);
            for &strategy in sweep.strategies() {
                let meta = point.meta(strategy);
                assert_eq!(meta.group, sweep.group());
                assert_eq!(meta.parameter, Some(parameter));
                assert_eq!(meta.skipped, None, "tiny points are never skipped");
                point
                    .run_verified(strategy, &Probe::OFF)
                    .unwrap_or_else(|error| panic!("{sweep:?} at {parameter}: {error}"));
            }
        }
    }
}

#[test]
fn the_sweep_sets_what_it_sweeps() {
    let point = SweepPoint::with_config(
        Sweep::CpuWorkers,
        tiny(Sweep::CpuWorkers, 4),
        4,
        Path::new(WORKER),
    )
    .unwrap();
    assert_eq!(point.meta(Strategy::ThreadPool).concurrency, 4);
    assert_eq!(
        point.meta(Strategy::Rayon).concurrency,
        4,
        "a local rayon pool of 4"
    );
    assert_eq!(
        point.meta(Strategy::ProcessPool).processes,
        2,
        "tiny() capped it"
    );
}

#[test]
fn points_over_the_budget_are_planned_as_skipped() {
    // 1000 downloads at 50 ms with 5 threads: 200 rounds, 10 s per iteration, 100 s in all.
    let sweep = Sweep::IoRequests;
    let mut config = tiny(sweep, 1000);
    config.sites = 1000;
    config.latency_ms = 50.0;
    let point = SweepPoint::with_config(sweep, config, 1000, Path::new(WORKER)).unwrap();
    let pool = point.meta(Strategy::ThreadPool);
    let reason = pool
        .skipped
        .clone()
        .expect("thread_pool is over the budget");
    assert!(reason.contains("not measured"), "{reason}");
    assert!(
        std::time::Duration::from_nanos(pool.configured_ideal_ns().unwrap() as u64)
            * SAMPLES as u32
            > POINT_BUDGET
    );
    assert_eq!(point.meta(Strategy::AsyncTokio).skipped, None);
}

/// Criterion's `sample.json`: the samples it analysed.
#[derive(serde::Deserialize)]
struct SavedSample {
    iters: Vec<f64>,
    times: Vec<f64>,
}

#[test]
fn a_point_measured_by_criterion_records_the_cpu_time_of_its_samples() {
    let dir = std::env::temp_dir().join(format!("cb-sweep-cpu-{}", std::process::id()));
    let home = dir.join("criterion");
    let args = CriterionArgs::parse(["--bench"]).unwrap();
    let side_files = SideFiles {
        criterion_home: home.clone(),
        baselines: args.baseline_dirs(),
    };
    assert_eq!(side_files.baselines, ["new", "base"]);
    let mut criterion = criterion::Criterion::default()
        .output_directory(&home)
        .without_plots();
    let sweep = Sweep::IoRequests;
    let (parameter, strategy) = (10, Strategy::AsyncTokio);
    let mut measure = |config: Config| {
        let point = SweepPoint::with_config(sweep, config, parameter, Path::new(WORKER)).unwrap();
        let mut group = criterion.benchmark_group(sweep.group());
        // The sweeps' settings (flat sampling of SAMPLES), at a size a debug build runs in
        // a blink: 10 downloads at 2 ms, a warm-up of a few calls, samples of a few runs.
        sweep.configure(&mut group);
        group
            .warm_up_time(std::time::Duration::from_millis(20))
            .measurement_time(std::time::Duration::from_millis(60))
            .nresamples(1000);
        let measured = point
            .bench(&mut group, strategy, &args, &side_files)
            .unwrap();
        group.finish();
        assert!(measured);
    };

    measure(tiny(sweep, parameter));
    let bench = home.join("sweep_io_requests/async_tokio/10");
    for baseline in ["new", "base"] {
        let dir = bench.join(baseline);
        let saved: SavedSample =
            serde_json::from_slice(&std::fs::read(dir.join("sample.json")).unwrap()).unwrap();
        assert!(dir.join(META_FILE).exists(), "{baseline}");
        let file = dir.join(CPU_FILE);
        if !cfg!(target_os = "linux") {
            assert!(!file.exists(), "no CPU time off Linux");
            continue;
        }
        let cpu: CpuSamples = serde_json::from_slice(&std::fs::read(&file).unwrap())
            .unwrap_or_else(|error| panic!("{}: {error}", file.display()));
        assert_eq!(
            (cpu.group.as_str(), cpu.function.as_str(), cpu.parameter),
            (sweep.group(), strategy.name(), Some(parameter))
        );
        // Exactly Criterion's samples, warm-up left out: the same counts and times, in order.
        assert_eq!(cpu.samples.len(), SAMPLES);
        let ours: Vec<(f64, f64)> = cpu.samples.iter().map(|s| (s.iters as f64, s.ns)).collect();
        let criterion: Vec<(f64, f64)> = saved.iters.into_iter().zip(saved.times).collect();
        assert_eq!(ours, criterion, "{baseline}");
        for sample in &cpu.samples {
            assert_eq!(sample.function, strategy.name());
            let cpu = sample.cpu.expect("every sample has its CPU time on Linux");
            assert_eq!(cpu.tick_ns, 10_000_000);
            assert!(
                cpu.server.is_some(),
                "the embedded server's threads are found"
            );
        }
    }

    // CB_CPU_TIME=off: measured again, and the earlier file, which would describe other
    // samples, is gone.
    let mut off = tiny(sweep, parameter);
    off.cpu_time = false;
    measure(off);
    for baseline in ["new", "base"] {
        assert!(bench.join(baseline).join("sample.json").exists());
        assert!(!bench.join(baseline).join(CPU_FILE).exists(), "{baseline}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}
