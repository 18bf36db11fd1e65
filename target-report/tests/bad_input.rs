//! Bad input: each case exits 2 with one line naming the file, and writes nothing.

use std::fs;
use std::path::Path;
use std::process::Output;

use crate::util::*;

/// Exit 2, exactly one line on stderr mentioning `needle`, no panic.
fn assert_bad(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "{err:?} should mention {needle:?}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    assert!(o.stdout.is_empty());
}

/// Every file under `dir` with its contents, to prove nothing changed.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    if dir.is_dir() {
        for e in fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                out.extend(snapshot(&e.path()));
            } else {
                out.push((e.path().display().to_string(), fs::read(e.path()).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn truncate_half(path: &Path) {
    let bytes = fs::read(path).unwrap();
    fs::write(path, &bytes[..bytes.len() / 2]).unwrap();
}

#[test]
fn missing_criterion_dir() {
    let tmp = TempDir::new("bad-missing");
    let missing = tmp.path().join("nope");
    let out = tmp.path().join("out");
    let hist = tmp.path().join("h.jsonl");
    assert_bad(
        &run(&["summary", "--criterion-dir", p(&missing), "--out", p(&out)]),
        p(&missing),
    );
    assert_bad(
        &run(&["compare", "a", "b", "--criterion-dir", p(&missing)]),
        p(&missing),
    );
    assert_bad(
        &run(&[
            "record",
            "--criterion-dir",
            p(&missing),
            "--history",
            p(&hist),
        ]),
        p(&missing),
    );
    assert!(!out.exists() && !hist.exists(), "nothing written");
}

#[test]
fn no_benchmarks() {
    let tmp = TempDir::new("bad-empty");
    let crit = tmp.path().join("criterion");
    fs::create_dir_all(crit.join("report")).unwrap();
    let out = tmp.path().join("out");
    let o = run(&["summary", "--criterion-dir", p(&crit), "--out", p(&out)]);
    assert_bad(&o, "no benchmarks found");
    assert!(stderr(&o).contains(p(&crit)));
    assert!(!out.exists());
}

#[test]
fn corrupt_or_truncated_json_leaves_previous_outputs_alone() {
    let (tmp, crit) = fixture_copy("bad-corrupt");
    let out = tmp.path().join("out");
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("index.html"), "previous page").unwrap();
    let hist = tmp.path().join("h.jsonl");
    fs::write(&hist, "previous history\n").unwrap();
    let before = (snapshot(&out), fs::read(&hist).unwrap());

    for file in [
        "io_download/thread_pool/new/estimates.json",
        "cpu_fib/rayon/new/benchmark.json",
        "cpu_fib/rayon/new/cb-meta.json",
        "io_download/async_tokio/new/cb-timeline.json",
    ] {
        let (_t2, crit2) = fixture_copy("bad-corrupt-one");
        let target = crit2.join(file);
        truncate_half(&target);
        let o = run(&["summary", "--criterion-dir", p(&crit2), "--out", p(&out)]);
        assert_bad(&o, p(&target));
        assert!(stderr(&o).contains("corrupt JSON"), "{}", stderr(&o));
    }
    // compare reads sample.json; record reads estimates.json.
    let sample = crit.join("cpu_fib/sequential/base/sample.json");
    truncate_half(&sample);
    assert_bad(
        &run(&["compare", "base", "other", "--criterion-dir", p(&crit)]),
        p(&sample),
    );
    let est = crit.join("cpu_fib/sequential/new/estimates.json");
    fs::write(&est, "").unwrap();
    assert_bad(
        &run(&["record", "--criterion-dir", p(&crit), "--history", p(&hist)]),
        p(&est),
    );
    assert_eq!(
        (snapshot(&out), fs::read(&hist).unwrap()),
        before,
        "nothing overwritten"
    );
}

#[test]
fn well_formed_json_with_impossible_values() {
    let (tmp, crit) = fixture_copy("bad-values");
    let out = tmp.path().join("out");
    // A timeline whose job ends before it starts.
    let tl = crit.join("io_download/async_tokio/new/cb-timeline.json");
    let mut v = read_json(&tl);
    v["spans"][0]["end_ns"] = 0.into();
    v["spans"][0]["start_ns"] = 5.into();
    fs::write(&tl, v.to_string()).unwrap();
    assert_bad(
        &run(&["summary", "--criterion-dir", p(&crit), "--out", p(&out)]),
        p(&tl),
    );
    // A sample with fewer times than iteration counts.
    let sample = crit.join("cpu_fib/sequential/other/sample.json");
    let mut v = read_json(&sample);
    v["times"].as_array_mut().unwrap().pop();
    fs::write(&sample, v.to_string()).unwrap();
    assert_bad(
        &run(&["compare", "base", "other", "--criterion-dir", p(&crit)]),
        p(&sample),
    );
    assert!(!out.exists());
}

#[test]
fn unknown_baseline_and_bad_threshold() {
    let o = run(&[
        "compare",
        "base",
        "nosuch",
        "--criterion-dir",
        p(&fixture()),
    ]);
    assert_bad(&o, "unknown baseline 'nosuch'");
    let tmp = TempDir::new("bad-baseline");
    let out = tmp.path().join("out");
    let o = run(&[
        "summary",
        "--criterion-dir",
        p(&fixture()),
        "--out",
        p(&out),
        "--baseline",
        "nosuch",
    ]);
    assert_bad(&o, "unknown baseline 'nosuch'");
    assert!(!out.exists());
    let o = run(&[
        "compare",
        "base",
        "other",
        "--criterion-dir",
        p(&fixture()),
        "--threshold",
        "-1",
    ]);
    assert_bad(&o, "--threshold");
}

#[test]
fn unreadable_or_empty_history() {
    let tmp = TempDir::new("bad-history");
    let out = tmp.path().join("out");
    let missing = tmp.path().join("none.jsonl");
    assert_bad(
        &run(&["history", "--history", p(&missing), "--out", p(&out)]),
        p(&missing),
    );
    // A directory where the file should be.
    assert_bad(
        &run(&["history", "--history", p(tmp.path()), "--out", p(&out)]),
        p(tmp.path()),
    );
    // Only corrupt lines: they are reported, then there is nothing to chart.
    let junk = tmp.path().join("junk.jsonl");
    fs::write(&junk, "{not json\n\n").unwrap();
    let o = run(&["history", "--history", p(&junk), "--out", p(&out)]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("{}:1: corrupt line skipped", junk.display())),
        "{err}"
    );
    assert!(
        err.lines().last().unwrap().contains("no valid record"),
        "{err}"
    );
    assert!(!out.exists());
}
