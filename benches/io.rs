//! `cargo bench --bench io`: the tutorial's I/O programs — every strategy downloads `CB_SITES`
//! pages from the embedded latency-controlled server (or `CB_TARGET_URL`).
//!
//! Each iteration downloads every page and checks every status and body; a failed download ends
//! the run — unless `CB_FAULTS` asks the server to inject faults: then the failures they cause
//! are counted and written to `cb-faults.json` beside Criterion's output. The strategies are
//! measured in interleaved rounds, then handed to Criterion (`rounds`); after that, each runs
//! once more untimed with a timeline recorder.

use std::cell::RefCell;
use std::path::Path;
use std::time::Duration;

use concurrency_bench::bench_group::{measure_then_record, IO_SAMPLING};
use concurrency_bench::config::Config;
use concurrency_bench::criterion_args::CriterionArgs;
use concurrency_bench::error::Error;
use concurrency_bench::matrix::IoMatrix;
use concurrency_bench::output::{self, BenchMeta, SideFiles};
use concurrency_bench::rounds::{Job, Plan};
use concurrency_bench::strategy::Strategy;
use concurrency_bench::workload::faults::{FailureTally, FaultLedger};
use criterion::{Criterion, Throughput};

const GROUP: &str = "io/download";

mod common;

fn main() {
    // Bad configuration (an unreachable CB_TARGET_URL too) stops the run before Criterion
    // starts and prints anything of its own.
    let config = Config::from_env().unwrap_or_else(|error| common::exit(error.into()));
    let worker = config.worker_exe_or(Path::new(env!("CARGO_BIN_EXE_cb-worker")));
    let matrix = IoMatrix::new(&config, worker).unwrap_or_else(|error| common::exit(error.into()));
    let mut criterion = Criterion::default().configure_from_args();
    // Read after Criterion has accepted the command line (it exits on anything it refuses).
    let args = CriterionArgs::from_env().unwrap_or_else(|error| common::exit(error.into()));
    let measured =
        io(&mut criterion, &args, &config, &matrix).unwrap_or_else(|error| common::exit(error));
    criterion.final_summary();
    common::write_summary(&args, measured);
}

fn io(
    c: &mut Criterion,
    args: &CriterionArgs,
    config: &Config,
    matrix: &IoMatrix,
) -> Result<usize, Error> {
    let workload = &matrix.workload();
    let server_latency_ms = matrix.measure_request_ms()?;
    let side_files = SideFiles::for_run(args);
    let plan = Plan::new(
        GROUP,
        config,
        IO_SAMPLING.samples,
        IO_SAMPLING.sample_target,
        Duration::from_millis(500),
    );
    let ledgers: Vec<RefCell<FaultLedger>> =
        Strategy::IO.iter().map(|_| RefCell::default()).collect();
    let ledger_of = |strategy| {
        let index = Strategy::IO.iter().position(|&s| s == strategy);
        &ledgers[index.expect("an I/O strategy")]
    };
    let mut group = c.benchmark_group(GROUP);
    group.throughput(Throughput::Elements(workload.jobs.len() as u64));
    let job_of = |strategy: Strategy| {
        let slowdown = config.slowdown_of(GROUP, strategy.name());
        let measure = matrix.measure_counted(strategy, workload, slowdown, ledger_of(strategy));
        Job::new(strategy.name(), measure)
    };
    let record = |strategy| {
        let jobs = workload.jobs.len();
        let meta = BenchMeta {
            server_latency_ms: Some(server_latency_ms),
            ..output::io_meta(GROUP, strategy, config, jobs, matrix.latency_ms())
        };
        let ledger = ledger_of(strategy).borrow();
        output::record_faults(&side_files, &meta, config, &ledger.tally, ledger.injected)?;
        output::record_benchmark(&side_files, &meta, config.timeline, |probe| {
            matrix.run_counted(strategy, workload, probe, &mut FailureTally::default())
        })
    };
    let strategies = &Strategy::IO;
    measure_then_record(group, args, &plan, &side_files, strategies, job_of, record)
}
