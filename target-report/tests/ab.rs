//! `ab` and `calibrate` without real benchmarks: a shell script stands in for a bench
//! executable (it answers `--list` and writes a Criterion-like baseline directory), another
//! for cargo (`$CARGO`, which the runner honours), in a throw-away git repository. The tests
//! check the schedule, the worktrees, the staging of runs and Ctrl-C; none depends on timing.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::util::*;
use target_report::ab;
use target_report::calibrate;
use target_report::runner::session::{self, Plan, SideRun};

/// Answers `--bench --list [FILTER]` with `fake/alpha` and `fake/beta`, and a run
/// (`--bench --noplot --exact ID --save-baseline NAME`) by logging `NAME ID <version.txt>
/// <whether extra.txt exists>` to `$FAKE_LOG` (and `NAME $CB_SIDE_MARK` to `$FAKE_LOG.env` when
/// that is set) and writing `<id>/NAME/` (and `new/`) under
/// `$CRITERION_HOME` the way Criterion lays them out: `benchmark.json`, `sample.json` (three
/// samples around 100 ns per iteration plus the round number, ten with `FAKE_TEN` set, the new
/// side 0.5% slower in odd rounds) and `estimates.json`, plus the group's `NAME/cb-rounds.json`. With
/// `FAKE_HANG=NAME` that run writes half its files, touches `$FAKE_HANG_MARK` and hangs until
/// it is killed.
const BENCH: &str = r#"#!/bin/sh
if [ "$2" = "--list" ]; then
  for id in fake/alpha fake/beta; do
    if [ -z "$3" ] || echo "$id" | grep -qE "$3"; then echo "$id: benchmark"; fi
  done
  exit 0
