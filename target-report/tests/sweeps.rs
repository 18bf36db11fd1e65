//! `target-report summary` over parameter sweeps: synthetic sweep groups built from the
//! fixture's real Criterion files, with medians set to known values so every finding can be
//! checked against a hand computation.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::util::*;
use serde_json::Value;

const MS: f64 = 1e6;

/// `(m, m·(1 − rel), m·(1 + rel))`: median `m` with a symmetric interval of ±`rel`.
fn around(m: f64, rel: f64) -> (f64, f64, f64) {
    (m, m * (1.0 - rel), m * (1.0 + rel))
}

/// The fixture plus four sweeps with known numbers (see each builder).
fn sweep_fixture(tag: &str) -> SweepFixture {
    let fx = SweepFixture::new(tag);
    io_workers(&fx);
    io_requests(&fx);
    io_latency(&fx);
    cpu_size(&fx);
    fx
}

/// sweep/io_workers: 160 jobs at 20 ms, C = workers. thread_pool is best at 20 (380 ms) and 40
/// (390 ms) overlaps it; 10 (450 ms) does not. 80 was skipped by the bench. tokio_bounded keeps
/// improving: best at the largest value, alone.
fn io_workers(fx: &SweepFixture) {
    let g = "sweep/io_workers";
    let io = |c| Io {
        jobs: 160,
        c,
        latency_ms: 20.0,
    };
    for (w, m, rel) in [
        (1u64, 3300.0, 0.01),
        (2, 1700.0, 0.01),
        (5, 700.0, 0.01),
        (10, 450.0, 0.02),
        (20, 380.0, 0.02),
        (40, 390.0, 0.015),
    ] {
        fx.io_point((g, "thread_pool"), w, io(w), around(m * MS, rel));
    }
    fx.skipped_io_point(
        (g, "thread_pool"),
        80,
        io(80),
        "not measured: too slow for the budget",
    );
    for (w, m) in [
        (1u64, 3300.0),
        (10, 340.0),
        (40, 90.0),
        (80, 50.0),
        (160, 30.0),
    ] {
        let m = m * MS;
        fx.io_point((g, "tokio_bounded"), w, io(w), (m, m * 0.99, m * 1.01));
    }
}

/// sweep/io_requests at 50 ms: thread_pool (C = 5) measured up to 100, skipped at 1000;
/// async_tokio (C = N) at every value.
fn io_requests(fx: &SweepFixture) {
    let g = "sweep/io_requests";
    let io = |jobs, c| Io {
        jobs,
        c,
        latency_ms: 50.0,
    };
    for (n, m) in [(10u64, 100.0), (100, 1010.0)] {
        let m = m * MS;
        fx.io_point((g, "thread_pool"), n, io(n, 5), (m, m * 0.99, m * 1.01));
    }
    fx.skipped_io_point(
        (g, "thread_pool"),
        1000,
        io(1000, 5),
        "not measured: at least 10.0s per iteration",
    );
    for (n, m) in [(10u64, 52.0), (100, 60.0), (1000, 240.0)] {
        let m = m * MS;
        fx.io_point((g, "async_tokio"), n, io(n, n), (m, m * 0.98, m * 1.02));
    }
}

/// sweep/io_latency: 160 jobs; the server answers 40,000 requests/s. At 0 ms async_tokio runs at
/// 90% of that (server-bound), sequential at 20%, thread_pool at 75% (tight CI), process_pool
/// at 78% with a CI reaching 82% (possibly server-bound).
fn io_latency(fx: &SweepFixture) {
    let g = "sweep/io_latency";
    let rate_ns = |share: f64| 160.0 / (share * 40_000.0) * 1e9;
    let zero = [
        ("async_tokio", 160u64, 0.90, 0.89, 0.91),
        ("sequential", 1, 0.20, 0.19, 0.21),
        ("thread_pool", 5, 0.75, 0.745, 0.755),
        ("process_pool", 2, 0.78, 0.74, 0.82),
    ];
    for (f, c, share, lo, hi) in zero {
        let io = |l: u64| Io {
            jobs: 160,
            c,
            latency_ms: l as f64,
        };
        // A higher share is a shorter time: the interval's ends swap.
        fx.io_point((g, f), 0, io(0), (rate_ns(share), rate_ns(hi), rate_ns(lo)));
        for l in [1u64, 5] {
            let ideal = (160f64 / c as f64).ceil() * l as f64 * MS;
            let m = ideal * 1.2 + 2.0 * MS;
            fx.io_point((g, f), l, io(l), (m, m * 0.99, m * 1.01));
        }
    }
    fx.server_capacity(g, 5000, 64, 40000.0);
}

