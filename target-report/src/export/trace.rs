//! Chrome trace-event files of the timeline runs (`cb-timeline.json`): the JSON "Trace Event
//! Format" that Perfetto's UI (ui.perfetto.dev) and `chrome://tracing` open, so a run can be
//! zoomed into job by job instead of read off the summary's static Gantt chart.
//!
//! Layout of one file (`{"traceEvents": [...], "displayTimeUnit": "ms"}`, times in µs with
//! nanosecond decimals, every run starting at 0):
//! * one process per strategy (`pid` 1, 2, ... in the order given), named by a `process_name`
//!   metadata event with the benchmark id, e.g. `io/download/async_tokio`;
//! * one thread per worker row, named `worker <n>` by a `thread_name` event; its jobs are
//!   complete events (`ph: "X"`) when they are disjoint in time. Complete events on one thread
//!   must nest, and jobs that overlap on one row (tasks interleaved on one runtime thread) do not,
//!   so such a row's jobs become nestable async pairs (`ph: "b"`/`"e"`, category `job`, an id
//!   unique in the file) instead;
//! * for I/O runs, the ideal schedule ⌈N/C⌉·L as threads of its own: ⌈N/C⌉ back-to-back waves of
//!   L, once with the configured latency and once with the server's measured single-request
//!   latency (`cb-meta.json`), next to a `wall time` thread holding the run's measured wall time.
//!
//! Thread ids are unique in the whole file, not just per process: Perfetto names threads by
//! `tid` alone, so a `worker 0` in two processes must not share one.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{json, Value};

use super::Exporter;
use crate::format::fmt_latency;
use crate::meta::{LoadedTimeline, Meta, Timeline};
use crate::summary::Summary;

/// The directory, beside the summary's pages, that `summary` writes the traces into.
pub const TRACES_DIR: &str = "traces";

/// Category of the job events, which the viewers can filter on.
const JOB_CATEGORY: &str = "job";
/// Category of the ideal schedule's and the wall time's events.
const SCHEDULE_CATEGORY: &str = "schedule";

/// One timeline to export, borrowed from wherever it was read.
#[derive(Debug, Clone, Copy)]
pub struct TraceSource<'a> {
    /// Criterion's benchmark id, e.g. `io/download/async_tokio`: the process's name.
    pub id: &'a str,
    /// The benchmark's directory under the Criterion directory, e.g. `io_download/async_tokio`:
    /// the file's name.
    pub dir: &'a str,
    /// The run.
    pub timeline: &'a Timeline,
    /// Its settings, for the ideal schedule of I/O runs.
    pub meta: Option<&'a Meta>,
}

/// The phase (`ph`) of a trace event: the four kinds this exporter writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Phase {
    /// `X`: a complete event, `ts` to `ts + dur` on one thread.
    #[serde(rename = "X")]
    Complete,
    /// `b`: the start of a nestable async event, paired with an `e` by `cat` and `id`.
    #[serde(rename = "b")]
    AsyncBegin,
    /// `e`: the end of a nestable async event.
    #[serde(rename = "e")]
    AsyncEnd,
    /// `M`: metadata (process and thread names and sort order), no time.
    #[serde(rename = "M")]
    Metadata,
}

/// One event of a trace, serialised as the format names its fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceEvent {
    /// The event's name (for metadata: which metadata, e.g. `thread_name`).
    pub name: String,
    /// Category: required to pair async events; set on every timed event here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cat: Option<&'static str>,
    /// What kind of event.
    pub ph: Phase,
    /// Start, in µs since the run began; absent for metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ts: Option<f64>,
    /// Duration in µs, for complete events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dur: Option<f64>,
    /// Process: one per strategy.
    pub pid: u32,
    /// Thread: one per worker row or schedule track, unique in the file.
    pub tid: u32,
    /// Async events' id, unique per job in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// An object shown in the viewer's details pane; for metadata, the name or sort index.
    #[serde(skip_serializing_if = "Value::is_null")]
    pub args: Value,
}

/// A whole trace file's events, built by [`build`] and written by [`ChromeTrace`].
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// Every event, metadata first within each process.
    pub events: Vec<TraceEvent>,
}

/// The Chrome trace-event JSON format.
pub struct ChromeTrace;

