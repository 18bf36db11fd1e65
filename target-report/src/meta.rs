//! The suite's own side files beside Criterion's: `cb-meta.json` (what a benchmark ran),
//! `cb-timeline.json` (one untimed run, one span per job) and `cb-faults.json` (a run under
//! injected faults). Unknown fields are ignored so the benches can add fields without breaking
//! this tool.
//!
//! They belong to a baseline, like Criterion's own files: `<benchmark>/<baseline>/cb-meta.json`
//! ([`SideFiles::load`]), so a `--test` run or a filtered run at other sizes cannot change what an
//! older baseline says it measured.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::criterion::load_optional;
use crate::error::{Error, Result};

/// File name of [`Meta`] inside a benchmark's baseline directory.
pub const META_FILE: &str = "cb-meta.json";
/// File name of [`Timeline`] inside a benchmark's baseline directory.
pub const TIMELINE_FILE: &str = "cb-timeline.json";
/// File name of [`FaultRun`] inside a benchmark's baseline directory.
pub const FAULTS_FILE: &str = "cb-faults.json";

/// The side files of one benchmark in one baseline; each may be absent.
#[derive(Debug, Clone, Default)]
pub struct SideFiles {
    /// `cb-meta.json`.
    pub meta: Option<Meta>,
    /// `cb-timeline.json`.
    pub timeline: Option<Timeline>,
    /// `cb-faults.json`.
    pub faults: Option<FaultRun>,
}

impl SideFiles {
    /// Loads the side files of `baseline` from `<bench_dir>/<baseline>/`. Fails on a corrupt
    /// file, naming it.
    pub fn load(bench_dir: &Path, baseline: &str) -> Result<SideFiles> {
        let dir = bench_dir.join(baseline);
        Ok(SideFiles {
            meta: load_meta(&dir.join(META_FILE))?,
            timeline: load_timeline(&dir.join(TIMELINE_FILE))?,
            faults: load_faults(&dir.join(FAULTS_FILE))?,
        })
    }
}

/// `cb-meta.json`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Meta {
    /// Format version; this tool reads version 1.
    pub schema: u32,
    /// Criterion group, e.g. `io/download`.
    pub group: String,
    /// Criterion function name.
    pub function: String,
    /// The strategy that ran.
    pub strategy: String,
    /// `io` or `cpu`.
    pub kind: String,
    /// The workload, e.g. `download`.
    pub workload: String,
    /// Jobs per iteration (N).
    pub jobs: u64,
    /// Elements per iteration (the Criterion throughput).
    pub elements: u64,
    /// Jobs in flight at once (C).
    pub concurrency: u64,
    /// The embedded server's configured latency L in ms; `null` for CPU work or an external server.
    pub latency_ms: Option<f64>,
    /// Cores on the machine that ran it.
    pub cores: u64,
    /// Threads in the thread pools.
    pub workers: u64,
    /// Processes in the process pools.
    pub processes: u64,
    /// The embedded server's measured single-request time in ms, when the bench measured it.
    #[serde(default)]
    pub server_latency_ms: Option<f64>,
    /// The swept parameter's value for `sweep/...` groups (Criterion's `<value>` directory).
    #[serde(default)]
    pub parameter: Option<u64>,
    /// Why a planned benchmark was not measured, when it was not.
    #[serde(default)]
    pub skipped: Option<String>,
}

impl Meta {
    /// The settings that make two measurements of one workload comparable: the work (jobs,
    /// elements, latency), the machine's cores and the pool sizes. Two rows of one table with
    /// different settings were measured differently and are not compared.
    pub fn settings(&self) -> String {
        let latency = self
            .latency_ms
            .map_or_else(|| "none".to_string(), |l| format!("{l} ms"));
        format!(
            "jobs {}, elements {}, latency {latency}, cores {}, workers {}, processes {}",
            self.jobs, self.elements, self.cores, self.workers, self.processes
        )
    }

