//! Helpers shared by the integration tests: temporary copies of the fixture run, running the
//! binary, and reading JSON.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};

use target_report::history::{BenchRecord, Record};
use target_report::machine::{GitInfo, Machine};

/// The real Criterion run committed under tests/fixtures (baselines `base`, `other`, and `new`
/// = the second run), with Criterion's HTML/SVG reports pruned.
pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/criterion")
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "target-report-test-{tag}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

pub fn copy_dir(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).unwrap();
    for e in fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            fs::copy(e.path(), &to).unwrap();
        }
    }
}

/// Benchmark directories of the fixture, relative (`io_download/thread_pool`).
pub fn bench_dirs(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for g in fs::read_dir(root).unwrap() {
        let g = g.unwrap();
        if !g.file_type().unwrap().is_dir() {
            continue;
        }
        for b in fs::read_dir(g.path()).unwrap() {
            let b = b.unwrap();
            if b.path().join("new/benchmark.json").is_file() {
                out.push(format!(
                    "{}/{}",
                    g.file_name().to_string_lossy(),
                    b.file_name().to_string_lossy()
                ));
            }
        }
    }
    out.sort();
    out
}

/// A temporary copy of the fixture, with stand-ins for the Criterion report files that the
/// summary links to (the real ones were pruned to keep the fixture small).
pub fn fixture_copy(tag: &str) -> (TempDir, PathBuf) {
    let tmp = TempDir::new(tag);
    let crit = tmp.path().join("criterion");
    copy_dir(&fixture(), &crit);
    for b in bench_dirs(&crit) {
        let report = crit.join(&b).join("report");
        fs::create_dir_all(&report).unwrap();
        fs::write(report.join("index.html"), "<html></html>").unwrap();
        let group_report = crit.join(b.split('/').next().unwrap()).join("report");
        fs::create_dir_all(&group_report).unwrap();
        fs::write(group_report.join("violin.svg"), "<svg/>").unwrap();
    }
    (tmp, crit)
}

pub fn run(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_target-report"))
        .args(args)
        .output()
        .expect("run target-report")
}

pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_target-report"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run target-report")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Parses a generated page with a strict XML parser (the pages are well-formed XHTML; the
/// `<!DOCTYPE html>` line is a DTD to roxmltree, hence `allow_dtd`).
pub fn parse_html(text: &str) -> roxmltree::Document<'_> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(text, opts).expect("the page is well-formed")
}

/// Every element with a class attribute containing `class`.
pub fn by_class<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    class: &str,
) -> Vec<roxmltree::Node<'a, 'i>> {
    node.descendants()
        .filter(|n| {
            n.attribute("class")
                .is_some_and(|c| c.split_whitespace().any(|x| x == class))
        })
        .collect()
}

/// Adds one point of a parameter sweep to `crit`, laid out as Criterion does for
/// `BenchmarkId::new(function, value)` in group `group`: `<group_dir>/<function>/<value>/new/`,
/// a copy of the real measurement of benchmark `src` (e.g. `cpu_fib/thread_pool`), with
/// `benchmark.json` and `cb-meta.json` rewritten for the new identity. Returns the new directory.
pub fn add_sweep_point(crit: &Path, src: &str, group: &str, function: &str, value: u64) -> PathBuf {
    let src = crit.join(src);
    let rel = format!("{}/{function}/{value}", group.replace('/', "_"));
    let dst = crit.join(&rel);
    copy_dir(&src.join("new"), &dst.join("new"));
    // Sweep points record no timeline.
    fs::remove_file(dst.join("new/cb-timeline.json")).unwrap();
    let mut id = read_json(&dst.join("new/benchmark.json"));
    id["group_id"] = group.into();
    id["function_id"] = function.into();
    id["value_str"] = value.to_string().into();
    id["full_id"] = format!("{group}/{function}/{value}").into();
    id["directory_name"] = rel.into();
    fs::write(dst.join("new/benchmark.json"), id.to_string()).unwrap();
    let mut meta = read_json(&src.join("new/cb-meta.json"));
    meta["group"] = group.into();
    meta["function"] = function.into();
    meta["strategy"] = function.into();
    meta["parameter"] = value.into();
    fs::write(dst.join("new/cb-meta.json"), meta.to_string()).unwrap();
    dst
}

