//! The summary reads each baseline's own side files, keeps rows measured with other settings
//! apart, and draws speed-ups and drift from a group's interleaved rounds (`cb-rounds.json`) —
//! paired only where the rounds hold both sides' samples, and said so per row.

use std::fs;
use std::path::Path;

use crate::util::*;
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
fn a_drifted_group_keeps_its_paired_findings_and_says_the_machine_changed_speed() {
    let (tmp, crit) = fixture_copy("drifted");
    // The machine slows down by 30% halfway through the group; within a round every strategy
    // is exactly 2x faster than sequential, which pairing by round keeps exact.
    write_rounds(&crit, "cpu_fib", 20, |f, r| {
        let speed = if r < 10 { 1.0 } else { 1.3 };
        let own = if f == "sequential" { 2e8 } else { 1e8 };
        own * speed * (1.0 + 0.002 * (r % 4) as f64)
    });
    let out = tmp.path().join("out");
    let s = summarise(&crit, &out, "new");
    let t = table(&s, "cpu/fib");
    assert_eq!(t["drift"]["drifted"], true, "{}", t["drift"]);
    assert_eq!(t["interleaved"], true);
    let rayon = row(t, "rayon");
    assert_eq!(rayon["pairing"], "paired");
    assert_eq!(rayon["speedup"]["lower"], 2.0, "{}", rayon["speedup"]);
    assert_eq!(rayon["speedup"]["upper"], 2.0, "{}", rayon["speedup"]);
    // The findings stay, after the note on the machine.
    assert!(!t["advice"]["fastest"].is_null());
    let sentences = t["advice"]["sentences"].as_array().unwrap();
    let note = sentences[0].as_str().unwrap();
    assert!(
        note.starts_with("The machine changed speed during cpu/fib: `sequential` took ")
            && note.ends_with("the speed-ups and leads are paired by round, which cancels a change that hits both sides of a round alike."),
        "{note}"
    );
    assert!(sentences[1]
        .as_str()
        .unwrap()
        .starts_with("Fastest for cpu/fib: "));
    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("- The machine changed speed during cpu/fib: "));
    assert!(!md.contains("No findings"));
    // Paired everywhere: no mark and no note.
    assert!(t["unpaired"].as_array().unwrap().is_empty());
    let fib = md_section(&md, "cpu/fib");
    assert!(
        !fib.contains("paired") && !fib.contains("separate runs"),
        "{fib}"
    );
    // The undisturbed group has no note.
    let other = table(&s, "cpu/sum_of_squares");
    assert!(!other["advice"]["sentences"]
        .to_string()
        .contains("changed speed"));
}

/// Replaces `function`'s `sample.json` and estimates in `group_dir` with eleven samples around
/// `median_ns` that no rounds hold: measured again by a later run.
fn measure_again(crit: &Path, group_dir: &str, function: &str, median_ns: f64) -> Vec<f64> {
    let bench = crit.join(group_dir).join(function);
    set_median(&bench, median_ns, median_ns * 0.98, median_ns * 1.02);
    let sample = read_json(&bench.join("new/sample.json"));
    serde_json::from_value(sample["times"].clone()).unwrap()
}

/// The section of `summary.md` under the heading `## {title}`, up to the next one.
fn md_section<'a>(md: &'a str, title: &str) -> &'a str {
    let start = md.find(&format!("\n## {title}\n")).expect("a section") + 1;
    let len = md[start + 3..]
        .find("\n## ")
        .map_or(md.len() - start, |i| i + 3);
    &md[start..start + len]
}

/// The `<tr>` of `function` in the HTML table of `group`.
fn html_row<'a, 'i>(
    doc: &'a roxmltree::Document<'i>,
    group: &str,
    function: &str,
) -> roxmltree::Node<'a, 'i> {
    let section = by_class(doc.root(), "workload")
        .into_iter()
        .find(|s| s.attribute("data-group") == Some(group))
        .unwrap();
    section
        .descendants()
        .find(|n| n.has_tag_name("tr") && n.attribute("data-function") == Some(function))
        .unwrap_or_else(|| panic!("no row {function}"))
}

