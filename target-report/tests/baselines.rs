//! The summary reads each baseline's own side files, keeps rows measured with other settings
//! apart, and draws speed-ups and drift from a group's interleaved rounds (`cb-rounds.json`).

mod common;

use std::fs;
use std::path::Path;

use common::*;
use serde_json::{json, Value};

fn summarise(crit: &Path, out: &Path, baseline: &str) -> Value {
    let o = run(&[
        "summary",
        "--criterion-dir",
        p(crit),
        "--out",
        p(out),
        "--baseline",
        baseline,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    read_json(&out.join("summary.json"))
}

#[test]
fn each_baseline_is_summarised_with_its_own_side_files() {
    let (tmp, crit) = fixture_copy("own-side-files");
    // A later smoke run at 8 downloads rewrote new/'s side files; `base` keeps its own 16.
    for dir in bench_dirs(&crit)
        .iter()
        .filter(|d| d.starts_with("io_download/"))
    {
        edit_meta(&crit.join(dir), |m| {
            m["jobs"] = 8.into();
            m["elements"] = 8.into();
        });
    }
    let base = summarise(&crit, &tmp.path().join("base"), "base");
    let seq = row(table(&base, "io/download"), "sequential");
    assert_eq!(seq["meta"]["jobs"], 16, "{seq}");
    let new = summarise(&crit, &tmp.path().join("new"), "new");
    assert_eq!(
        row(table(&new, "io/download"), "sequential")["meta"]["jobs"],
        8
    );
    // `base` has no timelines of its own: none is borrowed from new/.
    assert!(row(table(&base, "cpu/fib"), "rayon")["timeline_summary"].is_null());
}

#[test]
fn rows_measured_with_other_settings_are_set_apart_not_compared() {
    let (tmp, crit) = fixture_copy("mixed-settings");
    // rayon was measured later by a filtered run at other sizes.
    edit_meta(&crit.join("cpu_sum_of_squares/rayon"), |m| {
        m["jobs"] = 8.into();
        m["elements"] = 3_200_000.into();
    });
    let s = summarise(&crit, &tmp.path().join("out"), "new");
    let t = table(&s, "cpu/sum_of_squares");
    assert!(t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["function"] != "rayon"));
    assert_eq!(t["rows"].as_array().unwrap().len(), 9);
    let apart = t["set_apart"].as_array().unwrap();
    assert_eq!(apart.len(), 1);
    assert_eq!(apart[0]["function"], "rayon");
    assert!(apart[0]["settings"].as_str().unwrap().contains("jobs 8"));
    let notes = t["notes"].to_string();
    assert!(
        notes.contains("different settings") && notes.contains("`rayon`"),
        "{notes}"
    );
    assert_ne!(t["advice"]["fastest"], "rayon");
    // Other groups are untouched.
    assert!(table(&s, "cpu/fib")["set_apart"]
        .as_array()
        .unwrap()
        .is_empty());
}

/// Writes `<group_dir>/new/cb-rounds.json` and every strategy's `new/sample.json` from the same
/// per-round per-iteration times: `times(function, round)`.
fn write_rounds(crit: &Path, group_dir: &str, rounds: usize, times: impl Fn(&str, usize) -> f64) {
    let functions: Vec<String> = bench_dirs(crit)
        .iter()
        .filter_map(|d| d.strip_prefix(&format!("{group_dir}/")).map(String::from))
        .collect();
    let doc = json!({
        "schema": 1,
        "group": group_dir.replace('_', "/"),
        "reference": "sequential",
        "seed": 9,
        "rounds": (0..rounds).map(|r| json!({
            "order": functions,
            "samples": functions.iter().map(|f| json!({
                "function": f, "iters": 1.0, "ns": times(f, r)
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    let dir = crit.join(group_dir).join("new");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("cb-rounds.json"), doc.to_string()).unwrap();
    for f in &functions {
        let ts: Vec<f64> = (0..rounds).map(|r| times(f, r)).collect();
        let mut sorted = ts.clone();
        sorted.sort_by(f64::total_cmp);
        let median = (sorted[rounds / 2 - 1] + sorted[rounds / 2]) / 2.0;
        let bench = crit.join(group_dir).join(f);
        set_median(&bench, median, sorted[0], sorted[rounds - 1]);
        let sample = json!({"sampling_mode": "Flat", "iters": vec![1.0; rounds], "times": ts});
        fs::write(bench.join("new/sample.json"), sample.to_string()).unwrap();
    }
}

#[test]
fn paired_rounds_cancel_load_that_comes_and_goes() {
    let (tmp, crit) = fixture_copy("paired-rounds");
    // A busy neighbour doubles every time in alternate rounds; within a round, rayon is 1.9x
    // faster than sequential and tokio_current_thread exactly as fast.
    write_rounds(&crit, "cpu_sum_of_squares", 20, |f, r| {
        let load = if r % 2 == 0 { 1.0 } else { 2.0 };
        let own = match f {
            "sequential" | "tokio_current_thread" => 1e7,
            "rayon" => 1e7 / 1.9,
            _ => 1.1e7,
        };
        own * load * (1.0 + 0.001 * (r % 3) as f64)
    });
    let s = summarise(&crit, &tmp.path().join("out"), "new");
    let t = table(&s, "cpu/sum_of_squares");
    assert_eq!(t["interleaved"], true);
    assert_eq!(t["drift"]["drifted"], false, "{}", t["drift"]);
    let rayon = &row(t, "rayon")["speedup"];
    assert!(rayon["lower"].as_f64().unwrap() > 1.85, "{rayon}");
    assert!(rayon["upper"].as_f64().unwrap() < 1.95, "{rayon}");
    let single = &row(t, "tokio_current_thread")["speedup"];
    assert!(single["lower"].as_f64().unwrap() <= 1.0 && single["upper"].as_f64().unwrap() >= 1.0);
}

#[test]
fn a_group_whose_reference_drifted_gets_no_findings() {
    let (tmp, crit) = fixture_copy("drifted");
    // The machine slows down by 30% halfway through the group.
    write_rounds(&crit, "cpu_fib", 20, |f, r| {
        let speed = if r < 10 { 1.0 } else { 1.3 };
        let own = if f == "sequential" { 2e8 } else { 1e8 };
        own * speed * (1.0 + 0.002 * (r % 4) as f64)
    });
    let s = summarise(&crit, &tmp.path().join("out"), "new");
    let t = table(&s, "cpu/fib");
    assert_eq!(t["drift"]["drifted"], true, "{}", t["drift"]);
    assert!(t["advice"]["fastest"].is_null());
    let sentences = t["advice"]["sentences"].to_string();
    assert!(sentences.contains("No findings for cpu/fib"), "{sentences}");
    let md = fs::read_to_string(tmp.path().join("out/summary.md")).unwrap();
    assert!(md.contains("No findings for cpu/fib"));
    // The undisturbed group still has its findings.
    assert!(!table(&s, "cpu/sum_of_squares")["advice"]["fastest"].is_null());
}

#[test]
fn rounds_of_a_filtered_run_without_the_reference_are_read() {
    // `cargo bench --bench cpu -- rayon` measures no `sequential`: the bench writes
    // `"reference": null`, and the summary has no drift to report, not a corrupt file.
    let (tmp, crit) = fixture_copy("no-reference");
    write_rounds(&crit, "cpu_fib", 12, |f, r| {
        let own = if f == "sequential" { 2e8 } else { 1e8 };
        own * (1.0 + 0.002 * (r % 4) as f64)
    });
    let path = crit.join("cpu_fib/new/cb-rounds.json");
    let mut doc: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    doc["reference"] = Value::Null;
    fs::write(&path, doc.to_string()).unwrap();
    let s = summarise(&crit, &tmp.path().join("out"), "new");
    let t = table(&s, "cpu/fib");
    assert_eq!(t["interleaved"], true);
    assert!(t["drift"].is_null(), "{}", t["drift"]);
}
