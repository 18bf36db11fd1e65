//! `compare` on two plain runs with no calibration and no history: the noise learned from the
//! runs themselves, its fallback and override, the line on what a calibration would change, and
//! `calibrate --from-baselines`. Every run of the binary happens in a temporary directory with
//! no workspace above it, so no `bench-history.jsonl` becomes a noise source.

use std::path::Path;

use crate::util::*;
use target_report::noise;

/// `n` synthetic benchmarks (`g/f0`…) in baselines `before` and `after`, the way two plain
/// runs of the README's flow leave them: each `after` median a little off its `before` (within
/// ±0.4%, run-to-run noise), and `g/f0` `slowdown` times slower.
fn two_plain_runs(crit: &Path, n: usize, slowdown: f64) {
    for i in 0..n {
        let f = format!("f{i}");
        let wobble = 1.0 + 0.004 * ((i * 7 % 9) as f64 / 4.0 - 1.0);
        write_baseline(crit, &f, "before", 1e6);
        let factor = if i == 0 { slowdown } else { wobble };
        write_baseline(crit, &f, "after", 1e6 * factor);
    }
}

#[test]
fn two_plain_runs_without_a_calibration_learn_their_noise_from_each_other() {
    let tmp = TempDir::new("cmp-pair");
    let crit = tmp.path().join("criterion");
    two_plain_runs(&crit, 8, 1.15);
    let (code, v) = compare_json(&crit, "before", "after", &[]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(verdicts(&v, "regressed"), ["g/f0"]);
    for e in v["entries"].as_array().unwrap() {
        assert_eq!(e["noise"]["source"], "pair_spread", "{e}");
        assert_eq!(e["noise"]["runs"], 2);
        assert!(e["df"].as_f64().unwrap().is_finite(), "Student-t: {e}");
    }
    let noise: Vec<&str> = v["noise"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        noise[0].starts_with(
            "8 benchmarks: the noise of these two runs themselves: the changes of 7 benchmarks"
        ),
        "{noise:?}"
    );
    assert!(noise[0].contains("1 set aside"), "{noise:?}");
    assert!(
        noise[1].starts_with("calibrate: `target-report calibrate --runs "),
        "{noise:?}"
    );
    assert!(
        noise[1].contains("would call a +10% change regressed in "),
        "{noise:?}"
    );
    // The line is in every format.
    for format in ["table", "markdown"] {
        let o = run_outside(&[
            "compare",
            "before",
            "after",
            "--criterion-dir",
            p(&crit),
            "--format",
            format,
        ]);
        assert!(
            stdout(&o).contains("noise: calibrate: "),
            "{format}: {}",
            stdout(&o)
        );
    }

    // --noise-default sets a fixed σ_run instead: 10% per run cannot see +15%.
    let (code, v) = compare_json(&crit, "before", "after", &["--noise-default", "10"]);
    assert_eq!(code, 3);
    assert_eq!(entry(&v, "g/f0")["noise"]["source"], "default");
    assert!(
        v["noise"][0]
            .as_str()
            .unwrap()
            .contains("set by --noise-default"),
        "{v:#}"
    );

    // Four benchmarks are too few to learn from: the default, and the reason.
    let tmp = TempDir::new("cmp-pair-few");
    let crit = tmp.path().join("criterion");
    two_plain_runs(&crit, 4, 1.15);
    let (code, v) = compare_json(&crit, "before", "after", &[]);
    assert_eq!(code, 3);
    assert_eq!(entry(&v, "g/f0")["noise"]["source"], "default");
    assert!(
        v["noise"][0]
            .as_str()
            .unwrap()
            .contains("4 decidable benchmarks are too few (under 5)"),
        "{v:#}"
    );
}

#[test]
fn calibrate_from_baselines_makes_the_calibration_from_plain_runs_without_running_anything() {
    let tmp = TempDir::new("cmp-from-baselines");
    let crit = tmp.path().join("criterion");
    for (run, m) in ["full-1", "full-2", "full-3"]
        .iter()
        .zip([1e6, 1.1e6, 1.21e6])
    {
        write_baseline(&crit, "f", run, m);
    }
    let o = run_outside(&[
        "calibrate",
        "--from-baselines",
        "full-1,full-2,full-3",
        "--criterion-dir",
        p(&crit),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("from 3 runs of 1 benchmarks"),
        "{}",
        stdout(&o)
    );
    let cal = noise::Calibration::load(&crit.join(noise::CALIBRATION_FILE)).unwrap();
    assert!((cal.benchmarks["g/f"].sd_log - 1.1f64.ln()).abs() < 1e-12);
    let (_, v) = compare_json(&crit, "full-1", "full-2", &[]);
    assert_eq!(entry(&v, "g/f")["noise"]["source"], "calibration");
    // One run is no spread: exit 2, one line.
    let o = run_outside(&[
        "calibrate",
        "--from-baselines",
        "full-1",
        "--criterion-dir",
        p(&crit),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("at least 2 runs"), "{}", stderr(&o));
}