/// Changes fields of a benchmark directory's `new/cb-meta.json`.
pub fn edit_meta(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut meta = read_json(&dir.join("new/cb-meta.json"));
    edit(&mut meta);
    fs::write(dir.join("new/cb-meta.json"), meta.to_string()).unwrap();
}

/// Rewrites a benchmark's `new/estimates.json` to a median of `median` ns with the 95% interval
/// `lower..upper`, and its `new/sample.json` to eleven one-iteration samples spread over that
/// interval with `median` in the middle (so bootstrap intervals computed from the samples agree).
pub fn set_median(dir: &Path, median: f64, lower: f64, upper: f64) {
    assert!(lower <= median && median <= upper);
    let path = dir.join("new/estimates.json");
    let mut e = read_json(&path);
    e["median"]["point_estimate"] = median.into();
    e["median"]["confidence_interval"]["lower_bound"] = lower.into();
    e["median"]["confidence_interval"]["upper_bound"] = upper.into();
    fs::write(&path, e.to_string()).unwrap();
    let mut times: Vec<f64> = (0..5)
        .map(|i| lower + (median - lower) * i as f64 / 5.0)
        .collect();
    times.push(median);
    times.extend((1..=5).map(|i| median + (upper - median) * i as f64 / 5.0));
    let sample = serde_json::json!({
        "sampling_mode": "Flat",
        "iters": vec![1.0; times.len()],
        "times": times,
    });
    fs::write(dir.join("new/sample.json"), sample.to_string()).unwrap();
}

/// Turns a sweep point into one the bench skipped: only `new/cb-meta.json`, with `reason`.
pub fn skip_point(dir: &Path, reason: &str) {
    for entry in fs::read_dir(dir.join("new")).unwrap() {
        let path = entry.unwrap().path();
        if !path.ends_with("cb-meta.json") {
            fs::remove_file(path).unwrap();
        }
    }
    edit_meta(dir, |m| m["skipped"] = reason.into());
}

/// A copy of the fixture run ([`fixture_copy`]) to which parameter-sweep points are added with
/// known numbers: each point a copy of one of the run's benchmark directories, moved to
/// `<group>/<function>/<value>` ([`add_sweep_point`]) with its median and interval set.
pub struct SweepFixture {
    pub tmp: TempDir,
    pub crit: PathBuf,
}

/// An I/O point's workload: jobs N, jobs in flight C, latency L in ms.
#[derive(Clone, Copy)]
pub struct Io {
    pub jobs: u64,
    pub c: u64,
    pub latency_ms: f64,
}

impl SweepFixture {
    pub fn new(tag: &str) -> SweepFixture {
        let (tmp, crit) = fixture_copy(tag);
        SweepFixture { tmp, crit }
    }

    /// A point copied from the benchmark directory `src`: median `m` ns within ±`rel` (a
    /// fraction).
    pub fn point(
        &self,
        src: &str,
        (group, function): (&str, &str),
        value: u64,
        m: f64,
        rel: f64,
    ) -> PathBuf {
        let dir = add_sweep_point(&self.crit, src, group, function, value);
        set_median(&dir, m, m * (1.0 - rel), m * (1.0 + rel));
        dir
    }

    /// An I/O point (copied from `io_download/thread_pool`) of `io`'s workload, with the median
    /// and interval `(median, lower, upper)` in ns and no measured request time.
    pub fn io_point(
        &self,
        (group, function): (&str, &str),
        value: u64,
        io: Io,
        (m, lower, upper): (f64, f64, f64),
    ) -> PathBuf {
        let dir = add_sweep_point(
            &self.crit,
            "io_download/thread_pool",
            group,
            function,
            value,
        );
        set_median(&dir, m, lower, upper);
        edit_meta(&dir, |meta| {
            meta["jobs"] = io.jobs.into();
            meta["elements"] = io.jobs.into();
            meta["concurrency"] = io.c.into();
            meta["latency_ms"] = io.latency_ms.into();
            meta["server_latency_ms"] = serde_json::Value::Null;
        });
        dir
    }