#[test]
fn a_strategy_measured_after_the_rounds_is_not_paired_and_the_others_are() {
    let (tmp, crit) = fixture_copy("newer-than-rounds");
    write_rounds(&crit, "cpu_fib", 12, |f, r| {
        let own = if f == "sequential" { 2e8 } else { 1e8 };
        own * (1.0 + 0.002 * (r % 4) as f64)
    });
    // rayon measured again since, by a run that left the rounds as they were.
    measure_again(&crit, "cpu_fib", "rayon", 0.9e8);
    let out = tmp.path().join("out");
    let s = summarise(&crit, &out, "new");
    let t = table(&s, "cpu/fib");
    assert_eq!(t["interleaved"], false);
    assert_eq!(row(t, "sequential")["pairing"], Value::Null);
    for r in t["rows"].as_array().unwrap() {
        let expected = match r["function"].as_str().unwrap() {
            "sequential" => Value::Null,
            "rayon" => "separate_runs".into(),
            _ => "paired".into(),
        };
        assert_eq!(r["pairing"], expected, "{}", r["function"]);
    }
    let notes = t["unpaired"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["pairing"], "separate_runs");
    assert_eq!(notes[0]["functions"], json!(["rayon"]));
    let sentence = notes[0]["sentence"].as_str().unwrap();
    assert!(
        sentence.starts_with("Speed-ups from separate runs in cpu/fib: `rayon` — the group's latest rounds (`cb-rounds.json`) hold the samples of `sequential` but not of `rayon`"),
        "{sentence}"
    );
    // A mark on rayon's speed-up alone, and the sentence under the table, in every format.
    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    let fib = md_section(&md, "cpu/fib");
    assert_eq!(fib.matches(", separate runs |").count(), 1, "{fib}");
    assert_eq!(fib.matches(", not paired |").count(), 0, "{fib}");
    assert!(fib.contains("- Speed-ups from separate runs in cpu/fib: `rayon` — "));
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    let doc = parse_html(&html);
    let rayon = html_row(&doc, "cpu/fib", "rayon");
    assert_eq!(rayon.attribute("data-pairing"), Some("separate_runs"));
    let mark = by_class(rayon, "unpaired");
    assert_eq!(mark[0].text(), Some("separate runs"));
    assert!(by_class(html_row(&doc, "cpu/fib", "thread_pool"), "unpaired").is_empty());
    let li = by_class(doc.root(), "unpaired")
        .into_iter()
        .find(|n| n.has_tag_name("li"))
        .unwrap();
    assert_eq!(li.attribute("data-pairing"), Some("separate_runs"));
}

#[test]
fn a_filtered_run_pairs_nothing_with_the_older_reference() {
    // A full run, then `cargo bench --bench cpu -- fib/rayon`: the bench rewrites the group's
    // rounds with rayon's alone (`"reference": null`) and Criterion rayon's samples; the other
    // strategies' samples, sequential's among them, are the full run's.
    let (tmp, crit) = fixture_copy("filtered-run");
    write_rounds(&crit, "cpu_fib", 12, |f, r| {
        let own = if f == "sequential" { 2e8 } else { 1e8 };
        own * (1.0 + 0.002 * (r % 4) as f64)
    });
    let times = measure_again(&crit, "cpu_fib", "rayon", 0.9e8);
    let doc = json!({
        "schema": 1, "group": "cpu/fib", "reference": null, "seed": 10,
        "rounds": times.iter().map(|ns| json!({
            "order": ["rayon"], "samples": [{"function": "rayon", "iters": 1, "ns": ns}],
        })).collect::<Vec<_>>(),
    });
    fs::write(crit.join("cpu_fib/new/cb-rounds.json"), doc.to_string()).unwrap();
    let out = tmp.path().join("out");
    let s = summarise(&crit, &out, "new");
    let t = table(&s, "cpu/fib");
    // Not measured in one run's rounds, whatever the file's presence suggests; no drift.
    assert_eq!(t["interleaved"], false);
    assert!(t["drift"].is_null(), "{}", t["drift"]);
    assert_eq!(row(t, "rayon")["pairing"], "separate_runs");
    assert_eq!(row(t, "thread_pool")["pairing"], "outside_rounds");
    let reasons: Vec<&Value> = t["unpaired"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["pairing"])
        .collect();
    assert_eq!(reasons, ["separate_runs", "outside_rounds"]);
    let separate = t["unpaired"][0]["sentence"].as_str().unwrap();
    assert!(
        separate.contains("hold the samples of `rayon` but not of `sequential`"),
        "{separate}"
    );
    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    let fib = md_section(&md, "cpu/fib");
    assert_eq!(fib.matches(", separate runs |").count(), 1, "{fib}");
    assert_eq!(fib.matches(", not paired |").count(), 8, "{fib}");
}

