//! `cargo bench --bench io`: the tutorial's I/O programs — every strategy downloads `CB_SITES`
//! pages from the embedded latency-controlled server (or `CB_TARGET_URL`).
//!
//! Each iteration downloads every page and checks every status and body; a failed download ends
//! the run — unless `CB_FAULTS` asks the server to inject faults: then the failures they cause
//! are counted and written to `cb-faults.json` beside Criterion's output. After a strategy is measured, it runs once more untimed with a timeline recorder.

use std::path::Path;
use std::time::Duration;

use concurrency_bench::config::{exit_with_config_error, Config};
use concurrency_bench::matrix::IoMatrix;
use concurrency_bench::output::{self, BenchMeta};
use concurrency_bench::strategy::Strategy;
use concurrency_bench::timeline::Probe;
use concurrency_bench::workload::io::FailureTally;
use criterion::{Criterion, SamplingMode, Throughput};
use mock_server::FaultCounts;

const GROUP: &str = "io/download";
const SAMPLES: usize = 10;

fn main() {
    // Bad configuration (an unreachable CB_TARGET_URL too) stops the run before Criterion
    // starts and prints anything of its own.
    let config = Config::from_env_or_exit();
    let worker = Path::new(env!("CARGO_BIN_EXE_cb-worker"));
    let matrix = IoMatrix::new(&config, worker).unwrap_or_else(|e| exit_with_config_error(&e));
    let mut criterion = Criterion::default().configure_from_args();
    io(&mut criterion, &config, &matrix);
    criterion.final_summary();
}

fn io(c: &mut Criterion, config: &Config, matrix: &IoMatrix) {
    let workload = matrix.workload();
    let server_latency_ms = matrix
        .measure_request_ms()
        .unwrap_or_else(|error| fail(&error));
    let home = output::criterion_home();
    let mut group = c.benchmark_group(GROUP);
    group
        .throughput(Throughput::Elements(workload.jobs.len() as u64))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(SAMPLES)
        .warm_up_time(Duration::from_millis(500));
    for strategy in Strategy::IO {
        let meta = BenchMeta {
            server_latency_ms: Some(server_latency_ms),
            ..BenchMeta::io(
                GROUP,
                strategy,
                config,
                workload.jobs.len(),
                matrix.latency_ms(),
            )
        };
        // One iteration per sample for the slow strategies (Criterion then warns that it cannot
        // complete the samples in time: expected), several for the fast ones.
        let ideal = Duration::from_nanos(meta.ideal_ns().unwrap_or(0.0) as u64);
        group.measurement_time((ideal * SAMPLES as u32).max(Duration::from_secs(4)));
        let slowdown = config.slowdown_of(GROUP, strategy.name());
        let mut measured = false;
        let mut tally = FailureTally::default();
        let injected_before = server_counts(matrix);
        group.bench_function(strategy.name(), |b| {
            measured = true;
            b.iter(|| {
                matrix
                    .run_counted(strategy, &workload, &Probe::OFF, &mut tally)
                    .unwrap_or_else(|error| fail(&error));
                if let Some(pause) = slowdown {
                    std::thread::sleep(pause);
                }
            })
        });
        if measured {
            if !config.faults.is_none() {
                let injected_after = server_counts(matrix);
                output::record_faults(
                    &home,
                    &meta,
                    config,
                    &tally,
                    injected_before,
                    injected_after,
                )
                .unwrap_or_else(|error| fail(&error));
            }
            output::record_benchmark(&home, &meta, |probe| {
                matrix.run_counted(strategy, &workload, probe, &mut FailureTally::default())
            })
            .unwrap_or_else(|error| fail(&error));
        }
    }
    group.finish();
}

/// What the embedded server has injected so far (zeros for a server the suite did not start).
fn server_counts(matrix: &IoMatrix) -> FaultCounts {
    matrix
        .server()
        .fault_counts()
        .unwrap_or_else(|error| fail(&error))
        .unwrap_or_default()
}

/// A failed download ends the benchmark: it is never timed as if it had worked.
fn fail(error: &dyn std::fmt::Display) -> ! {
    eprintln!("concurrency-bench: {error}");
    std::process::exit(1)
}
