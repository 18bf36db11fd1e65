//! `target-report summary` over the committed real Criterion run.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use crate::util::*;
use serde_json::Value;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

fn summarise(crit: &Path, out: &Path) -> Value {
    let o = run(&["summary", "--criterion-dir", p(crit), "--out", p(out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    read_json(&out.join("summary.json"))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn tables_speedups_and_efficiency_are_computed_from_criterion_json() {
    let (tmp, crit) = fixture_copy("sum-numbers");
    let out = tmp.path().join("out");
    let s = summarise(&crit, &out);
    let tables = s["tables"].as_array().unwrap();
    let groups: Vec<&str> = tables
        .iter()
        .map(|t| t["group"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["cpu/fib", "cpu/sum_of_squares", "io/download"]);

    let dirs = bench_dirs(&crit);
    for t in tables {
        let rows = t["rows"].as_array().unwrap();
        let group_dir = t["group"].as_str().unwrap().replace('/', "_");
        let expected = dirs
            .iter()
            .filter(|d| d.starts_with(&format!("{group_dir}/")))
            .count();
        assert_eq!(
            rows.len(),
            expected,
            "every strategy of {group_dir} is a row"
        );
        assert_eq!(expected, 10);

        // Fastest first.
        let medians: Vec<f64> = rows.iter().map(|r| f(&r["median_ns"]["point"])).collect();
        assert!(medians.windows(2).all(|w| w[0] <= w[1]), "{medians:?}");

        let seq = rows.iter().find(|r| r["function"] == "sequential").unwrap();
        let seq_median = f(&bench_file(&crit, seq, "estimates.json")["median"]["point_estimate"]);
        for r in rows {
            row_follows_its_files(&crit, r, seq_median);
        }
        advice_follows_the_numbers(t);
    }
    // The Markdown file has the same tables.
    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    for t in tables {
        assert!(md.contains(&format!(
            "## {}",
            t["group"].as_str().unwrap().replace('_', "\\_")
        )));
    }
}

/// A row's `new/<file>` in its benchmark directory, as JSON.
fn bench_file(crit: &Path, row: &Value, file: &str) -> Value {
    read_json(
        &crit
            .join(row["dir"].as_str().unwrap())
            .join("new")
            .join(file),
    )
}

/// A row's median and interval are Criterion's; its speed-up, throughput and I/O efficiency
/// are computed from them, the benchmark's throughput and its `cb-meta.json`.
fn row_follows_its_files(crit: &Path, r: &Value, seq_median: f64) {
    let e = bench_file(crit, r, "estimates.json");
    let m = f(&e["median"]["point_estimate"]);
    assert_eq!(f(&r["median_ns"]["point"]), m);
    assert_eq!(
        f(&r["median_ns"]["lower"]),
        f(&e["median"]["confidence_interval"]["lower_bound"])
    );
    assert_eq!(
        f(&r["median_ns"]["upper"]),
        f(&e["median"]["confidence_interval"]["upper_bound"])
    );

    // Speed-up = median(sequential) / median(strategy), with an interval around it.
    if r["function"] == "sequential" {
        assert!(r["speedup"].is_null(), "sequential is the reference");
    } else {
        let sp = &r["speedup"];
        assert!(close(f(&sp["point"]), seq_median / m), "{}: {sp}", r["id"]);
        assert!(f(&sp["lower"]) <= f(&sp["upper"]));
    }

    // Throughput = elements per iteration / median.
    let n = f(&bench_file(crit, r, "benchmark.json")["throughput"]["Elements"]);
    assert!(close(
        f(&r["throughput"]["per_second"]["point"]),
        n * 1e9 / m
    ));

    // I/O efficiency = ⌈N/C⌉·L / median, from cb-meta.json.
    let meta = bench_file(crit, r, "cb-meta.json");
    if meta["kind"] == "io" {
        let waves = (f(&meta["jobs"]) / f(&meta["concurrency"])).ceil();
        let ideal = waves * f(&meta["latency_ms"]) * 1e6;
        assert!(close(f(&r["efficiency"]["ideal_ns"]), ideal));
        assert!(close(f(&r["efficiency"]["ratio"]["point"]), ideal / m));
        // The fixture's meta also carries the measured server latency.
        let ideal2 = waves * f(&meta["server_latency_ms"]) * 1e6;
        assert!(close(
            f(&r["efficiency_measured_latency"]["ratio"]["point"]),
            ideal2 / m
        ));
    } else {
        assert!(r["efficiency"].is_null());
    }
}

/// "Which to use" follows the numbers: the fastest is the first row, and the "no better than
/// sequential" list is exactly the strategies whose speed-up interval reaches 1×.
fn advice_follows_the_numbers(t: &Value) {
    let rows = t["rows"].as_array().unwrap();
    let advice = &t["advice"];
    assert_eq!(advice["fastest"], rows[0]["function"]);
    let no_better: BTreeSet<&str> = advice["no_better_than_sequential"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[0].as_str().unwrap())
        .collect();
    let expected: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r["function"] != "sequential" && f(&r["speedup"]["lower"]) <= 1.0)
        .map(|r| r["function"].as_str().unwrap())
        .collect();
    assert_eq!(no_better, expected);
    let first = advice["sentences"][0].as_str().unwrap();
    assert!(first.contains(&format!("`{}`", rows[0]["function"].as_str().unwrap())));
}

fn tag<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Vec<roxmltree::Node<'a, 'i>> {
    node.descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == name)
        .collect()
}

#[test]
fn html_has_every_group_strategy_timeline_and_working_links() {
    let (tmp, crit) = fixture_copy("sum-html");
    // One Criterion page and one violin plot are missing: they must not be linked.
    fs::remove_file(crit.join("io_download/rayon/report/index.html")).unwrap();
    fs::remove_file(crit.join("cpu_fib/report/violin.svg")).unwrap();
    let out = tmp.path().join("out");
    summarise(&crit, &out);
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    // A strict XML parser: the page must also be well-formed.
    let doc = parse_html(&html);
    let root = doc.root_element();

    phone_readable_and_self_contained(root);

    // Every group has a section; every strategy a row and a timeline with one bar per job.
    let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for d in bench_dirs(&crit) {
        let meta = read_json(&crit.join(&d).join("new/cb-meta.json"));
        expected
            .entry(meta["group"].as_str().unwrap().to_string())
            .or_default()
            .insert(meta["function"].as_str().unwrap().to_string());
    }
    let sections = by_class(root, "workload");
    let found: BTreeSet<String> = sections
        .iter()
        .map(|s| s.attribute("data-group").unwrap().to_string())
        .collect();
    assert_eq!(found, expected.keys().cloned().collect());
    for s in &sections {
        let group = s.attribute("data-group").unwrap();
        a_row_and_a_timeline_per_strategy(*s, &expected[group], &crit);
        // The violin link exists unless its file is missing.
        let violins = by_class(*s, "violin");
        assert_eq!(violins.len(), usize::from(group != "cpu/fib"), "{group}");
    }
    // 30 Criterion pages minus the removed one, plus 2 of 3 violin plots, plus a trace per
    // strategy and per workload.
    assert_eq!(links_resolve(root, &out), 29 + 2 + 30 + 3);
    // The row whose page is missing shows its name without a link.
    let io = sections
        .iter()
        .find(|s| s.attribute("data-group") == Some("io/download"))
        .unwrap();
    let rayon = tag(*io, "tr")
        .into_iter()
        .find(|r| r.attribute("data-function") == Some("rayon"))
        .unwrap();
    assert!(tag(rayon, "a").is_empty());
}

/// A viewport for phones, one inline stylesheet, no script and nothing external.
fn phone_readable_and_self_contained(root: roxmltree::Node) {
    let metas = tag(root, "meta");
    assert!(metas.iter().any(|m| m.attribute("name") == Some("viewport")
        && m.attribute("content")
            .unwrap()
            .contains("width=device-width")));
    assert!(tag(root, "script").is_empty());
    assert!(tag(root, "link").is_empty(), "no external stylesheet");
    assert_eq!(tag(root, "style").len(), 1);
}

/// A workload's section: a row per strategy with the median, throughput and speed-up cells (I/O
/// adds efficiency), and a timeline per strategy with one bar per job.
fn a_row_and_a_timeline_per_strategy(
    section: roxmltree::Node,
    functions: &BTreeSet<String>,
    crit: &Path,
) {
    let group = section.attribute("data-group").unwrap();
    let table = by_class(section, "results");
    assert_eq!(table.len(), 1);
    let rows: Vec<_> = tag(table[0], "tr")
        .into_iter()
        .filter(|r| r.attribute("data-function").is_some())
        .collect();
    let found: BTreeSet<String> = rows
        .iter()
        .map(|r| r.attribute("data-function").unwrap().to_string())
        .collect();
    assert_eq!(&found, functions, "{group}");
    for r in &rows {
        for c in ["median", "throughput", "speedup"] {
            assert_eq!(by_class(*r, c).len(), 1, "{group} {c}");
        }
        assert_eq!(
            by_class(*r, "efficiency").len(),
            usize::from(group.starts_with("io/"))
        );
    }
    let figures = by_class(section, "timeline");
    assert_eq!(figures.len(), functions.len());
    for fig in figures {
        let function = fig.attribute("data-function").unwrap();
        let dir = format!("{}/{function}", group.replace('/', "_"));
        let timeline = read_json(&crit.join(dir).join("new/cb-timeline.json"));
        let jobs = timeline["spans"].as_array().unwrap().len();
        let svg = tag(fig, "svg");
        assert_eq!(svg.len(), 1);
        // One bar per job plus the frame.
        assert_eq!(tag(svg[0], "rect").len(), jobs + 1, "{group}/{function}");
    }
}

/// Every link resolves: anchors to an id in the page, files relative to `out`. Returns how
/// many files are linked.
fn links_resolve(root: roxmltree::Node, out: &Path) -> usize {
    let ids: BTreeSet<&str> = root
        .descendants()
        .filter_map(|n| n.attribute("id"))
        .collect();
    let mut files = 0;
    for a in tag(root, "a") {
        let href = a.attribute("href").unwrap();
        assert!(!href.contains("://"), "no network: {href}");
        if let Some(anchor) = href.strip_prefix('#') {
            assert!(ids.contains(anchor), "anchor {href}");
        } else {
            assert!(out.join(href).is_file(), "link target {href} exists");
            files += 1;
        }
    }
    files
}

#[test]
fn partial_runs_are_summarised_with_what_is_missing() {
    let (tmp, crit) = fixture_copy("sum-partial");
    // No sequential for I/O, rayon without estimates, a strategy with only its meta (skipped by
    // the bench), and a benchmark without its timeline.
    fs::remove_dir_all(crit.join("io_download/sequential")).unwrap();
    fs::remove_file(crit.join("cpu_fib/rayon/new/estimates.json")).unwrap();
    let extra = crit.join("cpu_fib/extra/new");
    fs::create_dir_all(&extra).unwrap();
    let mut meta = read_json(&crit.join("cpu_fib/rayon/new/cb-meta.json"));
    meta["function"] = "extra".into();
    meta["skipped"] = "needs 4 cores".into();
    fs::write(extra.join("cb-meta.json"), meta.to_string()).unwrap();
    fs::remove_file(crit.join("cpu_sum_of_squares/thread_pool/new/cb-timeline.json")).unwrap();

    let out = tmp.path().join("out");
    let s = summarise(&crit, &out);
    let table = |g: &str| {
        s["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["group"] == g)
            .unwrap()
            .clone()
    };

    let io = table("io/download");
    assert_eq!(io["rows"].as_array().unwrap().len(), 9);
    assert!(io["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["speedup"].is_null()));
    assert!(io["notes"][0].as_str().unwrap().contains("No `sequential`"));
    assert!(io["advice"]["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x.as_str().unwrap().contains("cannot be judged")));

    let fib = table("cpu/fib");
    assert_eq!(fib["rows"].as_array().unwrap().len(), 9);
    let unmeasured: BTreeMap<&str, &Value> = fib["unmeasured"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["function"].as_str().unwrap(), u))
        .collect();
    assert_eq!(unmeasured.len(), 2);
    assert_eq!(unmeasured["rayon"]["missing"][0], "new/estimates.json");
    assert_eq!(unmeasured["extra"]["skipped"], "needs 4 cores");

    let missing: Vec<&str> = s["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert_eq!(
        missing,
        [
            "cpu/fib: not measured `extra` (skipped: needs 4 cores), `rayon` (missing new/estimates.json)",
            "cpu/sum_of_squares: no cb-timeline.json (no timeline) for `thread_pool`"
        ]
    );

    gaps_on_the_page(&out);
}

/// The page of a partial run: a note per unmeasured strategy, a Missing section, and a figure
/// saying why a strategy without a timeline has none.
fn gaps_on_the_page(out: &Path) {
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    let doc = parse_html(&html);
    let notes: Vec<String> = by_class(doc.root_element(), "unmeasured")
        .iter()
        .map(|n| n.attribute("data-function").unwrap().to_string())
        .collect();
    assert_eq!(notes, ["extra", "rayon"]);
    let missing_section = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("missing"))
        .expect("a Missing section");
    assert_eq!(tag(missing_section, "li").len(), 2);
    // The strategy without a timeline still has its figure, saying why it is empty.
    let figure = by_class(doc.root_element(), "timeline")
        .into_iter()
        .find(|f| {
            f.attribute("data-function") == Some("thread_pool")
                && f.ancestors()
                    .any(|a| a.attribute("data-group") == Some("cpu/sum_of_squares"))
        })
        .unwrap();
    assert!(tag(figure, "svg").is_empty());
}

#[test]
fn parameterised_sweeps_get_one_table_per_value_in_numeric_order() {
    // A sweep laid out as Criterion does for BenchmarkId::new(function, value):
    // <group_dir>/<function>/<value>/new/, built from the fixture's real measurements.
    let (tmp, crit) = fixture_copy("sum-sweep");
    for value in [16u64, 4, 1] {
        for function in ["sequential", "thread_pool"] {
            add_sweep_point(
                &crit,
                &format!("cpu_fib/{function}"),
                "sweep/workers",
                function,
                value,
            );
        }
    }
    let out = tmp.path().join("out");
    let s = summarise(&crit, &out);
    let titles: Vec<(String, Value)> = s["tables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["group"] == "sweep/workers")
        .map(|t| (t["group"].as_str().unwrap().to_string(), t["value"].clone()))
        .collect();
    let values: Vec<&str> = titles.iter().map(|(_, v)| v.as_str().unwrap()).collect();
    assert_eq!(values, ["1", "4", "16"]);
    for t in s["tables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["group"] == "sweep/workers")
    {
        assert_eq!(t["rows"].as_array().unwrap().len(), 2);
        let tp = t["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["function"] == "thread_pool")
            .unwrap();
        assert!(
            !tp["speedup"].is_null(),
            "speed-up against sequential at the same value"
        );
    }
    let missing: Vec<&str> = s["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(
        missing.contains(
            &"sweep/workers/4: no cb-timeline.json (no timeline) for `sequential`, `thread_pool`"
        ),
        "{missing:?}"
    );
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    let doc = parse_html(&html);
    let sweep_sections: Vec<_> = by_class(doc.root_element(), "workload")
        .into_iter()
        .filter(|n| n.attribute("data-group") == Some("sweep/workers"))
        .map(|n| n.attribute("data-value").unwrap().to_string())
        .collect();
    assert_eq!(sweep_sections, ["1", "4", "16"]);
}

#[test]
fn failures_under_injected_faults_are_shown() {
    let (tmp, crit) = fixture_copy("sum-faults");
    let faults = serde_json::json!({
        "schema": 1,
        "group": "io/download",
        "function": "thread_pool",
        "faults": "error:0.05,reset:0.02",
        "timeout_ms": 300,
        "runs": 12,
        "downloads": 192,
        "failed": {"connection": 4, "status": 9},
        "injected": {"ok": 179, "error": 9, "reset": 4, "stall": 0, "truncate": 0}
    });
    fs::write(
        crit.join("io_download/thread_pool/new/cb-faults.json"),
        faults.to_string(),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let s = summarise(&crit, &out);
    let io = s["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["group"] == "io/download")
        .unwrap()
        .clone();
    let row = io["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["function"] == "thread_pool")
        .unwrap();
    assert_eq!(row["faults"]["failed"]["status"], 9);
    let note = io["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .find(|n| n.contains("under faults"))
        .expect("a note on the faulty run");
    assert!(
        note.contains("13 of 192 downloads failed (connection 4, status 9)"),
        "{note}"
    );
    assert!(note.contains("error 9"), "{note}");
    let markdown = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        markdown.contains("13 of 192 downloads failed"),
        "{markdown}"
    );
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("13 of 192 downloads failed"));

    // A corrupt cb-faults.json is an error naming the file, like any other side file.
    fs::write(crit.join("io_download/thread_pool/new/cb-faults.json"), "{").unwrap();
    let o = run(&["summary", "--criterion-dir", p(&crit), "--out", p(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cb-faults.json"), "{}", stderr(&o));
}

#[test]
fn a_quick_run_says_that_no_speed_up_is_paired() {
    // The fixture is a `--quick` run: no group has rounds, Criterion measured each strategy
    // live. Every speed-up is marked and one note per table says why.
    let (tmp, crit) = fixture_copy("sum-quick");
    let out = tmp.path().join("out");
    let s = summarise(&crit, &out);
    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    let doc = parse_html(&html);
    for t in s["tables"].as_array().unwrap() {
        let title = t["group"].as_str().unwrap();
        assert_eq!(t["interleaved"], false, "{title}");
        for r in t["rows"].as_array().unwrap() {
            let expected = match r["function"] == "sequential" {
                true => Value::Null,
                false => "no_rounds".into(),
            };
            assert_eq!(r["pairing"], expected, "{title} {}", r["function"]);
        }
        let notes = t["unpaired"].as_array().unwrap();
        assert_eq!(notes.len(), 1, "{title}");
        assert_eq!(notes[0]["pairing"], "no_rounds");
        let sentence = notes[0]["sentence"].as_str().unwrap();
        assert!(
            sentence.starts_with(&format!(
                "No speed-up in {title} is paired: the group has no interleaved rounds"
            )),
            "{sentence}"
        );
        assert!(md.contains(&format!("- {}\n", sentence.replace('_', "\\_"))));
    }
    // 9 marked rows in each of the 3 tables, in both page formats.
    assert_eq!(md.matches(", not paired |").count(), 27);
    let marks = by_class(doc.root(), "unpaired");
    let cells = marks.iter().filter(|n| n.has_tag_name("span")).count();
    let notes = marks.iter().filter(|n| n.has_tag_name("li")).count();
    assert_eq!((cells, notes), (27, 3));
    assert!(!html.contains("measured in the same rounds"));
}
