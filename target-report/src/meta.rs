//! The suite's own side files beside Criterion's: `cb-meta.json` (what a benchmark ran),
//! `cb-timeline.json` (one untimed run, one span per job) and `cb-faults.json` (a run under
//! injected faults). Their types are [`cb_schema`]'s, the definitions the benches write with;
//! unknown fields are ignored so the benches can add fields without breaking this tool.
//!
//! They belong to a baseline, like Criterion's own files: `<benchmark>/<baseline>/cb-meta.json`
//! ([`SideFiles::load`]), so a `--test` run or a filtered run at other sizes cannot change what an
//! older baseline says it measured.

use std::ops::Deref;
use std::path::Path;

use serde::{Deserialize, Serialize, Serializer};

use crate::criterion::{self, load_optional};
use crate::error::{Error, Result};

pub use cb_schema::{ServerCapacity, Span, Timeline, CAPACITY_FILE, FAULTS_FILE, META_FILE};
pub use cb_schema::{SCHEMA, TIMELINE_FILE};

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

/// `cb-meta.json` ([`cb_schema::Meta`], whose fields it derefs to), with the report's own
/// questions about it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(transparent)]
pub struct Meta(pub cb_schema::Meta);

impl Deref for Meta {
    type Target = cb_schema::Meta;

    fn deref(&self) -> &cb_schema::Meta {
        &self.0
    }
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
}

/// Fails unless `schema`, read from `path`, is the version this tool reads ([`SCHEMA`]).
pub(crate) fn check_schema(path: &Path, schema: u32) -> Result<()> {
    if schema == SCHEMA {
        return Ok(());
    }
    Err(Error::at(
        path,
        format!("unsupported schema {schema} (this tool reads {SCHEMA})"),
    ))
}

/// Loads and checks `cb-meta.json`; `Ok(None)` when absent.
pub fn load_meta(path: &Path) -> Result<Option<Meta>> {
    let Some(m) = load_optional::<Meta>(path)? else {
        return Ok(None);
    };
    check_schema(path, m.schema)?;
    Ok(Some(m))
}

/// `cb-faults.json` ([`cb_schema::Faults`], whose fields it derefs to): a run under injected
/// faults (`CB_FAULTS`). In `summary.json` it is written without `group` and `function`, which
/// its row already names.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(transparent)]
pub struct FaultRun(pub cb_schema::Faults);

impl Deref for FaultRun {
    type Target = cb_schema::Faults;

    fn deref(&self) -> &cb_schema::Faults {
        &self.0
    }
}

impl Serialize for FaultRun {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        type Counts = std::collections::BTreeMap<String, u64>;
        /// `summary.json`'s `faults` object.
        #[derive(Serialize)]
        struct SummaryFaults<'a> {
            schema: u32,
            faults: &'a str,
            timeout_ms: u64,
            runs: u64,
            downloads: u64,
            failed: &'a Counts,
            injected: &'a Counts,
        }
        let f = &self.0;
        SummaryFaults {
            schema: f.schema,
            faults: &f.faults,
            timeout_ms: f.timeout_ms,
            runs: f.runs,
            downloads: f.downloads,
            failed: &f.failed,
            injected: &f.injected,
        }
        .serialize(serializer)
    }
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
    check_schema(path, run.schema)?;
    Ok(Some(run))
}

/// Loads and checks `cb-server-capacity.json`; `Ok(None)` when absent. The rate must be a
/// positive number.
pub fn load_capacity(path: &Path) -> Result<Option<ServerCapacity>> {
    let Some(c) = load_optional::<ServerCapacity>(path)? else {
        return Ok(None);
    };
    check_schema(path, c.schema)?;
    if !(c.requests_per_s.is_finite() && c.requests_per_s > 0.0) {
        return Err(Error::at(
            path,
            "corrupt capacity: requests_per_s must be a positive number",
        ));
    }
    Ok(Some(c))
}