#[test]
fn a_strategy_that_fell_back_is_not_paired() {
    let (tmp, crit) = fixture_copy("fallback");
    write_rounds(&crit, "cpu_fib", 12, |f, r| {
        let own = if f == "sequential" { 2e8 } else { 1e8 };
        own * (1.0 + 0.002 * (r % 4) as f64)
    });
    // process_pool could not be replayed: Criterion measured it live after the rounds.
    let path = crit.join("cpu_fib/new/cb-rounds.json");
    let mut doc: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    doc["fallback"] = json!(["process_pool"]);
    fs::write(&path, doc.to_string()).unwrap();
    measure_again(&crit, "cpu_fib", "process_pool", 1.1e8);
    let s = summarise(&crit, &tmp.path().join("out"), "new");
    let t = table(&s, "cpu/fib");
    assert_eq!(row(t, "process_pool")["pairing"], "fallback");
    assert_eq!(row(t, "rayon")["pairing"], "paired");
    let sentence = t["unpaired"][0]["sentence"].as_str().unwrap();
    assert!(
        sentence.starts_with("Speed-ups not paired in cpu/fib: `process_pool` — measured in one run, but `process_pool` could not be replayed into Criterion and was measured live after the rounds"),
        "{sentence}"
    );
}

#[test]
fn cpu_time_in_the_rounds_becomes_cpu_per_iteration_and_cores_busy_with_a_sentence() {
    let (tmp, crit) = fixture_copy("cpu-time");
    // Every strategy 2x faster than sequential; rayon spends twice its wall time in CPU (two
    // cores busy), the others as much as their wall time (one core). Whole 10 ms ticks.
    write_rounds(&crit, "cpu_fib", 10, |f, _| {
        if f == "sequential" {
            2e8
        } else {
            1e8
        }
    });
    let rounds_file = crit.join("cpu_fib/new/cb-rounds.json");
    let mut doc = read_json(&rounds_file);
    for round in doc["rounds"].as_array_mut().unwrap() {
        for sample in round["samples"].as_array_mut().unwrap() {
            let wall = sample["ns"].as_f64().unwrap();
            let busy = if sample["function"] == "rayon" {
                2.0
            } else {
                1.0
            };
            let cpu = (wall * busy) as i64;
            sample["cpu"] = json!({
                "tick_ns": 10_000_000,
                "client": {"user_ns": cpu - 10_000_000, "system_ns": 10_000_000},
                "workers": {"user_ns": 0, "system_ns": 0},
            });
        }
    }
    fs::write(&rounds_file, doc.to_string()).unwrap();
    let out = tmp.path().join("out");
    let s = summarise(&crit, &out, "new");
    let t = table(&s, "cpu/fib");
    let cores = |f: &str| {
        row(t, f)["cpu"]["total"]["cores"]["point"]
            .as_f64()
            .unwrap()
    };
    assert!(
        (cores("rayon") - 2.0).abs() < 1e-9,
        "{}",
        row(t, "rayon")["cpu"]
    );
    assert!((cores("sequential") - 1.0).abs() < 1e-9);
    let per_iteration = &row(t, "sequential")["cpu"]["client"]["per_iteration_ns"];
    assert_eq!(per_iteration["point"], 2e8, "{per_iteration}");
    assert!(
        row(t, "sequential")["cpu"]["server"].is_null(),
        "no server in CPU work"
    );
    let sentences = t["advice"]["sentences"].to_string();
    assert!(
        sentences.contains("Cores kept busy in cpu/fib (of 2;")
            && sentences.contains("`rayon` 2.0;"),
        "{sentences}"
    );
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    let doc = parse_html(&html);
    let cells: Vec<_> = by_class(doc.root(), "cores")
        .into_iter()
        .filter(|n| n.has_tag_name("td"))
        .collect();
    assert_eq!(
        cells.len(),
        t["rows"].as_array().unwrap().len(),
        "a cores cell per row"
    );
    let markdown = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(markdown.contains("| cores busy (95% CI) |"), "{markdown}");
    assert!(markdown.contains("200 ms (200 ms client)"), "{markdown}");
}