    /// The ideal wall time ⌈N/C⌉·L in nanoseconds for a latency `latency_ms`: N jobs, C at a
    /// time, each taking exactly L. `None` without jobs or concurrency.
    pub fn ideal_ns(&self, latency_ms: f64) -> Option<f64> {
        if self.jobs == 0 || self.concurrency == 0 || !(latency_ms.is_finite() && latency_ms > 0.0)
        {
            return None;
        }
        let rounds = self.jobs.div_ceil(self.concurrency);
        Some(rounds as f64 * latency_ms * 1e6)
    }
}

/// Loads and checks `cb-meta.json`; `Ok(None)` when absent.
pub fn load_meta(path: &Path) -> Result<Option<Meta>> {
    let Some(m) = load_optional::<Meta>(path)? else {
        return Ok(None);
    };
    if m.schema != 1 {
        return Err(Error::at(
            path,
            format!("unsupported schema {} (this tool reads 1)", m.schema),
        ));
    }
    Ok(Some(m))
}

/// `cb-faults.json`: a run under injected faults (`CB_FAULTS`): what the clients saw fail and
/// what the server injected meanwhile.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct FaultRun {
    /// Format version; this tool reads version 1.
    pub schema: u32,
    /// The fault spec, e.g. `error:0.05,reset:0.02`.
    pub faults: String,
    /// The request timeout, ms.
    pub timeout_ms: u64,
    /// Runs of the workload counted.
    pub runs: u64,
    /// Downloads attempted in those runs.
    pub downloads: u64,
    /// Failed downloads by the client's kind (`status`, `connection`, `timeout`, ...).
    pub failed: std::collections::BTreeMap<String, u64>,
    /// What the server injected, by fault kind, and `ok`.
    pub injected: std::collections::BTreeMap<String, u64>,
}

impl FaultRun {
    /// One sentence: how many downloads failed, by kind, against what the server injected.
    pub fn describe(&self, function: &str) -> String {
        let list = |counts: &std::collections::BTreeMap<String, u64>| {
            counts
                .iter()
                .map(|(kind, n)| format!("{kind} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let failed: u64 = self.failed.values().sum();
        format!(
            "`{function}` under faults `{}` (timeout {} ms): {failed} of {} downloads failed ({}); the server injected: {}.",
            self.faults,
            self.timeout_ms,
            self.downloads,
            if failed == 0 { "none".to_owned() } else { list(&self.failed) },
            list(&self.injected)
        )
    }
}

/// Loads `cb-faults.json`; `Ok(None)` when absent (a run without injected faults).
pub fn load_faults(path: &Path) -> Result<Option<FaultRun>> {
    let Some(run) = load_optional::<FaultRun>(path)? else {
        return Ok(None);
    };
    if run.schema != 1 {
        return Err(Error::at(
            path,
            format!("unsupported schema {} (this tool reads 1)", run.schema),
        ));
    }
    Ok(Some(run))
}

/// `cb-server-capacity.json` in an I/O sweep's group directory: how many requests per second
/// the embedded mock server answers at zero latency. A strategy whose throughput comes close to
/// it measures the server, not itself.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct ServerCapacity {
    /// Format version; this tool reads version 1.
    pub schema: u32,
    /// Requests sent in the measurement.
    pub requests: u64,
    /// Requests in flight at once.
    pub in_flight: u64,
    /// Requests answered per second.
    pub requests_per_s: f64,
}

/// File name of [`ServerCapacity`] inside a sweep group's directory.
pub const CAPACITY_FILE: &str = "cb-server-capacity.json";

/// Loads and checks `cb-server-capacity.json`; `Ok(None)` when absent. The rate must be a
/// positive number.
pub fn load_capacity(path: &Path) -> Result<Option<ServerCapacity>> {
    let Some(c) = load_optional::<ServerCapacity>(path)? else {
        return Ok(None);
    };
    if c.schema != 1 {
        return Err(Error::at(
            path,
            format!("unsupported schema {} (this tool reads 1)", c.schema),
        ));
    }
    if !(c.requests_per_s.is_finite() && c.requests_per_s > 0.0) {
        return Err(Error::at(
            path,
            "corrupt capacity: requests_per_s must be a positive number",
        ));
    }
    Ok(Some(c))
}

/// One job's execution in the timeline run.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq)]
pub struct Span {
    /// Job index.
    pub job: u64,
    /// The row: thread, task slot or process that ran it.
    pub worker: u64,
    /// Start, ns since the run began.
    pub start_ns: u64,
    /// End, ns since the run began.
    pub end_ns: u64,
}

/// `cb-timeline.json`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct Timeline {
    /// Format version; this tool reads version 1.
    pub schema: u32,
    /// Criterion group.
    pub group: String,
    /// Criterion function.
    pub function: String,
    /// Wall time of the whole run.
    pub wall_ns: u64,
    /// One span per job.
    pub spans: Vec<Span>,
}

impl Timeline {
    /// Distinct worker ids in ascending order: the Gantt chart's rows.
    pub fn workers(&self) -> Vec<u64> {
        let mut w: Vec<u64> = self.spans.iter().map(|s| s.worker).collect();
        w.sort_unstable();
        w.dedup();
        w
    }