/// Loads and checks `cb-timeline.json`; `Ok(None)` when absent. Spans must end after they start.
pub fn load_timeline(path: &Path) -> Result<Option<Timeline>> {
    let Some(t) = load_optional::<Timeline>(path)? else {
        return Ok(None);
    };
    check_schema(path, t.schema)?;
    if let Some(s) = t.spans.iter().find(|s| s.end_ns < s.start_ns) {
        return Err(Error::at(
            path,
            format!("corrupt timeline: job {} ends before it starts", s.job),
        ));
    }
    Ok(Some(t))
}

/// A timeline read for the `trace` command ([`timelines`]), with what names it.
#[derive(Debug, Clone)]
pub struct LoadedTimeline {
    /// Criterion's benchmark id: group, function and parameter value joined by `/`.
    pub id: String,
    /// Directory under the Criterion directory.
    pub dir: String,
    /// `cb-timeline.json`.
    pub timeline: Timeline,
    /// `cb-meta.json`, when present.
    pub meta: Option<Meta>,
}

/// Every `cb-timeline.json` of `baseline` under `criterion_dir` whose benchmark id contains
/// `filter` (all when `None`), in directory order. Fails on an unreadable directory or a corrupt
/// side file, naming it.
pub fn timelines(
    criterion_dir: &Path,
    baseline: &str,
    filter: Option<&str>,
) -> Result<Vec<LoadedTimeline>> {
    let mut found = Vec::new();
    for dir in criterion::discover(criterion_dir)? {
        let base = dir.baseline(baseline);
        let Some(timeline) = load_timeline(&base.join(TIMELINE_FILE))? else {
            continue;
        };
        // A sweep point's value is the directory's third part: <group>/<function>/<value>.
        let value = dir.rel.split('/').nth(2);
        let id = match value {
            Some(v) => format!("{}/{}/{v}", timeline.group, timeline.function),
            None => format!("{}/{}", timeline.group, timeline.function),
        };
        if filter.is_some_and(|f| !id.contains(f)) {
            continue;
        }
        let meta = load_meta(&base.join(META_FILE))?;
        found.push(LoadedTimeline {
            id,
            dir: dir.rel.clone(),
            timeline,
            meta,
        });
    }
    if found.is_empty() {
        let which = filter.map_or(String::new(), |f| {
            format!(" for a benchmark id containing '{f}'")
        });
        let what = format!("no {baseline}/{TIMELINE_FILE} found{which}; run `cargo bench` first");
        return Err(Error::at(criterion_dir, what));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_keeps_its_field_order_and_leaves_out_what_the_row_names() {
        let text = r#"{"schema":1,"group":"g","function":"f","strategy":"f","kind":"io",
            "workload":"w","jobs":4,"elements":4,"concurrency":2,"latency_ms":null,
            "server_latency_ms":2.5,"cores":2,"workers":5,"processes":2,"future_field":[1,2]}"#;
        let m: Meta = serde_json::from_str(text).unwrap();
        assert_eq!(m.server_latency_ms, Some(2.5));
        let written = serde_json::to_string(&m).unwrap();
        assert!(
            written.contains(r#""processes":2,"server_latency_ms":2.5,"parameter":null"#),
            "{written}"
        );
        assert_eq!(
            m.settings(),
            "jobs 4, elements 4, latency none, cores 2, workers 5, processes 2"
        );

        let text = r#"{"schema":1,"group":"g","function":"f","faults":"error:0.5",
            "timeout_ms":100,"runs":1,"downloads":4,"failed":{"status":2},
            "injected":{"error":2,"ok":2}}"#;
        let run: FaultRun = serde_json::from_str(text).unwrap();
        let written = serde_json::to_string(&run).unwrap();
        assert!(
            written.starts_with(r#"{"schema":1,"faults":"error:0.5","#),
            "{written}"
        );
        assert!(run
            .describe("f")
            .contains("2 of 4 downloads failed (status 2)"));
    }
}