impl Exporter<Trace> for ChromeTrace {
    /// One event per line, so a file can be read and diffed as text.
    fn render(&self, trace: &Trace) -> String {
        let lines: Vec<String> = trace
            .events
            .iter()
            // Events are plain strings and finite numbers (times come from integers, latencies
            // were checked positive and finite): serialising cannot fail.
            .map(|e| serde_json::to_string(e).expect("trace events serialise to JSON"))
            .collect();
        format!(
            "{{\"traceEvents\":[\n{}\n],\n\"displayTimeUnit\":\"ms\"}}\n",
            lines.join(",\n")
        )
    }
}

/// Nanoseconds as the format's microseconds, keeping every nanosecond as a decimal.
fn micros(ns: f64) -> f64 {
    ns / 1000.0
}

impl TraceEvent {
    /// An event of phase `ph` on thread `tid` of `pid`, without the optional fields.
    fn new(ph: Phase, name: impl Into<String>, (pid, tid): (u32, u32)) -> TraceEvent {
        TraceEvent {
            name: name.into(),
            cat: None,
            ph,
            ts: None,
            dur: None,
            pid,
            tid,
            id: None,
            args: Value::Null,
        }
    }

    /// A complete event from `start_ns` to `end_ns`.
    fn complete(
        name: String,
        at: (u32, u32),
        cat: &'static str,
        (start_ns, end_ns): (f64, f64),
        args: Value,
    ) -> TraceEvent {
        TraceEvent {
            cat: Some(cat),
            ts: Some(micros(start_ns)),
            dur: Some(micros(end_ns - start_ns)),
            args,
            ..TraceEvent::new(Phase::Complete, name, at)
        }
    }
}

/// Builds one trace with a process per source, in the order given.
pub fn build(sources: &[TraceSource]) -> Trace {
    let mut builder = Builder {
        events: Vec::new(),
        // tid = pid is each process's own (eventless) main thread, which carries its metadata.
        next_tid: sources.len() as u32 + 1,
        next_async_id: 1,
    };
    for (index, source) in sources.iter().enumerate() {
        // pid 0 is the idle task to some viewers: start at 1.
        builder.process(index as u32 + 1, source);
    }
    Trace {
        events: builder.events,
    }
}

struct Builder {
    events: Vec<TraceEvent>,
    next_tid: u32,
    next_async_id: u64,
}

impl Builder {
    fn metadata(&mut self, name: &str, at: (u32, u32), args: Value) {
        self.events.push(TraceEvent {
            args,
            ..TraceEvent::new(Phase::Metadata, name, at)
        });
    }

    /// A new thread of `pid` named `name`, listed at `sort_index`: its tid.
    fn thread(&mut self, pid: u32, name: &str, sort_index: u64) -> u32 {
        let tid = self.next_tid;
        self.next_tid += 1;
        self.metadata("thread_name", (pid, tid), json!({ "name": name }));
        let sort = json!({ "sort_index": sort_index });
        self.metadata("thread_sort_index", (pid, tid), sort);
        tid
    }

    fn process(&mut self, pid: u32, source: &TraceSource) {
        let timeline = source.timeline;
        self.metadata("process_name", (pid, pid), json!({ "name": source.id }));
        self.metadata(
            "process_sort_index",
            (pid, pid),
            json!({ "sort_index": pid }),
        );
        let workers = timeline.workers();
        for &worker in &workers {
            let tid = self.thread(pid, &format!("worker {worker}"), worker);
            let mut spans: Vec<_> = timeline
                .spans
                .iter()
                .filter(|s| s.worker == worker)
                .collect();
            spans.sort_by_key(|s| (s.start_ns, s.end_ns, s.job));
            let disjoint = spans.windows(2).all(|w| w[0].end_ns <= w[1].start_ns);
            for span in spans {
                let name = format!("job {}", span.job);
                let duration_ms = (span.end_ns - span.start_ns) as f64 / 1e6;
                let args = json!({ "job": span.job, "worker": worker, "duration_ms": duration_ms });
                let ns = (span.start_ns as f64, span.end_ns as f64);
                if disjoint {
                    let event = TraceEvent::complete(name, (pid, tid), JOB_CATEGORY, ns, args);
                    self.events.push(event);
                } else {
                    self.async_pair(name, (pid, tid), ns, args);
                }
            }
        }
        // The schedule tracks sort after every worker row.
        let mut sort_index = workers.last().map_or(0, |w| w + 1);
        let tid = self.thread(pid, "wall time (this run)", sort_index);
        let wall_ns = timeline.wall_ns as f64;
        let args = json!({ "wall_ms": wall_ns / 1e6 });
        let wall = TraceEvent::complete(
            "wall time".into(),
            (pid, tid),
            SCHEDULE_CATEGORY,
            (0.0, wall_ns),
            args,
        );
        self.events.push(wall);
        if let Some(meta) = source.meta {
            for latency in ideal_latencies(meta) {
                sort_index += 1;
                self.ideal_schedule(pid, meta, latency, sort_index);
            }
        }
    }

