//! `cargo bench --bench blocking_hop`: a one-off comparison (not part of a plain `cargo bench`)
//! of the thread strategies' blocking client — ureq, whose requests run on the calling thread,
//! against reqwest's, which hands each one to its runtime thread — at L = 0, 1 and 20 ms
//! (`concurrency_bench::extra_benches::blocking_hop` holds the logic). Each latency is one
//! group, measured in interleaved rounds, then handed to Criterion; each benchmark then gets its
//! `cb-meta.json` and, from one more untimed run, its `cb-timeline.json`.

use std::path::Path;

use concurrency_bench::config::Config;
use concurrency_bench::criterion_args::CriterionArgs;
use concurrency_bench::error::Error;
use concurrency_bench::extra_benches::blocking_hop::{HopGroup, LATENCIES_MS};
use concurrency_bench::output::{self, SideFiles};
use concurrency_bench::rounds;
use criterion::{Criterion, Throughput};

mod common;

fn main() {
    let base = Config::from_env().unwrap_or_else(|error| common::exit(error.into()));
    let worker = base.worker_exe_or(Path::new(env!("CARGO_BIN_EXE_cb-worker")));
    let mut criterion = Criterion::default().configure_from_args();
    let args = CriterionArgs::from_env().unwrap_or_else(|error| common::exit(error.into()));
    let side_files = SideFiles::for_run(&args);
    let mut measured = 0;
    for latency_ms in LATENCIES_MS {
        // One server and its clients at a time: the previous group's are dropped first.
        let hop = HopGroup::new(&base, latency_ms, worker).unwrap_or_else(|e| common::exit(e));
        measured += measure(&mut criterion, &args, &side_files, &hop)
            .unwrap_or_else(|error| common::exit(error));
    }
    criterion.final_summary();
    common::write_summary(&args, measured);
}

/// Measures one latency's group in rounds, then writes each measured benchmark's side files;
/// returns how many benchmarks Criterion measured.
fn measure(
    criterion: &mut Criterion,
    args: &CriterionArgs,
    side_files: &SideFiles,
    hop: &HopGroup,
) -> Result<usize, Error> {
    let server_latency_ms = hop.measure_request_ms()?;
    let mut group = criterion.benchmark_group(hop.name());
    group.throughput(Throughput::Elements(hop.downloads() as u64));
    let reference = HopGroup::reference();
    let plan = hop.plan();
    let jobs = hop.jobs();
    let measured = rounds::measure_group(group, args, &plan, Some(&reference), jobs, side_files)?;
    for (strategy, kind) in hop.benchmarks() {
        let meta = hop.meta(strategy, kind, server_latency_ms);
        if measured.contains(&meta.function) {
            output::record_benchmark(side_files, &meta, hop.timeline(), |probe| {
                hop.run_verified(strategy, kind, probe)
            })?;
        }
    }
    Ok(measured.len())
}
