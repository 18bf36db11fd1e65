//! `target-report trace` (and the traces `summary` writes) against the rules of the Trace Event
//! Format that Perfetto and chrome://tracing read: checked on the real timelines of
//! `io/download/async_tokio` and `cpu/fib/thread_pool` in the committed fixture run, and on a
//! row of overlapping tasks, which must become async events.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use crate::util::*;
use serde_json::{json, Value};

/// A µs time of the file back in integer ns (the files keep every ns as a decimal).
fn ns(v: &Value) -> u64 {
    let us = v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"));
    assert!(us >= 0.0, "negative time {us}");
    (us * 1000.0).round() as u64
}

fn text<'a>(e: &'a Value, field: &str) -> &'a str {
    e[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is not a string in {e}"))
}

/// What a checked trace holds, for the comparisons with the timelines.
#[derive(Default)]
struct Checked {
    /// pid → process name.
    processes: BTreeMap<u64, String>,
    /// (pid, tid) → thread name.
    threads: BTreeMap<(u64, u64), String>,
    /// Every timed event as (pid, tid, name, cat, start ns, end ns), async pairs joined.
    spans: Vec<(u64, u64, String, String, u64, u64)>,
    /// How many job events were async pairs.
    async_pairs: usize,
}

/// The events of one file still to be checked together.
#[derive(Default)]
struct Seen<'a> {
    /// (pid, tid) → the complete events' (start, end) in ns.
    complete: BTreeMap<(u64, u64), Vec<(u64, u64)>>,
    /// (cat, id) → the `b` event.
    begins: BTreeMap<(String, String), &'a Value>,
    /// (cat, id) → the `e` event.
    ends: BTreeMap<(String, String), &'a Value>,
    /// Threads with timed events.
    used_threads: BTreeSet<(u64, u64)>,
}

/// Checks one trace file against the format's rules and returns what it holds.
///
/// * the object format: `traceEvents` and `displayTimeUnit: "ms"`;
/// * every event has `name`, `ph`, `pid` and `tid`; timed ones `ts` ≥ 0; `X` a `dur` ≥ 0;
///   `b`/`e` a `cat` and an `id`; `M` its `args` (`name` or `sort_index`);
/// * complete events on one thread nest strictly (none partly overlaps another);
/// * every `b` has exactly one `e` with its cat, id and name, not before it; ids are unique;
/// * each process has exactly one `process_name`, each thread that has events a `thread_name`.
fn check(path: &Path) -> Checked {
    let file: Value = serde_json::from_str(&fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
    assert_eq!(file["displayTimeUnit"], "ms");
    let events = file["traceEvents"].as_array().expect("traceEvents array");
    let mut checked = Checked::default();
    let mut seen = Seen::default();
    for e in events {
        read_event(e, &mut checked, &mut seen);
    }
    for (thread, list) in seen.complete {
        nest_strictly(thread, list);
    }
    checked.async_pairs = join_async_pairs(&seen.begins, &seen.ends, &mut checked.spans);
    for (pid, tid) in &seen.used_threads {
        assert!(
            checked.processes.contains_key(pid),
            "process {pid} has no process_name"
        );
        assert!(
            checked.threads.contains_key(&(*pid, *tid)),
            "thread {tid} of {pid} has no thread_name"
        );
    }
    // Perfetto names threads by tid alone: no tid may be in two processes.
    let tids: BTreeSet<u64> = checked.threads.keys().map(|&(_, tid)| tid).collect();
    assert_eq!(
        tids.len(),
        checked.threads.len(),
        "a tid shared by two processes"
    );
    checked
}

/// One event's own fields, by its phase: metadata names, complete events, async halves.
fn read_event<'a>(e: &'a Value, checked: &mut Checked, seen: &mut Seen<'a>) {
    assert!(!text(e, "name").is_empty(), "{e}");
    let pid = e["pid"].as_u64().unwrap_or_else(|| panic!("pid in {e}"));
    let tid = e["tid"].as_u64().unwrap_or_else(|| panic!("tid in {e}"));
    match text(e, "ph") {
        "M" => match text(e, "name") {
            "process_name" => {
                let name = text(&e["args"], "name").to_string();
                let processes = &mut checked.processes;
                assert!(processes.insert(pid, name).is_none(), "two names for {pid}");
            }
            "thread_name" => {
                let name = text(&e["args"], "name").to_string();
                assert!(checked.threads.insert((pid, tid), name).is_none(), "{e}");
            }
            "process_sort_index" | "thread_sort_index" => {
                assert!(e["args"]["sort_index"].is_u64(), "{e}");
            }
            other => panic!("unexpected metadata {other}"),
        },
        "X" => {
            let (start, dur) = (ns(&e["ts"]), ns(&e["dur"]));
            assert!(!text(e, "cat").is_empty());
            seen.complete
                .entry((pid, tid))
                .or_default()
                .push((start, start + dur));
            seen.used_threads.insert((pid, tid));
            let (name, cat) = (text(e, "name").into(), text(e, "cat").into());
            checked
                .spans
                .push((pid, tid, name, cat, start, start + dur));
        }
        ph @ ("b" | "e") => {
            ns(&e["ts"]);
            let id = match &e["id"] {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                other => panic!("async id {other} in {e}"),
            };
            let key = (text(e, "cat").to_string(), id);
            let side = if ph == "b" {
                &mut seen.begins
            } else {
                &mut seen.ends
            };
            assert!(side.insert(key, e).is_none(), "duplicate {ph} id in {e}");
            seen.used_threads.insert((pid, tid));
        }
        other => panic!("unexpected phase {other}"),
    }
}