    /// A job that overlaps others on its row: a `b`/`e` pair with an id of its own.
    fn async_pair(
        &mut self,
        name: String,
        at: (u32, u32),
        (start_ns, end_ns): (f64, f64),
        args: Value,
    ) {
        let id = format!("0x{:x}", self.next_async_id);
        self.next_async_id += 1;
        for (ph, ns, args) in [
            (Phase::AsyncBegin, start_ns, args),
            (Phase::AsyncEnd, end_ns, Value::Null),
        ] {
            self.events.push(TraceEvent {
                cat: Some(JOB_CATEGORY),
                ts: Some(micros(ns)),
                id: Some(id.clone()),
                args,
                ..TraceEvent::new(ph, name.clone(), at)
            });
        }
    }

    /// ⌈N/C⌉ waves of `latency_ms` back to back from the run's start: the I/O run's ideal.
    fn ideal_schedule(
        &mut self,
        pid: u32,
        meta: &Meta,
        (latency_ms, what): (f64, &str),
        sort_index: u64,
    ) {
        let (jobs, concurrency) = (meta.jobs, meta.concurrency);
        let waves = jobs.div_ceil(concurrency);
        let latency = fmt_latency(latency_ms);
        let name = format!("ideal ⌈N/C⌉·L = ⌈{jobs}/{concurrency}⌉ × {latency} ms ({what})");
        let tid = self.thread(pid, &name, sort_index);
        // Whole nanoseconds, like the jobs' times: the file's decimals stay exact.
        let wave_ns = (latency_ms * 1e6).round();
        for wave in 0..waves {
            let first = wave * concurrency;
            let last = (first + concurrency).min(jobs) - 1;
            let args = json!({ "jobs": format!("{first}–{last}"), "latency_ms": latency_ms });
            let start = wave as f64 * wave_ns;
            let name = format!("wave {} of {waves}", wave + 1);
            let ns = (start, start + wave_ns);
            let event = TraceEvent::complete(name, (pid, tid), SCHEDULE_CATEGORY, ns, args);
            self.events.push(event);
        }
    }
}

/// The latencies an I/O run's ideal schedule is drawn for: the configured L and the server's
/// measured single-request time, each when known. None for CPU runs.
fn ideal_latencies(meta: &Meta) -> Vec<(f64, &'static str)> {
    if meta.kind != "io" {
        return Vec::new();
    }
    [
        (meta.latency_ms, "configured latency"),
        (meta.server_latency_ms, "measured single-request latency"),
    ]
    .into_iter()
    .filter_map(|(latency, what)| {
        let latency = latency?;
        // ideal_ns is None without jobs, concurrency or a positive finite latency.
        meta.ideal_ns(latency).map(|_| (latency, what))
    })
    .collect()
}

/// The file name of one benchmark's trace, from its directory under the Criterion directory:
/// `io_download/async_tokio` → `io_download__async_tokio.trace.json`.
pub fn file_name(dir: &str) -> String {
    format!("{}.trace.json", dir.replace('/', "__"))
}

/// The file name of the trace holding every strategy of a benchmark's workload: its directory
/// without the function, `io_download/async_tokio` → `io_download.trace.json` (a sweep point
/// `g/f/4` → `g__4.trace.json`).
pub fn group_file_name(dir: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').collect();
    if parts.len() >= 2 {
        parts.remove(1);
    }
    format!("{}.trace.json", parts.join("__"))
}

