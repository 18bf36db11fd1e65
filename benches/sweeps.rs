//! `cargo bench --bench sweeps`: the scaling sweeps (workers, request count, latency, problem
//! size) as parameterized Criterion groups, whose reports draw a line chart per group. Long
//! (about 12 minutes on 2 cores), so a plain `cargo bench` does not run it.

use std::path::Path;

use concurrency_bench::config::{Config, Refused};
use concurrency_bench::criterion_args::CriterionArgs;
use concurrency_bench::error::Error;
use concurrency_bench::extra_benches::sweep::{self, Sweep, SweepPoint};
use concurrency_bench::output::{self, SideFiles};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput};

mod common;

fn main() {
    // Bad configuration stops the run before Criterion starts and prints anything of its own.
    let base = Config::from_env().unwrap_or_else(|error| common::exit(error.into()));
    if let Some(url) = &base.target_url {
        common::exit(Error::from(Refused {
            setting: format!("CB_TARGET_URL={url}"),
            reason: "the sweeps set the server's latency and load themselves; unset it".to_owned(),
        }));
    }
    let mut criterion = Criterion::default().configure_from_args();
    let args = CriterionArgs::from_env().unwrap_or_else(|error| common::exit(error.into()));
    let measured = sweeps(&mut criterion, &base, &args).unwrap_or_else(|error| common::exit(error));
    criterion.final_summary();
    common::write_summary(&args, measured);
}

/// Every sweep as its group; returns how many points Criterion measured.
fn sweeps(c: &mut Criterion, base: &Config, args: &CriterionArgs) -> Result<usize, Error> {
    let side_files = &SideFiles::for_run(args);
    let worker = base.worker_exe_or(Path::new(env!("CARGO_BIN_EXE_cb-worker")));
    let mut measured = 0;
    for sweep in Sweep::ALL {
        let mut group = c.benchmark_group(sweep.group());
        sweep.configure(&mut group);
        match points(&mut group, sweep, base, args, side_files, worker) {
            Ok(points) => measured += points,
            Err(error) => {
                // Dropping (finishing) a group writes its summary and prints a separator, as
                // after a complete group: a failed run stops with its error line and nothing
                // more.
                std::mem::forget(group);
                return Err(error);
            }
        }
        group.finish();
    }
    Ok(measured)
}

/// Every parameter value of `sweep` × its strategies, as benchmarks of `group`
/// ([`SweepPoint::bench`]: with their CPU time, in `cb-cpu.json`); returns how many Criterion
/// measured.
fn points(
    group: &mut BenchmarkGroup<'_, WallTime>,
    sweep: Sweep,
    base: &Config,
    args: &CriterionArgs,
    side_files: &SideFiles,
    worker: &Path,
) -> Result<usize, Error> {
    let mut points = 0;
    for &parameter in sweep.parameters() {
        if sweep == Sweep::IoLatency && parameter == 0 {
            let point = SweepPoint::new(sweep, base, parameter, worker)?;
            sweep::record_server_capacity(side_files, sweep.group(), &point)?;
        }
        for &strategy in sweep.strategies() {
            // A fresh point (server, clients, pools) per strategy: a client's pooled
            // connections stay open, and at 10,000 downloads the sockets of several
            // strategies' clients together would exceed the open-file limit.
            let point = SweepPoint::new(sweep, base, parameter, worker)?;
            group.throughput(Throughput::Elements(point.elements()));
            let meta = point.meta(strategy);
            if let Some(reason) = &meta.skipped {
                eprintln!(
                    "{}/{}/{parameter}: {reason}",
                    sweep.group(),
                    strategy.name()
                );
                output::record_meta(side_files, &meta)?;
                output::record_cpu_samples(side_files, &meta, &[])?;
                continue;
            }
            group.measurement_time(point.measurement_time(strategy));
            if point.bench(group, strategy, args, side_files)? {
                points += 1;
            }
        }
    }
    Ok(points)
}
