//! The files the benches write beside Criterion's output, for `target-report`. They belong to a
//! baseline, like Criterion's own files: each goes into every baseline directory Criterion
//! writes in this run ([`SideFiles`]: `new/`, and the `--save-baseline` name, `base` by default),
//! and a run that saves nothing (`--test`, `--list`, `--profile-time`, `--discard-baseline`,
//! `--load-baseline`) writes none.
//!
//! - `<criterion>/<group>/<function>[/<value>]/<baseline>/cb-meta.json` ([`BenchMeta`]): what was
//!   measured — workload, strategy, job count, concurrency, latency — so the report can compute
//!   speed-ups and the ideal time ⌈N/C⌉·L without guessing.
//! - `.../<baseline>/cb-timeline.json` ([`TimelineFile`]): one untimed run's spans, for the
//!   timeline charts.
//! - `.../<baseline>/cb-faults.json` ([`FaultReport`]): with `CB_FAULTS`, failures by kind.
//! - `.../<baseline>/cb-cpu.json` ([`CpuSamples`]): for a sweep point, the samples Criterion
//!   measured, each with the CPU time it consumed.
//! - `<criterion>/<group>/<baseline>/cb-rounds.json` ([`cb_schema::Rounds`]): the
//!   group's interleaved rounds.
//! - `<criterion>/<group>/cb-server-capacity.json` ([`ServerCapacity`], written by the
//!   sweeps' `record_server_capacity`): per sweep group, not per baseline.
//!
//! `<group>` and `<function>` are directory names made the way Criterion makes them, so the files
//! sit in the benchmark's own directory. The files' types are [`cb_schema`]'s, shared with
//! `target-report`.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::criterion_args::CriterionArgs;
use crate::error::Error;
use crate::strategy::{Kind, Strategy};

pub use cb_schema::{
    CpuSamples, Faults as FaultReport, Meta as BenchMeta, RoundSample, ServerCapacity,
    Timeline as TimelineFile, CAPACITY_FILE, CPU_FILE, FAULTS_FILE, META_FILE, SCHEMA,
    TIMELINE_FILE,
};

/// A side file that could not be written or removed: the run's results would be incomplete,
/// so the bench stops (exit status 1).
#[derive(Debug)]
pub struct SideFileError {
    /// `write` or `remove`.
    pub action: &'static str,
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub error: io::Error,
}

impl fmt::Display for SideFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot {} {}: {}",
            self.action,
            self.path.display(),
            self.error
        )
    }
}

impl std::error::Error for SideFileError {}

impl From<SideFileError> for Error {
    fn from(error: SideFileError) -> Error {
        Error::run(error)
    }
}

/// The metadata of a CPU benchmark of `group` (`cpu/<workload>`): `jobs` jobs of `elements`
/// elementary steps in all, spread by `strategy`.
pub fn cpu_meta(
    group: &str,
    strategy: Strategy,
    config: &Config,
    jobs: usize,
    elements: u64,
) -> BenchMeta {
    let workload = group.trim_start_matches("cpu/");
    BenchMeta {
        placement_pinned: Some(crate::workload::cpu::placement_warning().is_none()),
        ..new_meta(group, strategy, Kind::Cpu, workload, config, jobs, elements)
    }
}

/// The metadata of an I/O benchmark of `jobs` downloads at `latency_ms` per request (unknown
/// for a server the suite did not start).
pub fn io_meta(
    group: &str,
    strategy: Strategy,
    config: &Config,
    jobs: usize,
    latency_ms: Option<f64>,
) -> BenchMeta {
    BenchMeta {
        latency_ms,
        ..new_meta(
            group,
            strategy,
            Kind::Io,
            "download",
            config,
            jobs,
            jobs as u64,
        )
    }
}

fn new_meta(
    group: &str,
    strategy: Strategy,
    kind: Kind,
    workload: &str,
    config: &Config,
    jobs: usize,
    elements: u64,
) -> BenchMeta {
    BenchMeta {
        schema: SCHEMA,
        group: group.to_owned(),
        function: strategy.name().to_owned(),
        strategy: strategy.name().to_owned(),
        kind: kind.name().to_owned(),
        workload: workload.to_owned(),
        jobs: jobs as u64,
        elements,
        concurrency: strategy.concurrency(kind, config, jobs) as u64,
        latency_ms: None,
        server_latency_ms: None,
        cores: crate::config::available_cores() as u64,
        workers: config.workers as u64,
        processes: config.processes as u64,
        parameter: None,
        skipped: None,
        python: None,
        rust_counterpart: None,
        placement_pinned: None,
    }
}

/// Where Criterion writes, found the way Criterion 0.8 finds it: `$CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else the target directory `cargo metadata` reports, else
/// `target/criterion`.
pub fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    cargo_metadata_target_dir()
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("criterion")
}