/// sweep/cpu_size: sequential grows 10×; process_pool_warm overtakes it at 1,000,000,
/// process_pool at 10,000,000, thread_pool is faster from the start, rayon never is.
fn cpu_size(fx: &SweepFixture) {
    let g = "sweep/cpu_size";
    let src = "cpu_sum_of_squares/sequential";
    let sizes = [100_000u64, 1_000_000, 10_000_000];
    // Each strategy's own C (the copied cb-meta.json is sequential's, C = 1), so that no
    // speed-up here is a measurement defect.
    for (f, c, ms) in [
        ("sequential", 1u64, [10.0, 100.0, 1000.0]),
        ("process_pool_warm", 2, [12.0, 60.0, 520.0]),
        ("process_pool", 2, [60.0, 110.0, 600.0]),
        ("thread_pool", 5, [5.0, 50.0, 500.0]),
        ("rayon", 2, [10.0, 100.5, 1001.0]),
    ] {
        for (size, m) in sizes.iter().zip(ms) {
            let dir = fx.point(src, (g, f), *size, m * MS, 0.02);
            edit_meta(&dir, |meta| {
                meta["strategy"] = f.into();
                meta["concurrency"] = c.into();
            });
        }
    }
}

fn sweep<'a>(s: &'a Value, group: &str) -> &'a Value {
    s["sweeps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["group"] == group)
        .unwrap_or_else(|| panic!("no sweep {group}"))
}

