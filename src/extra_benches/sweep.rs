//! Scaling sweeps: the tutorial's prose claims, measured as parameterized groups.
//!
//! - "the best thread count is not a constant, 5 to 10 on my machine" → [`Sweep::IoWorkers`];
//! - "asyncio scales to hundreds of tasks where threads do not" → [`Sweep::IoRequests`];
//! - process start-up makes multiprocessing lose on I/O, and the server's own limits at zero
//!   latency → [`Sweep::IoLatency`];
//! - more workers than cores → [`Sweep::CpuWorkers`];
//! - where process start-up stops mattering → [`Sweep::CpuSize`].
//!
//! A [`SweepPoint`] is one parameter value of one sweep: the configuration it implies, the
//! matrix built for it, and a plan per strategy — measured, or skipped with the predicted time
//! that made it too slow for the sweep's budget.
//!
//! Criterion measures the points live (no rounds, [`SweepPoint::bench`]); each of its calls is
//! a [`SweepPoint::sample`] that records the CPU time it consumed too, and the calls that were
//! Criterion's samples ([`measured_samples`]) go to the point's `cb-cpu.json`
//! ([`output::record_cpu_samples`]).

use std::path::Path;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{AxisScale, BenchmarkGroup, BenchmarkId, PlotConfiguration, SamplingMode};

use crate::config::Config;
use crate::cpu_time;
use crate::criterion_args::CriterionArgs;
use crate::error::{self, Error};
use crate::matrix::{CpuMatrix, IoMatrix, RunError, SetupError};
use crate::output::{self, BenchMeta, RoundSample, ServerCapacity, SideFiles};
use crate::rounds;
use crate::strategy::{Kind, Strategy};
use crate::timeline::Probe;
use crate::workload::cpu::{CpuWorkload, Kernel};
use crate::workload::io::IoWorkload;

/// Samples per sweep point: Criterion's minimum.
pub const SAMPLES: usize = 10;

/// Criterion's warm-up time at each point.
pub const WARM_UP: Duration = Duration::from_millis(300);

/// A point whose samples would take longer than this in all is skipped, and says so.
pub const POINT_BUDGET: Duration = Duration::from_secs(90);

/// One sweep: a Criterion group whose benchmarks are strategies × parameter values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sweep {
    /// Pool size for 160 downloads at 20 ms.
    IoWorkers,
    /// Number of downloads at 50 ms.
    IoRequests,
    /// Server latency for 160 downloads.
    IoLatency,
    /// Pool size for the sum-of-squares jobs.
    CpuWorkers,
    /// Elements per sum-of-squares job, 20 jobs.
    CpuSize,
}

impl Sweep {
    /// Every sweep, in the order `cargo bench --bench sweeps` runs them.
    pub const ALL: [Sweep; 5] = [
        Sweep::IoWorkers,
        Sweep::IoRequests,
        Sweep::IoLatency,
        Sweep::CpuWorkers,
        Sweep::CpuSize,
    ];

