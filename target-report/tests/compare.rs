//! `target-report compare` over the committed real run and synthetic changes made from it.

mod common;

use std::fs;
use std::path::Path;

use common::*;
use serde_json::Value;

/// Copies baseline `from` to a new baseline `to` in every benchmark of `crit`.
fn copy_baseline(crit: &Path, from: &str, to: &str) {
    for b in bench_dirs(crit) {
        copy_dir(&crit.join(&b).join(from), &crit.join(&b).join(to));
    }
}

/// Multiplies every time in `<bench>/<baseline>/sample.json` by `factor`.
fn scale_sample(crit: &Path, bench: &str, baseline: &str, factor: f64) {
    let path = crit.join(bench).join(baseline).join("sample.json");
    let mut sample = read_json(&path);
    for t in sample["times"].as_array_mut().unwrap() {
        *t = (t.as_f64().unwrap() * factor).into();
    }
    fs::write(&path, sample.to_string()).unwrap();
}

fn compare_json(crit: &Path, old: &str, new: &str, extra: &[&str]) -> (i32, Value) {
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
    let o = run(&args);
    let code = o.status.code().unwrap();
    assert!(code == 0 || code == 1, "{}", stderr(&o));
    (code, serde_json::from_slice(&o.stdout).unwrap())
}

fn verdicts(v: &Value, verdict: &str) -> Vec<String> {
    v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["verdict"] == verdict)
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn same_baseline_twice_changes_nothing() {
    let (code, v) = compare_json(&fixture(), "base", "base", &[]);
    assert_eq!(code, 0);
    assert_eq!(v["entries"].as_array().unwrap().len(), 30);
    assert_eq!(v["regressed"], 0);
    assert_eq!(v["improved"], 0);
    for e in v["entries"].as_array().unwrap() {
        assert_eq!(e["change"]["point"], 0.0);
        assert_eq!(e["significant"], false);
    }
}

#[test]
fn medians_are_criterions_medians() {
    let (_, v) = compare_json(&fixture(), "base", "other", &[]);
    for e in v["entries"].as_array().unwrap() {
        let id = e["id"].as_str().unwrap();
        let dir = fixture().join(id.replacen('/', "_", 1));
        for (field, baseline) in [("old_median_ns", "base"), ("new_median_ns", "other")] {
            let est = read_json(&dir.join(baseline).join("estimates.json"));
            let want = est["median"]["point_estimate"].as_f64().unwrap();
            let got = e[field].as_f64().unwrap();
            assert!(
                (got - want).abs() <= 1e-9 * want,
                "{id} {field}: {got} vs {want}"
            );
        }
        let change = e["change"]["point"].as_f64().unwrap();
        let ratio = e["new_median_ns"].as_f64().unwrap() / e["old_median_ns"].as_f64().unwrap();
        assert!((change - (ratio - 1.0)).abs() < 1e-12);
    }
}

#[test]
fn a_synthetic_slowdown_regresses_exactly_that_benchmark() {
    let (_tmp, crit) = fixture_copy("cmp-slow");
    copy_baseline(&crit, "base", "slow");
    scale_sample(&crit, "io_download/thread_pool", "slow", 1.5);

    let (code, v) = compare_json(&crit, "base", "slow", &[]);
    assert_eq!(code, 1, "a regression exits 1");
    assert_eq!(verdicts(&v, "regressed"), ["io/download/thread_pool"]);
    assert!(verdicts(&v, "improved").is_empty());
    let e = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "io/download/thread_pool")
        .unwrap();
    assert!((e["change"]["point"].as_f64().unwrap() - 0.5).abs() < 1e-9);
    assert!(e["change"]["lower"].as_f64().unwrap() > 0.0);

    // The same slowdown in the other direction is an improvement, and exits 0.
    let (code, v) = compare_json(&crit, "slow", "base", &[]);
    assert_eq!(code, 0);
    assert_eq!(verdicts(&v, "improved"), ["io/download/thread_pool"]);

    // The human formats say the same.
    let o = run(&["compare", "base", "slow", "--criterion-dir", p(&crit)]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    let line = text
        .lines()
        .find(|l| l.starts_with("io/download/thread_pool "))
        .unwrap();
    assert!(
        line.ends_with("REGRESSED") && line.contains("+50.0%"),
        "{line}"
    );
    let o = run(&[
        "compare",
        "base",
        "slow",
        "--criterion-dir",
        p(&crit),
        "--format",
        "markdown",
    ]);
    let md = stdout(&o);
    let rows: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| benchmark"))
        .collect();
    assert_eq!(rows.len(), 30);
    assert!(
        rows[0].starts_with("| io/download/thread\\_pool |")
            && rows[0].ends_with("| **regressed** |")
    );
}

#[test]
fn the_threshold_is_respected() {
    let (_tmp, crit) = fixture_copy("cmp-threshold");
    copy_baseline(&crit, "base", "slow");
    scale_sample(&crit, "io_download/thread_pool", "slow", 1.08);
    // 8% is significant and above the default 5%...
    let (code, v) = compare_json(&crit, "base", "slow", &[]);
    assert_eq!(
        (code, verdicts(&v, "regressed")),
        (1, vec!["io/download/thread_pool".to_string()])
    );
    // ...but not above 10%.
    let (code, v) = compare_json(&crit, "base", "slow", &["--threshold", "10"]);
    assert_eq!(code, 0);
    assert!(verdicts(&v, "regressed").is_empty());
    assert_eq!(v["threshold_pct"], 10.0);
}

#[test]
fn benchmarks_on_one_side_are_added_or_removed_not_errors() {
    let (_tmp, crit) = fixture_copy("cmp-added");
    copy_baseline(&crit, "base", "next");
    fs::remove_dir_all(crit.join("cpu_fib/rayon/next")).unwrap();
    fs::remove_dir_all(crit.join("io_download/rayon/base")).unwrap();
    let (code, v) = compare_json(&crit, "base", "next", &[]);
    assert_eq!(code, 0);
    assert_eq!(v["removed"], serde_json::json!(["cpu/fib/rayon"]));
    assert_eq!(v["added"], serde_json::json!(["io/download/rayon"]));
    assert_eq!(v["entries"].as_array().unwrap().len(), 28);
}