/// Complete events on one thread: sorted by start (longest first), each must end within every
/// event still open when it starts.
fn nest_strictly(thread: (u64, u64), mut list: Vec<(u64, u64)>) {
    list.sort_by_key(|&(start, end)| (start, std::cmp::Reverse(end)));
    let mut open: Vec<u64> = Vec::new();
    for (start, end) in list {
        while open.last().is_some_and(|&top| top <= start) {
            open.pop();
        }
        if let Some(&top) = open.last() {
            assert!(end <= top, "partial overlap on {thread:?} at {start} ns");
        }
        open.push(end);
    }
}

/// Every `b` has its `e` (same cat, id, name, process and thread, not before it); each pair
/// joins `spans`. Returns the number of pairs.
fn join_async_pairs(
    begins: &BTreeMap<(String, String), &Value>,
    ends: &BTreeMap<(String, String), &Value>,
    spans: &mut Vec<(u64, u64, String, String, u64, u64)>,
) -> usize {
    assert_eq!(
        begins.keys().collect::<Vec<_>>(),
        ends.keys().collect::<Vec<_>>(),
        "every b has an e with its cat and id"
    );
    for (key, b) in begins {
        let e = ends[key];
        assert_eq!(
            (&b["name"], &b["pid"], &b["tid"]),
            (&e["name"], &e["pid"], &e["tid"])
        );
        let (start, end) = (ns(&b["ts"]), ns(&e["ts"]));
        assert!(start <= end, "{key:?} ends before it begins");
        let pid_tid = (b["pid"].as_u64().unwrap(), b["tid"].as_u64().unwrap());
        spans.push((
            pid_tid.0,
            pid_tid.1,
            text(b, "name").into(),
            key.0.clone(),
            start,
            end,
        ));
    }
    begins.len()
}

/// The timeline's jobs as the trace shows them in process `pid`: job → (worker, start, end).
fn jobs_in(c: &Checked, pid: u64) -> BTreeMap<u64, (u64, u64, u64)> {
    let mut jobs = BTreeMap::new();
    for (p, tid, name, cat, start, end) in &c.spans {
        if *p != pid || cat != "job" {
            continue;
        }
        let job: u64 = name.strip_prefix("job ").unwrap().parse().unwrap();
        let thread = &c.threads[&(pid, *tid)];
        let worker: u64 = thread.strip_prefix("worker ").unwrap().parse().unwrap();
        assert!(
            jobs.insert(job, (worker, *start, *end)).is_none(),
            "job {job} twice"
        );
    }
    jobs
}