fn cargo_metadata_target_dir() -> Option<PathBuf> {
    #[derive(Deserialize)]
    struct Metadata {
        target_directory: PathBuf,
    }
    let cargo = std::env::var_os("CARGO")?;
    let output = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .ok()?;
    let metadata: Metadata = serde_json::from_slice(&output.stdout).ok()?;
    Some(metadata.target_directory)
}

/// A name made safe for a directory, as Criterion's `make_filename_safe` does on Unix.
pub fn criterion_dir_name(id: &str) -> String {
    id.chars()
        .map(|c| match c {
            '?' | '"' | '/' | '\\' | '*' | '<' | '>' | ':' | '|' | '^' => '_',
            c => c,
        })
        .collect()
}

/// The directory Criterion uses for benchmark `function` of `group` (and `parameter`, for
/// parameterized groups).
pub fn benchmark_dir(
    criterion_home: &Path,
    group: &str,
    function: &str,
    parameter: Option<u64>,
) -> PathBuf {
    let dir = criterion_home
        .join(criterion_dir_name(group))
        .join(criterion_dir_name(function));
    match parameter {
        Some(value) => dir.join(value.to_string()),
        None => dir,
    }
}

/// Where this run's side files go: Criterion's directory and the baseline directories Criterion
/// writes in this run ([`CriterionArgs::baseline_dirs`]). Empty baselines: nothing is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SideFiles {
    /// Criterion's output directory ([`criterion_home`]).
    pub criterion_home: PathBuf,
    /// The baseline directory names, e.g. `["new", "base"]`.
    pub baselines: Vec<String>,
}

impl SideFiles {
    /// The side files of this process's run: [`criterion_home`] and the baselines `args` save.
    pub fn for_run(args: &CriterionArgs) -> SideFiles {
        SideFiles {
            criterion_home: criterion_home(),
            baselines: args.baseline_dirs(),
        }
    }

    /// Whether this run writes no side file at all.
    pub fn is_empty(&self) -> bool {
        self.baselines.is_empty()
    }

    /// The baseline directories of benchmark `function` of `group` (and `parameter`).
    pub fn benchmark_dirs(
        &self,
        group: &str,
        function: &str,
        parameter: Option<u64>,
    ) -> Vec<PathBuf> {
        let dir = benchmark_dir(&self.criterion_home, group, function, parameter);
        self.baselines.iter().map(|name| dir.join(name)).collect()
    }

    /// The baseline directories of `group` itself, for the group's own files.
    pub fn group_dirs(&self, group: &str) -> Vec<PathBuf> {
        let dir = self.criterion_home.join(criterion_dir_name(group));
        self.baselines.iter().map(|name| dir.join(name)).collect()
    }

    /// Writes `value` as `file` into each of the group's baseline directories.
    pub fn write_group_file(
        &self,
        group: &str,
        file: &str,
        value: &impl Serialize,
    ) -> Result<(), SideFileError> {
        write_all(&self.group_dirs(group), file, value)
    }

    /// Removes `file` from the group's baseline directories, where an earlier run left it and
    /// this run did not make it anew.
    pub fn remove_group_file(&self, group: &str, file: &str) -> Result<(), SideFileError> {
        remove_all(&self.group_dirs(group), file)
    }

    fn write_benchmark_file(
        &self,
        meta: &BenchMeta,
        file: &str,
        value: &impl Serialize,
    ) -> Result<(), SideFileError> {
        let dirs = self.benchmark_dirs(&meta.group, &meta.function, meta.parameter);
        write_all(&dirs, file, value)
    }
}

fn write_all(dirs: &[PathBuf], file: &str, value: &impl Serialize) -> Result<(), SideFileError> {
    dirs.iter().try_for_each(|dir| {
        let path = dir.join(file);
        write_json(&path, value).map_err(|error| SideFileError {
            action: "write",
            path,
            error,
        })
    })
}

fn remove_all(dirs: &[PathBuf], file: &str) -> Result<(), SideFileError> {
    dirs.iter().try_for_each(|dir| {
        let path = dir.join(file);
        match std::fs::remove_file(&path) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(SideFileError {
                action: "remove",
                path,
                error,
            }),
            _ => Ok(()),
        }
    })
}

