//! `record` and `history`: atomic appends, corrupt lines, and step detection end to end.

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Command;

use common::*;
use target_report::history::{self, BenchRecord, Record};
use target_report::machine::{GitInfo, Machine};
use target_report::stats::SplitMix64;

fn record_with(commit: &str, benchmarks: Vec<BenchRecord>) -> Record {
    Record {
        schema: 1,
        recorded_at: "2026-11-28T00:00:00Z".into(),
        git: GitInfo {
            commit: Some(commit.into()),
            commit_date: Some("2026-11-27T12:00:00+00:00".into()),
            dirty: Some(false),
        },
        machine: Machine {
            cpu_model: "test cpu".into(),
            cores: 2,
            os: "linux/x86_64".into(),
        },
        benchmarks,
        origin: None,
        status: None,
        reason: None,
    }
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
