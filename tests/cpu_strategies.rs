//! Every CPU strategy computes exactly what the sequential strategy computes, in order.

use std::path::Path;
use std::sync::Arc;

use concurrency_bench::config::Config;
use concurrency_bench::matrix::CpuMatrix;
use concurrency_bench::strategy::Strategy;
use concurrency_bench::timeline::{Probe, Timeline};
use concurrency_bench::workload::cpu::{CpuWorkload, Kernel};

use crate::util::{self, WORKER};

/// A small configuration: the same shape as the tutorial's, sized for a debug build.
fn small_config() -> Config {
    util::config(&[
        ("CB_CPU_START", "20000"),
        ("CB_CPU_COUNT", "7"),
        ("CB_FIB_N", "16"),
        ("CB_WORKERS", "3"),
        ("CB_PROCESSES", "2"),
    ])
}

#[test]
fn every_strategy_matches_sequential_exactly() {
    let config = small_config();
    let matrix = CpuMatrix::new(&config, Path::new(WORKER)).unwrap();
    for workload in CpuWorkload::all(&config) {
        let reference = matrix
            .run(Strategy::Sequential, &workload, &Probe::OFF)
            .unwrap();
        workload.verify(&reference).unwrap();
        for strategy in Strategy::CPU {
            let results = matrix.run(strategy, &workload, &Probe::OFF).unwrap();
            assert_eq!(
                results,
                reference,
                "{} on {}",
                strategy.name(),
                workload.kernel.name()
            );
            matrix
                .run_verified(strategy, &workload, &Probe::OFF)
                .unwrap();
        }
    }
}

#[test]
fn timelines_record_every_job_on_the_strategys_workers() {
    let config = small_config();
    let matrix = CpuMatrix::new(&config, Path::new(WORKER)).unwrap();
    let workload = CpuWorkload::new(Kernel::SumOfSquares, &config);
    for strategy in Strategy::CPU {
        let timeline = Arc::new(Timeline::new());
        matrix
            .run_verified(strategy, &workload, &timeline.probe())
            .unwrap();
        let spans = timeline.spans();
        let jobs: Vec<usize> = spans.iter().map(|span| span.job as usize).collect();
        assert_eq!(
            jobs,
            (0..workload.jobs.len()).collect::<Vec<_>>(),
            "{}",
            strategy.name()
        );
        assert!(spans.iter().all(|span| span.start_ns <= span.end_ns));
        let rows = spans.iter().map(|span| span.worker as usize).max().unwrap() + 1;
        match strategy {
            Strategy::Sequential | Strategy::TokioCurrentThread => {
                assert_eq!(rows, 1, "{}", strategy.name())
            }
            Strategy::ThreadPool | Strategy::GilThreads => {
                assert!(rows <= config.workers, "{}", strategy.name())
            }
            Strategy::ProcessPool | Strategy::ProcessPoolWarm => {
                assert!(rows <= config.processes, "{}", strategy.name())
            }
            Strategy::ThreadPerJob => assert_eq!(rows, workload.jobs.len()),
            _ => assert!(rows >= 1),
        }
    }
}
