//! `calibrate` without real benchmarks: the fake bench executable and cargo of
//! [`crate::fake_bench`], with a second group (`other/gamma`, `other/delta`) beside `fake`'s
//! two benchmarks. The tests check the schedule, what each call of the bench executable
//! measures (from the arguments it logged), the staging of runs and the calibration written;
//! none depends on timing.

use std::fs;
use std::path::PathBuf;
use std::process::Output;

use crate::fake_bench::*;
use crate::util::*;
use target_report::calibrate;
use target_report::runner::session;

/// The second group's benchmarks, in the fake's `$FAKE_MORE`.
const MORE: &str = "other/gamma other/delta";

/// `calibrate ARGS` with the second group listed, and `env` set.
fn calibrate(fx: &Fixture, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = fx.command(&[&["calibrate"], args].concat());
    cmd.env("FAKE_MORE", MORE);
    cmd.envs(env.iter().copied());
    cmd.output().unwrap()
}

/// The logged runs as `baseline ids`.
fn runs(fx: &Fixture) -> Vec<String> {
    fx.runs()
        .iter()
        .map(|r| format!("{} {}", r[0], r[1]))
        .collect()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn criterion(fx: &Fixture) -> PathBuf {
    fx.repo.join("target/criterion")
}

#[test]
fn calibration_runs_go_round_robin_over_the_groups() {
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
fn benchmarks_are_grouped_by_their_id_up_to_the_last_slash_in_list_order() {
    let exe = PathBuf::from("/x/cpu");
    let other = PathBuf::from("/x/io");
    let list: Vec<(String, PathBuf)> = [
        ("cpu/fib/sequential", &exe),
        ("cpu/sum_of_squares/rayon", &exe),
        ("cpu/fib/rayon", &exe),
        ("io/download/thread_pool", &other),
        ("cpu/fib/elsewhere", &other),
    ]
    .into_iter()
    .map(|(id, e)| (id.to_string(), e.clone()))
    .collect();
    let groups = calibrate::groups(&list);
    let want: [(&str, &[&str]); 4] = [
        ("cpu/fib", &["cpu/fib/sequential", "cpu/fib/rayon"]),
        ("cpu/sum_of_squares", &["cpu/sum_of_squares/rayon"]),
        ("io/download", &["io/download/thread_pool"]),
        // One name on another executable: run by that executable, in a call of its own.
        ("cpu/fib", &["cpu/fib/elsewhere"]),
    ];
    assert_eq!(groups.len(), want.len(), "{groups:?}");
    for ((name, members), (want_name, want_members)) in groups.iter().zip(want) {
        assert_eq!(
            (name.as_str(), members.clone()),
            (want_name, strings(want_members))
        );
    }
}

#[test]
fn calibrate_runs_each_group_in_one_call_per_run_in_place_and_leaves_the_latest_run_alone() {
    let fx = Fixture::new("calibrate");
    let crit = criterion(&fx);
    let latest = crit.join("fake/alpha/new");
    fs::create_dir_all(&latest).unwrap();
    fs::write(latest.join("sample.json"), "the user's latest run").unwrap();
    fs::create_dir_all(crit.join("fake/beta/cal-7")).unwrap();
    let out = calibrate(&fx, &["--runs", "2"], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    // One call per group and run, round-robin over the groups, each selecting exactly the
    // group's benchmarks with one anchored regex (no --exact): all of them saved by that call.
    assert_eq!(
        runs(&fx),
        [
            "cal-0 fake/alpha,fake/beta",
            "cal-0 other/gamma,other/delta",
            "cal-1 fake/alpha,fake/beta",
            "cal-1 other/gamma,other/delta",
        ],
        "{err}"
    );
    assert_eq!(
        fx.args()[..2],
        [
            "--bench --noplot ^(fake/alpha|fake/beta)$ --save-baseline cal-0",
            "--bench --noplot ^(other/gamma|other/delta)$ --save-baseline cal-0",
        ]
    );
    assert!(
        err.contains("4 benchmarks in 2 groups × 2 runs = 4 runs"),
        "{err}"
    );
    assert!(
        err.contains("group 2/2 other (2 benchmarks) · round 1/2"),
        "{err}"
    );
    // Built in place: in the workspace, with cargo's own target directory.
    let builds = fs::read_to_string(fx.tmp.path().join("builds.log")).unwrap();
    assert_eq!(builds.split(' ').next(), Some(fx.repo.to_str().unwrap()));
    for r in 0..2 {
        for id in ["fake/alpha", "fake/beta", "other/gamma", "other/delta"] {
            assert!(crit.join(id).join(format!("cal-{r}/sample.json")).is_file());
        }
        for group in ["fake", "other"] {
            let rounds = crit.join(group).join(format!("cal-{r}/cb-rounds.json"));
            assert!(rounds.is_file(), "{}", rounds.display());
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
    // The calibration has every benchmark, each from both runs.
    let cal = read_json(&crit.join("cb-calibration.json"));
    let ids: Vec<&String> = cal["benchmarks"].as_object().unwrap().keys().collect();
    assert_eq!(
        ids,
        ["fake/alpha", "fake/beta", "other/delta", "other/gamma"]
    );
    assert!(cal["benchmarks"]
        .as_object()
        .unwrap()
        .values()
        .all(|b| b["runs"] == 2));
    assert!(
        stdout(&out).contains("from 2 runs of 4 benchmarks"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_filter_selecting_part_of_a_group_runs_that_part_together() {
    let fx = Fixture::new("calibrate-filter");
    let out = calibrate(&fx, &["--runs", "2", "--", "alpha|delta|gamma"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        fx.args(),
        [
            "--bench --noplot ^(fake/alpha)$ --save-baseline cal-0",
            "--bench --noplot ^(other/gamma|other/delta)$ --save-baseline cal-0",
            "--bench --noplot ^(fake/alpha)$ --save-baseline cal-1",
            "--bench --noplot ^(other/gamma|other/delta)$ --save-baseline cal-1",
        ]
    );
    let cal = read_json(&criterion(&fx).join("cb-calibration.json"));
    assert_eq!(cal["benchmarks"].as_object().unwrap().len(), 3);
}

#[test]
fn per_benchmark_runs_each_benchmark_alone() {
    let fx = Fixture::new("calibrate-per-benchmark");
    let out = calibrate(
        &fx,
        &["--runs", "2", "--per-benchmark", "--", "beta|gamma"],
        &[],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(
        fx.args(),
        [
            "--bench --noplot --exact fake/beta --save-baseline cal-0",
            "--bench --noplot --exact other/gamma --save-baseline cal-0",
            "--bench --noplot --exact fake/beta --save-baseline cal-1",
            "--bench --noplot --exact other/gamma --save-baseline cal-1",
        ]
    );
    assert!(err.contains("2 benchmarks × 2 runs = 4 runs"), "{err}");
    assert!(
        err.contains("benchmark 2/2 other/gamma · round 1/2"),
        "{err}"
    );
    let cal = read_json(&criterion(&fx).join("cb-calibration.json"));
    assert_eq!(cal["benchmarks"].as_object().unwrap().len(), 2);
}

#[test]
fn sigint_during_a_group_run_keeps_the_complete_runs_and_nothing_of_that_one() {
    let fx = Fixture::new("calibrate-sigint");
    // The run of `fake`'s group saving cal-1 hangs after the first benchmark's first file.
    let mut cmd = fx.command(&["calibrate", "--runs", "2"]);
    cmd.env("FAKE_MORE", MORE);
    let out = interrupted_command(&fx, cmd, ("FAKE_HANG", "cal-1"));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("2 of 4 runs completed"), "{err}");
    assert!(err.contains("(0 benchmarks complete)"), "{err}");
    let crit = criterion(&fx);
    for id in ["fake/alpha", "fake/beta", "other/gamma", "other/delta"] {
        assert!(crit.join(id).join("cal-0/sample.json").is_file(), "{id}");
    }
    assert!(dirs_named(&crit, "cal-1").is_empty());
    assert!(!crit.join("cb-calibration.json").exists());
    assert!(!session::staging_root(&crit).exists());
}

#[test]
fn a_group_run_that_saves_only_some_of_its_benchmarks_fails_and_keeps_none() {
    let fx = Fixture::new("calibrate-partial");
    let out = calibrate(&fx, &["--runs", "2"], &[("FAKE_DROP", "fake/beta")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("fake (cal): the run saved a 'cal-0' baseline for 1 of its 2 benchmarks"),
        "{err}"
    );
    assert_eq!(runs(&fx), ["cal-0 fake/alpha,fake/beta"]);
    assert!(dirs_named(&criterion(&fx), "cal-0").is_empty());
}