/// The href of a benchmark's trace from the summary's pages.
pub fn href(dir: &str) -> String {
    format!("{TRACES_DIR}/{}", file_name(dir))
}

/// The href of a workload's all-strategies trace from the summary's pages.
pub fn group_href(dir: &str) -> String {
    format!("{TRACES_DIR}/{}", group_file_name(dir))
}

/// Every trace file for `sources`: one per source, and one per workload with all of its
/// strategies as processes (see [`group_file_name`]). Names are unique: a name already taken
/// is not written twice.
pub fn files(sources: &[TraceSource]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut taken = BTreeSet::new();
    for source in sources {
        let name = file_name(source.dir);
        if taken.insert(name.clone()) {
            out.push((name, ChromeTrace.render(&build(&[*source])).into_bytes()));
        }
    }
    let mut groups: BTreeMap<String, Vec<TraceSource>> = BTreeMap::new();
    for source in sources {
        groups
            .entry(group_file_name(source.dir))
            .or_default()
            .push(*source);
    }
    for (name, members) in groups {
        if taken.insert(name.clone()) {
            out.push((name, ChromeTrace.render(&build(&members)).into_bytes()));
        }
    }
    out
}

/// The timelines of a summary's measured rows, in table order.
pub fn from_summary(summary: &Summary) -> Vec<TraceSource<'_>> {
    summary
        .tables
        .iter()
        .flat_map(|t| &t.rows)
        .filter_map(|r| {
            Some(TraceSource {
                id: &r.id,
                dir: &r.dir,
                timeline: r.timeline.as_ref()?,
                meta: r.meta.as_ref(),
            })
        })
        .collect()
}

