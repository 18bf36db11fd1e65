//! `cargo bench --bench sweeps`: the scaling sweeps (workers, request count, latency, problem
//! size) as parameterized Criterion groups, whose reports draw a line chart per group. Long
//! (about 12 minutes on 2 cores), so a plain `cargo bench` does not run it.

use std::path::Path;
use std::time::Duration;

use concurrency_bench::config::{Config, Refused};
use concurrency_bench::criterion_args::CriterionArgs;
use concurrency_bench::error::{self, Error};
use concurrency_bench::extra_benches::sweep::{self, Sweep, SweepPoint, SAMPLES};
use concurrency_bench::output::{self, SideFiles};
use criterion::measurement::WallTime;
use criterion::{
    AxisScale, BenchmarkGroup, BenchmarkId, Criterion, PlotConfiguration, SamplingMode, Throughput,
};

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
    if let Err(error) = sweeps(&mut criterion, &base, &args) {
        common::exit(error);
    }
    criterion.final_summary();
}

fn sweeps(c: &mut Criterion, base: &Config, args: &CriterionArgs) -> Result<(), Error> {
    let side_files = &SideFiles::for_run(args);
    let worker = base.worker_exe_or(Path::new(env!("CARGO_BIN_EXE_cb-worker")));
    for sweep in Sweep::ALL {
        let mut group = c.benchmark_group(sweep.group());
        let scale = if sweep.logarithmic() {
            AxisScale::Logarithmic
        } else {
            AxisScale::Linear
        };
        group
            .plot_config(PlotConfiguration::default().summary_scale(scale))
            .sampling_mode(SamplingMode::Flat)
            .sample_size(SAMPLES)
            .warm_up_time(Duration::from_millis(300));
        if let Err(error) = points(&mut group, sweep, base, args, side_files, worker) {
            // Dropping (finishing) a group writes its summary and prints a separator, as
            // after a complete group: a failed run stops with its error line and nothing more.
            std::mem::forget(group);
            return Err(error);
        }
        group.finish();
    }
    Ok(())
}

/// Every parameter value of `sweep` × its strategies, as benchmarks of `group`; each call
/// Criterion makes records the CPU time it consumed, and its samples' go to `cb-cpu.json`.
fn points(
    group: &mut BenchmarkGroup<'_, WallTime>,
    sweep: Sweep,
    base: &Config,
    args: &CriterionArgs,
    side_files: &SideFiles,
    worker: &Path,
) -> Result<(), Error> {
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
            let mut meta = point.meta(strategy);
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
            let mut measured = false;
            // Every call Criterion makes, warm-up included: `measured_samples` keeps its samples.
            let mut calls = Vec::new();
            let id = BenchmarkId::new(strategy.name(), parameter);
            error::catch(|| {
                group.bench_with_input(id, &parameter, |b, _| {
                    measured = true;
                    b.iter_custom(|iters| {
                        // Timed as `b.iter` would; the CPU time is read outside that timing.
                        let sample = point
                            .sample(strategy, iters, base.cpu_time)
                            .unwrap_or_else(|failed| error::escape(failed));
                        let elapsed = Duration::from_nanos(sample.ns as u64);
                        calls.push(sample);
                        elapsed
                    })
                });
            })?;
            if measured {
                // Outside the timing: what a request really took, for the report's ideal.
                meta.server_latency_ms = point.measure_request_ms().transpose()?;
                output::record_meta(side_files, &meta)?;
                let samples = sweep::measured_samples(&calls, args.quick);
                if samples.is_empty() && base.cpu_time && !args.quick && !side_files.is_empty() {
                    eprintln!(
                        "{}/{}/{parameter}: Criterion's calls ({}) are not a warm-up and {SAMPLES} \
                         flat samples; no {}",
                        sweep.group(),
                        strategy.name(),
                        calls.len(),
                        output::CPU_FILE
                    );
                }
                output::record_cpu_samples(side_files, &meta, samples)?;
            }
        }
    }
    Ok(())
}