/// The timed events of the thread of `pid` whose name starts with `prefix`, in time order.
fn track(c: &Checked, pid: u64, prefix: &str) -> Vec<(u64, u64)> {
    let tids: Vec<u64> = c
        .threads
        .iter()
        .filter(|(&(p, _), name)| p == pid && name.starts_with(prefix))
        .map(|(&(_, tid), _)| tid)
        .collect();
    assert_eq!(tids.len(), 1, "one '{prefix}' thread in {pid}");
    let mut out: Vec<(u64, u64)> = c
        .spans
        .iter()
        .filter(|s| s.0 == pid && s.1 == tids[0])
        .map(|s| (s.4, s.5))
        .collect();
    out.sort();
    out
}

/// Checks that process `pid` shows the fixture's timeline of `dir` exactly, with the ideal
/// schedule from its `cb-meta.json` for I/O.
fn matches_timeline(c: &Checked, pid: u64, crit: &Path, dir: &str) {
    let timeline = read_json(&crit.join(dir).join("new/cb-timeline.json"));
    let meta = read_json(&crit.join(dir).join("new/cb-meta.json"));
    let expected: BTreeMap<u64, (u64, u64, u64)> = timeline["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let n = |f: &str| s[f].as_u64().unwrap();
            (n("job"), (n("worker"), n("start_ns"), n("end_ns")))
        })
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(
        jobs_in(c, pid),
        expected,
        "{dir}: every job, on its worker, to the ns"
    );
    let wall = timeline["wall_ns"].as_u64().unwrap();
    assert_eq!(track(c, pid, "wall time"), [(0, wall)]);
    let ideal: Vec<(u64, u64)> = c
        .threads
        .iter()
        .filter(|(&(p, _), name)| p == pid && name.starts_with("ideal"))
        .map(|(k, _)| *k)
        .collect();
    if meta["kind"] != "io" {
        assert!(ideal.is_empty(), "{dir}: no ideal schedule for CPU work");
        return;
    }
    let (jobs, conc) = (
        meta["jobs"].as_u64().unwrap(),
        meta["concurrency"].as_u64().unwrap(),
    );
    let waves = jobs.div_ceil(conc);
    for (prefix, field) in [
        ("ideal ⌈N/C⌉·L", "latency_ms"),
        ("ideal ⌈N/C⌉·L", "server_latency_ms"),
    ] {
        let latency_ns = (meta[field].as_f64().unwrap() * 1e6).round() as u64;
        let (tid, _) = c
            .threads
            .iter()
            .find(|(&(p, _), name)| {
                p == pid
                    && name.starts_with(prefix)
                    && name.contains(if field == "latency_ms" {
                        "configured"
                    } else {
                        "measured"
                    })
            })
            .unwrap_or_else(|| panic!("{dir}: ideal thread for {field}"));
        let got: Vec<(u64, u64)> = c
            .spans
            .iter()
            .filter(|s| (s.0, s.1) == *tid)
            .map(|s| (s.4, s.5))
            .collect();
        let want: Vec<(u64, u64)> = (0..waves)
            .map(|k| (k * latency_ns, (k + 1) * latency_ns))
            .collect();
        assert_eq!(got, want, "{dir}: ⌈{jobs}/{conc}⌉ waves of {field}");
    }
}