impl<'a> From<&'a LoadedTimeline> for TraceSource<'a> {
    /// A timeline read by [`crate::meta::timelines`], borrowed.
    fn from(l: &'a LoadedTimeline) -> TraceSource<'a> {
        TraceSource {
            id: &l.id,
            dir: &l.dir,
            timeline: &l.timeline,
            meta: l.meta.as_ref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::Span;

    fn span(job: u64, worker: u64, start_ns: u64, end_ns: u64) -> Span {
        Span {
            job,
            worker,
            start_ns,
            end_ns,
        }
    }

    fn timeline(spans: Vec<Span>) -> Timeline {
        Timeline {
            schema: 1,
            group: "io/download".into(),
            function: "f".into(),
            wall_ns: spans.iter().map(|s| s.end_ns).max().unwrap_or(0),
            spans,
        }
    }

    fn io_meta(jobs: u64, concurrency: u64, latency_ms: f64, measured_ms: Option<f64>) -> Meta {
        let meta = json!({"schema": 1, "group": "io/download", "function": "f", "strategy": "f",
            "kind": "io", "workload": "download", "jobs": jobs, "elements": jobs,
            "concurrency": concurrency, "latency_ms": latency_ms, "cores": 2, "workers": 5,
            "processes": 2, "server_latency_ms": measured_ms});
        serde_json::from_value(meta).unwrap()
    }

    fn source<'a>(dir: &'a str, t: &'a Timeline, meta: Option<&'a Meta>) -> TraceSource<'a> {
        let (id, timeline) = (dir, t);
        TraceSource {
            id,
            dir,
            timeline,
            meta,
        }
    }

    fn of_phase(trace: &Trace, ph: Phase) -> Vec<&TraceEvent> {
        trace.events.iter().filter(|e| e.ph == ph).collect()
    }

    fn thread_named<'a>(trace: &'a Trace, prefix: &str) -> Vec<&'a TraceEvent> {
        trace
            .events
            .iter()
            .filter(|e| {
                e.name == "thread_name" && e.args["name"].as_str().unwrap().starts_with(prefix)
            })
            .collect()
    }

    #[test]
    fn only_rows_of_disjoint_jobs_become_complete_events() {
        // Worker 0 polls three tasks at once; worker 1 runs two jobs back to back (touching is
        // disjoint); on worker 2 one job lies within another, which is concurrency, not a call.
        let t = timeline(vec![
            span(0, 0, 0, 5_000),
            span(1, 0, 1_000, 6_000),
            span(2, 0, 2_000, 3_000),
            span(3, 1, 1_500, 2_000_250),
            span(4, 1, 2_000_250, 3_000_000),
            span(5, 2, 0, 10_000),
            span(6, 2, 1_000, 2_000),
        ]);
        let trace = build(&[source("io_download/tokio_current_thread", &t, None)]);
        let begins = of_phase(&trace, Phase::AsyncBegin);
        let ends = of_phase(&trace, Phase::AsyncEnd);
        assert_eq!((begins.len(), ends.len()), (5, 5), "workers 0 and 2");
        let ids: BTreeSet<&str> = begins.iter().map(|e| e.id.as_deref().unwrap()).collect();
        assert_eq!(ids.len(), 5, "one id per job");
        for b in &begins {
            let e = ends.iter().find(|e| e.id == b.id).unwrap();
            assert_eq!((e.cat, &e.name, e.tid), (b.cat, &b.name, b.tid));
            assert!(e.ts >= b.ts);
        }
        let job1 = begins.iter().find(|e| e.name == "job 1").unwrap();
        assert_eq!(job1.ts, Some(1.0));
        let complete: Vec<_> = of_phase(&trace, Phase::Complete)
            .into_iter()
            .filter(|e| e.cat == Some(JOB_CATEGORY))
            .map(|e| (e.name.as_str(), e.ts.unwrap(), e.dur.unwrap()))
            .collect();
        // Microseconds, every nanosecond kept.
        assert_eq!(
            complete,
            [("job 3", 1.5, 1998.75), ("job 4", 2000.25, 999.75)]
        );
    }

    #[test]
    fn io_runs_get_the_ideal_schedule_at_both_latencies() {
        // 5 jobs, 2 at a time: 3 waves of L.
        let t = timeline(vec![span(0, 0, 0, 10)]);
        let meta = io_meta(5, 2, 2.0, Some(2.5));
        let trace = build(&[source("io_download/f", &t, Some(&meta))]);
        let ideal = thread_named(&trace, "ideal");
        assert_eq!(ideal.len(), 2);
        let names: Vec<&str> = ideal
            .iter()
            .map(|e| e.args["name"].as_str().unwrap())
            .collect();
        assert!(names[0].contains("⌈5/2⌉ × 2 ms (configured"), "{names:?}");
        assert!(names[1].contains("⌈5/2⌉ × 2.50 ms (measured"), "{names:?}");
        let waves = |tid: u32| -> Vec<(f64, f64)> {
            trace
                .events
                .iter()
                .filter(|e| e.tid == tid && e.ph == Phase::Complete)
                .map(|e| (e.ts.unwrap(), e.dur.unwrap()))
                .collect()
        };
        assert_eq!(
            waves(ideal[0].tid),
            [(0.0, 2000.0), (2000.0, 2000.0), (4000.0, 2000.0)]
        );
        assert_eq!(
            waves(ideal[1].tid),
            [(0.0, 2500.0), (2500.0, 2500.0), (5000.0, 2500.0)]
        );
        let last_wave = trace.events.iter().find(|e| e.name == "wave 3 of 3");
        assert_eq!(last_wave.unwrap().args["jobs"], "4–4");
        // A CPU run has none.
        let mut cpu = io_meta(5, 2, 2.0, None);
        cpu.0.kind = "cpu".into();
        assert!(ideal_latencies(&cpu).is_empty());
    }

    #[test]
    fn file_names_follow_the_benchmark_directory() {
        assert_eq!(
            file_name("io_download/async_tokio"),
            "io_download__async_tokio.trace.json"
        );
        assert_eq!(
            group_file_name("io_download/async_tokio"),
            "io_download.trace.json"
        );
        assert_eq!(
            group_file_name("sweep_workers/thread_pool/4"),
            "sweep_workers__4.trace.json"
        );
        assert_eq!(href("cpu_fib/rayon"), "traces/cpu_fib__rayon.trace.json");
        let t = timeline(vec![span(0, 0, 0, 1)]);
        let sources = [source("g/a", &t, None), source("g/b", &t, None)];
        let names: Vec<String> = files(&sources).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            ["g__a.trace.json", "g__b.trace.json", "g.trace.json"]
        );
    }
}
