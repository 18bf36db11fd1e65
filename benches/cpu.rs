//! `cargo bench --bench cpu`: the tutorial's CPU programs — every strategy over both kernels.
//!
//! Each iteration runs the whole workload and checks every result exactly. Each group's
//! strategies are measured in interleaved rounds, then handed to Criterion (`rounds`). After
//! that, each strategy runs once more untimed with a timeline recorder, for target-report.

use std::path::Path;
use std::time::Duration;

use concurrency_bench::bench_group::{cpu_sampling, measure_then_record};
use concurrency_bench::config::Config;
use concurrency_bench::criterion_args::CriterionArgs;
use concurrency_bench::error::Error;
use concurrency_bench::matrix::CpuMatrix;
use concurrency_bench::output::{self, SideFiles};
use concurrency_bench::rounds::{self, Job, Plan};
use concurrency_bench::strategy::Strategy;
use concurrency_bench::timeline::Probe;
use concurrency_bench::workload::cpu::CpuWorkload;
use criterion::{Criterion, Throughput};

mod common;

fn main() {
    // Bad configuration stops the run before Criterion starts and prints anything of its own.
    let config = Config::from_env().unwrap_or_else(|error| common::exit(error.into()));
    let worker = config.worker_exe_or(Path::new(env!("CARGO_BIN_EXE_cb-worker")));
    let matrix = CpuMatrix::new(&config, worker).unwrap_or_else(|error| common::exit(error.into()));
    let mut criterion = Criterion::default().configure_from_args();
    // Read after Criterion has accepted the command line (it exits on anything it refuses).
    let args = CriterionArgs::from_env().unwrap_or_else(|error| common::exit(error.into()));
    let measured =
        cpu(&mut criterion, &args, &config, &matrix).unwrap_or_else(|error| common::exit(error));
    criterion.final_summary();
    common::write_summary(&args, measured);
}

fn cpu(
    c: &mut Criterion,
    args: &CriterionArgs,
    config: &Config,
    matrix: &CpuMatrix,
) -> Result<usize, Error> {
    let side_files = SideFiles::for_run(args);
    let mut measured = 0;
    for workload in CpuWorkload::all(config) {
        let group_id = format!("cpu/{}", workload.kernel.name());
        let sampling = cpu_sampling(workload.kernel);
        let plan = Plan::new(
            &group_id,
            config,
            sampling.samples,
            sampling.sample_target,
            Duration::from_millis(300),
        );
        let workload = &workload;
        let mut group = c.benchmark_group(&group_id);
        group
            .throughput(Throughput::Elements(workload.elements()))
            .nresamples(20_000);
        let job_of = |strategy: Strategy| {
            let slowdown = config.slowdown_of(&group_id, strategy.name());
            let iteration = move || matrix.run_verified(strategy, workload, &Probe::OFF);
            Job::new(strategy.name(), rounds::timed(slowdown, iteration))
        };
        let record = |strategy| {
            let jobs = workload.jobs.len();
            let meta = output::cpu_meta(&group_id, strategy, config, jobs, workload.elements());
            output::record_benchmark(&side_files, &meta, config.timeline, |probe| {
                matrix.run_verified(strategy, workload, probe)
            })
        };
        let strategies = &Strategy::CPU;
        measured +=
            measure_then_record(group, args, &plan, &side_files, strategies, job_of, record)?;
    }
    Ok(measured)
}
