//! `backfill`: a bad range, and a whole backfill of a tiny throwaway repository whose `cpu`
//! bench is a stand-in for Criterion (std only, so it builds in about a second): one commit
//! that does not build, one whose bench fails at run time, resuming after the history lost its
//! last record, and the page.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::util::*;
use target_report::history::{self, Record, Status};

#[test]
fn a_bad_range_is_one_line_and_status_2() {
    let tmp = TempDir::new("bf-bad");
    let hist = tmp.path().join("h.jsonl");
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (range, says) in [
        ("no-such-rev..HEAD", "unknown revision 'no-such-rev'"),
        ("HEAD", "bad revision range 'HEAD': expected A..B"),
        ("HEAD..HEAD", "revision range 'HEAD..HEAD' holds no commit"),
    ] {
        let o = run_in(crate_dir, &["backfill", range, "--history", p(&hist)]);
        assert_eq!(o.status.code(), Some(2), "{range}: {}", stderr(&o));
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(says), "{err}");
    }
    assert!(!hist.exists(), "nothing written");
}

/// A `cpu` bench that answers like Criterion 0.8.2: `--list` prints `<id>: benchmark` for the
/// ids containing the filter (without its `^`), and a run of `--exact <id> --save-baseline
/// <name>` writes benchmark.json, estimates.json and sample.json under `$CRITERION_HOME`.
/// Each point takes `NS` nanoseconds.
const FAKE_BENCH: &str = r##"
const NS: f64 = @NS@;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let ids = ["cpu/fake/a", "cpu/fake/b"];
    let value = |flag: &str| args.iter().position(|a| a == flag).map(|i| args[i + 1].clone());
    if args.iter().any(|a| a == "--list") {
        let filter = args.iter().skip(1).find(|a| !a.starts_with('-')).cloned().unwrap_or_default();
        for id in ids.iter().filter(|id| id.contains(filter.trim_start_matches('^'))) {
            println!("{id}: benchmark");
        }
        return;
    }
    let id = value("--exact").unwrap();
    let name = value("--save-baseline").unwrap();
    let dir_name = id.replace("cpu/fake/", "cpu_fake/");
    let dir = std::path::Path::new(&std::env::var("CRITERION_HOME").unwrap()).join(&dir_name).join(&name);
    std::fs::create_dir_all(&dir).unwrap();
    let f = &id["cpu/fake/".len()..];
    std::fs::write(dir.join("benchmark.json"), format!(
        r#"{{"group_id":"cpu/fake","function_id":"{f}","value_str":null,"throughput":null,"full_id":"{id}","directory_name":"{dir_name}","title":"{id}"}}"#)).unwrap();
    let est = |x: f64| format!(
        r#"{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":{},"upper_bound":{}}},"point_estimate":{x},"standard_error":1.0}}"#,
        x * 0.99, x * 1.01);
    std::fs::write(dir.join("estimates.json"), format!(
        r#"{{"mean":{m},"median":{m},"median_abs_dev":{d},"slope":null,"std_dev":{d}}}"#,
        m = est(NS), d = est(1.0))).unwrap();
    std::fs::write(dir.join("sample.json"), format!(
        r#"{{"sampling_mode":"Flat","iters":[1.0,1.0,1.0],"times":[{NS},{NS},{NS}]}}"#)).unwrap();
}
"##;

fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@localhost"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
}

fn commit_bench(repo: &Path, source: &str, message: &str) {
    fs::write(repo.join("benches/cpu.rs"), source).unwrap();
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", message]);
}

/// A throwaway repository at `<tmp>/repo` whose first commit has an empty `cpu` bench.
fn fake_repo(tmp: &TempDir) -> std::path::PathBuf {
    let repo = tmp.path().join("repo");
    fs::create_dir_all(repo.join("benches")).unwrap();
    fs::write(
        repo.join("Cargo.toml"),
        "[workspace]\n\n[package]\nname = \"fake-suite\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[[bench]]\nname = \"cpu\"\nharness = false\n",
    )
    .unwrap();
    fs::write(repo.join(".gitignore"), "target/\n").unwrap();
    git(&repo, &["init", "-q"]);
    commit_bench(&repo, "fn main() {}\n", "start");
    repo
}

#[test]
fn a_bench_that_fails_at_run_time_is_recorded_and_the_backfill_goes_on() {
    let tmp = TempDir::new("bf-crash");
    let repo = fake_repo(&tmp);
    commit_bench(&repo, &FAKE_BENCH.replace("@NS@", "1000.0"), "1 µs");
    // Lists its benchmarks, then exits with an error when asked to run one.
    let crashing = FAKE_BENCH.replace("@NS@", "1000.0").replace(
        "let id = value(\"--exact\").unwrap();",
        "std::process::exit(3);\n    #[allow(unreachable_code)]\n    let id = value(\"--exact\").unwrap();",
    );
    commit_bench(&repo, &crashing, "crashes");
    commit_bench(&repo, &FAKE_BENCH.replace("@NS@", "2000.0"), "2 µs");
    let hist = tmp.path().join("h.jsonl");
    let args = [
        "backfill",
        "HEAD~3..HEAD",
        "--history",
        p(&hist),
        "--",
        "^cpu/fake/a",
    ];
    let o = run_in(&repo, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("a benchmark failed, recorded as such"),
        "{err}"
    );
    assert!(
        err.contains("2 commits measured, 1 could not be measured"),
        "{err}"
    );
    let records: Vec<_> = history::load(&hist)
        .unwrap()
        .records
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    let statuses: Vec<Option<Status>> = records.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [None, Some(Status::RunFailed), None]);
    assert!(records[1].benchmarks.is_empty());
    assert!(
        records[1].reason.as_deref().unwrap().contains("failed"),
        "{:?}",
        records[1].reason
    );
    assert_eq!(records[2].benchmarks[0].median_ns, 2000.0);

    // A resumed backfill tries the failed commit again (and records it failing again).
    let o = run_in(&repo, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("2 already in") && stderr(&o).contains("1 to measure"),
        "{}",
        stderr(&o)
    );
    let again = history::load(&hist).unwrap().records;
    assert_eq!(again.len(), 4);
    assert_eq!(again[3].1.git.commit, records[1].git.commit);
    assert_eq!(again[3].1.status, Some(Status::RunFailed));
}

/// The three commits' records: each with its own commit and the backfill's origin, the broken
/// one a gap, the others the filtered benchmark's own median.
fn each_commit_recorded_as_itself(repo: &Path, records: &[&Record]) {
    assert_eq!(records.len(), 3);
    let messages = ["1 µs", "broken", "2 µs"];
    for (r, message) in records.iter().zip(messages) {
        // Each record carries its own commit, not the working tree's HEAD.
        let subject = Command::new("git")
            .args([
                "show",
                "-s",
                "--format=%s",
                r.git.commit.as_deref().unwrap(),
            ])
            .current_dir(repo)
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&subject.stdout).trim(), message);
        assert_eq!(r.git.dirty, Some(false));
        assert_eq!(
            r.origin.as_ref().unwrap().criterion_args,
            ["^cpu/fake/a"],
            "{r:?}"
        );
    }
    assert_eq!(records[1].status, Some(Status::BuildFailed));
    assert!(records[1].benchmarks.is_empty());
    assert!(records[1]
        .reason
        .as_deref()
        .unwrap()
        .contains("cargo bench --no-run"));
    // The filter picked one of the two benchmarks; its median is the bench's own number.
    let medians: Vec<(String, f64)> = [records[0], records[2]]
        .iter()
        .flat_map(|r| r.benchmarks.iter().map(|b| (b.id.clone(), b.median_ns)))
        .collect();
    assert_eq!(
        medians,
        [
            ("cpu/fake/a".to_string(), 1000.0),
            ("cpu/fake/a".to_string(), 2000.0)
        ]
    );
}

