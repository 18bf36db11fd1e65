//! `target-report summary --format bmf | custom-smaller-is-better` over the committed real
//! Criterion run: every field the two formats document, with its type and unit.
//!
//! * Bencher Metric Format (<https://bencher.dev/docs/reference/bencher-metric-format/>): an
//!   object keyed by benchmark name, then by measure slug, then `{value, lower_value?,
//!   upper_value?}` numbers; the built-in `latency` measure is in nanoseconds.
//! * github-action-benchmark's `customSmallerIsBetter` (its `src/extract.ts`): a non-empty
//!   array of `{name: string, unit: string, value: number, range?: string, extra?: string}`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::util::*;
use serde_json::Value;

/// Criterion's median and 95% interval (ns per iteration) of every benchmark in `baseline`,
/// keyed by its full id, read straight from Criterion's files.
fn criterion_medians(crit: &Path, baseline: &str) -> BTreeMap<String, (f64, f64, f64)> {
    baseline_dirs(crit, baseline)
        .into_iter()
        .map(|(id, dir)| {
            let m = &read_json(&dir.join("estimates.json"))["median"];
            let ci = &m["confidence_interval"];
            (
                id,
                (
                    m["point_estimate"].as_f64().unwrap(),
                    ci["lower_bound"].as_f64().unwrap(),
                    ci["upper_bound"].as_f64().unwrap(),
                ),
            )
        })
        .collect()
}

/// Every benchmark's `<benchmark>/<baseline>` directory, keyed by its full id.
fn baseline_dirs(crit: &Path, baseline: &str) -> BTreeMap<String, PathBuf> {
    bench_dirs(crit)
        .iter()
        .map(|d| {
            let dir = crit.join(d).join(baseline);
            let id = read_json(&dir.join("benchmark.json"))["full_id"]
                .as_str()
                .unwrap()
                .to_string();
            (id, dir)
        })
        .collect()
}

/// The `extra` expected for a benchmark: its sample count, and its settings from cb-meta.json.
fn expected_extra(dir: &Path) -> String {
    let samples = read_json(&dir.join("sample.json"))["times"]
        .as_array()
        .unwrap()
        .len();
    let m = read_json(&dir.join("cb-meta.json"));
    let latency = m["latency_ms"]
        .as_f64()
        .map_or("none".to_string(), |l| format!("{l} ms"));
    format!(
        "median of {samples} samples, Criterion baseline new\n\
         jobs {}, elements {}, latency {latency}, cores {}, workers {}, processes {}",
        m["jobs"], m["elements"], m["cores"], m["workers"], m["processes"]
    )
}

/// Runs `summary --format FORMAT` and returns its stdout parsed (it must be the document and
/// nothing else) and its stderr; `--out` must not be created.
fn export(crit: &Path, format: &str, extra: &[&str]) -> (Value, String) {
    let out = crit.parent().unwrap().join("out");
    let mut args = vec![
        "summary",
        "--criterion-dir",
        p(crit),
        "--out",
        p(&out),
        "--format",
        format,
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!out.exists(), "--format {format} writes nothing to --out");
    let doc = serde_json::from_str(&stdout(&o))
        .unwrap_or_else(|e| panic!("stdout is one JSON document: {e}\n{}", stdout(&o)));
    (doc, stderr(&o))
}

fn number(v: &Value, what: &str) -> f64 {
    let x = v
        .as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {v}"));
    assert!(x.is_finite() && x >= 0.0, "{what} = {x}");
    x
}

#[test]
fn bmf_has_every_benchmark_with_its_median_latency_in_ns_and_its_interval() {
    let (_tmp, crit) = fixture_copy("bmf");
    for baseline in ["new", "base"] {
        let (doc, err) = export(&crit, "bmf", &["--baseline", baseline]);
        // The first run (`base`, two samples, not interleaved) has one measurement defect,
        // `tokio_current_thread` 1.11× `sequential` on one thread: named on stderr, not in BMF.
        let warnings: Vec<&str> = err.lines().collect();
        match baseline {
            "base" => assert!(
                warnings.len() == 1
                    && warnings[0].starts_with("target-report: warning: Measurement defect in cpu/sum_of_squares, not a finding: tokio_current_thread measured 1.11×"),
                "{err}"
            ),
            _ => assert_eq!(err, "", "no warning on the fixture's `new`"),
        }
        let expected = criterion_medians(&crit, baseline);
        let benchmarks = doc.as_object().expect("BMF is a JSON object");
        assert_eq!(
            benchmarks.keys().cloned().collect::<BTreeSet<_>>(),
            expected.keys().cloned().collect::<BTreeSet<_>>(),
            "one benchmark per Criterion id"
        );
        assert_eq!(benchmarks.len(), 30);
        for (name, measures) in benchmarks {
            let measures = measures.as_object().expect("a benchmark is an object");
            assert_eq!(
                measures.keys().collect::<Vec<_>>(),
                ["latency"],
                "{name}: Bencher's built-in latency measure (ns) only"
            );
            let metric = measures["latency"].as_object().expect("a metric object");
            assert_eq!(
                metric.keys().collect::<BTreeSet<_>>(),
                BTreeSet::from([
                    &"lower_value".to_string(),
                    &"upper_value".to_string(),
                    &"value".to_string()
                ]),
                "{name}: the format's three fields"
            );
            let value = number(&metric["value"], "value");
            let lower = number(&metric["lower_value"], "lower_value");
            let upper = number(&metric["upper_value"], "upper_value");
            assert!(
                lower <= value && value <= upper,
                "{name}: {lower} {value} {upper}"
            );
            // Criterion's estimates are ns per iteration: the same numbers, unconverted.
            assert_eq!((value, lower, upper), expected[name], "{name}");
        }
    }
}