    /// The Criterion group id.
    pub fn group(self) -> &'static str {
        match self {
            Sweep::IoWorkers => "sweep/io_workers",
            Sweep::IoRequests => "sweep/io_requests",
            Sweep::IoLatency => "sweep/io_latency",
            Sweep::CpuWorkers => "sweep/cpu_workers",
            Sweep::CpuSize => "sweep/cpu_size",
        }
    }

    /// The parameter's values.
    pub fn parameters(self) -> &'static [u64] {
        match self {
            Sweep::IoWorkers => &[1, 2, 5, 10, 20, 40, 80, 160],
            Sweep::IoRequests => &[10, 100, 1_000, 10_000],
            Sweep::IoLatency => &[0, 1, 5, 20, 50],
            Sweep::CpuWorkers => &[1, 2, 4, 8],
            Sweep::CpuSize => &[100_000, 1_000_000, 10_000_000],
        }
    }

    /// What the parameter is, for axis labels.
    pub fn parameter_name(self) -> &'static str {
        match self {
            Sweep::IoWorkers | Sweep::CpuWorkers => "workers",
            Sweep::IoRequests => "requests",
            Sweep::IoLatency => "latency (ms)",
            Sweep::CpuSize => "elements per job",
        }
    }

    /// Whether the parameter spans decades (a log axis).
    pub fn logarithmic(self) -> bool {
        !matches!(self, Sweep::IoLatency | Sweep::CpuWorkers)
    }

    /// The strategies compared along the sweep.
    pub fn strategies(self) -> &'static [Strategy] {
        match self {
            Sweep::IoWorkers => &[Strategy::ThreadPool, Strategy::TokioBounded],
            Sweep::IoRequests => &[
                Strategy::ThreadPerJob,
                Strategy::ThreadPool,
                Strategy::AsyncTokio,
                Strategy::TokioCurrentThread,
                Strategy::TokioBounded,
            ],
            Sweep::IoLatency => &[
                Strategy::Sequential,
                Strategy::ThreadPool,
                Strategy::AsyncTokio,
                Strategy::ProcessPool,
            ],
            Sweep::CpuWorkers => &[Strategy::ThreadPool, Strategy::Rayon, Strategy::ProcessPool],
            Sweep::CpuSize => &[
                Strategy::Sequential,
                Strategy::Rayon,
                Strategy::ProcessPool,
                Strategy::ProcessPoolWarm,
            ],
        }
    }

    /// Waiting or computing.
    pub fn kind(self) -> Kind {
        match self {
            Sweep::IoWorkers | Sweep::IoRequests | Sweep::IoLatency => Kind::Io,
            Sweep::CpuWorkers | Sweep::CpuSize => Kind::Cpu,
        }
    }

    /// Sets up the sweep's Criterion `group`: flat sampling of [`SAMPLES`] samples after a
    /// [`WARM_UP`], and the summary chart's scale.
    pub fn configure(self, group: &mut BenchmarkGroup<'_, WallTime>) {
        let scale = if self.logarithmic() {
            AxisScale::Logarithmic
        } else {
            AxisScale::Linear
        };
        group
            .plot_config(PlotConfiguration::default().summary_scale(scale))
            .sampling_mode(SamplingMode::Flat)
            .sample_size(SAMPLES)
            .warm_up_time(WARM_UP);
    }

    /// The configuration at `parameter`, from the user's `base` (whose sizes the sweep overrides
    /// only where the sweep is defined by them).
    pub fn config_at(self, base: &Config, parameter: u64) -> Config {
        let mut config = base.clone();
        let count = usize::try_from(parameter).unwrap_or(usize::MAX);
        match self {
            Sweep::IoWorkers => {
                config.workers = count;
                config.sites = 160;
                config.latency_ms = 20.0;
            }
            Sweep::IoRequests => {
                config.sites = count;
                config.latency_ms = 50.0;
            }
            Sweep::IoLatency => {
                config.sites = 160;
                config.latency_ms = parameter as f64;
            }
            Sweep::CpuWorkers => {
                config.workers = count;
                config.processes = count;
            }
            Sweep::CpuSize => {
                config.cpu_start = parameter;
                config.cpu_count = 20;
            }
        }
        config
    }
}

/// The matrix and workload of one parameter value.
#[derive(Debug)]
enum Work {
    Io(Box<IoMatrix>, IoWorkload),
    Cpu(Box<CpuMatrix>, CpuWorkload),
}

/// One parameter value of a sweep, ready to run.
#[derive(Debug)]
pub struct SweepPoint {
    sweep: Sweep,
    parameter: u64,
    config: Config,
    work: Work,
}

impl SweepPoint {
    /// Builds the matrix for `sweep` at `parameter`, from the user's `base` configuration.
    pub fn new(
        sweep: Sweep,
        base: &Config,
        parameter: u64,
        worker_exe: &Path,
    ) -> Result<SweepPoint, SetupError> {
        SweepPoint::with_config(
            sweep,
            sweep.config_at(base, parameter),
            parameter,
            worker_exe,
        )
    }

    /// Builds the matrix for `sweep` with an explicit configuration (tests use tiny ones).
    pub fn with_config(
        sweep: Sweep,
        config: Config,
        parameter: u64,
        worker_exe: &Path,
    ) -> Result<SweepPoint, SetupError> {
        let work = match sweep.kind() {
            Kind::Io => {
                let matrix = IoMatrix::new(&config, worker_exe)?;
                let workload = matrix.workload();
                Work::Io(Box::new(matrix), workload)
            }
            Kind::Cpu => {
                let mut matrix = CpuMatrix::new(&config, worker_exe)?;
                if sweep == Sweep::CpuWorkers {
                    matrix = matrix.with_rayon_threads(config.workers)?;
                }
                let workload = CpuWorkload::new(Kernel::SumOfSquares, &config);
                Work::Cpu(Box::new(matrix), workload)
            }
        };
        Ok(SweepPoint {
            sweep,
            parameter,
            config,
            work,
        })
    }