fi
id=$4; name=$6
extra=no; [ -f extra.txt ] && extra=yes
echo "$name $id $(cat version.txt) $extra" >> "$FAKE_LOG"
if [ -n "$CB_SIDE_MARK" ]; then echo "$name $CB_SIDE_MARK" >> "$FAKE_LOG.env"; fi
dir="$CRITERION_HOME/$id"; b="$dir/$name"; f=${id#fake/}
mkdir -p "$dir/new" "$b" "$CRITERION_HOME/fake/$name"
printf '{"group_id":"fake","function_id":"%s","value_str":null,"throughput":null,"full_id":"%s","directory_name":"%s","title":"%s"}' \
  "$f" "$id" "$id" "$id" > "$b/benchmark.json"
if [ "$name" = "$FAKE_HANG" ]; then touch "$FAKE_HANG_MARK"; sleep 60; fi
r=${name##*-}; t=$((1000 + 10 * r))
case "$name" in ab-new-*) [ $((r % 2)) -eq 1 ] && t=$((t + 5));; esac
if [ -n "$FAKE_TEN" ]; then
  printf '{"sampling_mode":"Flat","iters":[10,10,10,10,10,10,10,10,10,10],"times":[%s,%s,%s,%s,%s,%s,%s,%s,%s,%s]}' $((t - 1)) $t $((t + 1)) $t $t $t $t $t $t $t > "$b/sample.json"
else
  printf '{"sampling_mode":"Flat","iters":[10,10,10],"times":[%s,%s,%s]}' $((t - 1)) $t $((t + 1)) > "$b/sample.json"
fi
est() { printf '{"confidence_interval":{"confidence_level":0.95,"lower_bound":%s,"upper_bound":%s},"point_estimate":%s,"standard_error":0.1}' "$1" "$2" "$3"; }
m=$(est $((t / 10 - 1)) $((t / 10 + 1)) $((t / 10)))
printf '{"mean":%s,"median":%s,"median_abs_dev":%s,"slope":null,"std_dev":%s}' "$m" "$m" "$(est 0 1 0.5)" "$(est 0 1 0.5)" > "$b/estimates.json"
printf '{"schema":1,"group":"fake","reference":"alpha","seed":1,"rounds":[],"fallback":[]}' > "$CRITERION_HOME/fake/$name/cb-rounds.json"
cp "$b/sample.json" "$dir/new/sample.json"
"#;

/// `cargo bench --no-run --message-format=json`: reports `bench.sh` of the checkout it runs
/// in as the `cpu` bench executable and logs `<checkout> <CARGO_TARGET_DIR>`. With
/// `FAKE_BUILD_HANG` set it touches `$FAKE_HANG_MARK` and hangs instead.
const CARGO: &str = r#"#!/bin/sh
[ "$1 $2 $3" = "bench --no-run --message-format=json" ] || { echo "unexpected: $*" >&2; exit 9; }
echo "   Compiling fake" >&2
if [ -n "$FAKE_BUILD_HANG" ]; then touch "$FAKE_HANG_MARK"; sleep 60; fi
echo "$PWD $CARGO_TARGET_DIR" >> "$FAKE_BUILD_LOG"
echo "${CARGO_ENCODED_RUSTFLAGS-unset}|${RUSTFLAGS-unset}|${CB_LINK_SHUFFLE_SEED-unset}" >> "$FAKE_BUILD_LOG.flags"
echo "{\"reason\":\"compiler-artifact\",\"target\":{\"name\":\"cpu\",\"kind\":[\"bench\"]},\"executable\":\"$PWD/bench.sh\"}"
echo '{"reason":"build-finished","success":true}'
"#;

fn write_script(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A git repository with the fake bench committed (`version.txt` = `v1`), plus the fake cargo
/// and log files outside it.
struct Fixture {
    tmp: TempDir,
    repo: PathBuf,
}

impl Fixture {
    fn new(tag: &str) -> Fixture {
        let tmp = TempDir::new(tag);
        let repo = tmp.path().join("repo");
        fs::create_dir_all(&repo).unwrap();
        git(&repo, &["init", "-q"]);
        write_script(&repo.join("bench.sh"), BENCH);
        fs::write(repo.join("version.txt"), "v1").unwrap();
        fs::write(repo.join(".gitignore"), "target/\n").unwrap();
        // Only `calibrate` needs it: it finds the workspace root the way cargo does.
        fs::write(repo.join("Cargo.toml"), "[workspace]\n").unwrap();
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-qm", "first"]);
        write_script(&tmp.path().join("cargo.sh"), CARGO);
        Fixture { tmp, repo }
    }

    fn log(&self) -> PathBuf {
        self.tmp.path().join("runs.log")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_target-report"));
        cmd.args(args)
            .current_dir(&self.repo)
            .env("CARGO", self.tmp.path().join("cargo.sh"))
            .env("FAKE_LOG", self.log())
            .env("FAKE_BUILD_LOG", self.tmp.path().join("builds.log"))
            .env("FAKE_HANG_MARK", self.tmp.path().join("hanging"))
            .env("GIT_CEILING_DIRECTORIES", self.tmp.path());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// The logged runs: `(baseline, id, version, extra)`.
    fn runs(&self) -> Vec<[String; 4]> {
        fs::read_to_string(self.log())
            .unwrap_or_default()
            .lines()
            .map(|l| {
                let f: Vec<String> = l.split(' ').map(str::to_string).collect();
                [f[0].clone(), f[1].clone(), f[2].clone(), f[3].clone()]
            })
            .collect()
    }

    fn criterion(&self) -> PathBuf {
        self.repo.join("target/ab/criterion")
    }
}

/// Every directory under `dir` whose name is `name`.
fn dirs_named(dir: &Path, name: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_type().unwrap().is_dir() {
                if e.file_name() == name {
                    out.push(e.path());
                }
                out.extend(dirs_named(&e.path(), name));
            }
        }
    }
    out
}

/// Exit 2 and one line on stderr naming `needle`.
fn assert_bad(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(needle), "{err:?} should name {needle:?}");
    assert!(!err.contains("panicked"), "{err}");
}

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

/// Runs `target-report` with `args` and `hang` (`FAKE_HANG=...` or `FAKE_BUILD_HANG=1`),
/// sends SIGINT once the hanging child has started, and returns the output.
fn interrupted(fx: &Fixture, args: &[&str], hang: (&str, &str)) -> Output {
    let mut child = fx
        .command(args)
        .env(hang.0, hang.1)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mark = fx.tmp.path().join("hanging");
    while !mark.exists() {
        assert!(child.try_wait().unwrap().is_none(), "ended before the hang");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: kill(2) on the child we spawned and have not reaped.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    child.wait_with_output().unwrap()
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
