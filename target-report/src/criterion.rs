//! Criterion 0.8.2's on-disk files and how to find them.
//!
//! These files are Criterion internals, not a documented format. The structs below mirror the
//! ones Criterion serialises (read from its source, version pinned `=0.8.2` in the workspace):
//! `report::BenchmarkId` → `benchmark.json`, `estimate::Estimates` → `estimates.json`,
//! `SavedSample` (lib.rs) → `sample.json`. Unknown fields are ignored so that additions do not
//! break reading; missing or mistyped fields are reported as a corrupt file.

use std::fs;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// `benchmark.json`: the identity of one benchmark (Criterion's `BenchmarkId`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct BenchmarkJson {
    /// The group name, e.g. `io/download`.
    pub group_id: String,
    /// The function name within the group, e.g. `thread_pool`.
    pub function_id: Option<String>,
    /// The parameter value of a parameterised benchmark, e.g. `8`.
    pub value_str: Option<String>,
    /// What one iteration processes, if the bench declared it.
    pub throughput: Option<Throughput>,
    /// `group/function[/value]`, unique within a run.
    pub full_id: String,
    /// The benchmark's directory relative to the Criterion directory.
    pub directory_name: String,
}

/// Criterion's `Throughput`, serialised with serde's default (externally tagged) enum layout.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub enum Throughput {
    /// Bits per iteration.
    Bits(u64),
    /// Bytes per iteration (binary prefixes).
    Bytes(u64),
    /// Bytes per iteration (decimal prefixes).
    BytesDecimal(u64),
    /// Elements per iteration.
    Elements(u64),
    /// Elements (primary) and bytes per iteration.
    ElementsAndBytes {
        /// Elements per iteration.
        elements: u64,
        /// Bytes per iteration.
        bytes: u64,
    },
}

impl Throughput {
    /// The primary amount per iteration and its unit, as Criterion's `as_number` picks it.
    pub fn amount(&self) -> (u64, &'static str) {
        match *self {
            Throughput::Bits(n) => (n, "bit"),
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => (n, "B"),
            Throughput::Elements(n) => (n, "elem"),
            Throughput::ElementsAndBytes { elements, .. } => (elements, "elem"),
        }
    }
}

/// A confidence interval as Criterion writes it.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq)]
pub struct ConfidenceInterval {
    /// 0.95 by default.
    pub confidence_level: f64,
    /// Lower bound, nanoseconds per iteration.
    pub lower_bound: f64,
    /// Upper bound, nanoseconds per iteration.
    pub upper_bound: f64,
}

/// One statistic with its bootstrap interval (Criterion's `Estimate`).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq)]
pub struct Estimate {
    /// The interval from Criterion's bootstrap.
    pub confidence_interval: ConfidenceInterval,
    /// The statistic computed on the whole sample.
    pub point_estimate: f64,
    /// Standard deviation of the bootstrap distribution.
    pub standard_error: f64,
}

/// `estimates.json`, nanoseconds per iteration (Criterion's `Estimates`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Estimates {
    /// Mean of the per-iteration times.
    pub mean: Estimate,
    /// Median of the per-iteration times: the number this tool reports.
    pub median: Estimate,
    /// Median absolute deviation.
    pub median_abs_dev: Estimate,
    /// Regression slope; `null` in flat sampling mode.
    pub slope: Option<Estimate>,
    /// Standard deviation.
    pub std_dev: Estimate,
}

/// `sample.json`: the raw measurements (Criterion's `SavedSample`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct SavedSample {
    /// `Linear` or `Flat`.
    pub sampling_mode: String,
    /// Iterations in each sample.
    pub iters: Vec<f64>,
    /// Total nanoseconds of each sample.
    pub times: Vec<f64>,
}

impl SavedSample {
    /// Per-iteration times, `times[i] / iters[i]`, exactly as Criterion computes `avg_times`.
    pub fn per_iteration(&self) -> Vec<f64> {
        self.iters
            .iter()
            .zip(&self.times)
            .map(|(i, t)| t / i)
            .collect()
    }
}

/// Reads and parses one JSON file; any failure names the file.
pub fn load_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text =
        fs::read_to_string(path).map_err(|e| Error::at(path, format!("cannot read: {e}")))?;
    serde_json::from_str(&text).map_err(|e| Error::at(path, format!("corrupt JSON: {e}")))
}

/// Loads `path` if it exists; `Ok(None)` when it does not (a partial run), an error when it
/// exists but cannot be read or parsed.
pub fn load_optional<T: DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    match fs::symlink_metadata(path) {
        Ok(_) => load_json(path).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::at(path, format!("cannot read: {e}"))),
    }
}

fn positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

/// Loads and checks `estimates.json`: the median and its interval must be positive numbers.
pub fn load_estimates(path: &Path) -> Result<Option<Estimates>> {
    let Some(e) = load_optional::<Estimates>(path)? else {
        return Ok(None);
    };
    let ci = e.median.confidence_interval;
    if !(positive(e.median.point_estimate) && positive(ci.lower_bound) && positive(ci.upper_bound))
        || ci.lower_bound > ci.upper_bound
    {
        return Err(Error::at(
            path,
            "corrupt estimates: the median and its interval must be positive with lower <= upper",
        ));
    }
    Ok(Some(e))
}

