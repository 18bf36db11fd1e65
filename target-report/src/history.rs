//! The results history: one JSON line per `record`, appended atomically, read back tolerantly,
//! and turned into one series per benchmark with detected step changes.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::criterion;
use crate::error::{Error, Result};
use crate::machine::{GitInfo, Machine};
use crate::steps::{self, Fit};

/// Default history file name, at the workspace root (outside `target/`, so `cargo clean`
/// keeps it).
pub const DEFAULT_FILE: &str = "bench-history.jsonl";

/// One line of the history file: the latest results at one commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Format version; this tool writes and reads 1.
    pub schema: u32,
    /// When `record` ran (RFC 3339 UTC).
    pub recorded_at: String,
    /// The commit, its date and whether the tree was dirty.
    #[serde(flatten)]
    pub git: GitInfo,
    /// Where it ran.
    pub machine: Machine,
    /// The results.
    pub benchmarks: Vec<BenchRecord>,
}

/// One benchmark's result in a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchRecord {
    /// Criterion's full id.
    pub id: String,
    /// Median per-iteration time, ns (Criterion's estimate).
    pub median_ns: f64,
    /// Lower bound of its 95% interval, ns.
    pub lower_ns: f64,
    /// Upper bound of its 95% interval, ns.
    pub upper_ns: f64,
    /// Samples behind it.
    pub samples: usize,
}

/// Collects the latest results (`new/`) under `criterion_dir`. Benchmarks without estimates
/// are skipped and named in the second list.
pub fn collect(criterion_dir: &Path) -> Result<(Vec<BenchRecord>, Vec<String>)> {
    let dirs = criterion::discover(criterion_dir)?;
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for dir in &dirs {
        let Some(m) = criterion::load_measured(dir, "new")? else {
            continue;
        };
        match m.estimates {
            Some(e) => out.push(BenchRecord {
                id: m.id.full_id,
                median_ns: e.median.point_estimate,
                lower_ns: e.median.confidence_interval.lower_bound,
                upper_ns: e.median.confidence_interval.upper_bound,
                samples: m.sample.map_or(0, |s| s.times.len()),
            }),
            None => skipped.push(m.id.full_id),
        }
    }
    if out.is_empty() {
        return Err(Error::at(
            criterion_dir,
            "no benchmark has new/estimates.json: nothing to record (run `cargo bench` first)",
        ));
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok((out, skipped))
}

/// An advisory `flock(2)` held until drop (closing the descriptor releases it too).
struct Flock<'a>(&'a File);

impl<'a> Flock<'a> {
    fn new(file: &'a File, path: &Path, exclusive: bool) -> Result<Self> {
        let op = if exclusive {
            libc::LOCK_EX
        } else {
            libc::LOCK_SH
        };
        // SAFETY: flock on a descriptor owned by `file`, which outlives the guard.
        let rc = unsafe { libc::flock(file.as_raw_fd(), op) };
        if rc != 0 {
            return Err(Error::at(
                path,
                format!("cannot lock: {}", std::io::Error::last_os_error()),
            ));
        }
        Ok(Flock(file))
    }
}

impl Drop for Flock<'_> {
    fn drop(&mut self) {
        // SAFETY: as above; unlocking an fd we locked.
        unsafe {
            libc::flock(self.0.as_raw_fd(), libc::LOCK_UN);
        }
    }
}

