//! The results history: one JSON line per `record` (or per commit of a `backfill`), appended
//! atomically and read back tolerantly. [`crate::trend`] turns it into one series per
//! benchmark with detected step changes.
//!
//! Fields added after the first version (`sample_fingerprint`, `origin`, `status`, `reason`)
//! are optional and left out when empty, so older lines still read and older readers, which
//! ignore unknown fields, still read the new ones (a `build_failed` record has no benchmarks,
//! so to them it is a record without results).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::criterion;
use crate::error::{Error, Result};
use crate::machine::{GitInfo, Machine};

mod same_run;
pub use same_run::{find_same_run, same_result, sample_fingerprint};

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
    /// The results (empty when `status` says the commit could not be measured).
    pub benchmarks: Vec<BenchRecord>,
    /// How the run was made, when not by `record` (absent for `record`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    /// Why there are no results, when the commit could not be measured (absent when it was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// What went wrong, in one line, with `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The command and settings a record came from, so a `backfill` can tell which commits it
/// already measured with the same filter and configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// The command (`backfill`).
    pub command: String,
    /// Criterion's arguments after `--` (the filter and options).
    #[serde(default)]
    pub criterion_args: Vec<String>,
    /// The `CB_*` configuration of the runs (`CB_SAMPLES=10` unless set).
    #[serde(default)]
    pub env: Vec<(String, String)>,
}

/// Why a record has no results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// `cargo bench --no-run` failed at this commit.
    BuildFailed,
    /// It built, but no benchmark matched the filter.
    NoBenchmarks,
    /// It built, but a bench executable failed while listing or running its benchmarks.
    RunFailed,
}

impl Status {
    /// `build failed`, `no benchmark matched`, `a benchmark failed`: for pages and messages.
    pub fn describe(self) -> &'static str {
        match self {
            Status::BuildFailed => "build failed",
            Status::NoBenchmarks => "no benchmark matched",
            Status::RunFailed => "a benchmark failed",
        }
    }
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
    /// [`sample_fingerprint`] of Criterion's `sample.json` for this run, when it had one: two
    /// records with equal fingerprints hold the same measurements (older records lack it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_fingerprint: Option<String>,
}

/// Collects the latest results (`new/`) under `criterion_dir`. Benchmarks without estimates
/// are skipped and named in the second list.
pub fn collect(criterion_dir: &Path) -> Result<(Vec<BenchRecord>, Vec<String>)> {
    collect_baseline(criterion_dir, "new")
}

/// Collects the results of `baseline` under `criterion_dir` (as [`collect`] does for `new`).
pub fn collect_baseline(
    criterion_dir: &Path,
    baseline: &str,
) -> Result<(Vec<BenchRecord>, Vec<String>)> {
    let dirs = criterion::discover(criterion_dir)?;
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for dir in &dirs {
        let Some(m) = criterion::load_measured(dir, baseline)? else {
            continue;
        };
        match m.estimates {
            Some(e) => out.push(BenchRecord {
                id: m.id.full_id,
                median_ns: e.median.point_estimate,
                lower_ns: e.median.confidence_interval.lower_bound,
                upper_ns: e.median.confidence_interval.upper_bound,
                samples: m.sample.as_ref().map_or(0, |s| s.times.len()),
                sample_fingerprint: m.sample.as_ref().map(sample_fingerprint),
            }),
            None => skipped.push(m.id.full_id),
        }
    }
    if out.is_empty() {
        return Err(Error::at(
            criterion_dir,
            format!("no benchmark has {baseline}/estimates.json: nothing to record (run `cargo bench` first)"),
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
    append_checked(path, record, false).map(|_| ())
}

/// Appends `record` as [`append`] does unless the file already holds the same run
/// ([`find_same_run`]); then nothing is written and the line number of that record is
/// returned. The check and the write happen under one exclusive lock, so two concurrent
/// `record`s of one run append it once.
pub fn append_new_run(path: &Path, record: &Record) -> Result<Option<usize>> {
    append_checked(path, record, true)
}

fn append_checked(path: &Path, record: &Record, skip_same_run: bool) -> Result<Option<usize>> {
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
    if skip_same_run {
        let mut bytes = Vec::new();
        (&file)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::at(path, format!("cannot read history: {e}")))?;
        if let Some(line) = find_same_run(&parse_lines(&bytes).records, &record.benchmarks) {
            return Ok(Some(line));
        }
    }
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
    Ok(None)
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
    Ok(parse_lines(&bytes))
}

/// The records and corrupt lines of a history file's contents.
fn parse_lines(bytes: &[u8]) -> Loaded {
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
    loaded
}