    /// The configuration this point runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Elements per iteration (Criterion's throughput).
    pub fn elements(&self) -> u64 {
        match &self.work {
            Work::Io(_, workload) => workload.jobs.len() as u64,
            Work::Cpu(_, workload) => workload.elements(),
        }
    }

    /// What the benchmark of `strategy` at this point measures, and whether it is skipped.
    pub fn meta(&self, strategy: Strategy) -> BenchMeta {
        let group = self.sweep.group();
        let mut meta = match &self.work {
            Work::Io(matrix, workload) => output::io_meta(
                group,
                strategy,
                &self.config,
                workload.jobs.len(),
                matrix.latency_ms(),
            ),
            Work::Cpu(matrix, workload) => {
                let mut meta = output::cpu_meta(
                    group,
                    strategy,
                    &self.config,
                    workload.jobs.len(),
                    workload.elements(),
                );
                if strategy == Strategy::Rayon {
                    meta.concurrency = matrix.rayon_threads().min(workload.jobs.len()) as u64;
                }
                meta
            }
        };
        meta.workload = match self.sweep.kind() {
            Kind::Io => "download".to_owned(),
            Kind::Cpu => Kernel::SumOfSquares.name().to_owned(),
        };
        meta.parameter = Some(self.parameter);
        if let Some(predicted) = meta
            .configured_ideal_ns()
            .map(|ns| Duration::from_nanos(ns as u64))
        {
            let total = predicted * SAMPLES as u32;
            if total > POINT_BUDGET {
                meta.skipped = Some(format!(
                    "not measured: at least {predicted:.1?} per iteration (⌈N/C⌉·L), \
                     {total:.0?} for {SAMPLES} samples, over the sweep's {POINT_BUDGET:?} budget per point"
                ));
            }
        }
        meta
    }

    /// Runs `strategy` once at this point and checks every result.
    pub fn run_verified(&self, strategy: Strategy, probe: &Probe) -> Result<(), RunError> {
        match &self.work {
            Work::Io(matrix, workload) => matrix.run_verified(strategy, workload, probe).map(drop),
            Work::Cpu(matrix, workload) => matrix.run_verified(strategy, workload, probe),
        }
    }

    /// One sample of `strategy` at this point, timed as Criterion's `Bencher::iter` times its
    /// routine: `iters` verified runs between two readings of the wall clock
    /// ([`rounds::timed`]); with `cpu_time` (`CB_CPU_TIME`), the CPU time they consumed, read
    /// outside that timing ([`cpu_time::around`]). The first failed run ends the sample with
    /// its error.
    pub fn sample(
        &self,
        strategy: Strategy,
        iters: u64,
        cpu_time: bool,
    ) -> Result<RoundSample, Error> {
        let mut measure = rounds::timed(None, || self.run_verified(strategy, &Probe::OFF));
        let (elapsed, cpu) = cpu_time::around(cpu_time, || measure(iters));
        Ok(RoundSample {
            function: strategy.name().to_owned(),
            iters,
            ns: elapsed?.as_nanos() as f64,
            cpu,
        })
    }

    /// What one request really takes at this point (I/O sweeps with a latency only), in ms:
    /// [`IoMatrix::measure_request_ms`]. The report draws ideals and efficiencies from it.
    pub fn measure_request_ms(&self) -> Option<Result<f64, RunError>> {
        match &self.work {
            Work::Io(matrix, _) if self.config.latency_ms > 0.0 => {
                Some(matrix.measure_request_ms())
            }
            Work::Io(..) | Work::Cpu(..) => None,
        }
    }

    /// The server's requests per second at this point's latency (I/O sweeps only).
    pub fn measure_server_capacity(
        &self,
        requests: usize,
        in_flight: usize,
    ) -> Option<Result<f64, RunError>> {
        match &self.work {
            Work::Io(matrix, _) => Some(matrix.measure_capacity(requests, in_flight)),
            Work::Cpu(..) => None,
        }
    }