fn by_strategy(list: &Value) -> BTreeMap<&str, &Value> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|x| (x["strategy"].as_str().unwrap(), x))
        .collect()
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// The chart's label of a parameter value: `10k`, `10M`.
fn compact(v: f64) -> String {
    if v >= 1e6 {
        format!("{}M", v / 1e6)
    } else if v >= 1e4 {
        format!("{}k", v / 1e3)
    } else {
        format!("{v}")
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

fn summarise(crit: &Path, out: &Path) -> Value {
    let o = run(&["summary", "--criterion-dir", p(crit), "--out", p(out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("sweep charts"), "{}", stdout(&o));
    read_json(&out.join("summary.json"))
}

#[test]
fn findings_are_computed_from_the_sweep_numbers() {
    let fx = sweep_fixture("sweep-findings");
    let out = fx.tmp.path().join("out");
    let s = summarise(&fx.crit, &out);
    let groups: Vec<&str> = s["sweeps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["group"].as_str().unwrap())
        .collect();
    assert_eq!(
        groups,
        [
            "sweep/cpu_size",
            "sweep/io_latency",
            "sweep/io_requests",
            "sweep/io_workers"
        ]
    );
    best_worker_count(sweep(&s, "sweep/io_workers"));
    skipped_points(sweep(&s, "sweep/io_workers"), &fx.crit);
    largest_request_counts(sweep(&s, "sweep/io_requests"));
    server_capacity(sweep(&s, "sweep/io_latency"));
    crossovers(sweep(&s, "sweep/cpu_size"));
    // Findings that do not apply stay empty.
    let (c, w) = (sweep(&s, "sweep/cpu_size"), sweep(&s, "sweep/io_workers"));
    assert!(c["findings"]["best"].as_array().unwrap().is_empty());
    assert!(c["findings"]["server"].is_null());
    assert!(w["findings"]["faster_than_sequential"]
        .as_array()
        .unwrap()
        .is_empty());
    // Markdown: the same findings and the chart beside it.
    let md = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("## sweep/io\\_workers"));
    assert!(md.contains("(sweep_io_workers.svg)"));
    assert!(md.contains("20–40 are indistinguishable"));
    assert!(md.contains("### sweep/io\\_workers/20"));
}

/// Best worker count: the known minimum, with the overlapping neighbour and not the other.
fn best_worker_count(w: &Value) {
    assert_eq!(w["parameter_name"], "workers");
    assert_eq!(
        strs(&w["values"]),
        ["1", "2", "5", "10", "20", "40", "80", "160"]
    );
    let best = by_strategy(&w["findings"]["best"]);
    assert_eq!(best["thread_pool"]["parameter"], "20");
    assert_eq!(
        strs(&best["thread_pool"]["indistinguishable"]),
        ["20", "40"]
    );
    // Efficiency at the best: ⌈160/20⌉ × 20 ms = 160 ms over 380 ms.
    assert!(close(f(&best["thread_pool"]["ideal_ns"]), 160.0 * MS));
    assert!(close(
        f(&best["thread_pool"]["efficiency"]["point"]),
        160.0 / 380.0
    ));
    assert_eq!(best["tokio_bounded"]["parameter"], "160");
    assert_eq!(strs(&best["tokio_bounded"]["indistinguishable"]), ["160"]);
    let sentences = strs(&w["sentences"]);
    assert!(
        sentences
            .iter()
            .any(|x| x.contains("`thread_pool`: best at 20 workers")
                && x.contains("20–40 are indistinguishable")
                && x.contains("42% of the ideal ⌈160/20⌉ × 20 ms = 160 ms")),
        "{sentences:?}"
    );
}

/// The skipped point is a point with its reason and its ideal (a lower bound), no median; every
/// measured point carries Criterion's median and the ideal ⌈N/C⌉·L.
fn skipped_points(w: &Value, crit: &Path) {
    let skipped: Vec<&Value> = w["points"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["median_ns"].is_null())
        .collect();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["strategy"], "thread_pool");
    assert_eq!(skipped[0]["parameter"], "80");
    assert_eq!(
        skipped[0]["skipped"],
        "not measured: too slow for the budget"
    );
    assert!(close(f(&skipped[0]["ideal_ns"]), 2.0 * 20.0 * MS));
    let nm = &w["findings"]["not_measured"][0];
    assert_eq!(
        (nm["strategy"].as_str(), nm["parameter"].as_str()),
        (Some("thread_pool"), Some("80"))
    );
    assert_eq!(nm["reason"], "not measured: too slow for the budget");
    for p in w["points"].as_array().unwrap() {
        let c: f64 = p["parameter"].as_str().unwrap().parse().unwrap();
        assert!(
            close(f(&p["ideal_ns"]), (160.0 / c).ceil() * 20.0 * MS),
            "{p}"
        );
        if !p["median_ns"].is_null() {
            let est = read_json(
                &crit
                    .join(p["dir"].as_str().unwrap())
                    .join("new/estimates.json"),
            );
            assert_eq!(
                f(&p["median_ns"]["point"]),
                f(&est["median"]["point_estimate"])
            );
        }
    }
}

/// Requests: each strategy at its largest measured value, and what was skipped above it.
fn largest_request_counts(r: &Value) {
    let largest = by_strategy(&r["findings"]["at_largest"]);
    assert_eq!(largest["async_tokio"]["parameter"], "1000");
    assert!(close(
        f(&largest["async_tokio"]["median_ns"]["point"]),
        240.0 * MS
    ));
    assert_eq!(largest["thread_pool"]["parameter"], "100");
    assert_eq!(
        strs(&largest["thread_pool"]["not_measured_above"]),
        ["1000"]
    );
    let sentences = strs(&r["sentences"]);
    assert!(
        sentences
            .iter()
            .any(|x| x.starts_with("`async_tokio`: 1,000 requests in 240 ms")
                && x.contains("21% of the ideal ⌈1000/1000⌉ × 50 ms = 50.0 ms")),
        "{sentences:?}"
    );
    assert!(
        sentences
            .iter()
            .any(|x| x.contains("Not measured") && x.contains("`thread_pool` at 1,000 requests")),
        "{sentences:?}"
    );
}

/// Server capacity: shares of 40,000 requests/s at 0 ms, flagged from 80%.
fn server_capacity(l: &Value) {
    assert_eq!(l["parameter_name"], "latency (ms)");
    let server = &l["findings"]["server"];
    assert_eq!(f(&server["capacity"]["requests_per_s"]), 40_000.0);
    let load = by_strategy(&server["at_zero"]);
    assert_eq!(load.len(), 4);
    for (name, share, bound, possibly) in [
        ("async_tokio", 0.90, true, false),
        ("sequential", 0.20, false, false),
        ("thread_pool", 0.75, false, false),
        ("process_pool", 0.78, false, true),
    ] {
        let x = load[name];
        assert!(
            (f(&x["share_of_capacity"]["point"]) - share).abs() < 1e-9,
            "{name}: {x}"
        );
        assert!(close(f(&x["requests_per_s"]["point"]), share * 40_000.0));
        assert_eq!(x["server_bound"], bound, "{name}");
        assert_eq!(x["possibly_server_bound"], possibly, "{name}");
    }
    let sentences = strs(&l["sentences"]);
    assert!(sentences.contains(
        &"The mock server answers 40,000 requests/s (5000 requests, 64 in flight; cb-server-capacity.json)."
    ));
    assert!(
        sentences.iter().any(
            |x| x.contains("`async_tokio` completes 36,000 requests/s = 90%")
                && x.contains("server-bound")
        ),
        "{sentences:?}"
    );
    // No ideal at 0 ms (nothing to wait for), one from 1 ms.
    for p in l["points"].as_array().unwrap() {
        assert_eq!(p["ideal_ns"].is_null(), p["parameter"] == "0", "{p}");
    }
}

/// Crossover: the first size whose CI lies entirely below sequential's.
fn crossovers(c: &Value) {
    assert_eq!(c["parameter_name"], "elements per job");
    let cross = by_strategy(&c["findings"]["faster_than_sequential"]);
    assert_eq!(cross["process_pool_warm"]["first_faster"], "1000000");
    assert_eq!(cross["process_pool"]["first_faster"], "10000000");
    assert_eq!(cross["thread_pool"]["first_faster"], "100000");
    assert!(cross["rayon"]["first_faster"].is_null());
    assert!(!cross.contains_key("sequential"));
    let sentences = strs(&c["sentences"]);
    for expected in [
        "`process_pool_warm` overtakes `sequential` at 1,000,000 elements per job",
        "`process_pool` overtakes `sequential` at 10,000,000 elements per job",
        "`rayon` is never significantly faster than `sequential` in this range",
        "`thread_pool` is significantly faster than `sequential` (CI entirely below) already at 100,000",
    ] {
        assert!(
            sentences.iter().any(|x| x.starts_with(expected)),
            "{expected} in {sentences:?}"
        );
    }
}

/// `(strategy → count)` of the elements of class `class` in `svg`.
fn per_strategy(svg: roxmltree::Node, class: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for n in by_class(svg, class) {
        *out.entry(n.attribute("data-strategy").unwrap().to_string())
            .or_insert(0) += 1;
    }
    out
}

#[test]
fn each_sweep_has_a_chart_with_a_line_per_strategy_and_dashed_ideals_for_io() {
    let fx = sweep_fixture("sweep-charts");
    let out = fx.tmp.path().join("out");
    let s = summarise(&fx.crit, &out);
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    let doc = parse_html(&html);
    let root = doc.root_element();
    // One section per sweep (the svg elements carry class "sweep" too: count sections).
    let sections: Vec<_> = by_class(root, "sweep")
        .into_iter()
        .filter(|n| n.tag_name().name() == "section")
        .collect();
    assert_eq!(sections.len(), 4);
    for sec in sections {
        let sw = sweep(&s, sec.attribute("data-group").unwrap());
        let (figure, svg) = findings_then_chart(sec, sw);
        let lines = a_line_per_strategy(svg, sw);
        ideals_for_io(svg, sw);
        axis_of_the_parameter(svg, sw);
        // The per-value tables are kept, after the chart.
        let tables = by_class(sec, "workload");
        assert_eq!(tables.len(), sw["values"].as_array().unwrap().len());
        assert!(tables.iter().all(|t| t.range().start > figure.range().end));
        // The standalone chart for summary.md is the same drawing, valid XML on its own.
        let group = sw["group"].as_str().unwrap();
        let file = out.join(format!("{}.svg", group.replace('/', "_")));
        let text = fs::read_to_string(&file).unwrap();
        let alone = roxmltree::Document::parse(&text).expect("the chart file is well-formed");
        assert_eq!(
            per_strategy(alone.root_element(), "series"),
            lines,
            "{group}"
        );
    }
    skipped_point_marked(root);
    which_to_use_names_the_best_and_links_resolve(&doc);
}

/// The findings at the top of a sweep's section, then its one chart (returned, with its svg).
fn findings_then_chart<'a, 'i>(
    sec: roxmltree::Node<'a, 'i>,
    sw: &Value,
) -> (roxmltree::Node<'a, 'i>, roxmltree::Node<'a, 'i>) {
    let group = sw["group"].as_str().unwrap();
    let findings = by_class(sec, "findings");
    assert_eq!(findings.len(), 1);
    assert_eq!(
        findings[0].children().filter(|n| n.is_element()).count(),
        sw["sentences"].as_array().unwrap().len()
    );
    let figure = by_class(sec, "sweep-chart");
    assert_eq!(figure.len(), 1, "{group}");
    assert!(findings[0].range().end < figure[0].range().start);
    let svgs: Vec<_> = figure[0]
        .descendants()
        .filter(|n| n.tag_name().name() == "svg")
        .collect();
    assert_eq!(svgs.len(), 1);
    assert!(svgs[0].attribute("viewBox").is_some(), "scales to a phone");
    (figure[0], svgs[0])
}

/// One solid line per strategy, drawn through its measured medians, and a marker and a whisker
/// per measured point; returns the lines per strategy.
fn a_line_per_strategy(svg: roxmltree::Node, sw: &Value) -> BTreeMap<String, usize> {
    let group = sw["group"].as_str().unwrap();
    let points = sw["points"].as_array().unwrap();
    let lines = per_strategy(svg, "series");
    assert_eq!(
        lines.keys().map(String::as_str).collect::<Vec<_>>(),
        strs(&sw["strategies"]),
        "{group}"
    );
    assert!(lines.values().all(|n| *n == 1));
    for line in by_class(svg, "series") {
        assert!(line.attribute("stroke-dasharray").is_none());
        let name = line.attribute("data-strategy").unwrap();
        let measured = points
            .iter()
            .filter(|p| p["strategy"] == name && !p["median_ns"].is_null())
            .count();
        let vertices = line.attribute("points").unwrap().split_whitespace().count();
        assert_eq!(vertices, measured, "{group}/{name}");
    }
    let measured = points.iter().filter(|p| !p["median_ns"].is_null()).count();
    assert_eq!(by_class(svg, "point").len(), measured);
    assert_eq!(by_class(svg, "ci").len(), measured);
    lines
}

/// I/O: one dashed ideal line per strategy, in its colour; CPU: none.
fn ideals_for_io(svg: roxmltree::Node, sw: &Value) {
    let group = sw["group"].as_str().unwrap();
    let ideals = by_class(svg, "ideal");
    if sw["kind"] != "io" {
        assert!(ideals.is_empty(), "{group}");
        return;
    }
    assert_eq!(ideals.len(), strs(&sw["strategies"]).len(), "{group}");
    for ideal in &ideals {
        assert!(ideal.attribute("stroke-dasharray").is_some());
        let name = ideal.attribute("data-strategy").unwrap();
        let line = by_class(svg, "series")
            .into_iter()
            .find(|l| l.attribute("data-strategy") == Some(name))
            .unwrap();
        assert_eq!(ideal.attribute("stroke"), line.attribute("stroke"));
    }
}

/// The axis is labelled with what the parameter is, and every value is marked: a grid line per
/// value; labels may be dropped where they would overlap, but never the first and the last.
fn axis_of_the_parameter(svg: roxmltree::Node, sw: &Value) {
    let group = sw["group"].as_str().unwrap();
    let texts: Vec<&str> = svg.descendants().filter_map(|n| n.text()).collect();
    let name = sw["parameter_name"].as_str().unwrap();
    assert!(
        texts.iter().any(|t| t.starts_with(name)),
        "{group}: {texts:?}"
    );
    assert_eq!(
        by_class(svg, "x-grid").len(),
        sw["values"].as_array().unwrap().len(),
        "{group}"
    );
    let labels: Vec<&str> = by_class(svg, "x-tick")
        .iter()
        .filter_map(|n| n.text())
        .collect();
    let values: Vec<String> = strs(&sw["values"])
        .iter()
        .map(|v| compact(v.parse().unwrap()))
        .collect();
    assert_eq!(
        labels.first().copied(),
        values.first().map(String::as_str),
        "{group}"
    );
    assert_eq!(
        labels.last().copied(),
        values.last().map(String::as_str),
        "{group}"
    );
    assert!(
        labels.iter().all(|l| values.iter().any(|v| v == l)),
        "{group}: {labels:?}"
    );
}

/// Skipped points: a hollow marker at the ideal, and a note with the reason.
fn skipped_point_marked(root: roxmltree::Node) {
    let workers = by_class(root, "sweep")
        .into_iter()
        .find(|n| {
            n.attribute("data-group") == Some("sweep/io_workers")
                && n.tag_name().name() == "section"
        })
        .unwrap();
    let chart = by_class(workers, "sweep-chart")[0];
    let hollow = by_class(chart, "unmeasured");
    assert_eq!(hollow.len(), 1);
    assert_eq!(hollow[0].attribute("data-strategy"), Some("thread_pool"));
    assert_eq!(hollow[0].attribute("fill"), Some("#fff"));
    let notes = by_class(workers, "not-measured");
    assert_eq!(notes.len(), 1);
    let li: Vec<_> = notes[0].children().filter(|n| n.is_element()).collect();
    assert_eq!(li.len(), 1);
    assert_eq!(li[0].attribute("data-parameter"), Some("80"));
    let text: String = li[0]
        .descendants()
        .filter_map(|n| n.text())
        .collect::<String>();
    assert!(text.contains("too slow for the budget"), "{text}");
}

/// "Which to use" names the best worker count, and every nav link resolves.
fn which_to_use_names_the_best_and_links_resolve(doc: &roxmltree::Document) {
    let root = doc.root_element();
    let which = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("which-to-use"))
        .unwrap();
    let advice: String = by_class(which, "findings")
        .into_iter()
        .find(|n| n.attribute("data-group") == Some("sweep/io_workers"))
        .unwrap()
        .descendants()
        .filter_map(|n| n.text())
        .collect();
    assert!(advice.contains("best at 20 workers"), "{advice}");
    let ids: Vec<&str> = root
        .descendants()
        .filter_map(|n| n.attribute("id"))
        .collect();
    for a in root.descendants().filter(|n| n.tag_name().name() == "a") {
        if let Some(anchor) = a.attribute("href").unwrap().strip_prefix('#') {
            assert!(ids.contains(&anchor), "#{anchor}");
        }
    }
}

#[test]
fn a_sweep_with_a_single_point_or_no_capacity_file_still_renders() {
    let fx = SweepFixture::new("sweep-single");
    let workers = ("sweep/cpu_workers", "rayon");
    fx.point("cpu_sum_of_squares/rayon", workers, 4, 20.0 * MS, 0.01);
    // An I/O latency sweep without cb-server-capacity.json, with a single strategy.
    let io = Io {
        jobs: 160,
        c: 160,
        latency_ms: 0.0,
    };
    let latency = ("sweep/io_latency", "async_tokio");
    fx.io_point(latency, 0, io, (5.0 * MS, 4.9 * MS, 5.1 * MS));
    let out = fx.tmp.path().join("out");
    let s = summarise(&fx.crit, &out);
    let one = sweep(&s, "sweep/cpu_workers");
    assert_eq!(one["points"].as_array().unwrap().len(), 1);
    let best = &one["findings"]["best"][0];
    assert_eq!(best["parameter"], "4");
    assert_eq!(strs(&best["indistinguishable"]), ["4"]);
    let l = sweep(&s, "sweep/io_latency");
    assert!(l["findings"]["server"].is_null());
    assert!(strs(&l["sentences"])
        .iter()
        .any(|x| x.contains("No cb-server-capacity.json")));

    let html = fs::read_to_string(out.join("index.html")).unwrap();
    let doc = parse_html(&html);
    for group in ["sweep/cpu_workers", "sweep/io_latency"] {
        let fig = by_class(doc.root_element(), "sweep-chart")
            .into_iter()
            .find(|n| n.attribute("data-group") == Some(group))
            .unwrap();
        assert_eq!(by_class(fig, "series").len(), 1, "{group}");
        assert_eq!(by_class(fig, "point").len(), 1, "{group}");
        // Every coordinate is a finite number (no division by a zero-width range).
        for n in fig.descendants() {
            for attr in ["cx", "cy", "x", "y", "x1", "x2", "y1", "y2"] {
                if let Some(v) = n.attribute(attr) {
                    assert!(
                        v.parse::<f64>().is_ok_and(f64::is_finite),
                        "{group} {attr}={v}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_corrupt_capacity_file_is_an_error_naming_it() {
    let fx = sweep_fixture("sweep-corrupt");
    fx.server_capacity("sweep/io_latency", 5000, 64, -3.0);
    let out = fx.tmp.path().join("out");
    let o = run(&["summary", "--criterion-dir", p(&fx.crit), "--out", p(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cb-server-capacity.json"),
        "{}",
        stderr(&o)
    );
    assert!(!out.join("index.html").exists(), "nothing written");
}

#[test]
fn a_measured_request_time_is_the_latency_of_the_ideal() {
    // 160 jobs, C = 20, configured 20 ms, but one request measured 20.5 ms: the ideal is
    // ⌈160/20⌉ × 20.5 ms = 164 ms, and the efficiency is taken against it.
    let fx = SweepFixture::new("sweep-measured-latency");
    let g = "sweep/io_workers";
    for (w, m) in [(10u64, 400.0), (20, 200.0)] {
        let m = m * MS;
        let io = Io {
            jobs: 160,
            c: w,
            latency_ms: 20.0,
        };
        let dir = fx.io_point((g, "thread_pool"), w, io, (m, m, m));
        edit_meta(&dir, |meta| meta["server_latency_ms"] = 20.5.into());
    }
    let out = fx.tmp.path().join("out");
    let s = summarise(&fx.crit, &out);
    let sw = sweep(&s, g);
    let at_20 = sw["points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["parameter"] == "20")
        .unwrap();
    assert!(close(f(&at_20["ideal_ns"]), 8.0 * 20.5 * MS), "{at_20}");
    assert!(close(f(&at_20["efficiency"]["point"]), 164.0 / 200.0));
    assert_eq!(
        f(&at_20["latency_ms"]),
        20.0,
        "the configured latency stays"
    );
    assert_eq!(f(&at_20["ideal_latency_ms"]), 20.5);
    assert!(
        strs(&sw["sentences"])
            .iter()
            .any(|line| line.contains("of the ideal ⌈160/20⌉ × 20.50 ms (measured) = 164")),
        "{}",
        sw["sentences"]
    );
}

/// Writes the `cb-cpu.json` of the sweep point in `dir`: its `sample.json`'s samples, each
/// with client CPU time of `cores` × its wall time, in whole 10 ms ticks; `drop` samples fewer.
fn write_cpu(dir: &Path, cores: f64, drop: usize) {
    let sample = read_json(&dir.join("new/sample.json"));
    let iters = sample["iters"].as_array().unwrap();
    let times = sample["times"].as_array().unwrap();
    let tick = 10_000_000i64;
    let samples: Vec<serde_json::Value> = iters
        .iter()
        .zip(times)
        .skip(drop)
        .map(|(i, t)| {
            let ns = t.as_f64().unwrap();
            let cpu = ((ns * cores) as i64 / tick) * tick;
            serde_json::json!({
                "function": "async_tokio", "iters": i, "ns": ns,
                "cpu": {"tick_ns": tick, "client": {"user_ns": cpu, "system_ns": 0},
                        "server": {"user_ns": 0, "system_ns": 0},
                        "workers": {"user_ns": 0, "system_ns": 0}}
            })
        })
        .collect();
    let doc = serde_json::json!({
        "schema": 1, "group": "sweep/io_requests", "function": "async_tokio",
        "parameter": 0, "samples": samples,
    });
    fs::write(dir.join("new/cb-cpu.json"), doc.to_string()).unwrap();
}

#[test]
fn cores_busy_against_the_parameter_say_where_async_stops_scaling_and_why() {
    let fx = SweepFixture::new("sweep-cpu");
    let g = ("sweep/io_requests", "async_tokio");
    let io = |jobs| Io {
        jobs,
        c: jobs,
        latency_ms: 50.0,
    };
    // 10 and 100 requests near the 50 ms ideal; 1,000 at 240 ms with one core busy.
    for (n, m, cores) in [(10u64, 52.0, 0.2), (100, 60.0, 0.5), (1000, 240.0, 1.0)] {
        let m = m * MS;
        let dir = fx.io_point(g, n, io(n), (m, m * 0.98, m * 1.02));
        write_cpu(&dir, cores, 0);
    }
    // A file that does not describe the point's samples (one fewer) is not used.
    let m = 55.0 * MS;
    let stale = fx.io_point(g, 50, io(50), (m, m * 0.98, m * 1.02));
    write_cpu(&stale, 0.3, 1);
    let out = fx.tmp.path().join("out");
    let s = summarise(&fx.crit, &out);
    let sw = sweep(&s, "sweep/io_requests");
    let cores_at = |value: &str| {
        sw["points"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["parameter"] == value)
            .map(|p| p["cores"]["point"].as_f64())
            .unwrap()
    };
    assert!(
        cores_at("1000").is_some_and(|c| (c - 1.0).abs() < 0.05),
        "{:?}",
        cores_at("1000")
    );
    assert_eq!(cores_at("50"), None, "a stale cb-cpu.json is ignored");
    let sentences = strs(&sw["sentences"]);
    let line = sentences
        .iter()
        .find(|l| l.starts_with("`async_tokio` kept"))
        .unwrap_or_else(|| panic!("{sentences:?}"));
    // 60 ms against 50 at 100 requests: below 90% of the ideal, with CPU to account for it
    // but less than a core busy.
    assert!(
        line.contains("at 100 requests it reaches 83% of its ideal")
            && line.contains("CPU work the waiting does not hide"),
        "{line}"
    );
}