/// Appends `record` as one line to `path`, creating the file if needed.
///
/// Why this is safe against concurrent and killed writers:
/// * the whole line (JSON has no raw newlines) goes out in **one `write(2)` on an `O_APPEND`
///   descriptor**: the kernel positions it at the end of file atomically, so two writers never
///   interleave inside a line, and a writer killed before the call leaves nothing;
/// * an **exclusive `flock(2)`** serialises writers for the check-then-write below, and covers
///   filesystems where `O_APPEND` alone is not atomic (NFS). It is advisory: only cooperating
///   writers (this tool) honour it, which is all that ever writes this file;
/// * if a previous writer died mid-line (the file does not end in `\n`), the new line starts
///   with a `\n`, so the damaged line stays a single corrupt line that readers skip and report —
///   it is never rewritten — and the new record is intact;
/// * a short write (disk full) is rolled back to the previous length under the lock, so no
///   partial line is left behind by this writer.
pub fn append(path: &Path, record: &Record) -> Result<()> {
    let mut line = serde_json::to_string(record)
        .map_err(|e| Error::at(path, format!("cannot encode record: {e}")))?;
    line.push('\n');
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| Error::at(path, format!("cannot open history: {e}")))?;
    let _lock = Flock::new(&file, path, true)?;
    let len = file
        .metadata()
        .map_err(|e| Error::at(path, format!("cannot stat history: {e}")))?
        .len();
    let mut buf = Vec::with_capacity(line.len() + 1);
    if len > 0 {
        let mut last = [0u8; 1];
        file.read_exact_at(&mut last, len - 1)
            .map_err(|e| Error::at(path, format!("cannot read history: {e}")))?;
        if last[0] != b'\n' {
            buf.push(b'\n');
        }
    }
    buf.extend_from_slice(line.as_bytes());
    let written = (&file)
        .write(&buf)
        .map_err(|e| Error::at(path, format!("cannot append: {e}")))?;
    if written != buf.len() {
        let _ = file.set_len(len);
        return Err(Error::at(
            path,
            format!(
                "short write ({written} of {} bytes); nothing appended",
                buf.len()
            ),
        ));
    }
    file.sync_data()
        .map_err(|e| Error::at(path, format!("cannot sync history: {e}")))?;
    Ok(())
}

/// The readable part of a history file.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// Valid records in file order, with their 1-based line numbers.
    pub records: Vec<(usize, Record)>,
    /// Lines that could not be read, with their 1-based numbers and the reason.
    pub corrupt: Vec<(usize, String)>,
}

/// Reads every line of `path` (under a shared lock, so a writer's line is never seen half
/// written). Corrupt lines are collected, not fatal; an unreadable file is.
pub fn load(path: &Path) -> Result<Loaded> {
    let file =
        File::open(path).map_err(|e| Error::at(path, format!("cannot read history: {e}")))?;
    let mut bytes = Vec::new();
    {
        let _lock = Flock::new(&file, path, false)?;
        (&file)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::at(path, format!("cannot read history: {e}")))?;
    }
    let mut loaded = Loaded::default();
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let number = i + 1;
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed = std::str::from_utf8(raw)
            .map_err(|e| e.to_string())
            .and_then(|s| serde_json::from_str::<Record>(s).map_err(|e| e.to_string()))
            .and_then(|r| {
                if r.schema != 1 {
                    Err(format!("unsupported schema {}", r.schema))
                } else if let Some(b) = r.benchmarks.iter().find(|b| {
                    ![b.median_ns, b.lower_ns, b.upper_ns]
                        .iter()
                        .all(|x| x.is_finite() && *x > 0.0)
                }) {
                    Err(format!("{}: times must be positive", b.id))
                } else {
                    Ok(r)
                }
            });
        match parsed {
            Ok(r) => loaded.records.push((number, r)),
            Err(reason) => loaded.corrupt.push((number, reason)),
        }
    }
    Ok(loaded)
}

/// One point of a benchmark's history.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    /// Index of the record in the history (0-based, valid records only).
    pub record: usize,
    /// Line number in the history file.
    pub line: usize,
    /// Commit hash, if recorded in a git checkout.
    pub commit: Option<String>,
    /// Whether the tree was dirty.
    pub dirty: bool,
    /// Median, ns.
    pub median_ns: f64,
    /// 95% interval, ns.
    pub lower_ns: f64,
    /// 95% interval, ns.
    pub upper_ns: f64,
}