    /// An I/O point the bench skipped, with its reason.
    pub fn skipped_io_point(
        &self,
        (group, function): (&str, &str),
        value: u64,
        io: Io,
        reason: &str,
    ) {
        let dir = self.io_point((group, function), value, io, (1.0, 1.0, 1.0));
        skip_point(&dir, reason);
    }

    /// The group's `cb-server-capacity.json`: the mock server answered `requests_per_s`.
    pub fn server_capacity(&self, group: &str, requests: u64, in_flight: u64, requests_per_s: f64) {
        let file = self
            .crit
            .join(group.replace('/', "_"))
            .join("cb-server-capacity.json");
        let capacity = serde_json::json!({
            "schema": 1,
            "requests": requests,
            "in_flight": in_flight,
            "requests_per_s": requests_per_s,
        });
        fs::write(file, capacity.to_string()).unwrap();
    }
}

/// Writes one synthetic benchmark baseline: `benchmark.json` and a `sample.json` of ten
/// one-iteration samples spread ±0.9% around `median_ns` (group `g`, function `function`).
pub fn write_baseline(crit: &Path, function: &str, baseline: &str, median_ns: f64) {
    let times: Vec<f64> = (0..10)
        .map(|i| median_ns * (1.0 + 0.002 * (i as f64 - 4.5)))
        .collect();
    write_samples(crit, function, baseline, &times);
}

/// `g/<function>` in `baseline` with these one-iteration samples, in the order taken.
pub fn write_samples(crit: &Path, function: &str, baseline: &str, times: &[f64]) {
    let dir = crit.join("g").join(function).join(baseline);
    fs::create_dir_all(&dir).unwrap();
    let id = serde_json::json!({"group_id": "g", "function_id": function, "value_str": null,
        "throughput": null, "full_id": format!("g/{function}"),
        "directory_name": format!("g/{function}")});
    fs::write(dir.join("benchmark.json"), id.to_string()).unwrap();
    let sample = serde_json::json!({"sampling_mode": "Flat", "iters": vec![1.0; times.len()],
        "times": times});
    fs::write(dir.join("sample.json"), sample.to_string()).unwrap();
}

/// The summary.json table of `group` without a parameter value (not a sweep point's).
pub fn table<'a>(summary: &'a serde_json::Value, group: &str) -> &'a serde_json::Value {
    summary["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["group"] == group && t["value"].is_null())
        .unwrap_or_else(|| panic!("no table {group}"))
}

/// The row of `function` in a summary.json table.
pub fn row<'a>(table: &'a serde_json::Value, function: &str) -> &'a serde_json::Value {
    table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["function"] == function)
        .unwrap_or_else(|| panic!("no row {function}"))
}

/// The entry of benchmark `id` in a compare or ab JSON output.
pub fn entry<'a>(comparison: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    comparison["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("no entry {id}"))
}

/// Runs the binary in a directory without a workspace above it.
pub fn run_outside(args: &[&str]) -> Output {
    let tmp = TempDir::new("cmp-cwd");
    run_in(tmp.path(), args)
}

/// `compare OLD NEW --format json` on `crit` (plus `extra`) outside any workspace: its exit
/// status (0, 1 or 3) and its JSON.
pub fn compare_json(crit: &Path, old: &str, new: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec![
        "compare",
        old,
        new,
        "--criterion-dir",
        p(crit),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let o = run_outside(&args);
    let code = o.status.code().unwrap();
    assert!([0, 1, 3].contains(&code), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["exit_code"], code);
    (code, v)
}

/// The ids of a compare JSON's entries with `verdict`.
pub fn verdicts(v: &serde_json::Value, verdict: &str) -> Vec<String> {
    v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["verdict"] == verdict)
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

/// A history record of `benchmarks` at `commit`, measured on a test machine of `cores` cores.
pub fn history_record(commit: &str, cores: usize, benchmarks: Vec<BenchRecord>) -> Record {
    Record {
        schema: 1,
        recorded_at: "2026-11-28T00:00:00Z".into(),
        git: GitInfo {
            commit: Some(commit.into()),
            commit_date: Some("2026-11-27T12:00:00+00:00".into()),
            dirty: Some(false),
        },
        machine: Machine {
            cpu_model: "test cpu".into(),
            cores,
            os: "linux/x86_64".into(),
        },
        benchmarks,
        origin: None,
        status: None,
        reason: None,
    }
}