/// Loads and checks `sample.json`: equal, non-empty `iters` and `times`, positive numbers.
pub fn load_sample(path: &Path) -> Result<Option<SavedSample>> {
    let Some(s) = load_optional::<SavedSample>(path)? else {
        return Ok(None);
    };
    if s.iters.is_empty() || s.iters.len() != s.times.len() {
        return Err(Error::at(
            path,
            format!(
                "corrupt sample: {} iteration counts for {} times",
                s.iters.len(),
                s.times.len()
            ),
        ));
    }
    if !s.iters.iter().chain(&s.times).all(|&x| positive(x)) {
        return Err(Error::at(
            path,
            "corrupt sample: iteration counts and times must be positive numbers",
        ));
    }
    Ok(Some(s))
}

/// One benchmark directory under the Criterion directory, e.g. `io_download/thread_pool`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct BenchDir {
    /// Path relative to the Criterion directory, with `/` separators.
    pub rel: String,
    /// Full path.
    pub path: PathBuf,
}

impl BenchDir {
    /// The group's directory (the first component), where Criterion puts `report/violin.svg`.
    pub fn group_dir(&self) -> &str {
        self.rel.split('/').next().unwrap_or(&self.rel)
    }

    /// The directory of one baseline (`new`, `base`, or a `--save-baseline` name).
    pub fn baseline(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Whether this benchmark has a saved baseline `name` (its `benchmark.json` exists).
    pub fn has_baseline(&self, name: &str) -> bool {
        self.path.join(name).join("benchmark.json").is_file()
    }
}

/// Names that Criterion uses inside a benchmark directory for things that are not baselines.
const NOT_BASELINES: [&str; 2] = ["report", "change"];

/// Finds every benchmark directory: one with a child `<baseline>/benchmark.json` or
/// `<baseline>/cb-meta.json` (the suite's). Walking (instead of listing known groups) picks up new groups and
/// parameterised sweeps (`<group>/<function>/<value>/`) without code changes.
///
/// Fails when `criterion_dir` is not a readable directory.
pub fn discover(criterion_dir: &Path) -> Result<Vec<BenchDir>> {
    let meta = fs::metadata(criterion_dir).map_err(|e| {
        Error::at(
            criterion_dir,
            format!("cannot read the Criterion directory: {e}"),
        )
    })?;
    if !meta.is_dir() {
        return Err(Error::at(criterion_dir, "not a directory"));
    }
    let mut found = Vec::new();
    walk(criterion_dir, criterion_dir, &mut found)?;
    found.sort();
    Ok(found)
}

fn walk(root: &Path, dir: &Path, found: &mut Vec<BenchDir>) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|e| Error::at(dir, format!("cannot list: {e}")))?;
    let mut subdirs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::at(dir, format!("cannot list: {e}")))?;
        // file_type() does not follow symlinks: a link loop cannot trap the walk.
        let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
        if is_dir {
            subdirs.push(entry.path());
        }
    }
    // A baseline directory holds Criterion's benchmark.json, or only the suite's cb-meta.json
    // for a benchmark the bench planned but skipped.
    let is_baseline = |p: &PathBuf| {
        (p.join("benchmark.json").is_file() || p.join(cb_schema::META_FILE).is_file())
            && !NOT_BASELINES.iter().any(|n| p.ends_with(n))
    };
    let is_bench = subdirs.iter().any(is_baseline);
    if is_bench && dir != root {
        let rel = dir
            .strip_prefix(root)
            .unwrap_or(dir)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        found.push(BenchDir {
            rel,
            path: dir.to_path_buf(),
        });
    }
    for sub in subdirs {
        let name = sub.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // Criterion's HTML reports and baseline copies never contain further benchmarks.
        if name == "report" || (is_bench && is_baseline(&sub)) {
            continue;
        }
        walk(root, &sub, found)?;
    }
    Ok(())
}

/// The measured data of one benchmark in one baseline. Each part may be missing in a partial run.
#[derive(Debug, Clone)]
pub struct Measured {
    /// `benchmark.json`.
    pub id: BenchmarkJson,
    /// `estimates.json`, if present.
    pub estimates: Option<Estimates>,
    /// `sample.json`, if present.
    pub sample: Option<SavedSample>,
}

/// Loads `<dir>/<baseline>/{benchmark,estimates,sample}.json`; `Ok(None)` when the baseline has
/// no `benchmark.json` here.
pub fn load_measured(dir: &BenchDir, baseline: &str) -> Result<Option<Measured>> {
    let base = dir.baseline(baseline);
    let Some(id) = load_optional::<BenchmarkJson>(&base.join("benchmark.json"))? else {
        return Ok(None);
    };
    Ok(Some(Measured {
        id,
        estimates: load_estimates(&base.join("estimates.json"))?,
        sample: load_sample(&base.join("sample.json"))?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throughput_parses_criterion_layout() {
        let t: Throughput = serde_json::from_str(r#"{"Elements":160}"#).unwrap();
        assert_eq!(t.amount(), (160, "elem"));
        let t: Throughput =
            serde_json::from_str(r#"{"ElementsAndBytes":{"elements":3,"bytes":9}}"#).unwrap();
        assert_eq!(t.amount(), (3, "elem"));
    }

    #[test]
    fn per_iteration_divides_times_by_iters() {
        let s = SavedSample {
            sampling_mode: "Linear".into(),
            iters: vec![1.0, 2.0, 4.0],
            times: vec![10.0, 30.0, 40.0],
        };
        assert_eq!(s.per_iteration(), vec![10.0, 15.0, 10.0]);
    }
}
