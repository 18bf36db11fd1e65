//! A fake suite for the commands that run bench executables (`ab`, `calibrate`): a shell script
//! stands in for a bench executable (it answers `--list` and writes a Criterion-like baseline
//! directory), another for cargo (`$CARGO`, which the runner honours), in a throw-away git
//! repository.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::util::*;

/// Answers `--bench --list [FILTER]` with `fake/alpha`, `fake/beta` and the ids in
/// `$FAKE_MORE` (e.g. `other/gamma`), and a run — of one benchmark (`--bench --noplot --exact
/// ID --save-baseline NAME`) or of every id a regex selects (`--bench --noplot REGEX
/// --save-baseline NAME`, as Criterion reads a filter without `--exact`) — by logging its
/// arguments to `$FAKE_LOG.args`, `NAME IDS <version.txt> <whether extra.txt exists>` (IDS
/// comma-separated) to `$FAKE_LOG` (and `NAME $CB_SIDE_MARK` to `$FAKE_LOG.env` when that is
/// set) and writing, for each id, `<id>/NAME/` (and `new/`) under `$CRITERION_HOME` the way
/// Criterion lays them out: `benchmark.json`, `sample.json` (three samples around 100 ns per
/// iteration plus the round number, ten with `FAKE_TEN` set, the new side 0.5% slower in odd
/// rounds) and `estimates.json`, plus its group's `NAME/cb-rounds.json`. `FAKE_DROP=ID` leaves
/// that id out of a run that selected it. With `FAKE_HANG=NAME` that run writes half the files
/// of its first id, touches `$FAKE_HANG_MARK` and hangs until it is killed. With
/// `FAKE_CPU_NS=N` the group's `cb-rounds.json` holds one sample of 1 s with N ns of client
/// CPU time (N/1e9 cores busy); `FAKE_SLEEP=S` makes a run last S seconds more; every run
/// logs `NAME IDS START_NS END_NS` to `$FAKE_LOG.times`. With `CB_TURNS` set (and no
/// `FAKE_NO_TURNS`) a run takes three turns from that coordinator before it writes anything
/// (python3 speaks the protocol of `cb_turns`), holds each for 50 ms and logs
/// `NAME FROM_NS TO_NS` per turn to `$FAKE_LOG.turns`; with `FAKE_HANG=NAME` that run touches
/// `$FAKE_HANG_MARK` in its second turn and hangs holding it.
const BENCH: &str = r#"#!/bin/sh
all="fake/alpha fake/beta $FAKE_MORE"
if [ "$2" = "--list" ]; then
  for id in $all; do
    if [ -z "$3" ] || echo "$id" | grep -qE "$3"; then echo "$id: benchmark"; fi
  done
  exit 0
fi
started=$(date +%s%N)
echo "$*" >> "$FAKE_LOG.args"
if [ "$3" = "--exact" ]; then turn_name=$6; else turn_name=$5; fi
if [ -n "$CB_TURNS" ] && [ -z "$FAKE_NO_TURNS" ]; then
  python3 - "$CB_TURNS" "$$" "$turn_name" "$FAKE_LOG.turns" <<'PY' || exit 7
import os, socket, sys, time
path, pid, name, log = sys.argv[1:5]
s = socket.socket(socket.AF_UNIX)
s.connect(path)
s.sendall(b"pid " + pid.encode() + b"\n")
for turn in range(3):
    s.sendall(b"T")
    assert s.recv(1) == b"G"
    if turn == 1 and os.environ.get("FAKE_HANG") == name:
        open(os.environ["FAKE_HANG_MARK"], "w").close()
        time.sleep(60)
    start = time.time_ns()
    time.sleep(0.05)
    with open(log, "a") as out:
        out.write(f"{name} {start} {time.time_ns()}\n")
PY
fi
if [ "$3" = "--exact" ]; then
  ids=$4; name=$6
else
  ids=$(for id in $all; do echo "$id" | grep -qE "$3" && echo "$id"; done); name=$5
