//! `ab` without real benchmarks: the fake bench executable and cargo of [`crate::fake_bench`],
//! in a throw-away git repository. The tests check the schedule, the worktrees, the staging of
//! runs and Ctrl-C; none depends on timing.

use std::fs;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::fake_bench::*;
use crate::util::*;
use target_report::ab;
use target_report::runner::session::{self, Entries, Plan, SideRun};

#[test]
fn abba_alternates_which_side_goes_first() {
    assert_eq!(ab::abba(4), [[0, 1], [1, 0], [0, 1], [1, 0]]);
    let slots = ab::schedule(2, 2);
    let order: Vec<(usize, &str)> = slots
        .iter()
        .map(|s| (s.bench, s.baseline.as_str()))
        .collect();
    assert_eq!(
        order,
        [
            (0, "ab-old-0"),
            (0, "ab-new-0"),
            (0, "ab-new-1"),
            (0, "ab-old-1"),
            (1, "ab-old-0"),
            (1, "ab-new-0"),
            (1, "ab-new-1"),
            (1, "ab-old-1"),
        ]
    );
}

#[test]
fn with_layouts_each_round_runs_its_link_order_on_both_sides() {
    // Two link orders per side: sides 0–1 are old's, 2–3 new's; round r uses order r mod 2.
    let slots = ab::rotate_layouts(ab::schedule(1, 4), 2);
    let order: Vec<(usize, &str)> = slots
        .iter()
        .map(|s| (s.side, s.baseline.as_str()))
        .collect();
    assert_eq!(
        order,
        [
            (0, "ab-old-0"),
            (2, "ab-new-0"),
            (3, "ab-new-1"),
            (1, "ab-old-1"),
            (0, "ab-old-2"),
            (2, "ab-new-2"),
            (3, "ab-new-3"),
            (1, "ab-old-3"),
        ]
    );
    // One build per side: unchanged.
    assert_eq!(
        ab::rotate_layouts(ab::schedule(2, 2), 1),
        ab::schedule(2, 2)
    );
}

#[test]
fn more_layouts_than_rounds_are_refused() {
    let fx = Fixture::new("ab-layouts");
    let o = fx.run(&["ab", "HEAD", "--rounds", "2", "--layouts", "3"]);
    assert_bad(&o, "--layouts must be at least 1 and at most --rounds");
}

#[test]
fn time_left_uses_each_benchmarks_own_pace() {
    let slots = ab::schedule(2, 2);
    let mut done = vec![None; slots.len()];
    assert_eq!(
        session::estimate_left(&slots, &done, 0, Duration::ZERO),
        None
    );
    done[0] = Some(Duration::from_secs(10));
    done[1] = Some(Duration::from_secs(20));
    // Slot 2 (bench 0) has run 5 s of its expected 15; slot 3 takes 15; bench 1's four runs
    // take the overall mean, 15 each.
    let left = session::estimate_left(&slots, &done, 2, Duration::from_secs(5)).unwrap();
    assert_eq!(left, Duration::from_secs(10 + 15 + 4 * 15));
}

#[test]
fn round_names_are_recognised_exactly() {
    assert!(session::is_round_name("ab-old-12", "ab-old-"));
    assert!(!session::is_round_name("ab-old-", "ab-old-"));
    assert!(!session::is_round_name("ab-old-1x", "ab-old-"));
    assert!(!session::is_round_name("new", "cal-"));
}

/// A plan of `fake/alpha` and `fake/beta` × 2 rounds × 2 sides, both sides running `bench`.
fn fake_plan(fx: &Fixture) -> Plan {
    let exe = fx.repo.join("bench.sh");
    let side = |name: &str| SideRun {
        name: name.into(),
        cwd: fx.repo.clone(),
        exes: [("fake/alpha", &exe), ("fake/beta", &exe)]
            .into_iter()
            .map(|(id, e)| (id.to_string(), e.clone()))
            .collect(),
        env: vec![
            ("FAKE_LOG".into(), fx.log().display().to_string()),
            ("FAKE_HANG".into(), "ab-new-1".into()),
            (
                "FAKE_HANG_MARK".into(),
                fx.tmp.path().join("hanging").display().to_string(),
            ),
        ],
    };
    Plan {
        benches: vec!["fake/alpha".into(), "fake/beta".into()],
        entries: Entries::Benchmarks,
        sides: vec![side("old"), side("new")],
        slots: ab::schedule(2, 2),
        args: vec![],
        rounds: 2,
    }
}

