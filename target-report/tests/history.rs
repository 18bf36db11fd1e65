//! `record` and `history`: atomic appends, corrupt lines, and step detection end to end.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Command;

use crate::util::*;
use target_report::history::{self, BenchRecord, Record};
use target_report::stats::SplitMix64;

/// A record on a 2-core test machine.
fn record_with(commit: &str, benchmarks: Vec<BenchRecord>) -> Record {
    history_record(commit, 2, benchmarks)
}

fn bench(id: &str, median: f64) -> BenchRecord {
    BenchRecord {
        id: id.into(),
        median_ns: median,
        lower_ns: median * 0.99,
        upper_ns: median * 1.01,
        samples: 10,
        sample_fingerprint: None,
    }
}

#[test]
fn record_appends_one_tagged_line_per_run() {
    let tmp = TempDir::new("record");
    let hist = tmp.path().join("history.jsonl");
    // Run from inside the workspace so the record carries this checkout's commit.
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let record = || {
        run_in(
            crate_dir,
            &[
                "record",
                "--criterion-dir",
                p(&fixture()),
                "--history",
                p(&hist),
            ],
        )
    };
    let o = record();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("recorded 30 benchmarks at "));
    // The same Criterion run recorded again is the same run: skipped with a notice.
    for _ in 0..2 {
        let o = record();
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(
            stdout(&o),
            format!(
                "not recorded: this run (the same Criterion samples) is already in {} at line 1\n",
                hist.display()
            )
        );
    }
    let text = fs::read_to_string(&hist).unwrap();
    assert_eq!(text.lines().count(), 1);
    assert!(text.ends_with('\n'));
    let head = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(crate_dir)
        .output()
        .unwrap();
    let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
    for line in text.lines() {
        let r: Record = serde_json::from_str(line).unwrap();
        assert_eq!(r.git.commit.as_deref(), Some(head.as_str()));
        assert!(r.git.commit_date.is_some() && r.git.dirty.is_some());
        assert!(r.machine.cores >= 1 && !r.machine.cpu_model.is_empty());
        assert_eq!(r.benchmarks.len(), 30);
        // The recorded median is Criterion's estimate for the latest run (`new/`).
        let b = r
            .benchmarks
            .iter()
            .find(|b| b.id == "io/download/thread_pool")
            .unwrap();
        let est = read_json(&fixture().join("io_download/thread_pool/new/estimates.json"));
        assert_eq!(
            b.median_ns,
            est["median"]["point_estimate"].as_f64().unwrap()
        );
    }
}

#[test]
fn concurrent_appends_never_interleave() {
    let tmp = TempDir::new("concurrent");
    let hist = tmp.path().join("h.jsonl");
    // Large records (many benchmarks) make a torn or interleaved write likely if appends were
    // not atomic.
    let big: Vec<BenchRecord> = (0..300)
        .map(|i| bench(&format!("g/f{i}"), 1e6 + i as f64))
        .collect();
    std::thread::scope(|s| {
        for t in 0..8 {
            let hist = &hist;
            let big = big.clone();
            s.spawn(move || {
                for i in 0..15 {
                    history::append(hist, &record_with(&format!("c{t}-{i}"), big.clone())).unwrap();
                }
            });
        }
    });
    let loaded = history::load(&hist).unwrap();
    assert!(loaded.corrupt.is_empty(), "{:?}", loaded.corrupt);
    assert_eq!(loaded.records.len(), 8 * 15);
}

#[test]
fn a_torn_line_is_skipped_with_its_number_and_never_rewritten() {
    let tmp = TempDir::new("torn");
    let hist = tmp.path().join("h.jsonl");
    history::append(&hist, &record_with("aaaaaaa1", vec![bench("g/f", 1e6)])).unwrap();
    // A writer killed mid-line leaves a line without its end.
    let torn = r#"{"schema":1,"recorded_at":"2026-11-28T00:00:00Z","commit":"bbb"#;
    fs::OpenOptions::new()
        .append(true)
        .open(&hist)
        .unwrap()
        .write_all(torn.as_bytes())
        .unwrap();
    history::append(&hist, &record_with("ccccccc3", vec![bench("g/f", 1.1e6)])).unwrap();

    let text = fs::read_to_string(&hist).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1], torn, "the damaged line is kept as it was");
    let loaded = history::load(&hist).unwrap();
    assert_eq!(loaded.records.len(), 2);
    assert_eq!(loaded.corrupt.len(), 1);
    assert_eq!(loaded.corrupt[0].0, 2);

    let out = tmp.path().join("out");
    let o = run(&["history", "--history", p(&hist), "--out", p(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("{}:2: corrupt line skipped", hist.display())),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(&hist).unwrap(),
        text,
        "history is read-only for `history`"
    );
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    let doc = parse_html(&html);
    let skipped: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.attribute("data-line"))
        .collect();
    assert_eq!(skipped, ["2"]);
}