fi
extra=no; [ -f extra.txt ] && extra=yes
echo "$name $(echo $ids | tr ' ' ,) $(cat version.txt) $extra" >> "$FAKE_LOG"
if [ -n "$CB_SIDE_MARK" ]; then echo "$name $CB_SIDE_MARK" >> "$FAKE_LOG.env"; fi
est() { printf '{"confidence_interval":{"confidence_level":0.95,"lower_bound":%s,"upper_bound":%s},"point_estimate":%s,"standard_error":0.1}' "$1" "$2" "$3"; }
for id in $ids; do
  [ "$id" = "$FAKE_DROP" ] && continue
  dir="$CRITERION_HOME/$id"; b="$dir/$name"; g=${id%/*}; f=${id##*/}
  mkdir -p "$dir/new" "$b" "$CRITERION_HOME/$g/$name"
  printf '{"group_id":"%s","function_id":"%s","value_str":null,"throughput":null,"full_id":"%s","directory_name":"%s","title":"%s"}' \
    "$g" "$f" "$id" "$id" "$id" > "$b/benchmark.json"
  if [ "$name" = "$FAKE_HANG" ]; then touch "$FAKE_HANG_MARK"; sleep 60; fi
  r=${name##*-}; t=$((1000 + 10 * r))
  case "$name" in ab-new-*) [ $((r % 2)) -eq 1 ] && t=$((t + 5));; esac
  if [ -n "$FAKE_TEN" ]; then
    printf '{"sampling_mode":"Flat","iters":[10,10,10,10,10,10,10,10,10,10],"times":[%s,%s,%s,%s,%s,%s,%s,%s,%s,%s]}' $((t - 1)) $t $((t + 1)) $t $t $t $t $t $t $t > "$b/sample.json"
  else
    printf '{"sampling_mode":"Flat","iters":[10,10,10],"times":[%s,%s,%s]}' $((t - 1)) $t $((t + 1)) > "$b/sample.json"
  fi
  m=$(est $((t / 10 - 1)) $((t / 10 + 1)) $((t / 10)))
  printf '{"mean":%s,"median":%s,"median_abs_dev":%s,"slope":null,"std_dev":%s}' "$m" "$m" "$(est 0 1 0.5)" "$(est 0 1 0.5)" > "$b/estimates.json"
  rounds=""
  if [ -n "$FAKE_CPU_NS" ]; then
    cpu='{"tick_ns":10000000,"client":{"user_ns":'"$FAKE_CPU_NS"',"system_ns":0},"workers":{"user_ns":0,"system_ns":0}}'
    rounds='{"order":["'"$f"'"],"samples":[{"function":"'"$f"'","iters":10,"ns":1000000000,"cpu":'"$cpu"'}]}'
  fi
  printf '{"schema":1,"group":"%s","reference":"%s","seed":1,"rounds":[%s],"fallback":[]}' "$g" "$f" "$rounds" > "$CRITERION_HOME/$g/$name/cb-rounds.json"
  cp "$b/sample.json" "$dir/new/sample.json"
done
[ -n "$FAKE_SLEEP" ] && sleep "$FAKE_SLEEP"
echo "$name $(echo $ids | tr ' ' ,) $started $(date +%s%N)" >> "$FAKE_LOG.times"
"#;

/// `cargo bench --no-run --message-format=json`: reports `bench.sh` of the checkout it runs
/// in as the `cpu` bench executable (and `$FAKE_CONFIG`, when set, as `cb-config`) and logs
/// `<checkout> <CARGO_TARGET_DIR>`. With `FAKE_BUILD_HANG` set it touches `$FAKE_HANG_MARK`
/// and hangs instead.
const CARGO: &str = r#"#!/bin/sh
[ "$1 $2 $3" = "bench --no-run --message-format=json" ] || { echo "unexpected: $*" >&2; exit 9; }
echo "   Compiling fake" >&2
if [ -n "$FAKE_BUILD_HANG" ]; then touch "$FAKE_HANG_MARK"; sleep 60; fi
echo "$PWD $CARGO_TARGET_DIR" >> "$FAKE_BUILD_LOG"
echo "${CARGO_ENCODED_RUSTFLAGS-unset}|${RUSTFLAGS-unset}|${CB_LINK_SHUFFLE_SEED-unset}" >> "$FAKE_BUILD_LOG.flags"
echo "{\"reason\":\"compiler-artifact\",\"target\":{\"name\":\"cpu\",\"kind\":[\"bench\"]},\"executable\":\"$PWD/bench.sh\"}"
[ -n "$FAKE_CONFIG" ] && echo "{\"reason\":\"compiler-artifact\",\"target\":{\"name\":\"cb-config\",\"kind\":[\"bin\"]},\"executable\":\"$FAKE_CONFIG\"}"
echo '{"reason":"build-finished","success":true}'
"#;

