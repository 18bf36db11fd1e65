//! `calibrate` without real benchmarks: the fake bench executable and cargo of
//! [`crate::fake_bench`]. The tests check the schedule, what each run measures and the
//! calibration written; none depends on timing.

use std::fs;

use crate::fake_bench::*;
use crate::util::*;
use target_report::calibrate;

#[test]
fn calibration_runs_go_round_robin_over_the_benchmarks() {
    let order: Vec<(usize, String)> = calibrate::schedule(3, 2)
        .into_iter()
        .map(|s| (s.bench, s.baseline))
        .collect();
    let expected: Vec<(usize, String)> = [0, 1, 2, 0, 1, 2]
        .iter()
        .zip(["cal-0", "cal-0", "cal-0", "cal-1", "cal-1", "cal-1"])
        .map(|(b, n)| (*b, n.to_string()))
        .collect();
    assert_eq!(order, expected);
}

#[test]
fn calibrate_runs_round_robin_in_place_and_leaves_the_latest_run_alone() {
    let fx = Fixture::new("calibrate");
    let crit = fx.repo.join("target/criterion");
    let latest = crit.join("fake/alpha/new");
    fs::create_dir_all(&latest).unwrap();
    fs::write(latest.join("sample.json"), "the user's latest run").unwrap();
    fs::create_dir_all(crit.join("fake/beta/cal-7")).unwrap();
    let out = fx.run(&["calibrate", "--runs", "2"]);
    let err = stderr(&out);
    let runs: Vec<String> = fx
        .runs()
        .iter()
        .map(|r| format!("{} {}", r[0], r[1]))
        .collect();
    assert_eq!(
        runs,
        [
            "cal-0 fake/alpha",
            "cal-0 fake/beta",
            "cal-1 fake/alpha",
            "cal-1 fake/beta"
        ],
        "{err}"
    );
    // Built in place: in the workspace, with cargo's own target directory.
    let builds = fs::read_to_string(fx.tmp.path().join("builds.log")).unwrap();
    assert_eq!(builds.split(' ').next(), Some(fx.repo.to_str().unwrap()));
    for id in ["fake/alpha", "fake/beta"] {
        for r in 0..2 {
            assert!(crit.join(id).join(format!("cal-{r}/sample.json")).is_file());
        }
    }
    assert!(
        !crit.join("fake/beta/cal-7").exists(),
        "an earlier calibration's run was kept"
    );
    assert_eq!(
        fs::read_to_string(latest.join("sample.json")).unwrap(),
        "the user's latest run"
    );
    // Until T1's noise module is merged, writing the calibration is a placeholder error.
    match out.status.code() {
        Some(2) => assert!(err.contains("provided by T1"), "{err}"),
        code => assert_eq!(code, Some(0), "{err}"),
    }
}
