//! `cargo bench --bench blocking_hop`: a one-off comparison (not part of a plain `cargo bench`)
//! of the thread strategies' blocking client — ureq, whose requests run on the calling thread,
//! against reqwest's, which hands each one to its runtime thread — at L = 0, 1 and 20 ms
//! (`concurrency_bench::extra_benches::blocking_hop` holds the logic). Each latency is one group, measured in
//! interleaved rounds, then handed to Criterion; each benchmark then gets its `cb-meta.json`
//! and, from one more untimed run, its `cb-timeline.json`.

use std::path::Path;

use concurrency_bench::config::{exit_with_config_error, Config};
use concurrency_bench::criterion_args::CriterionArgs;
use concurrency_bench::extra_benches::blocking_hop::{HopGroup, LATENCIES_MS};
use concurrency_bench::matrix::exit_with_run_error;
use concurrency_bench::output::{self, SideFiles};
use concurrency_bench::rounds;
use criterion::{Criterion, Throughput};

fn main() {
    let base = Config::from_env_or_exit();
    let worker = base.worker_exe_or(Path::new(env!("CARGO_BIN_EXE_cb-worker")));
    let mut criterion = Criterion::default().configure_from_args();
    let args = CriterionArgs::from_env_or_exit();
    let side_files = SideFiles::for_run(&args);
    for latency_ms in LATENCIES_MS {
        // One server and its clients at a time: the previous group's are dropped first.
        let hop = HopGroup::new(&base, latency_ms, worker)
            .unwrap_or_else(|error| exit_with_config_error(&error));
        let server_latency_ms = hop
            .measure_request_ms()
            .unwrap_or_else(|error| exit_with_run_error(&error));
        let mut group = criterion.benchmark_group(hop.name());
        group.throughput(Throughput::Elements(hop.downloads() as u64));
        let reference = HopGroup::reference();
        let measured = rounds::measure_group(
            &mut group,
            &args,
            &hop.plan(),
            Some(&reference),
            hop.jobs(),
            &side_files,
        );
        group.finish();
        for (strategy, kind) in hop.benchmarks() {
            let meta = hop.meta(strategy, kind, server_latency_ms);
            if measured.contains(&meta.function) {
                output::record_benchmark(&side_files, &meta, |probe| {
                    hop.run_verified(strategy, kind, probe)
                })
                .unwrap_or_else(|error| exit_with_run_error(&error));
            }
        }
    }
    criterion.final_summary();
}