#[test]
fn custom_smaller_is_better_has_every_benchmark_in_ns_per_iteration() {
    let (_tmp, crit) = fixture_copy("gab");
    let (doc, err) = export(&crit, "custom-smaller-is-better", &[]);
    assert_eq!(err, "");
    let expected = criterion_medians(&crit, "new");
    let dirs = baseline_dirs(&crit, "new");
    let entries = doc.as_array().expect("a JSON array");
    assert_eq!(entries.len(), expected.len(), "one entry per benchmark");
    let mut names = BTreeSet::new();
    for e in entries {
        let e = e.as_object().expect("an entry is an object");
        let allowed = ["name", "unit", "value", "range", "extra"];
        assert!(e.keys().all(|k| allowed.contains(&k.as_str())), "{e:?}");
        let name = e["name"].as_str().expect("name is a string");
        assert!(names.insert(name.to_string()), "{name} twice");
        let (median, lower, upper) = expected
            .get(name)
            .unwrap_or_else(|| panic!("{name} is no Criterion id"));
        assert_eq!(e["unit"].as_str(), Some("ns/iter"));
        assert_eq!(number(&e["value"], "value"), *median, "{name}");

        // The interval, written out in the entry's unit (the action shows it as text).
        let range = e["range"].as_str().expect("range is a string");
        let bounds = range
            .strip_prefix("95% CI ")
            .and_then(|r| r.strip_suffix(" ns/iter"))
            .unwrap_or_else(|| panic!("{name}: range {range}"));
        let (lo, hi) = bounds.split_once('–').unwrap();
        let (lo, hi): (f64, f64) = (lo.parse().unwrap(), hi.parse().unwrap());
        // Written to three decimals: half a thousandth, plus the bounds' own rounding.
        let close = |a: f64, b: f64| (a - b).abs() <= 0.5e-3 + 1e-12 * b;
        assert!(close(lo, *lower) && close(hi, *upper), "{range}");
        assert!(lo <= *median && *median <= hi, "{name}: {range}");

        // The sample count and the configuration (every fixture row has a cb-meta.json).
        let extra = e["extra"].as_str().expect("extra is a string");
        assert_eq!(extra, expected_extra(&dirs[name]), "{name}");
    }
    assert_eq!(
        names,
        expected.keys().cloned().collect(),
        "every benchmark once"
    );
}

#[test]
fn a_row_set_apart_for_other_settings_is_left_out_with_a_warning() {
    let (_tmp, crit) = fixture_copy("bmf-apart");
    edit_meta(&crit.join("cpu_fib/rayon"), |m| m["jobs"] = 7.into());
    for format in ["bmf", "custom-smaller-is-better"] {
        let (doc, err) = export(&crit, format, &[]);
        let text = doc.to_string();
        assert!(!text.contains("cpu/fib/rayon"), "{format}: {text}");
        assert!(text.contains("cpu/fib/sequential"));
        assert_eq!(
            err,
            "target-report: warning: cpu/fib: rayon left out, measured with other settings than the rest of the table\n"
        );
    }
}

#[test]
fn exports_fail_like_the_summary_on_an_unknown_baseline() {
    let (tmp, crit) = fixture_copy("bmf-bad");
    for format in ["bmf", "custom-smaller-is-better"] {
        let o = run(&[
            "summary",
            "--criterion-dir",
            p(&crit),
            "--out",
            p(&tmp.path().join("out")),
            "--baseline",
            "nope",
            "--format",
            format,
        ]);
        assert_eq!(o.status.code(), Some(2));
        assert_eq!(stdout(&o), "", "no partial document");
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("unknown baseline 'nope'"), "{err}");
    }
}

#[test]
fn a_sweep_point_is_named_by_its_full_id_with_the_parameter_value() {
    let (_tmp, crit) = fixture_copy("bmf-sweep");
    let points = [
        add_sweep_point(
            &crit,
            "cpu_fib/thread_pool",
            "cpu/fib_workers",
            "thread_pool",
            8,
        ),
        add_sweep_point(
            &crit,
            "cpu_fib/sequential",
            "cpu/fib_workers",
            "sequential",
            8,
        ),
    ];
    let (bmf, _) = export(&crit, "bmf", &[]);
    let (gab, _) = export(&crit, "custom-smaller-is-better", &[]);
    for (dir, id) in points.iter().zip([
        "cpu/fib_workers/thread_pool/8",
        "cpu/fib_workers/sequential/8",
    ]) {
        let median =
            read_json(&dir.join("new/estimates.json"))["median"]["point_estimate"].as_f64();
        assert_eq!(bmf[id]["latency"]["value"].as_f64(), median, "{id}");
        let entry = gab.as_array().unwrap().iter().find(|e| e["name"] == id);
        assert_eq!(entry.unwrap()["value"].as_f64(), median, "{id}");
    }
    assert_eq!(bmf.as_object().unwrap().len(), 32);
    assert_eq!(gab.as_array().unwrap().len(), 32);
}
