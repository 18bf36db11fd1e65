//! "Rust vs Python" in the summary, from a real small run of `cargo bench --bench python`
//! (group `py/fib`; fixture in tests/fixtures/python, see its README).

use std::path::{Path, PathBuf};

use crate::util::*;
use serde_json::Value;

fn python_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/python/criterion")
}

fn median_of(function: &str) -> f64 {
    let estimates =
        read_json(&python_fixture().join(format!("py_fib/{function}/new/estimates.json")));
    estimates["median"]["point_estimate"].as_f64().unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

fn point(v: &Value) -> f64 {
    v["point"]
        .as_f64()
        .unwrap_or_else(|| panic!("no point in {v}"))
}

fn ordered(v: &Value) -> bool {
    let (lower, upper) = (v["lower"].as_f64().unwrap(), v["upper"].as_f64().unwrap());
    lower <= point(v) && point(v) <= upper
}

#[test]
fn each_cpython_program_is_paired_with_the_counterpart_its_meta_names() {
    let tmp = TempDir::new("python-summary");
    let out = tmp.path().join("out");
    let o = run(&[
        "summary",
        "--criterion-dir",
        p(&python_fixture()),
        "--out",
        p(&out),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary = read_json(&out.join("summary.json"));
    let comparison = &summary["tables"][0]["rust_vs_python"];
    assert!(comparison["python"]
        .as_str()
        .unwrap()
        .starts_with("CPython 3."));
    let pairs = comparison["pairs"].as_array().unwrap();
    let programs = [
        "synchronous",
        "threading",
        "asyncio",
        "multiprocessing",
        "process_pool_executor",
    ];
    assert_eq!(pairs.len(), programs.len());
    for pair in pairs {
        let program = pair["program"].as_str().unwrap();
        assert!(programs.contains(&program), "{program}");
        let meta = read_json(&python_fixture().join(format!("py_fib/{program}/new/cb-meta.json")));
        let counterpart = pair["counterpart"].as_str().unwrap();
        assert_eq!(meta["rust_counterpart"].as_str(), Some(counterpart));
        // The ratio is of Criterion's own medians, with an interval around it.
        let ratio = median_of(program) / median_of(counterpart);
        assert!(
            close(point(&pair["python_over_rust"]), ratio),
            "{program}: {pair}"
        );
        assert!(ordered(&pair["python_over_rust"]), "{pair}");
        assert!(close(point(&pair["python_ns"]), median_of(program)));
        assert!(close(point(&pair["rust_ns"]), median_of(counterpart)));
    }
    let gil = &comparison["gil"];
    let threading = median_of("synchronous") / median_of("threading");
    assert!(close(point(&gil["cpython_threading"]), threading), "{gil}");
    let emulation = median_of("sequential") / median_of("gil_threads");
    assert!(close(point(&gil["gil_threads"]), emulation), "{gil}");
    assert!(
        ordered(&gil["cpython_threading"]) && ordered(&gil["gil_threads"]),
        "{gil}"
    );

    let markdown = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(markdown.contains("**Rust vs Python**"), "{markdown}");
    assert!(markdown.contains("| `threading` |") && markdown.contains("The GIL, measured:"));
    // CPython programs record no timeline, and that is no gap.
    assert!(!markdown.contains("no cb-timeline.json"), "{markdown}");
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("<h4>Rust vs Python</h4>") && html.contains("class=\"gil\""));
}

#[test]
fn groups_without_cpython_programs_have_no_comparison() {
    let (tmp, crit) = fixture_copy("no-python");
    let out = tmp.path().join("out");
    let o = run(&["summary", "--criterion-dir", p(&crit), "--out", p(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary = read_json(&out.join("summary.json"));
    for table in summary["tables"].as_array().unwrap() {
        assert!(table.get("rust_vs_python").is_none(), "{}", table["group"]);
    }
    let markdown = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(!markdown.contains("Rust vs Python"));
}