    /// Measurement time for `strategy`: one iteration per sample when slow, at least 2 s.
    pub fn measurement_time(&self, strategy: Strategy) -> Duration {
        let ideal = self.meta(strategy).configured_ideal_ns().unwrap_or(0.0);
        (Duration::from_nanos(ideal as u64) * SAMPLES as u32).max(Duration::from_secs(2))
    }

    /// Lets Criterion measure `strategy` at this point as benchmark `<strategy>/<parameter>` of
    /// `group` (with the group's settings, see [`Sweep::configure`]), each call a
    /// [`SweepPoint::sample`] with the point's `CB_CPU_TIME`; a failed run escapes and comes back
    /// as the error. When Criterion measured it (its filter selected it), writes its
    /// `cb-meta.json` with what a request then took ([`SweepPoint::measure_request_ms`],
    /// outside the timing) and its `cb-cpu.json` from Criterion's samples
    /// ([`measured_samples`], [`output::record_cpu_samples`]). Returns whether it measured.
    pub fn bench(
        &self,
        group: &mut BenchmarkGroup<'_, WallTime>,
        strategy: Strategy,
        args: &CriterionArgs,
        side_files: &SideFiles,
    ) -> Result<bool, Error> {
        let cpu_time = self.config.cpu_time;
        let mut measured = false;
        // Every call Criterion makes, warm-up included: `measured_samples` keeps its samples.
        let mut calls = Vec::new();
        let id = BenchmarkId::new(strategy.name(), self.parameter);
        error::catch(|| {
            group.bench_with_input(id, &self.parameter, |b, _| {
                measured = true;
                b.iter_custom(|iters| {
                    let sample = self
                        .sample(strategy, iters, cpu_time)
                        .unwrap_or_else(|failed| error::escape(failed));
                    let elapsed = Duration::from_nanos(sample.ns as u64);
                    calls.push(sample);
                    elapsed
                })
            });
        })?;
        if !measured {
            return Ok(false);
        }
        let mut meta = self.meta(strategy);
        meta.server_latency_ms = self.measure_request_ms().transpose()?;
        output::record_meta(side_files, &meta)?;
        let samples = measured_samples(&calls, args.quick);
        if samples.is_empty() && cpu_time && !args.quick && !side_files.is_empty() {
            eprintln!(
                "{}/{}/{}: Criterion's {} calls are not a warm-up and {SAMPLES} flat samples; \
                 no {}",
                meta.group,
                meta.function,
                self.parameter,
                calls.len(),
                output::CPU_FILE
            );
        }
        output::record_cpu_samples(side_files, &meta, samples)?;
        Ok(true)
    }
}

/// Which of `calls` — every call Criterion made to one benchmark's routine, in order, as
/// [`SweepPoint::sample`]s — were its samples: the last [`SAMPLES`]. `iter_custom` does not say
/// which calls are warm-up, but Criterion 0.8.2's `Routine::sample` (`src/routine.rs`) makes
/// them in two phases: `warm_up` calls the routine with 1, 2, 4, … iterations until their
/// time passes the warm-up time (at least one call), then `bench` calls it once per sample, the
/// group's sample size ([`SAMPLES`]: the group's setting wins over `--sample-size`), with one
/// count for all in the flat sampling the sweeps ask for (`ActualSamplingMode::iteration_counts`).
/// Those calls are exactly the samples of Criterion's `sample.json`.
///
/// Empty when `quick` (`--quick`: no warm-up; Criterion doubles the count from 1 until the last
/// two calls' times agree and keeps those two, or the first call alone, twice, when it took
/// longer than the measurement time) or when `calls` do not look like a warm-up and flat
/// samples (fewer than [`SAMPLES`] + 1, or last ones of different counts): no CPU time is then
/// better than CPU time of other calls than the samples.
pub fn measured_samples(calls: &[RoundSample], quick: bool) -> &[RoundSample] {
    let Some(start) = calls.len().checked_sub(SAMPLES).filter(|&start| start > 0) else {
        return &[];
    };
    let samples = &calls[start..];
    if quick
        || samples
            .iter()
            .any(|sample| sample.iters != samples[0].iters)
    {
        return &[];
    }
    samples
}

/// Requests and concurrency of the capacity measurement.
pub const CAPACITY_REQUESTS: usize = 5_000;
/// See [`CAPACITY_REQUESTS`].
pub const CAPACITY_IN_FLIGHT: usize = 64;

