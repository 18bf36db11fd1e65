//! `cargo bench --bench cpu`: the tutorial's CPU programs — every strategy over both kernels.
//!
//! Each iteration runs the whole workload and checks every result exactly. After a strategy is
//! measured, it runs once more untimed with a timeline recorder, for target-report.

use std::path::Path;
use std::time::Duration;

use concurrency_bench::config::{exit_with_config_error, Config};
use concurrency_bench::matrix::CpuMatrix;
use concurrency_bench::output::{self, BenchMeta};
use concurrency_bench::strategy::Strategy;
use concurrency_bench::timeline::Probe;
use concurrency_bench::workload::cpu::{CpuWorkload, Kernel};
use criterion::{Criterion, SamplingMode, Throughput};

fn main() {
    // Bad configuration stops the run before Criterion starts and prints anything of its own.
    let config = Config::from_env_or_exit();
    let worker = Path::new(env!("CARGO_BIN_EXE_cb-worker"));
    let matrix = CpuMatrix::new(&config, worker).unwrap_or_else(|e| exit_with_config_error(&e));
    let mut criterion = Criterion::default().configure_from_args();
    cpu(&mut criterion, &config, &matrix);
    criterion.final_summary();
}

fn cpu(c: &mut Criterion, config: &Config, matrix: &CpuMatrix) {
    let home = output::criterion_home();
    for workload in CpuWorkload::all(config) {
        let group_id = format!("cpu/{}", workload.kernel.name());
        let mut group = c.benchmark_group(&group_id);
        group
            .throughput(Throughput::Elements(workload.elements()))
            .sampling_mode(SamplingMode::Flat)
            .sample_size(samples(workload.kernel))
            .nresamples(20_000)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(3));
        for strategy in Strategy::CPU {
            let slowdown = config.slowdown_of(&group_id, strategy.name());
            let mut measured = false;
            group.bench_function(strategy.name(), |b| {
                measured = true;
                b.iter(|| {
                    matrix
                        .run_verified(strategy, &workload, &Probe::OFF)
                        .unwrap_or_else(|error| fail(&error));
                    if let Some(pause) = slowdown {
                        std::thread::sleep(pause);
                    }
                })
            });
            if measured {
                let meta = BenchMeta::cpu(
                    &group_id,
                    strategy,
                    config,
                    workload.jobs.len(),
                    workload.elements(),
                );
                output::record_benchmark(&home, &meta, |probe| {
                    matrix.run_verified(strategy, &workload, probe)
                })
                .unwrap_or_else(|error| fail(&error));
            }
        }
        group.finish();
    }
}

/// Samples per benchmark: more for the short sum-of-squares runs (tens of ms, so a tight
/// interval is cheap) than for fib (hundreds of ms per run, one run per sample), so that the
/// whole bench stays within two minutes on 2 cores.
fn samples(kernel: Kernel) -> usize {
    match kernel {
        Kernel::SumOfSquares => 20,
        Kernel::Fib => 15,
    }
}

/// A failed or wrong run ends the benchmark: it is never timed as if it had worked.
fn fail(error: &dyn std::fmt::Display) -> ! {
    eprintln!("concurrency-bench: {error}");
    std::process::exit(1)
}