#[test]
fn a_stop_during_a_run_keeps_the_finished_runs_and_nothing_of_the_stopped_one() {
    let fx = Fixture::new("ab-staging");
    let plan = fake_plan(&fx);
    let crit = fx.criterion();
    let stop = AtomicBool::new(false);
    let mark = fx.tmp.path().join("hanging");
    let outcome = std::thread::scope(|s| {
        s.spawn(|| {
            while !mark.exists() {
                std::thread::sleep(Duration::from_millis(20));
            }
            stop.store(true, Ordering::SeqCst);
        });
        session::execute(&plan, &crit, &stop).unwrap()
    });
    assert!(outcome.interrupted);
    assert_eq!((outcome.completed, outcome.total), (2, 8));
    assert!(outcome.complete_benches.is_empty());
    // The two finished runs are complete baselines, with the group's cb-rounds.json.
    for name in ["ab-old-0", "ab-new-0"] {
        assert!(crit
            .join("fake/alpha")
            .join(name)
            .join("sample.json")
            .is_file());
        assert!(crit
            .join("fake")
            .join(name)
            .join("cb-rounds.json")
            .is_file());
    }
    // The stopped run left nothing, Criterion's new/ never reaches the Criterion directory,
    // and the staging directory is gone.
    assert!(dirs_named(&crit, "ab-new-1").is_empty());
    assert!(dirs_named(&crit, "new").is_empty());
    assert!(!session::staging_root(&crit).exists());
}

#[test]
fn committing_a_staged_run_replaces_an_older_baseline_of_that_name() {
    let tmp = TempDir::new("ab-commit");
    let staged = tmp.path().join("staged");
    let crit = tmp.path().join("criterion");
    fs::create_dir_all(staged.join("g/f/ab-old-0")).unwrap();
    fs::write(staged.join("g/f/ab-old-0/sample.json"), "fresh").unwrap();
    fs::create_dir_all(staged.join("g/f/new")).unwrap();
    fs::create_dir_all(crit.join("g/f/ab-old-0")).unwrap();
    fs::write(crit.join("g/f/ab-old-0/stale.json"), "old").unwrap();
    assert_eq!(session::commit(&staged, &crit, "ab-old-0").unwrap(), 1);
    assert_eq!(
        fs::read_to_string(crit.join("g/f/ab-old-0/sample.json")).unwrap(),
        "fresh"
    );
    assert!(!crit.join("g/f/ab-old-0/stale.json").exists());
    assert!(!crit.join("g/f/new").exists());
}

#[test]
fn unknown_revision_is_named() {
    let fx = Fixture::new("ab-badrev");
    assert_bad(&fx.run(&["ab", "no-such-rev"]), "'no-such-rev'");
    assert_bad(&fx.run(&["ab", "HEAD", "also-missing"]), "'also-missing'");
    assert!(!fx.repo.join("target/ab/worktrees").exists());
}

#[test]
fn fewer_than_two_rounds_or_runs_are_refused() {
    let fx = Fixture::new("ab-rounds");
    for k in ["0", "1"] {
        assert_bad(
            &fx.run(&["ab", "HEAD", "--rounds", k]),
            "--rounds must be at least 2",
        );
        assert_bad(
            &fx.run(&["calibrate", "--runs", k]),
            "--runs must be at least 2",
        );
    }
}

#[test]
fn both_sides_build_with_the_pinned_flags_unless_the_user_set_their_own() {
    let fx = Fixture::new("ab-flags");
    let flags_log = fx.tmp.path().join("builds.log.flags");
    let pinned = "-C\x1fllvm-args=-align-all-functions=6\x1f-C\x1fllvm-args=-align-loops=64";
    let out = fx
        .command(&["ab", "HEAD", "HEAD", "--rounds", "2", "--", "alpha"])
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .unwrap();
    assert!(!stderr(&out).contains("not pinned"), "{}", stderr(&out));
    let logged = fs::read_to_string(&flags_log).unwrap();
    let want = format!("{pinned}|unset|unset\n");
    assert_eq!(logged, want.repeat(2), "old and new alike");
    // The user's RUSTFLAGS: inherited by both sides, and one line says so.
    fs::remove_file(&flags_log).unwrap();
    let out = fx
        .command(&["ab", "HEAD", "HEAD", "--rounds", "2", "--", "alpha"])
        .env("RUSTFLAGS", "-Ctarget-cpu=native")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .unwrap();
    let logged = fs::read_to_string(&flags_log).unwrap();
    assert_eq!(logged, "unset|-Ctarget-cpu=native|unset\n".repeat(2));
    let notes: Vec<String> = stderr(&out)
        .lines()
        .filter(|l| l.contains("not pinned"))
        .map(str::to_string)
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("RUSTFLAGS"), "{}", notes[0]);
}

#[test]
fn outside_a_git_repository_ab_says_so() {
    let fx = Fixture::new("ab-nogit");
    let plain = fx.tmp.path().join("plain");
    fs::create_dir_all(&plain).unwrap();
    let out = fx
        .command(&["ab", "HEAD"])
        .current_dir(&plain)
        .output()
        .unwrap();
    assert_bad(&out, "not a git repository");
}

