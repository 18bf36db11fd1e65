//! `cargo bench --bench python`: the tutorial's own CPython programs (`benches/python/`) beside
//! their Rust counterparts, on the same embedded server, the same jobs and the same checks.
//!
//! Groups `py/download`, `py/sum_of_squares` and `py/fib`: each CPython program (`synchronous`,
//! `threading`, ...) and each Rust strategy it is compared with (`sequential`, `thread_pool`,
//! `gil_threads`, ...) are measured in the same interleaved rounds, so their ratio is taken
//! side by side. CPython's times are the ones its own `perf_counter_ns` measured around the
//! program's timed function, in one persistent interpreter (its start-up is never timed). The
//! CPU jobs are sized for CPython (`CB_PY_CPU_START`, `CB_PY_FIB_N`); the Rust strategies run
//! the same sizes here.

use std::cell::RefCell;
use std::path::Path;
use std::time::Duration;

use concurrency_bench::bench_group::measure_jobs_then_record;
use concurrency_bench::config::{Config, Refused};
use concurrency_bench::criterion_args::CriterionArgs;
use concurrency_bench::error::Error;
use concurrency_bench::extra_benches::python::{self, Interpreter, Program, RunFailure};
use concurrency_bench::matrix::{CpuMatrix, IoMatrix, RunError};
use concurrency_bench::output::{self, BenchMeta, SideFiles};
use concurrency_bench::rounds::{self, Job, Plan};
use concurrency_bench::strategy::Strategy;
use concurrency_bench::timeline::Probe;
use concurrency_bench::workload::cpu::CpuWorkload;
use concurrency_bench::workload::io::IoWorkload;
use criterion::{Criterion, Throughput};

/// Samples per benchmark and the target time of one sample: CPython's slowest programs take
/// seconds per call, so two calls per sample, the fewest Criterion does not warn about.
const SAMPLES: usize = 10;
const SAMPLE_TARGET: Duration = Duration::from_millis(400);

mod common;

fn main() {
    // Bad configuration, or no CPython with the programs' packages, stops the run before the
    // server starts and before Criterion writes anything.
    let config = Config::from_env().unwrap_or_else(|error| common::exit(error.into()));
    let config = python::sized_for_python(&config);
    if !config.faults.is_none() {
        common::exit(Error::from(Refused {
            setting: "CB_FAULTS".to_owned(),
            reason: "the python bench does not inject faults (the tutorial's programs stop at \
                     the first failure); unset it"
                .to_owned(),
        }));
    }
    let interpreter = Interpreter::start(&config.python)
        .unwrap_or_else(|error| common::exit(Error::setup(error)));
    let worker = config.worker_exe_or(Path::new(env!("CARGO_BIN_EXE_cb-worker")));
    let io = IoMatrix::new(&config, worker).unwrap_or_else(|error| common::exit(error.into()));
    let cpu = CpuMatrix::new(&config, worker).unwrap_or_else(|error| common::exit(error.into()));
    for line in &interpreter.unpinned {
        eprintln!(
            "concurrency-bench: warning: {line}: results may differ from `{}`'s",
            python::INSTALL
        );
    }
    let mut criterion = Criterion::default().configure_from_args();
    // Read after Criterion has accepted the command line (it exits on anything it refuses).
    let args = CriterionArgs::from_env().unwrap_or_else(|error| common::exit(error.into()));
    let side = Side {
        args: &args,
        config: &config,
        side_files: SideFiles::for_run(&args),
        interpreter: RefCell::new(interpreter),
    };
    let measured = side
        .run(&mut criterion, &io, &cpu)
        .unwrap_or_else(|error| common::exit(error));
    criterion.final_summary();
    common::write_summary(&args, measured);
}

/// One group of this bench: its CPython programs and the Rust strategies beside them.
struct Group<'a> {
    /// Criterion's group id, `py/<workload>`.
    id: &'a str,
    /// `download` or the kernel's name, as the interpreter knows it.
    workload: &'static str,
    /// Criterion's `Throughput::Elements` of one iteration.
    elements: u64,
    /// The planning warm-up of the rounds.
    warm_up: Duration,
    programs: &'static [Program],
    strategies: &'static [Strategy],
}

/// What every group of this bench shares.
struct Side<'a> {
    args: &'a CriterionArgs,
    config: &'a Config,
    side_files: SideFiles,
    interpreter: RefCell<Interpreter>,
}