/// Exports `crit` and checks the traces of the two benchmarks of the done criterion.
fn check_async_tokio_and_thread_pool(crit: &Path, out: &Path, timelines: usize) {
    let o = run(&["trace", "--criterion-dir", p(crit), "--out", p(out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let said = format!("{timelines} timelines");
    assert!(stdout(&o).contains(&said), "{}", stdout(&o));
    for (dir, id) in [
        ("io_download/async_tokio", "io/download/async_tokio"),
        ("cpu_fib/thread_pool", "cpu/fib/thread_pool"),
    ] {
        let file = out.join(format!("{}.trace.json", dir.replace('/', "__")));
        let c = check(&file);
        assert_eq!(c.processes, BTreeMap::from([(1, id.to_string())]));
        matches_timeline(&c, 1, crit, dir);
        // The real runs' rows are disjoint: complete events only.
        assert_eq!(c.async_pairs, 0);
    }
}

/// At the suite's default sizes (`tests/fixtures/timelines`): 160 downloads at once on 160 task
/// rows, L = 20 ms; fib on 5 pool threads.
#[test]
fn traces_of_default_size_runs_follow_the_format() {
    let tmp = TempDir::new("trace-default");
    let crit = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/timelines");
    check_async_tokio_and_thread_pool(&crit, tmp.path(), 2);
}

#[test]
fn traces_of_the_fixture_run_follow_the_format() {
    let crit = fixture();
    let tmp = TempDir::new("trace");
    let out = tmp.path().join("traces");
    check_async_tokio_and_thread_pool(&crit, &out, 30);

    // The workload's file: one process per strategy, each its own timeline.
    let c = check(&out.join("io_download.trace.json"));
    assert_eq!(c.processes.len(), 10);
    let dirs = bench_dirs(&crit);
    for (pid, name) in &c.processes {
        let function = name.strip_prefix("io/download/").unwrap();
        let dir = format!("io_download/{function}");
        assert!(dirs.contains(&dir), "{name}");
        matches_timeline(&c, *pid, &crit, &dir);
    }
    // Every file written is a valid trace.
    let files: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 30 + 3);
    for f in files {
        check(&f);
    }
}

#[test]
fn overlapping_tasks_on_one_thread_become_async_events() {
    let tmp = TempDir::new("trace-overlap");
    let crit = tmp.path().join("criterion");
    // One runtime thread polling three downloads at once (rows as the current-thread runtime
    // would record them by thread), and a second thread with one job.
    let dir = crit.join("io_download/one_thread/new");
    fs::create_dir_all(&dir).unwrap();
    let spans = [
        (0, 0, 1_000, 9_000),
        (1, 0, 2_000, 10_000),
        (2, 0, 3_000, 4_000),
        (3, 1, 0, 5_500),
    ];
    let timeline = json!({
        "schema": 1, "group": "io/download", "function": "one_thread", "wall_ns": 10_000,
        "spans": spans.iter().map(|&(job, worker, start_ns, end_ns)|
            json!({"job": job, "worker": worker, "start_ns": start_ns, "end_ns": end_ns}))
            .collect::<Vec<_>>(),
    });
    fs::write(dir.join("cb-timeline.json"), timeline.to_string()).unwrap();
    let meta = read_json(&fixture().join("io_download/async_tokio/new/cb-meta.json"));
    fs::write(dir.join("cb-meta.json"), meta.to_string()).unwrap();

    let out = tmp.path().join("out");
    let o = run(&[
        "trace",
        "--criterion-dir",
        p(&crit),
        "--out",
        p(&out),
        "one_thread",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let c = check(&out.join("io_download__one_thread.trace.json"));
    assert_eq!(c.async_pairs, 3, "worker 0's three overlapping jobs");
    matches_timeline(&c, 1, &crit, "io_download/one_thread");
    // Worker 1's lone job stays a complete event.
    let complete_jobs = c.spans.iter().filter(|s| s.3 == "job").count() - c.async_pairs;
    assert_eq!(complete_jobs, 1);
}

#[test]
fn summary_writes_the_traces_it_links() {
    let (tmp, crit) = fixture_copy("trace-summary");
    let out = tmp.path().join("out");
    let o = run(&["summary", "--criterion-dir", p(&crit), "--out", p(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    let doc = parse_html(&html);
    let links: Vec<&str> = by_class(doc.root(), "trace")
        .iter()
        .map(|a| a.attribute("href").unwrap())
        .collect();
    // One per strategy and one per workload.
    assert_eq!(links.len(), 30 + 3);
    for href in &links {
        check(&out.join(href));
    }
    assert!(links.contains(&"traces/io_download__async_tokio.trace.json"));
    assert!(links.contains(&"traces/cpu_fib.trace.json"));
    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains("[`thread_pool`](traces/cpu_fib__thread_pool.trace.json)"),
        "{md}"
    );
    assert!(md.contains("[all strategies](traces/io_download.trace.json)"));
}

#[test]
fn bad_input_is_one_line_and_status_2() {
    let tmp = TempDir::new("trace-bad");
    let out = tmp.path().join("out");
    let o = run(&[
        "trace",
        "--criterion-dir",
        p(&fixture()),
        "--out",
        p(&out),
        "no/such/benchmark",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("containing 'no/such/benchmark'"), "{err}");
    assert!(!out.exists(), "nothing written");

    let crit = tmp.path().join("criterion");
    let dir = crit.join("g/f/new");
    fs::create_dir_all(&dir).unwrap();
    let meta = read_json(&fixture().join("cpu_fib/rayon/new/cb-meta.json"));
    fs::write(dir.join("cb-meta.json"), meta.to_string()).unwrap();
    fs::write(dir.join("cb-timeline.json"), "{\"schema\":1,").unwrap();
    let o = run(&["trace", "--criterion-dir", p(&crit), "--out", p(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cb-timeline.json"), "{}", stderr(&o));
    assert!(!out.exists());
}

/// The checker itself: each broken variant of a good trace must fail it.
#[test]
fn the_checker_rejects_broken_traces() {
    let tmp = TempDir::new("trace-checker");
    let out = tmp.path().join("out");
    let o = run(&[
        "trace",
        "--criterion-dir",
        p(&fixture()),
        "--out",
        p(&out),
        "cpu/fib/thread_pool",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let good_path = out.join("cpu_fib__thread_pool.trace.json");
    let good = read_json(&good_path);
    check(&good_path);

    let job = |v: &mut Value, n: usize| -> usize {
        let events = v["traceEvents"].as_array().unwrap();
        events
            .iter()
            .position(|e| e["name"] == format!("job {n}"))
            .unwrap()
    };
    type Edit = fn(&mut Value, usize, usize);
    let broken: [(&str, Edit); 5] = [
        ("job 1 partly overlaps job 0", |v, j0, _| {
            let d = v["traceEvents"][j0]["dur"].as_f64().unwrap();
            v["traceEvents"][j0]["dur"] = json!(d * 1.5);
        }),
        ("an X event without dur", |v, j0, _| {
            v["traceEvents"][j0].as_object_mut().unwrap().remove("dur");
        }),
        ("a b without its e", |v, j0, _| {
            let e = &mut v["traceEvents"][j0];
            e["ph"] = json!("b");
            e["id"] = json!("0x1");
        }),
        ("two b events with one id", |v, j0, j1| {
            for j in [j0, j1] {
                let e = &mut v["traceEvents"][j];
                e["ph"] = json!("b");
                e["id"] = json!("0x1");
            }
        }),
        ("a thread without thread_name", |v, _, _| {
            let events = v["traceEvents"].as_array_mut().unwrap();
            events.retain(|e| e["name"] != "thread_name" || e["args"]["name"] != "worker 0");
        }),
    ];
    for (what, edit) in broken {
        let mut v = good.clone();
        let (j0, j1) = (job(&mut v, 0), job(&mut v, 1));
        edit(&mut v, j0, j1);
        let path = tmp.path().join("broken.json");
        fs::write(&path, v.to_string()).unwrap();
        let result = std::panic::catch_unwind(|| check(&path));
        assert!(result.is_err(), "the checker missed: {what}");
    }
}