#[test]
fn ab_runs_both_sides_in_abba_order_with_the_working_tree_as_new() {
    let fx = Fixture::new("ab-full");
    // Uncommitted and untracked changes belong to the new side only.
    fs::write(fx.repo.join("version.txt"), "v2").unwrap();
    fs::write(fx.repo.join("extra.txt"), "x").unwrap();
    let out = fx.run(&["ab", "HEAD", "--rounds", "2", "--", "alpha"]);
    let err = stderr(&out);
    let runs: Vec<String> = fx.runs().iter().map(|r| r.join(" ")).collect();
    assert_eq!(
        runs,
        [
            "ab-old-0 fake/alpha v1 no",
            "ab-new-0 fake/alpha v2 yes",
            "ab-new-1 fake/alpha v2 yes",
            "ab-old-1 fake/alpha v1 no",
        ],
        "{err}"
    );
    // Each side was built once, in its own worktree and its own target directory.
    let builds = fs::read_to_string(fx.tmp.path().join("builds.log")).unwrap();
    let head = git(&fx.repo, &["rev-parse", "--short=7", "HEAD"]);
    let ab_dir = fx.repo.join("target/ab");
    let expected = format!(
        "{} {}\n{} {}\n",
        ab_dir.join(format!("worktrees/old-{head}")).display(),
        ab_dir.join("target-old").display(),
        ab_dir.join("worktrees/new-worktree").display(),
        ab_dir.join("target-new").display(),
    );
    assert_eq!(builds, expected);
    for r in 0..2 {
        for side in ["old", "new"] {
            let dir = fx.criterion().join(format!("fake/alpha/ab-{side}-{r}"));
            assert!(dir.join("sample.json").is_file(), "{}", dir.display());
        }
    }
    // The user's working tree and index are untouched by the snapshot.
    assert_eq!(
        fs::read_to_string(fx.repo.join("version.txt")).unwrap(),
        "v2"
    );
    let status = git(&fx.repo, &["status", "--porcelain"]);
    assert_eq!(status.lines().count(), 2, "{status}");
    assert!(
        status.contains("M version.txt") && status.contains("?? extra.txt"),
        "{status}"
    );
    // Three samples a round decide nothing: inconclusive, never a regression.
    assert_eq!(out.status.code(), Some(3), "{err}");
}