impl Point {
    /// A short label: 7 characters of the commit (`*` when dirty), or `#record`.
    pub fn label(&self) -> String {
        let base = match &self.commit {
            Some(c) => c.chars().take(7).collect(),
            None => format!("#{}", self.record + 1),
        };
        if self.dirty {
            format!("{base}*")
        } else {
            base
        }
    }
}

/// A benchmark's history and its step fit.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    /// Criterion's full id.
    pub id: String,
    /// Points in record order.
    pub points: Vec<Point>,
    /// The piecewise-constant fit of the log-medians.
    pub fit: Fit,
}

/// Builds one series per benchmark id (sorted by id), in record order, with step detection.
pub fn series(records: &[(usize, Record)]) -> Vec<Series> {
    let mut by_id: BTreeMap<String, Vec<Point>> = BTreeMap::new();
    for (index, (line, r)) in records.iter().enumerate() {
        for b in &r.benchmarks {
            by_id.entry(b.id.clone()).or_default().push(Point {
                record: index,
                line: *line,
                commit: r.git.commit.clone(),
                dirty: r.git.dirty.unwrap_or(false),
                median_ns: b.median_ns,
                lower_ns: b.lower_ns,
                upper_ns: b.upper_ns,
            });
        }
    }
    by_id
        .into_iter()
        .map(|(id, points)| {
            let med: Vec<f64> = points.iter().map(|p| p.median_ns).collect();
            let lo: Vec<f64> = points.iter().map(|p| p.lower_ns).collect();
            let hi: Vec<f64> = points.iter().map(|p| p.upper_ns).collect();
            let fit = steps::detect(&med, &lo, &hi);
            Series { id, points, fit }
        })
        .collect()
}

/// Where the machine description changes between consecutive records: (record index, new
/// description). A step at the same record may be the machine, not the code.
pub fn machine_changes(records: &[(usize, Record)]) -> Vec<(usize, String)> {
    let describe = |m: &Machine| format!("{} ({} cores, {})", m.cpu_model, m.cores, m.os);
    records
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w[0].1.machine != w[1].1.machine)
        .map(|(i, w)| (i + 1, describe(&w[1].1.machine)))
        .collect()
}

/// What the `history` command renders.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryReport {
    /// The history file, as given.
    pub source: String,
    /// Valid records read.
    pub records: usize,
    /// Corrupt lines skipped: (line number, reason).
    pub corrupt: Vec<(usize, String)>,
    /// Machine changes: (record index, new machine).
    pub machine_changes: Vec<(usize, String)>,
    /// One chart per benchmark: the series and its SVG file name.
    pub charts: Vec<(Series, String)>,
}

impl HistoryReport {
    /// Builds the report from a loaded history; fails when it holds no valid record.
    pub fn build(path: &Path, loaded: Loaded) -> Result<Self> {
        if loaded.records.is_empty() {
            return Err(Error::at(
                path,
                format!(
                    "no valid record ({} corrupt lines); run `target-report record` after `cargo bench`",
                    loaded.corrupt.len()
                ),
            ));
        }
        let mut used = std::collections::HashSet::new();
        let charts = series(&loaded.records)
            .into_iter()
            .map(|s| {
                let stem: String =
                    s.id.chars()
                        .map(|c| {
                            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                                c
                            } else {
                                '_'
                            }
                        })
                        .collect();
                // Distinct ids can sanitise to the same name (`a/b` and `a_b`): number them.
                let mut name = format!("{stem}.svg");
                let mut k = 2;
                while !used.insert(name.clone()) {
                    name = format!("{stem}-{k}.svg");
                    k += 1;
                }
                (s, name)
            })
            .collect();
        Ok(HistoryReport {
            source: path.display().to_string(),
            records: loaded.records.len(),
            machine_changes: machine_changes(&loaded.records),
            corrupt: loaded.corrupt,
            charts,
        })
    }
}