#[test]
fn history_marks_a_real_step_and_not_the_noise() {
    let tmp = TempDir::new("steps");
    let hist = tmp.path().join("h.jsonl");
    let mut rng = SplitMix64::new(42);
    for i in 0..16 {
        let noise = |rng: &mut SplitMix64| 1.0 + 0.02 * rng.normal();
        let stepped = 2e6 * noise(&mut rng) * if i >= 9 { 1.2 } else { 1.0 };
        let flat = 5e5 * noise(&mut rng);
        history::append(
            &hist,
            &record_with(
                &format!("{i:07x}deadbeef"),
                vec![
                    bench("io/download/stepped", stepped),
                    bench("cpu/fib/flat", flat),
                ],
            ),
        )
        .unwrap();
    }
    let out = tmp.path().join("out");
    let o = run(&["history", "--history", p(&hist), "--out", p(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("1 step changes"), "{}", stdout(&o));

    let html = fs::read_to_string(out.join("index.html")).unwrap();
    let doc = parse_html(&html);
    let row = |id: &str| {
        doc.descendants()
            .find(|n| n.attribute("data-benchmark") == Some(id))
            .unwrap()
            .descendants()
            .filter(|n| n.is_text())
            .map(|n| n.text().unwrap())
            .collect::<String>()
    };
    let stepped = row("io/download/stepped");
    // Record 10 (index 9) is the first slow one; its label is the commit's first 7 characters.
    assert!(stepped.contains("at 0000009 (record 10)"), "{stepped}");
    assert!(stepped.contains("+2"), "a ~20% step: {stepped}");
    assert!(row("cpu/fib/flat").ends_with("none"));

    // Each chart is a standalone, well-formed SVG linked from the index.
    let imgs: Vec<String> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "img")
        .map(|n| n.attribute("src").unwrap().to_string())
        .collect();
    assert_eq!(imgs.len(), 2);
    for src in &imgs {
        let svg = fs::read_to_string(out.join(src)).unwrap();
        let chart = roxmltree::Document::parse(&svg).unwrap();
        let steps = chart
            .descendants()
            .filter(|n| n.attribute("class") == Some("step"))
            .count();
        assert_eq!(steps, usize::from(src.contains("stepped")), "{src}");
    }
}

#[test]
fn the_same_run_is_found_by_fingerprint_or_for_old_records_by_its_numbers() {
    let fp = |b: BenchRecord, f: &str| BenchRecord {
        sample_fingerprint: Some(f.into()),
        ..b
    };
    let run = vec![fp(bench("g/a", 1e6), "aa"), fp(bench("g/b", 2e6), "bb")];
    let records = vec![
        (
            1,
            record_with(
                "c1",
                vec![fp(bench("g/a", 1e6), "xx"), fp(bench("g/b", 2e6), "bb")],
            ),
        ),
        // An older record without fingerprints, holding the same numbers.
        (
            2,
            record_with("c1", vec![bench("g/b", 2e6), bench("g/a", 1e6)]),
        ),
    ];
    // Line 1 has the same numbers but another fingerprint for g/a: another run that happened
    // to give equal medians. Line 2 cannot say, so its numbers decide.
    assert_eq!(history::find_same_run(&records, &run), Some(2));
    assert_eq!(history::find_same_run(&records[..1], &run), None);
    // A different median, or a record with fewer or more benchmarks, is not the same run.
    let other = vec![bench("g/a", 1e6), bench("g/b", 2.1e6)];
    assert_eq!(history::find_same_run(&records, &other), None);
    assert_eq!(history::find_same_run(&records, &run[..1]), None);
}

#[test]
fn a_fingerprint_changes_with_any_time_or_iteration_count() {
    use target_report::criterion::SavedSample;
    let s = SavedSample {
        sampling_mode: "Linear".into(),
        iters: vec![1.0, 2.0],
        times: vec![10.0, 20.0],
    };
    let f = history::sample_fingerprint(&s);
    assert_eq!(f.len(), 16);
    assert_eq!(f, history::sample_fingerprint(&s.clone()));
    let mut t = s.clone();
    t.times[1] = 20.000001;
    assert_ne!(f, history::sample_fingerprint(&t));
    let mut i = s.clone();
    i.iters.swap(0, 1);
    assert_ne!(f, history::sample_fingerprint(&i));
}

#[test]
fn old_lines_still_read_and_new_fields_are_optional() {
    let tmp = TempDir::new("oldline");
    let hist = tmp.path().join("h.jsonl");
    // A line as `record` wrote it before fingerprints, origins and statuses.
    let old = r#"{"schema":1,"recorded_at":"2026-11-01T00:00:00Z","commit":"abc","commit_date":null,"dirty":false,"machine":{"cpu_model":"c","cores":2,"os":"linux/x86_64"},"benchmarks":[{"id":"g/f","median_ns":5.0,"lower_ns":4.0,"upper_ns":6.0,"samples":10}]}"#;
    fs::write(&hist, format!("{old}\n")).unwrap();
    let loaded = history::load(&hist).unwrap();
    assert!(loaded.corrupt.is_empty(), "{:?}", loaded.corrupt);
    let r = &loaded.records[0].1;
    assert_eq!(
        (
            r.origin.as_ref(),
            r.status,
            r.benchmarks[0].sample_fingerprint.as_ref()
        ),
        (None, None, None)
    );
    // And a record written now without them serializes to the old shape.
    let line = serde_json::to_string(&record_with("abc", vec![bench("g/f", 5.0)])).unwrap();
    for field in ["origin", "status", "reason", "sample_fingerprint"] {
        assert!(!line.contains(field), "{line}");
    }
}

/// The rows' `data-noise` per benchmark id of a rendered history page.
fn noise_sources(out: &Path) -> Vec<(String, String)> {
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    let doc = parse_html(&html);
    doc.descendants()
        .filter_map(|n| {
            Some((
                n.attribute("data-benchmark")?.to_string(),
                n.attribute("data-noise")?.to_string(),
            ))
        })
        .collect()
}

#[test]
fn the_step_detector_uses_calibration_then_repeated_runs_then_the_series() {
    let tmp = TempDir::new("noise");
    let hist = tmp.path().join("h.jsonl");
    // Three runs of one commit (one machine, clean tree) of g/rep and g/cal; g/own is
    // measured once at each of three other commits.
    for m in [1.00, 1.05, 0.97] {
        let r = record_with(
            "same",
            vec![bench("g/rep", 1e6 * m), bench("g/cal", 2e6 * m)],
        );
        history::append(&hist, &r).unwrap();
    }
    for (i, m) in [1.00, 1.01, 1.02].iter().enumerate() {
        let r = record_with(&format!("c{i}"), vec![bench("g/own", 1e6 * m)]);
        history::append(&hist, &r).unwrap();
    }
    let cal = tmp.path().join("cb-calibration.json");
    fs::write(
        &cal,
        r#"{"schema":1,"runs":5,"created_at":"2026-11-28T00:00:00Z","benchmarks":{"g/cal":{"sd_log":0.04,"runs":5}}}"#,
    )
    .unwrap();
    let out = tmp.path().join("out");
    let o = run(&[
        "history",
        "--history",
        p(&hist),
        "--out",
        p(&out),
        "--calibration",
        p(&cal),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let sources = noise_sources(&out);
    assert_eq!(
        sources,
        [
            ("g/cal".to_string(), "calibration".to_string()),
            ("g/own".to_string(), "series".to_string()),
            ("g/rep".to_string(), "history".to_string()),
        ]
    );
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    let text: String = parse_html(&html)
        .descendants()
        .filter_map(|n| n.text())
        .collect();
    // The page says which source each scale came from, and the calibration's σ is the one used.
    for says in [
        "1 benchmarks: the run-to-run σ measured by `target-report calibrate`",
        "1 benchmarks: the run-to-run σ of repeated runs of one commit",
        "1 benchmarks: the series' own successive differences",
        "4.0% (calibration (5 runs))",
        "(history (3 runs))",
    ] {
        assert!(text.contains(says), "{says}: {text}");
    }

    // Without the calibration, g/cal has three runs of one commit too.
    let o = run(&["history", "--history", p(&hist), "--out", p(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        noise_sources(&out)[0],
        ("g/cal".to_string(), "history".to_string())
    );
}

#[test]
fn a_commit_that_did_not_build_is_a_gap_on_the_page() {
    let tmp = TempDir::new("gap");
    let hist = tmp.path().join("h.jsonl");
    history::append(&hist, &record_with("aaaaaaa1", vec![bench("g/f", 1e6)])).unwrap();
    let mut failed = record_with("bbbbbbb2", vec![]);
    failed.status = Some(history::Status::BuildFailed);
    failed.reason = Some("`cargo bench --no-run` failed".into());
    history::append(&hist, &failed).unwrap();
    history::append(&hist, &record_with("ccccccc3", vec![bench("g/f", 1.1e6)])).unwrap();
    let out = tmp.path().join("out");
    let o = run(&["history", "--history", p(&hist), "--out", p(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    let doc = parse_html(&html);
    let gap = doc
        .descendants()
        .find(|n| n.attribute("data-unmeasured").is_some())
        .unwrap();
    assert_eq!(gap.attribute("data-unmeasured"), Some("bbbbbbb"));
    let text: String = gap.descendants().filter_map(|n| n.text()).collect();
    assert!(
        text.contains("record 2") && text.contains("build failed"),
        "{text}"
    );
}
