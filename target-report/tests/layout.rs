//! The layout noise (`cb-layout.json`) as `compare`, `ab`'s verdict and `history` fold it in,
//! and a corrupt file as bad input. `layout` itself relinks real executables: its run is in
//! the README (too slow for a test); its schedule, seeds and statistics are unit-tested.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::util::*;
use serde_json::{json, Value};
use target_report::history::{BenchRecord, Record};
use target_report::machine::{GitInfo, Machine};
use target_report::noise::LayoutNoise;
use target_report::trend;

/// Writes `cb-layout.json` into `crit` with σ_layout `sd_log` (`df` df) for every `ids`.
fn write_layout(crit: &Path, ids: &[&str], sd_log: f64, df: f64) -> std::path::PathBuf {
    let benchmarks: serde_json::Map<String, Value> = ids
        .iter()
        .map(|id| {
            (
                id.to_string(),
                json!({"medians_ns": [[1.0, 1.0], [1.1, 1.1]], "layout_medians_ns": [1.0, 1.1],
                       "min_ns": 1.0, "max_ns": 1.1, "sd_log_between": sd_log,
                       "sd_log_run": 0.0, "sd_log": sd_log, "df": df}),
            )
        })
        .collect();
    let l = json!({"schema": 1, "builds": 4, "rounds": 3, "seeds": [1, 2, 3, 4],
                   "created_at": "2026-12-06T00:00:00Z", "commit": "abc",
                   "benchmarks": benchmarks});
    let path = crit.join("cb-layout.json");
    fs::write(&path, l.to_string()).unwrap();
    path
}

fn compare_json(crit: &Path) -> Value {
    let tmp = TempDir::new("layout-cwd");
    let o = run_in(
        tmp.path(),
        &[
            "compare",
            "base",
            "other",
            "--criterion-dir",
            p(crit),
            "--format",
            "json",
        ],
    );
    assert!(o.status.code() != Some(2), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

#[test]
fn compare_adds_the_layout_term_in_quadrature_and_says_so() {
    let (_tmp, crit) = fixture_copy("layout-cmp");
    let id = "cpu/fib/sequential";
    let plain = compare_json(&crit);
    let before = entry(&plain, id).clone();
    assert!(before["noise"].get("layout").is_none());
    write_layout(&crit, &[id], 0.05, 3.0);
    let v = compare_json(&crit);
    let e = entry(&v, id);
    // The default σ_run (10%) and σ_layout 5%: se = √(2·0.1² + 2·0.05²), unless a run's own
    // bootstrap error is the larger.
    if e["within_run_floor"] == false {
        let want = (2.0f64 * 0.01 + 2.0 * 0.0025).sqrt();
        assert!((e["se"].as_f64().unwrap() - want).abs() < 1e-12, "{e}");
        assert!(
            e["df"].as_f64().is_some(),
            "finite df from the layout term: {e}"
        );
    }
    assert_eq!(e["noise"]["layout"]["builds"], 4);
    let sources = v["noise"].as_array().unwrap();
    assert!(
        sources
            .iter()
            .any(|s| s.as_str().unwrap().contains("cb-layout.json")
                && s.as_str().unwrap().contains("4 link orders")),
        "{sources:?}"
    );
    // The table names the source per benchmark.
    let tmp = TempDir::new("layout-cwd2");
    let o = run_in(
        tmp.path(),
        &["compare", "base", "other", "--criterion-dir", p(&crit)],
    );
    let text = stdout(&o);
    let line = text.lines().find(|l| l.starts_with(id)).unwrap();
    assert!(
        line.contains("default 10% + layout (4 link orders)"),
        "{line}"
    );
    // A benchmark the layout file does not know keeps its noise.
    let other = entry(&v, "cpu/fib/rayon");
    assert!(other["noise"].get("layout").is_none());
}

#[test]
fn a_zero_layout_term_adds_nothing() {
    let (_tmp, crit) = fixture_copy("layout-zero");
    let id = "cpu/fib/sequential";
    let before = compare_json(&crit);
    write_layout(&crit, &[id], 0.0, 0.0);
    let after = compare_json(&crit);
    assert_eq!(entry(&before, id), entry(&after, id));
    // The file is still named, with what it added: nothing.
    let last = after["noise"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .as_str()
        .unwrap();
    assert!(
        last.contains("cb-layout.json")
            && last.contains(
                "knows 1 of these benchmarks: σ_layout added in quadrature for 0, 0 for 1"
            ),
        "{last}"
    );
}

#[test]
fn a_corrupt_layout_file_exits_2_with_one_line_naming_it() {
    let (_tmp, crit) = fixture_copy("layout-bad");
    let path = crit.join("cb-layout.json");
    fs::write(&path, "{\"schema\": 1, \"builds\": 4, \"se").unwrap();
    let tmp = TempDir::new("layout-bad-cwd");
    for args in [
        vec!["compare", "base", "other", "--criterion-dir", p(&crit)],
        vec![
            "compare",
            "base",
            "other",
            "--criterion-dir",
            p(&fixture()),
            "--layout",
            p(&path),
        ],
    ] {
        let o = run_in(tmp.path(), &args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(p(&path)), "{err}");
        assert!(o.stdout.is_empty());
    }
    write_layout(&crit, &["cpu/fib/sequential"], -0.1, 3.0);
    let o = run_in(
        tmp.path(),
        &["compare", "base", "other", "--criterion-dir", p(&crit)],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("cb-layout.json") && err.contains("cpu/fib/sequential"),
        "{err}"
    );
}

fn record(commit: &str, id: &str, median: f64) -> (usize, Record) {
    let r = Record {
        schema: 1,
        recorded_at: "2026-12-06T00:00:00Z".into(),
        git: GitInfo {
            commit: Some(commit.into()),
            commit_date: None,
            dirty: Some(false),
        },
        machine: Machine {
            cpu_model: "test cpu".into(),
            cores: 2,
            os: "linux/x86_64".into(),
        },
        benchmarks: vec![BenchRecord {
            id: id.into(),
            median_ns: median,
            lower_ns: median * 0.999,
            upper_ns: median * 1.001,
            samples: 10,
            sample_fingerprint: None,
        }],
        origin: None,
        status: None,
        reason: None,
    };
    (1, r)
}

#[test]
fn history_reports_no_step_within_the_layout_noise() {
    let id = "cpu/fib/sequential";
    // A quiet series that moves 6% at record 6, as a relink can: one commit per record.
    let records: Vec<(usize, Record)> = (0..12)
        .map(|i| {
            let level = if i < 6 { 100.0 } else { 106.0 };
            record(&format!("c{i}"), id, level * (1.0 + 0.002 * (i % 2) as f64))
        })
        .collect();
    let plain = trend::series_with_noise(&records, &BTreeMap::new(), None);
    assert_eq!(
        plain[0].fit.steps.len(),
        1,
        "a step on the series' own scale"
    );
    let tmp = TempDir::new("layout-hist");
    let path = write_layout(tmp.path(), &[id], 0.08, 3.0);
    let layout = LayoutNoise::load(&path).unwrap();
    let floored = trend::series_with_noise(&records, &BTreeMap::new(), Some(&layout));
    assert!(floored[0].fit.steps.is_empty(), "{:?}", floored[0].fit);
    // With a measured σ_run, the layout term adds to it: √(σ²_run + σ²_layout).
    let measured = trend::measured_noise(&records, None, Some(&layout));
    assert!(
        measured.is_empty(),
        "one record per commit: no repeated runs"
    );
}
