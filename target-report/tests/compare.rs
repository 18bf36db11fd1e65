//! `target-report compare` over the committed real run and synthetic changes made from it.
//!
//! Every run of the binary happens in a temporary directory with no workspace above it, so a
//! developer's own `bench-history.jsonl` can never become a test's noise source.

use std::fs;
use std::path::Path;

use crate::util::*;
use serde_json::{json, Value};
use target_report::noise;

/// Copies baseline `from` to a new baseline `to` in every benchmark of `crit`.
fn copy_baseline(crit: &Path, from: &str, to: &str) {
    for b in bench_dirs(crit) {
        copy_dir(&crit.join(&b).join(from), &crit.join(&b).join(to));
    }
}

/// A copy of the fixture whose baselines each hold twelve samples: every `--quick` sample
/// repeated six times (medians unchanged), since fewer than ten samples decide nothing.
fn decidable_copy(tag: &str) -> (TempDir, std::path::PathBuf) {
    let (tmp, crit) = fixture_copy(tag);
    for b in bench_dirs(&crit) {
        for baseline in ["base", "other", "new"] {
            let path = crit.join(&b).join(baseline).join("sample.json");
            let mut sample = read_json(&path);
            for key in ["iters", "times"] {
                let values = sample[key].as_array().unwrap().clone();
                let repeated: Vec<Value> = (0..6).flat_map(|_| values.clone()).collect();
                sample[key] = repeated.into();
            }
            fs::write(&path, sample.to_string()).unwrap();
        }
    }
    (tmp, crit)
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

/// Every full id of the fixture.
fn ids(crit: &Path) -> Vec<String> {
    bench_dirs(crit)
        .iter()
        .map(|b| {
            read_json(&crit.join(b).join("base/benchmark.json"))["full_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// Writes `cb-calibration.json` into `crit` with the same `sd_log` and `runs` for every
/// benchmark of the fixture.
fn calibrate(crit: &Path, sd_log: f64, runs: usize) {
    let benchmarks: serde_json::Map<String, Value> = ids(crit)
        .into_iter()
        .map(|id| {
            (
                id,
                json!({"sd_log": sd_log, "runs": runs, "medians_ns": []}),
            )
        })
        .collect();
    let cal = json!({"schema": 1, "runs": runs, "created_at": "2026-11-28T00:00:00Z",
                     "commit": "abc", "benchmarks": benchmarks});
    fs::write(crit.join("cb-calibration.json"), cal.to_string()).unwrap();
}

#[test]
fn the_fixtures_same_code_pair_has_no_regression() {
    // `base` and `other` are two --quick runs of the same code; the old bootstrap-only compare
    // called 6 of them regressed. With the default noise floor nothing is.
    let (code, v) = compare_json(&fixture(), "base", "other", &[]);
    assert!(code == 0 || code == 3, "exit {code}");
    assert!(verdicts(&v, "regressed").is_empty(), "{v:#}");
    assert_eq!(v["entries"].as_array().unwrap().len(), 30);
    for e in v["entries"].as_array().unwrap() {
        assert_eq!(e["noise"]["source"], "default", "{e}");
        assert!(e["mdc"].as_f64().unwrap() > 0.0);
        let c = &e["change"];
        assert!(
            c["lower"].as_f64() <= c["point"].as_f64()
                && c["point"].as_f64() <= c["upper"].as_f64()
        );
    }
    let counts: u64 = ["regressed", "improved", "unchanged", "inconclusive"]
        .iter()
        .map(|k| v[k].as_u64().unwrap())
        .sum();
    assert_eq!(counts, 30);
    assert!(v["noise"][0].as_str().unwrap().contains("default"));
    // Two samples a side are no distribution: whichever way round, nothing is decided, and the
    // table says why.
    for (old, new) in [("base", "other"), ("other", "base")] {
        let (code, v) = compare_json(&fixture(), old, new, &[]);
        assert_eq!(code, 3, "{old} -> {new}");
        assert_eq!(verdicts(&v, "inconclusive").len(), 30, "{v:#}");
    }
    let o = run_outside(&["compare", "other", "base", "--criterion-dir", p(&fixture())]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stdout(&o).contains("too few to decide"), "{}", stdout(&o));
}

#[test]
fn same_baseline_twice_is_inconclusive_under_the_default_and_unchanged_when_calibrated() {
    // The default noise (10% per run) cannot show a change to be within ±5%: exit 3.
    let (code, v) = compare_json(&fixture(), "base", "base", &[]);
    assert_eq!(code, 3);
    assert_eq!(v["entries"].as_array().unwrap().len(), 30);
    assert_eq!(
        (v["regressed"].as_u64(), v["improved"].as_u64()),
        (Some(0), Some(0))
    );
    for e in v["entries"].as_array().unwrap() {
        assert_eq!(e["change"]["point"], 0.0);
    }
    // With a tight calibration the intervals shrink inside ±5%, except where a run's own two
    // samples are noisier than that (those intervals are Student-t with 11 df now, not
    // normal, so one more of them is too wide: 24, not 25).
    let (_tmp, crit) = decidable_copy("cmp-same");
    calibrate(&crit, 0.005, 10);
    let (_, v) = compare_json(&crit, "base", "base", &[]);
    let unchanged = verdicts(&v, "unchanged").len();
    assert!(unchanged >= 24, "{unchanged}: {v:#}");
    assert_eq!(v["regressed"], 0);
    for e in v["entries"].as_array().unwrap() {
        assert_eq!(e["noise"]["source"], "calibration");
        if !e["within_run_floor"].as_bool().unwrap() {
            assert_eq!(e["verdict"], "unchanged", "{e}");
        }
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
        assert!((e["log_change"].as_f64().unwrap() - ratio.ln()).abs() < 1e-12);
    }
}

#[test]
fn a_synthetic_slowdown_with_tight_noise_regresses_exactly_that_benchmark() {
    let (_tmp, crit) = decidable_copy("cmp-slow");
    copy_baseline(&crit, "base", "slow");
    scale_sample(&crit, "io_download/thread_pool", "slow", 1.5);
    calibrate(&crit, 0.01, 10);

    let (code, v) = compare_json(&crit, "base", "slow", &[]);
    assert_eq!(code, 1, "a regression exits 1");
    assert_eq!(verdicts(&v, "regressed"), ["io/download/thread_pool"]);
    assert!(verdicts(&v, "improved").is_empty());
    let e = entry(&v, "io/download/thread_pool");
    assert!((e["change"]["point"].as_f64().unwrap() - 0.5).abs() < 1e-9);
    assert!(
        e["change"]["lower"].as_f64().unwrap() > 0.05,
        "held against the interval"
    );
    assert_eq!(e["noise"]["source"], "calibration");
    assert_eq!(e["noise"]["runs"], 10);
    assert!(e["p_regressed"].as_f64().unwrap() <= 0.05);

    // The same slowdown in the other direction is an improvement, and nothing regressed.
    let (code, v) = compare_json(&crit, "slow", "base", &[]);
    assert_ne!(code, 1);
    assert_eq!(verdicts(&v, "improved"), ["io/download/thread_pool"]);

    // The human formats say the same.
    let o = run_outside(&["compare", "base", "slow", "--criterion-dir", p(&crit)]);
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    let line = text
        .lines()
        .find(|l| l.starts_with("io/download/thread_pool "))
        .unwrap();
    assert!(
        line.ends_with("REGRESSED")
            && line.contains("+50.0%")
            && line.contains("calibration (10 runs)"),
        "{line}"
    );
    assert!(text.contains("1 regressed, 0 improved"), "{text}");
    assert!(text.contains("Holm"), "{text}");
    let o = run_outside(&[
        "compare",
        "base",
        "slow",
        "--criterion-dir",
        p(&crit),
        "--format",
        "markdown",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let md = stdout(&o);
    let rows: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("calibration"))
        .collect();
    assert_eq!(rows.len(), 30, "{md}");
    assert!(
        rows[0].starts_with("| io/download/thread\\_pool |")
            && rows[0].ends_with("| **regressed** |"),
        "{}",
        rows[0]
    );
    assert!(md.contains("**1 regressed**"), "{md}");
}

#[test]
fn a_large_change_under_large_noise_is_inconclusive() {
    let (_tmp, crit) = decidable_copy("cmp-noisy");
    copy_baseline(&crit, "base", "slow");
    scale_sample(&crit, "io_download/thread_pool", "slow", 1.5);
    // 30% per run: +50% is well within what two runs of the same code can differ by.
    let (code, v) = compare_json(&crit, "base", "slow", &["--noise-default", "30"]);
    assert_eq!(code, 3);
    let e = entry(&v, "io/download/thread_pool");
    assert_eq!(e["verdict"], "inconclusive");
    assert_eq!(e["noise"]["source"], "default");
    assert!((e["noise"]["sd_log"].as_f64().unwrap() - 0.3).abs() < 1e-12);
    assert!(
        e["mdc"].as_f64().unwrap() > 0.5,
        "it says it cannot see 50%"
    );
}

#[test]
fn the_threshold_is_held_against_the_interval() {
    let (_tmp, crit) = decidable_copy("cmp-threshold");
    copy_baseline(&crit, "base", "slow");
    scale_sample(&crit, "io_download/thread_pool", "slow", 1.2);
    calibrate(&crit, 0.01, 10);
    let id = "io/download/thread_pool";
    // +20% with an interval of a few percent: beyond 5%...
    let (_, v) = compare_json(&crit, "base", "slow", &[]);
    assert_eq!(entry(&v, id)["verdict"], "regressed");
    // ...not shown beyond 15% (the interval reaches below it), so not a regression...
    let (_, v) = compare_json(&crit, "base", "slow", &["--threshold", "18"]);
    assert_eq!(entry(&v, id)["verdict"], "inconclusive");
    assert_eq!(v["threshold_pct"], 18.0);
    // ...and wholly within ±25%.
    let (_, v) = compare_json(&crit, "base", "slow", &["--threshold", "25"]);
    assert_eq!(entry(&v, id)["verdict"], "unchanged");
}

#[test]
fn repeated_runs_in_the_history_are_a_noise_source() {
    let (tmp, crit) = decidable_copy("cmp-history");
    copy_baseline(&crit, "base", "slow");
    scale_sample(&crit, "io_download/thread_pool", "slow", 1.5);
    let hist = tmp.path().join("h.jsonl");
    let mut lines = String::new();
    for (i, wobble) in [1.0, 1.01, 0.99].iter().enumerate() {
        let benchmarks: Vec<Value> = ids(&crit)
            .iter()
            .map(|id| json!({"id": id, "median_ns": 1e6 * wobble, "lower_ns": 1e6, "upper_ns": 1e6 * 1.02, "samples": 10}))
            .collect();
        let rec = json!({"schema": 1, "recorded_at": format!("2026-11-2{i}T00:00:00Z"),
            "commit": "c0ffee", "commit_date": null, "dirty": false,
            "machine": {"cpu_model": "x", "cores": 2, "os": "linux/x86_64"},
            "benchmarks": benchmarks});
        lines.push_str(&format!("{rec}\n"));
    }
    fs::write(&hist, lines).unwrap();
    let (code, v) = compare_json(&crit, "base", "slow", &["--history", p(&hist)]);
    assert_eq!(code, 1);
    let e = entry(&v, "io/download/thread_pool");
    assert_eq!(e["verdict"], "regressed");
    assert_eq!(e["noise"]["source"], "history");
    assert_eq!(e["noise"]["runs"], 3);
    assert_eq!(e["noise"]["df"], 2.0);
    // The calibration comes first when both know a benchmark.
    calibrate(&crit, 0.01, 10);
    let (_, v) = compare_json(&crit, "base", "slow", &["--history", p(&hist)]);
    assert_eq!(
        entry(&v, "io/download/thread_pool")["noise"]["source"],
        "calibration"
    );
    assert!(v["noise"][0]
        .as_str()
        .unwrap()
        .contains("cb-calibration.json"));
    assert!(v["warnings"].as_array().unwrap().is_empty(), "{v:#}");
    // A calibration made on another machine is used, with a warning.
    let path = crit.join("cb-calibration.json");
    let mut cal = read_json(&path);
    cal["machine"] = json!({"cpu_model": "elsewhere", "cores": 64, "os": "plan9/mips"});
    fs::write(&path, cal.to_string()).unwrap();
    let (_, v) = compare_json(&crit, "base", "slow", &[]);
    assert_eq!(
        entry(&v, "io/download/thread_pool")["noise"]["source"],
        "calibration"
    );
    let w = v["warnings"][0].as_str().unwrap();
    assert!(w.contains("another machine (elsewhere, 64 cores)"), "{w}");
}

#[test]
fn configurations_are_shown_side_by_side_and_differences_warned() {
    let (_tmp, crit) = fixture_copy("cmp-config");
    // Each baseline has its own cb-meta.json; the other run used 8 workers.
    for b in bench_dirs(&crit) {
        let path = crit.join(&b).join("other/cb-meta.json");
        let mut meta = read_json(&path);
        meta["workers"] = 8.into();
        fs::write(&path, meta.to_string()).unwrap();
    }
    let (code, v) = compare_json(&crit, "base", "other", &[]);
    assert_ne!(code, 2, "a configuration difference is not a refusal");
    let rows = v["config"]["rows"].as_array().unwrap();
    let workers = rows.iter().find(|r| r["key"] == "workers").unwrap();
    assert_eq!(
        (&workers["old"], &workers["new"], &workers["differs"]),
        (&json!("5"), &json!("8"), &json!(true))
    );
    let cores = rows.iter().find(|r| r["key"] == "cores").unwrap();
    assert_eq!(cores["differs"], false);
    let diffs = v["config"]["differences"].as_array().unwrap();
    assert_eq!(diffs.len(), 1, "{diffs:?}");
    assert!(diffs[0]
        .as_str()
        .unwrap()
        .contains("workers 5 (base) vs 8 (other) in 30 benchmarks"));
    let o = run_outside(&["compare", "base", "other", "--criterion-dir", p(&crit)]);
    let text = stdout(&o);
    assert!(
        text.contains("warning: configuration differs: workers"),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.starts_with("workers (differs)")),
        "{text}"
    );
}

#[test]
fn bad_noise_input_exits_2_with_one_line_naming_it() {
    let (_tmp, crit) = fixture_copy("cmp-bad-cal");
    let cal = crit.join("cb-calibration.json");
    fs::write(&cal, "{\"schema\": 1, \"runs\": 3, \"bench").unwrap();
    for o in [
        run_outside(&["compare", "base", "other", "--criterion-dir", p(&crit)]),
        run_outside(&[
            "compare",
            "base",
            "other",
            "--criterion-dir",
            p(&fixture()),
            "--calibration",
            p(&cal),
        ]),
    ] {
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(p(&cal)) && err.contains("corrupt JSON"),
            "{err}"
        );
        assert!(o.stdout.is_empty());
    }
    calibrate(&crit, -1.0, 3);
    let o = run_outside(&["compare", "base", "other", "--criterion-dir", p(&crit)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("sd_log"), "{}", stderr(&o));
    let missing = crit.join("nope.jsonl");
    let o = run_outside(&[
        "compare",
        "base",
        "other",
        "--criterion-dir",
        p(&fixture()),
        "--history",
        p(&missing),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(p(&missing)));
    let o = run_outside(&[
        "compare",
        "base",
        "other",
        "--criterion-dir",
        p(&fixture()),
        "--noise-default",
        "0",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--noise-default"));
}

#[test]
fn benchmarks_on_one_side_are_added_or_removed_not_errors() {
    let (_tmp, crit) = fixture_copy("cmp-added");
    copy_baseline(&crit, "base", "next");
    fs::remove_dir_all(crit.join("cpu_fib/rayon/next")).unwrap();
    fs::remove_dir_all(crit.join("io_download/rayon/base")).unwrap();
    let (code, v) = compare_json(&crit, "base", "next", &[]);
    assert_eq!(code, 3);
    assert_eq!(v["removed"], json!(["cpu/fib/rayon"]));
    assert_eq!(v["added"], json!(["io/download/rayon"]));
    assert_eq!(v["entries"].as_array().unwrap().len(), 28);
}

/// Two benchmarks like CI's end-to-end check (`sequential` and `rayon`, ten samples of ~1%
/// noise each), the new side of `rayon` `factor` times slower.
fn ci_like(crit: &Path, factor: f64) {
    for (function, f) in [("sequential", 1.0), ("rayon", factor)] {
        write_baseline(crit, function, "ci-before", 1e6);
        write_baseline(crit, function, "ci-after", 1e6 * f);
    }
}

#[test]
fn cis_deliberate_slowdown_is_found_with_the_default_noise_floor() {
    // CI sleeps 5 ms per 1 ms iteration of rayon: +500%, far beyond what 10% per run hides.
    let tmp = TempDir::new("cmp-ci");
    let crit = tmp.path().join("criterion");
    ci_like(&crit, 6.0);
    let (code, v) = compare_json(&crit, "ci-before", "ci-after", &["--threshold", "20"]);
    assert_eq!(code, 1);
    assert_eq!(verdicts(&v, "regressed"), ["g/rayon"]);
    // The same code on both sides is never a regression, only inconclusive under the default.
    let tmp = TempDir::new("cmp-ci-same");
    let crit = tmp.path().join("criterion");
    ci_like(&crit, 1.0);
    let (code, v) = compare_json(&crit, "ci-before", "ci-after", &["--threshold", "20"]);
    assert_eq!(code, 3);
    assert!(verdicts(&v, "regressed").is_empty());
}

#[test]
fn a_calibration_from_runs_is_written_read_back_and_used() {
    let tmp = TempDir::new("cmp-calibrate");
    let crit = tmp.path().join("criterion");
    let runs: Vec<String> = (1..=3).map(|r| format!("cal-{r}")).collect();
    for (run, m) in runs.iter().zip([1e6, 1.1e6, 1.21e6]) {
        write_baseline(&crit, "f", run, m);
    }
    // A benchmark missing from one run is left out.
    write_baseline(&crit, "partial", "cal-1", 1e6);
    let cal = noise::calibration_from_runs(&crit, &runs).unwrap();
    assert_eq!(cal.runs, 3);
    assert_eq!(cal.benchmarks.keys().collect::<Vec<_>>(), ["g/f"]);
    let b = &cal.benchmarks["g/f"];
    assert!((b.sd_log - 1.1f64.ln()).abs() < 1e-9, "{b:?}");
    assert_eq!(b.runs, 3);
    assert_eq!(b.medians_ns.len(), 3);
    let path = cal.write(&crit).unwrap();
    assert_eq!(path, crit.join(noise::CALIBRATION_FILE));
    let back = noise::Calibration::load(&path).unwrap();
    assert_eq!(
        (back.runs, &back.machine, &back.created_at),
        (3, &cal.machine, &cal.created_at)
    );
    // serde_json's default float parsing may differ from the written value in the last bit.
    assert!((back.benchmarks["g/f"].sd_log - b.sd_log).abs() < 1e-15);
    // compare picks it up from the Criterion directory.
    let (_, v) = compare_json(&crit, "cal-1", "cal-2", &[]);
    assert_eq!(entry(&v, "g/f")["noise"]["source"], "calibration");
    assert_eq!(entry(&v, "g/f")["noise"]["df"], 2.0);
    // Fewer than two runs, or runs no benchmark has, are refused.
    assert!(noise::calibration_from_runs(&crit, &runs[..1]).is_err());
    let err = noise::calibration_from_runs(&crit, &["x".into(), "y".into()]).unwrap_err();
    assert!(err.to_string().contains("no benchmark"), "{err}");
}