    /// Sum of job durations ÷ (rows × wall time): how busy the workers were.
    pub fn utilisation(&self) -> f64 {
        let rows = self.workers().len() as f64;
        if rows == 0.0 || self.wall_ns == 0 {
            return 0.0;
        }
        let busy: u64 = self.spans.iter().map(|s| s.end_ns - s.start_ns).sum();
        busy as f64 / (rows * self.wall_ns as f64)
    }
}

/// Loads and checks `cb-timeline.json`; `Ok(None)` when absent. Spans must end after they start.
pub fn load_timeline(path: &Path) -> Result<Option<Timeline>> {
    let Some(t) = load_optional::<Timeline>(path)? else {
        return Ok(None);
    };
    if t.schema != 1 {
        return Err(Error::at(
            path,
            format!("unsupported schema {} (this tool reads 1)", t.schema),
        ));
    }
    if let Some(s) = t.spans.iter().find(|s| s.end_ns < s.start_ns) {
        return Err(Error::at(
            path,
            format!("corrupt timeline: job {} ends before it starts", s.job),
        ));
    }
    Ok(Some(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(jobs: u64, concurrency: u64) -> Meta {
        Meta {
            schema: 1,
            group: "io/download".into(),
            function: "thread_pool".into(),
            strategy: "thread_pool".into(),
            kind: "io".into(),
            workload: "download".into(),
            jobs,
            elements: jobs,
            concurrency,
            latency_ms: Some(20.0),
            cores: 2,
            workers: 5,
            processes: 2,
            server_latency_ms: None,
            parameter: None,
            skipped: None,
        }
    }

    #[test]
    fn ideal_rounds_up_the_number_of_waves() {
        // 160 jobs, 5 at a time: 32 waves of 20 ms.
        assert_eq!(meta(160, 5).ideal_ns(20.0), Some(640e6));
        // 161 jobs need a 33rd wave.
        assert_eq!(meta(161, 5).ideal_ns(20.0), Some(660e6));
        assert_eq!(meta(160, 0).ideal_ns(20.0), None);
    }

    #[test]
    fn unknown_fields_are_ignored_and_server_latency_is_optional() {
        let text = r#"{"schema":1,"group":"g","function":"f","strategy":"f","kind":"io",
            "workload":"w","jobs":4,"elements":4,"concurrency":2,"latency_ms":null,"cores":2,
            "workers":5,"processes":2,"future_field":[1,2],"server_latency_ms":2.5}"#;
        let m: Meta = serde_json::from_str(text).unwrap();
        assert_eq!(m.server_latency_ms, Some(2.5));
        assert_eq!(m.latency_ms, None);
    }
}