/// Writes a [`FaultReport`] for `meta`'s benchmark from the clients' `tally` and what the
/// server `injected` meanwhile, and prints its one-line summary. Without `CB_FAULTS`, removes
/// a report an earlier run left in this run's baseline directories instead.
pub fn record_faults(
    side_files: &SideFiles,
    meta: &BenchMeta,
    config: &Config,
    tally: &crate::workload::faults::FailureTally,
    injected: mock_server::FaultCounts,
) -> Result<(), SideFileError> {
    let dirs = side_files.benchmark_dirs(&meta.group, &meta.function, meta.parameter);
    if config.faults.is_none() {
        return remove_all(&dirs, FAULTS_FILE);
    }
    let counts = injected;
    let mut injected = std::collections::BTreeMap::new();
    injected.insert("ok".to_owned(), counts.ok);
    for kind in mock_server::FaultKind::ALL {
        injected.insert(kind.name().to_owned(), counts.get(kind));
    }
    let report = FaultReport {
        schema: SCHEMA,
        group: meta.group.clone(),
        function: meta.function.clone(),
        faults: config.faults.to_string(),
        timeout_ms: config.timeout_ms,
        runs: tally.runs,
        downloads: tally.downloads,
        failed: tally.failed.clone(),
        injected,
    };
    eprintln!(
        "{}/{}: {} of {} downloads failed {:?}; the server injected {:?}",
        meta.group,
        meta.function,
        tally.total_failed(),
        tally.downloads,
        report.failed,
        report.injected
    );
    write_all(&dirs, FAULTS_FILE, &report)
}

/// Writes only the [`BenchMeta`] of a benchmark (a sweep point, or one that was skipped).
pub fn record_meta(side_files: &SideFiles, meta: &BenchMeta) -> Result<(), SideFileError> {
    side_files.write_benchmark_file(meta, META_FILE, meta)
}

/// Writes the [`CpuSamples`] of `meta`'s benchmark: `samples`, the samples Criterion measured
/// live, in order. When none has its CPU time (`CB_CPU_TIME=off`, not Linux, or no samples:
/// a benchmark not measured, Criterion's `--quick`), removes a file an earlier run left in
/// this run's baseline directories instead, so none describes other samples than Criterion's.
pub fn record_cpu_samples(
    side_files: &SideFiles,
    meta: &BenchMeta,
    samples: &[RoundSample],
) -> Result<(), SideFileError> {
    let dirs = side_files.benchmark_dirs(&meta.group, &meta.function, meta.parameter);
    if samples.iter().all(|sample| sample.cpu.is_none()) {
        return remove_all(&dirs, CPU_FILE);
    }
    let file = CpuSamples {
        schema: SCHEMA,
        group: meta.group.clone(),
        function: meta.function.clone(),
        parameter: meta.parameter,
        samples: samples.to_vec(),
    };
    write_all(&dirs, CPU_FILE, &file)
}

/// Writes `value` as pretty JSON to `path` through a temporary file and a rename, so a reader
/// never sees half a file.
pub fn write_json(path: &Path, value: &impl Serialize) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let text = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
    let temporary = path.with_extension("json.tmp");
    std::fs::write(&temporary, text)?;
    std::fs::rename(&temporary, path)
}