/// Measures the server of `point` at its latency and writes [`output::CAPACITY_FILE`] in the
/// group's directory; prints the result too. Not in a run that writes no side files.
pub fn record_server_capacity(
    side_files: &SideFiles,
    group: &str,
    point: &SweepPoint,
) -> Result<(), Error> {
    if side_files.is_empty() {
        return Ok(());
    }
    let requests_per_s = point
        .measure_server_capacity(CAPACITY_REQUESTS, CAPACITY_IN_FLIGHT)
        .ok_or_else(|| Error::run(format!("{group}: not an I/O sweep")))??;
    eprintln!(
        "{group}: the mock server answers {requests_per_s:.0} requests/s \
         ({CAPACITY_REQUESTS} requests, {CAPACITY_IN_FLIGHT} in flight)"
    );
    let capacity = ServerCapacity {
        schema: output::SCHEMA,
        requests: CAPACITY_REQUESTS as u64,
        in_flight: CAPACITY_IN_FLIGHT as u64,
        requests_per_s,
    };
    let path = side_files
        .criterion_home
        .join(output::criterion_dir_name(group))
        .join(output::CAPACITY_FILE);
    output::write_json(&path, &capacity).map_err(|error| {
        Error::from(output::SideFileError {
            action: "write",
            path,
            error,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Config {
        Config::from_pairs(&[]).unwrap()
    }

    #[test]
    fn configs_follow_the_parameter() {
        let base = base();
        assert_eq!(Sweep::IoWorkers.config_at(&base, 40).workers, 40);
        assert_eq!(Sweep::IoRequests.config_at(&base, 1000).sites, 1000);
        assert_eq!(Sweep::IoRequests.config_at(&base, 1000).latency_ms, 50.0);
        assert_eq!(Sweep::IoLatency.config_at(&base, 5).latency_ms, 5.0);
        let cpu = Sweep::CpuWorkers.config_at(&base, 8);
        assert_eq!((cpu.workers, cpu.processes), (8, 8));
        let size = Sweep::CpuSize.config_at(&base, 100_000);
        assert_eq!((size.cpu_start, size.cpu_count), (100_000, 20));
    }

    #[test]
    fn groups_and_strategies_are_the_issues() {
        let groups: Vec<&str> = Sweep::ALL.iter().map(|s| s.group()).collect();
        assert_eq!(
            groups,
            [
                "sweep/io_workers",
                "sweep/io_requests",
                "sweep/io_latency",
                "sweep/cpu_workers",
                "sweep/cpu_size"
            ]
        );
        for sweep in Sweep::ALL {
            for strategy in sweep.strategies() {
                let list = match sweep.kind() {
                    Kind::Io => &Strategy::IO[..],
                    Kind::Cpu => &Strategy::CPU[..],
                };
                assert!(list.contains(strategy), "{sweep:?} {strategy:?}");
            }
        }
    }

    fn calls(counts: &[u64]) -> Vec<RoundSample> {
        counts
            .iter()
            .map(|&iters| RoundSample {
                function: "async_tokio".to_owned(),
                iters,
                ns: iters as f64 * 1e6,
                cpu: None,
            })
            .collect()
    }

    #[test]
    fn the_samples_are_the_calls_after_the_warm_up() {
        // Warm-up 1, 2, 4, 8, then 10 samples of 3 (a flat count can be below the warm-up's).
        let all = calls(&[1, 2, 4, 8, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]);
        assert_eq!(measured_samples(&all, false), &all[4..]);
        // A slow routine: one warm-up call of 1, then 10 samples of 1.
        let all = calls(&[1; 11]);
        assert_eq!(measured_samples(&all, false), &all[1..]);
    }

    #[test]
    fn calls_that_are_not_warm_up_and_flat_samples_give_none() {
        // --quick: doubling counts, whose last two are its samples.
        let quick = calls(&[1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048]);
        assert!(measured_samples(&quick, true).is_empty());
        assert!(measured_samples(&quick, false).is_empty());
        assert!(measured_samples(&calls(&[1; 11]), true).is_empty());
        // Only the samples, or fewer: no warm-up before them.
        assert!(measured_samples(&calls(&[2; 10]), false).is_empty());
        assert!(measured_samples(&calls(&[1]), false).is_empty());
        assert!(measured_samples(&[], false).is_empty());
    }
}