impl Side<'_> {
    /// Hands the interpreter the jobs, then measures every group; returns how many benchmarks
    /// Criterion measured.
    fn run(&self, c: &mut Criterion, io: &IoMatrix, cpu: &CpuMatrix) -> Result<usize, Error> {
        let downloads = io.workload();
        let workloads = CpuWorkload::all(self.config);
        self.interpreter
            .borrow_mut()
            .setup(self.config, &downloads, &workloads)
            .map_err(|error| RunFailure {
                program: None,
                error,
            })?;
        let mut measured = self.download(c, io, &downloads)?;
        for workload in &workloads {
            measured += self.compute(c, cpu, workload)?;
        }
        Ok(measured)
    }

    /// `py/download`: the tutorial's I/O programs and their counterparts, over `downloads`.
    fn download(
        &self,
        c: &mut Criterion,
        matrix: &IoMatrix,
        downloads: &IoWorkload,
    ) -> Result<usize, Error> {
        let group_id = "py/download";
        let server_latency_ms = matrix.measure_request_ms()?;
        let jobs = downloads.jobs.len();
        let rust_meta = |strategy| BenchMeta {
            server_latency_ms: Some(server_latency_ms),
            ..output::io_meta(group_id, strategy, self.config, jobs, matrix.latency_ms())
        };
        let group = Group {
            id: group_id,
            workload: "download",
            elements: jobs as u64,
            warm_up: Duration::from_millis(500),
            programs: &python::IO_PROGRAMS,
            strategies: &python::IO_STRATEGIES,
        };
        self.measure(c, &group, &rust_meta, &|strategy, probe| {
            matrix.run_verified(strategy, downloads, probe).map(drop)
        })
    }

    /// `py/<kernel>`: the tutorial's CPU programs, their counterparts and `gil_threads`.
    fn compute(
        &self,
        c: &mut Criterion,
        matrix: &CpuMatrix,
        workload: &CpuWorkload,
    ) -> Result<usize, Error> {
        let name = workload.kernel.name();
        let group_id = format!("py/{name}");
        let rust_meta = |strategy| BenchMeta {
            workload: name.to_owned(),
            ..output::cpu_meta(
                &group_id,
                strategy,
                self.config,
                workload.jobs.len(),
                workload.elements(),
            )
        };
        let group = Group {
            id: &group_id,
            workload: name,
            elements: workload.elements(),
            warm_up: Duration::from_millis(300),
            programs: &python::CPU_PROGRAMS,
            strategies: &python::CPU_STRATEGIES,
        };
        self.measure(c, &group, &rust_meta, &|strategy, probe| {
            matrix.run_verified(strategy, workload, probe)
        })
    }

    /// Measures `group`'s CPython programs and Rust strategies in interleaved rounds, then
    /// records their side files; returns how many Criterion measured. `run` runs a Rust
    /// strategy once and checks its results.
    fn measure(
        &self,
        c: &mut Criterion,
        group: &Group,
        rust_meta: &dyn Fn(Strategy) -> BenchMeta,
        run: &dyn Fn(Strategy, &Probe) -> Result<(), RunError>,
    ) -> Result<usize, Error> {
        let mut criterion_group = c.benchmark_group(group.id);
        criterion_group.throughput(Throughput::Elements(group.elements));
        let rust_jobs = group.strategies.iter().map(|&strategy| {
            Job::new(
                strategy.name(),
                rounds::timed(None, move || run(strategy, &Probe::OFF)),
            )
        });
        let jobs = self
            .program_jobs(group.programs, group.workload)
            .into_iter()
            .chain(rust_jobs)
            .collect();
        let plan = Plan::new(group.id, self.config, SAMPLES, SAMPLE_TARGET, group.warm_up);
        measure_jobs_then_record(
            criterion_group,
            self.args,
            &plan,
            &self.side_files,
            jobs,
            |name| self.record(name, group, rust_meta, run),
        )
    }

    /// One measuring job per CPython program: `iters` calls timed inside the interpreter.
    fn program_jobs(&self, programs: &'static [Program], workload: &'static str) -> Vec<Job<'_>> {
        programs
            .iter()
            .map(|program| {
                let measure = move |iters| {
                    self.interpreter
                        .borrow_mut()
                        .measure(program, workload, iters)
                        .map_err(|error| RunFailure {
                            program: Some((program.name, workload)),
                            error,
                        })
                        .map_err(Error::from)
                };
                Job::new(program.name, measure)
            })
            .collect()
    }

    /// The side files of the benchmark `function`: a CPython program's metadata, or a Rust
    /// strategy's metadata and timeline (from one more run with the probe).
    fn record(
        &self,
        function: &str,
        group: &Group,
        rust_meta: &dyn Fn(Strategy) -> BenchMeta,
        run: &dyn Fn(Strategy, &Probe) -> Result<(), RunError>,
    ) -> Result<(), Error> {
        if let Some(program) = group
            .programs
            .iter()
            .find(|program| program.name == function)
        {
            let interpreter = self.interpreter.borrow();
            let meta = program.meta(
                rust_meta(program.counterpart),
                self.config,
                &interpreter.description,
            );
            return Ok(output::record_meta(&self.side_files, &meta)?);
        }
        let strategy = *group
            .strategies
            .iter()
            .find(|strategy| strategy.name() == function)
            .expect("a measured job");
        output::record_benchmark(
            &self.side_files,
            &rust_meta(strategy),
            self.config.timeline,
            |probe| run(strategy, probe),
        )
    }
}