/// After a benchmark was measured: writes its [`BenchMeta`], and with `timeline`
/// (`CB_TIMELINE`, on unless `target-report ab` turned it off for its rounds) calls `run_once`
/// (which must run the strategy once more, untimed, with the probe, and check its results)
/// and writes the [`TimelineFile`]. In a run that writes no side files, does nothing (not even
/// the run).
pub fn record_benchmark<T, E: Into<Error>>(
    side_files: &SideFiles,
    meta: &BenchMeta,
    timeline: bool,
    run_once: impl FnOnce(&crate::timeline::Probe) -> Result<T, E>,
) -> Result<(), Error> {
    if side_files.is_empty() {
        return Ok(());
    }
    record_meta(side_files, meta)?;
    if !timeline {
        return Ok(());
    }

    let timeline = std::sync::Arc::new(crate::timeline::Timeline::new());
    run_once(&timeline.probe()).map_err(Into::into)?;
    let file = TimelineFile {
        schema: SCHEMA,
        group: meta.group.clone(),
        function: meta.function.clone(),
        wall_ns: timeline.elapsed_ns(),
        spans: timeline.spans(),
    };
    Ok(side_files.write_benchmark_file(meta, TIMELINE_FILE, &file)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_names_follow_criterion() {
        assert_eq!(
            criterion_dir_name("cpu/sum_of_squares"),
            "cpu_sum_of_squares"
        );
        let dir = benchmark_dir(Path::new("/t"), "io/download", "thread_pool", None);
        assert_eq!(dir, Path::new("/t/io_download/thread_pool"));
        let dir = benchmark_dir(Path::new("/t"), "sweep/io_workers", "rayon", Some(40));
        assert_eq!(dir, Path::new("/t/sweep_io_workers/rayon/40"));
    }

    #[test]
    fn meta_round_trips_and_names_the_strategy() {
        let config = Config::from_pairs(&[]).unwrap();
        let meta = cpu_meta("cpu/fib", Strategy::ThreadPool, &config, 20, 1000);
        assert_eq!(meta.workload, "fib");
        assert_eq!(meta.concurrency, 5);
        let dir = std::env::temp_dir().join(format!("cb-meta-test-{}", std::process::id()));
        let path = dir.join(META_FILE);
        write_json(&path, &meta).unwrap();
        let back: BenchMeta = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(back, meta);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn side_files_go_into_every_baseline_and_nowhere_without_one() {
        let dir = std::env::temp_dir().join(format!("cb-side-files-test-{}", std::process::id()));
        let config = Config::from_pairs(&[]).unwrap();
        let meta = cpu_meta("cpu/fib", Strategy::Rayon, &config, 20, 1000);

        let nothing = SideFiles {
            criterion_home: dir.clone(),
            baselines: Vec::new(),
        };
        let mut ran = false;
        record_benchmark(&nothing, &meta, true, |_| {
            ran = true;
            Ok::<(), Error>(())
        })
        .unwrap();
        assert!(!ran, "no timeline run when nothing is saved");
        assert!(!dir.exists(), "nothing written");

        let saved = SideFiles {
            criterion_home: dir.clone(),
            baselines: vec!["new".to_owned(), "x".to_owned()],
        };
        record_benchmark(&saved, &meta, true, |_| Ok::<(), Error>(())).unwrap();
        for baseline in ["new", "x"] {
            let bench = dir.join("cpu_fib").join("rayon").join(baseline);
            let back: BenchMeta =
                serde_json::from_slice(&std::fs::read(bench.join(META_FILE)).unwrap()).unwrap();
            assert_eq!(back, meta);
            assert!(bench.join(TIMELINE_FILE).exists(), "{baseline}");
        }
        assert!(!dir.join("cpu_fib/rayon").join(META_FILE).exists());

        // CB_TIMELINE=off (ab's rounds): the meta, but no untimed run and no timeline file.
        std::fs::remove_dir_all(&dir).unwrap();
        let mut ran = false;
        record_benchmark(&saved, &meta, false, |_| {
            ran = true;
            Ok::<(), Error>(())
        })
        .unwrap();
        let bench = dir.join("cpu_fib").join("rayon").join("new");
        assert!(!ran && bench.join(META_FILE).exists() && !bench.join(TIMELINE_FILE).exists());

        saved.write_group_file("cpu/fib", "cb-x.json", &1).unwrap();
        assert!(dir.join("cpu_fib/x/cb-x.json").exists());
        saved.remove_group_file("cpu/fib", "cb-x.json").unwrap();
        saved.remove_group_file("cpu/fib", "cb-x.json").unwrap();
        assert!(!dir.join("cpu_fib/new/cb-x.json").exists());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn cpu_samples_are_written_with_cpu_and_an_earlier_file_is_removed_without() {
        let dir = std::env::temp_dir().join(format!("cb-cpu-samples-test-{}", std::process::id()));
        let config = Config::from_pairs(&[]).unwrap();
        let mut meta = io_meta(
            "sweep/io_requests",
            Strategy::AsyncTokio,
            &config,
            10,
            Some(50.0),
        );
        meta.parameter = Some(10);
        let saved = SideFiles {
            criterion_home: dir.clone(),
            baselines: vec!["new".to_owned(), "x".to_owned()],
        };
        let cpu = cb_schema::SampleCpu {
            tick_ns: 10_000_000,
            client: cb_schema::CpuTime {
                user_ns: 10_000_000,
                system_ns: 0,
            },
            server: None,
            workers: cb_schema::CpuTime::default(),
        };
        let sample = |cpu| RoundSample {
            function: "async_tokio".to_owned(),
            iters: 2,
            ns: 1e8,
            cpu,
        };
        let samples = vec![sample(Some(cpu)), sample(None)];
        record_cpu_samples(&saved, &meta, &samples).unwrap();
        let file = |baseline: &str| {
            dir.join("sweep_io_requests/async_tokio/10")
                .join(baseline)
                .join(CPU_FILE)
        };
        for baseline in ["new", "x"] {
            let back: CpuSamples =
                serde_json::from_slice(&std::fs::read(file(baseline)).unwrap()).unwrap();
            assert_eq!(back.samples, samples);
            assert_eq!(
                (back.parameter, back.function.as_str()),
                (Some(10), "async_tokio")
            );
        }
        // CB_CPU_TIME=off this time: the earlier file would describe other samples.
        record_cpu_samples(&saved, &meta, &[sample(None)]).unwrap();
        assert!(!file("new").exists() && !file("x").exists());
        record_cpu_samples(&saved, &meta, &[]).unwrap();
        std::fs::remove_dir_all(dir).unwrap();
    }
}