#[test]
fn a_side_setting_reaches_only_that_sides_runs() {
    let fx = Fixture::new("ab-side-env");
    let out = fx.run(&[
        "ab",
        "HEAD",
        "HEAD",
        "--rounds",
        "2",
        "--new-env",
        "CB_SIDE_MARK=slow",
        "--",
        "alpha",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let marked = fs::read_to_string(fx.log().with_extension("log.env")).unwrap();
    assert_eq!(marked, "ab-new-0 slow\nab-new-1 slow\n");
    assert!(
        stderr(&out).contains("CB_SIDE_MARK differs between the sides"),
        "{}",
        stderr(&out)
    );
    for bad in ["FOO=1", "CB_X", "=1"] {
        assert_bad(&fx.run(&["ab", "HEAD", "--new-env", bad]), "CB_NAME=VALUE");
    }
}

#[test]
fn a_second_ab_reuses_both_worktrees_and_a_changed_working_tree_updates_its_own() {
    let fx = Fixture::new("ab-reuse");
    fx.run(&["ab", "HEAD", "--rounds", "2", "--", "beta"]);
    let again = stderr(&fx.run(&["ab", "HEAD", "--rounds", "2", "--", "beta"]));
    assert!(
        again.contains("old: worktree") && again.matches("(reused)").count() == 2,
        "{again}"
    );
    fs::write(fx.repo.join("version.txt"), "v3").unwrap();
    let changed = stderr(&fx.run(&["ab", "HEAD", "--rounds", "2", "--", "beta"]));
    assert!(changed.contains("new-worktree (updated)"), "{changed}");
    assert!(fx
        .runs()
        .iter()
        .any(|r| r[2] == "v3" && r[0].starts_with("ab-new")));
}

#[test]
fn sigint_during_a_build_stops_it_and_exits_130() {
    let fx = Fixture::new("ab-sigint-build");
    let out = interrupted(&fx, &["ab", "HEAD"], ("FAKE_BUILD_HANG", "1"));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted before the first run"), "{err}");
    assert!(fx.runs().is_empty());
}

#[test]
fn sigint_during_ab_stops_the_run_removes_it_and_exits_130() {
    let fx = Fixture::new("ab-sigint");
    let out = interrupted(
        &fx,
        &["ab", "HEAD", "--rounds", "2"],
        ("FAKE_HANG", "ab-new-1"),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("2 of 8 runs completed"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let crit = fx.criterion();
    assert!(crit.join("fake/alpha/ab-new-0/sample.json").is_file());
    assert!(dirs_named(&crit, "ab-new-1").is_empty());
    assert!(!session::staging_root(&crit).exists());
}

#[test]
fn a_filter_matching_nothing_is_bad_input() {
    let fx = Fixture::new("ab-nomatch");
    let out = fx.run(&["ab", "HEAD", "--rounds", "2", "--", "gamma"]);
    let err = stderr(&out);
    // Known only once both sides are built, so the progress lines come first; the error is
    // the one last line.
    assert_eq!(out.status.code(), Some(2), "{err}");
    let last = err.lines().last().unwrap_or("");
    assert!(last.contains("no benchmark matching 'gamma'"), "{err}");
    assert!(fx.runs().is_empty());
}

#[test]
fn a_second_ab_in_the_same_repository_is_refused_while_one_runs() {
    let fx = Fixture::new("ab-lock");
    let mut first = fx
        .command(&["ab", "HEAD", "--rounds", "2"])
        .env("FAKE_HANG", "ab-old-0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mark = fx.tmp.path().join("hanging");
    while !mark.exists() {
        assert!(first.try_wait().unwrap().is_none(), "ended before the hang");
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = fx.run(&["ab", "HEAD", "--rounds", "2"]);
    // SAFETY: kill(2) on the child we spawned and have not reaped.
    unsafe { libc::kill(first.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(first.wait().unwrap().code(), Some(130));
    assert_bad(&second, "another target-report is using the ab worktrees");
}

#[test]
fn sequential_rounds_stop_a_benchmark_once_it_is_decided() {
    // Ten samples a run: the paired ratios are 0 and +0.5% in turn. After 2 rounds (df = 1,
    // the 1 − α/3 interval) nothing is decided; after 4 the interval lies well within ±5%:
    // unchanged, and no rounds 5-6 run.
    let fx = Fixture::new("ab-sequential");
    let out = fx
        .command(&[
            "ab",
            "HEAD",
            "HEAD",
            "--min-rounds",
            "2",
            "--max-rounds",
            "6",
            "--format",
            "json",
            "--",
            "alpha",
        ])
        .env("FAKE_TEN", "1")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let runs: Vec<String> = fx.runs().iter().map(|r| r[0].clone()).collect();
    let want = [
        "ab-old-0", "ab-new-0", "ab-new-1", "ab-old-1", "ab-old-2", "ab-new-2", "ab-new-3",
        "ab-old-3",
    ];
    assert_eq!(runs, want, "{err}");
    assert!(
        err.contains("fake/alpha after 2 rounds") && err.contains("undecided"),
        "{err}"
    );
    assert!(
        err.contains("fake/alpha after 4 rounds") && err.contains(": unchanged"),
        "{err}"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entry = &json["entries"][0];
    assert_eq!(entry["verdict"], "unchanged");
    assert_eq!(entry["looks"], 3);
    assert_eq!(entry["noise"]["runs"], 4);
    // The unchanged interval is the 1 − α/3 one.
    let confidence = entry["decision"]["confidence"].as_f64().unwrap();
    assert!(
        (confidence - (1.0 - 0.05 / 3.0)).abs() < 1e-12,
        "{confidence}"
    );
}

#[test]
fn sequential_rounds_go_to_the_maximum_when_nothing_decides() {
    // Three samples a run decide nothing (fewer than Criterion's ten): every look is
    // undecided, the benchmark gets --max-rounds, and the verdict is inconclusive (exit 3).
    let fx = Fixture::new("ab-sequential-max");
    let out = fx.run(&[
        "ab",
        "HEAD",
        "HEAD",
        "--min-rounds",
        "2",
        "--max-rounds",
        "4",
        "--",
        "beta",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_eq!(fx.runs().len(), 8, "{err}");
    assert!(err.contains("undecided at --max-rounds"), "{err}");
    assert!(
        err.contains("pass 2: 1 undecided (fake/beta) get rounds 3–4"),
        "{err}"
    );
}

#[test]
fn sequential_round_counts_are_checked() {
    let fx = Fixture::new("ab-sequential-bad");
    assert_bad(
        &fx.run(&["ab", "HEAD", "--min-rounds", "3"]),
        "--min-rounds must be even and at least 2",
    );
    assert_bad(
        &fx.run(&["ab", "HEAD", "--min-rounds", "4", "--max-rounds", "7"]),
        "--max-rounds must be --min-rounds plus a multiple of 2",
    );
    assert_bad(
        &fx.run(&["ab", "HEAD", "--budget", "soon"]),
        "expected a duration",
    );
    let both = fx.run(&["ab", "HEAD", "--rounds", "4", "--max-rounds", "8"]);
    assert_eq!(both.status.code(), Some(2), "{}", stderr(&both));
    assert!(fx.runs().is_empty());
}
