//! The sweep machinery at tiny sizes: every sweep's points build, run and check their work, and
//! points too slow for the budget are planned as skipped with the reason.

use std::path::Path;

use concurrency_bench::config::Config;
use concurrency_bench::extra_benches::sweep::{Sweep, SweepPoint, POINT_BUDGET, SAMPLES};
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