fn write_script(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

pub fn git(dir: &Path, args: &[&str]) -> String {
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
pub struct Fixture {
    pub tmp: TempDir,
    pub repo: PathBuf,
}

impl Fixture {
    pub fn new(tag: &str) -> Fixture {
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

    pub fn log(&self) -> PathBuf {
        self.tmp.path().join("runs.log")
    }

    pub fn command(&self, args: &[&str]) -> Command {
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

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// The logged runs: `(baseline, ids, version, extra)`, ids comma-separated.
    pub fn runs(&self) -> Vec<[String; 4]> {
        fs::read_to_string(self.log())
            .unwrap_or_default()
            .lines()
            .map(|l| {
                let f: Vec<String> = l.split(' ').map(str::to_string).collect();
                [f[0].clone(), f[1].clone(), f[2].clone(), f[3].clone()]
            })
            .collect()
    }

    /// The lines of the log with extension `ext` (`log.times`, `log.turns`), split into fields.
    fn log_fields(&self, ext: &str) -> Vec<Vec<String>> {
        let text = fs::read_to_string(self.log().with_extension(ext));
        text.unwrap_or_default()
            .lines()
            .map(|l| l.split(' ').map(str::to_string).collect())
            .collect()
    }

    /// The logged runs' times: `(baseline, ids, start ns, end ns)`, in the order they ended.
    pub fn times(&self) -> Vec<(String, String, u128, u128)> {
        let ns = |s: &str| s.parse::<u128>().unwrap();
        let lines = self.log_fields("log.times").into_iter();
        lines
            .map(|f| (f[0].clone(), f[1].clone(), ns(&f[2]), ns(&f[3])))
            .collect()
    }

    /// The logged turns: `(baseline, from ns, to ns)`, in the order they were taken.
    pub fn turns(&self) -> Vec<(String, u128, u128)> {
        let ns = |s: &str| s.parse::<u128>().unwrap();
        let lines = self.log_fields("log.turns").into_iter();
        lines
            .map(|f| (f[0].clone(), ns(&f[1]), ns(&f[2])))
            .collect()
    }

    /// `ab HEAD HEAD` with 2 rounds of each fake benchmark, `more` arguments after them.
    pub fn ab_two_rounds(&self, more: &[&str]) -> Command {
        let mut args = vec![
            "ab",
            "HEAD",
            "HEAD",
            "--min-rounds",
            "2",
            "--max-rounds",
            "2",
        ];
        args.extend(more);
        self.command(&args)
    }

    /// A fake `cb-config` (for `FAKE_CONFIG`) that lists `CB_TURNS`: a suite that takes turns.
    pub fn config_with_turns(&self) -> PathBuf {
        let path = self.tmp.path().join("cb-config.sh");
        write_script(
            &path,
            "#!/bin/sh\nprintf 'CB_SAMPLES=10\\t(set)\\nCB_TURNS=none\\t(default)\\n'\n",
        );
        path
    }

    /// The logged argument lists of the runs, one line each.
    pub fn args(&self) -> Vec<String> {
        let text = fs::read_to_string(self.log().with_extension("log.args"));
        text.unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    pub fn criterion(&self) -> PathBuf {
        self.repo.join("target/ab/criterion")
    }
}

/// Every directory under `dir` whose name is `name`.
pub fn dirs_named(dir: &Path, name: &str) -> Vec<PathBuf> {
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
pub fn assert_bad(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(needle), "{err:?} should name {needle:?}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Runs `target-report` with `args` and `hang` (`FAKE_HANG=...` or `FAKE_BUILD_HANG=1`),
/// sends SIGINT once the hanging child has started, and returns the output.
pub fn interrupted(fx: &Fixture, args: &[&str], hang: (&str, &str)) -> Output {
    interrupted_command(fx, fx.command(args), hang)
}

/// [`interrupted`] for a command already set up (`fx.command(...)` with more variables).
pub fn interrupted_command(fx: &Fixture, mut cmd: Command, hang: (&str, &str)) -> Output {
    let mut child = cmd
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