#[test]
fn backfill_records_each_commit_a_failed_build_as_such_and_resumes() {
    let tmp = TempDir::new("bf-repo");
    let repo = fake_repo(&tmp);
    commit_bench(&repo, &FAKE_BENCH.replace("@NS@", "1000.0"), "1 µs");
    commit_bench(&repo, "fn main() { not rust }\n", "broken");
    commit_bench(&repo, &FAKE_BENCH.replace("@NS@", "2000.0"), "2 µs");

    let hist = tmp.path().join("h.jsonl");
    let out = tmp.path().join("page");
    let backfill = || {
        run_in(
            &repo,
            &[
                "backfill",
                "HEAD~3..HEAD",
                "--history",
                p(&hist),
                "--out",
                p(&out),
                "--",
                "^cpu/fake/a",
            ],
        )
    };
    let o = backfill();
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("3 selected, 0 already in"), "{err}");
    assert!(
        err.contains("2 commits measured, 1 could not be measured"),
        "{err}"
    );
    assert!(
        stdout(&o).starts_with("wrote index.html and 1 charts"),
        "{}",
        stdout(&o)
    );

    let loaded = history::load(&hist).unwrap();
    assert!(loaded.corrupt.is_empty());
    let records: Vec<_> = loaded.records.iter().map(|(_, r)| r).collect();
    each_commit_recorded_as_itself(&repo, &records);
    let page = fs::read_to_string(out.join("index.html")).unwrap();
    let doc = parse_html(&page);
    let gaps: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.attribute("data-unmeasured"))
        .collect();
    let broken = records[1].git.commit.as_deref().unwrap();
    assert_eq!(gaps, [&broken[..7]]);

    // Everything is in the history: a second run measures nothing and appends nothing.
    let before = fs::read_to_string(&hist).unwrap();
    let o = backfill();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("3 already in"), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(&hist).unwrap(), before);

    // As if the last commit had been interrupted: only it is measured again.
    let first_two: String = before.lines().take(2).map(|l| format!("{l}\n")).collect();
    fs::write(&hist, &first_two).unwrap();
    let o = backfill();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("2 already in") && stderr(&o).contains("1 to measure"),
        "{}",
        stderr(&o)
    );
    let again = history::load(&hist).unwrap();
    assert_eq!(again.records.len(), 3);
    assert_eq!(
        again.records[2].1.git.commit, records[2].git.commit,
        "the missing commit, measured again"
    );
}
