//! Building a checkout's bench executables once and asking them which benchmarks they have.
//!
//! `cargo bench --no-run --message-format=json` builds the default bench targets (`cpu` and
//! `io`; `sweeps` is not in the default suite) and reports each executable in a
//! `compiler-artifact` message, as `.ci/run` reads them. The bench executables are then run
//! directly, never through `cargo bench`, so nothing is rebuilt between rounds. Criterion's
//! `--list` prints `<id>: benchmark` per benchmark its filter accepts.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use serde::Deserialize;

use super::child::{self, Exit};
use crate::error::{Error, Result};

/// The bench targets of the default suite, in the order their benchmarks run.
pub const SUITE_BENCHES: [&str; 2] = ["cpu", "io"];

/// The suite's binary that prints the effective `CB_*` configuration (see `src/bin/config.rs`).
pub const CONFIG_BIN: &str = "cb-config";

/// The suite's process-pool worker binary, which the benches start (`src/bin/worker.rs`).
pub const WORKER_BIN: &str = "cb-worker";

/// One `compiler-artifact` message that produced an executable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// The target's name (`cpu`, `cb-config`).
    pub name: String,
    /// The target's kinds (`bench`, `bin`, ...).
    pub kinds: Vec<String>,
    /// The executable's path.
    pub executable: PathBuf,
    /// The target's root source file.
    pub src_path: Option<PathBuf>,
}

#[derive(Deserialize)]
struct Message {
    reason: String,
    target: Option<Target>,
    executable: Option<PathBuf>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    kind: Vec<String>,
    src_path: Option<PathBuf>,
}

/// Every executable in cargo's JSON messages (one per line; other lines are ignored).
pub fn parse_artifacts(json_lines: &str) -> Vec<Artifact> {
    json_lines
        .lines()
        .filter_map(|l| serde_json::from_str::<Message>(l).ok())
        .filter(|m| m.reason == "compiler-artifact")
        .filter_map(|m| {
            let t = m.target?;
            Some(Artifact {
                name: t.name,
                kinds: t.kind,
                executable: m.executable?,
                src_path: t.src_path,
            })
        })
        .collect()
}

/// What a build produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The suite's bench executables, `(target name, path)`, in [`SUITE_BENCHES`] order.
    pub benches: Vec<(String, PathBuf)>,
    /// The `cb-config` executable, if this checkout has one.
    pub config: Option<PathBuf>,
    /// The process pool's `cb-worker` executable, if this checkout has one.
    pub worker: Option<PathBuf>,
    /// The root source files of the bench executables and `cb-worker`: touching them makes
    /// cargo recompile and relink only those (`layout`'s relinks).
    pub sources: Vec<PathBuf>,
}

/// Picks the suite's bench executables and `cb-config` out of `artifacts`.
pub fn select(artifacts: &[Artifact]) -> Result<Built> {
    let of_kind = |kind: &str, name: &str| {
        artifacts
            .iter()
            .find(|a| a.name == name && a.kinds.iter().any(|k| k == kind))
            .map(|a| a.executable.clone())
    };
    let benches: Vec<(String, PathBuf)> = SUITE_BENCHES
        .iter()
        .filter_map(|name| Some((name.to_string(), of_kind("bench", name)?)))
        .collect();
    if benches.is_empty() {
        return Err(Error::msg(
            "cargo bench --no-run built no `cpu` or `io` bench executable",
        ));
    }
    let sources = artifacts
        .iter()
        .filter(|a| {
            (SUITE_BENCHES.contains(&a.name.as_str()) && a.kinds.iter().any(|k| k == "bench"))
                || (a.name == WORKER_BIN && a.kinds.iter().any(|k| k == "bin"))
        })
        .filter_map(|a| a.src_path.clone())
        .collect();
    Ok(Built {
        benches,
        config: of_kind("bin", CONFIG_BIN),
        worker: of_kind("bin", WORKER_BIN),
        sources,
    })
}

/// The cargo to run: `$CARGO` (set when running under cargo, so the same toolchain), else
/// `cargo` from the PATH.
pub fn cargo_program() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Builds the bench executables of the workspace at `dir`, into `target_dir` when given (else
/// cargo's default). cargo's own output goes to `log`; `tick` gets the elapsed time about once
/// a second. `Ok(None)` means the stop flag ended the build; a failed build is an error.
pub fn build(
    dir: &Path,
    target_dir: Option<&Path>,
    log: &Path,
    stop: &AtomicBool,
    tick: impl FnMut(std::time::Duration),
) -> Result<Option<Built>> {
    match try_build(dir, target_dir, log, stop, tick)? {
        BuildOutcome::Built(b) => Ok(Some(b)),
        BuildOutcome::Stopped => Ok(None),
        BuildOutcome::Failed(why) => Err(Error::at(log, why)),
    }
}

/// How [`try_build`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildOutcome {
    /// The suite's executables.
    Built(Built),
    /// The checkout does not build its suite: cargo failed, or built no `cpu`/`io` bench. One
    /// line saying which; cargo's output is in the log.
    Failed(String),
    /// The stop flag ended the build.
    Stopped,
}

/// Builds as [`build`] does, but reports a checkout that does not build as
/// [`BuildOutcome::Failed`] rather than an error: `backfill` records such a commit and goes
/// on. Errors are what stops any build (cargo cannot be started, the log cannot be written).
pub fn try_build(
    dir: &Path,
    target_dir: Option<&Path>,
    log: &Path,
    stop: &AtomicBool,
    tick: impl FnMut(std::time::Duration),
) -> Result<BuildOutcome> {
    try_build_env(dir, target_dir, &[], log, stop, tick)
}

/// [`try_build`] with `extra` variables for cargo (`layout`'s linker and link seed). Every
/// build gets the same rustc flags ([`super::flags`]): the workspace's pinned ones, unless the
/// user set their own.
pub fn try_build_env(
    dir: &Path,
    target_dir: Option<&Path>,
    extra: &[(String, String)],
    log: &Path,
    stop: &AtomicBool,
    mut tick: impl FnMut(std::time::Duration),
) -> Result<BuildOutcome> {
    let json = log.with_extension("json");
    let mut cmd = Command::new(cargo_program());
    cmd.args(["bench", "--no-run", "--message-format=json"])
        .envs(super::flags::BuildFlags::from_env().env())
        .envs(extra.iter().map(|(k, v)| (k, v)))
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(create(&json)?)
        .stderr(create(log)?);
    if let Some(t) = target_dir {
        cmd.env("CARGO_TARGET_DIR", t);
    }
    let started = Instant::now();
    match child::run(&mut cmd, stop, || tick(started.elapsed()))? {
        Exit::Stopped => Ok(BuildOutcome::Stopped),
        Exit::Finished(s) if !s.success() => Ok(BuildOutcome::Failed(format!(
            "`cargo bench --no-run` failed in {} ({s}); cargo's output is in this file",
            dir.display()
        ))),
        Exit::Finished(_) => {
            let text = std::fs::read_to_string(&json)
                .map_err(|e| Error::at(&json, format!("cannot read cargo's output: {e}")))?;
            Ok(match select(&parse_artifacts(&text)) {
                Ok(b) => BuildOutcome::Built(b),
                Err(e) => BuildOutcome::Failed(e.to_string()),
            })
        }
    }
}

fn create(path: &Path) -> Result<std::fs::File> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::at(parent, format!("cannot create directory: {e}")))?;
    }
    std::fs::File::create(path).map_err(|e| Error::at(path, format!("cannot create: {e}")))
}

/// The benchmark ids in Criterion's `--list` output (`<id>: benchmark` lines).
pub fn parse_list(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.trim_end().strip_suffix(": benchmark"))
        .map(str::to_string)
        .collect()
}

/// Which benchmarks each bench executable has, filtered by Criterion itself with `filter`
/// (the user's filter arguments), as `(id, executable)` in the suite's order. `env` is the
/// suite configuration: a bad `CB_*` value fails here, before any round, with the suite's own
/// one-line message.
pub fn list(
    benches: &[(String, PathBuf)],
    cwd: &Path,
    filter: &[String],
    env: &[(String, String)],
) -> Result<Vec<(String, PathBuf)>> {
    let mut ids: Vec<(String, PathBuf)> = Vec::new();
    for (_, exe) in benches {
        let out = Command::new(exe)
            .args(["--bench", "--list"])
            .args(filter)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .current_dir(cwd)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::at(exe, format!("cannot run: {e}")))?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let first = err.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            return Err(Error::at(
                exe,
                format!("--list failed ({}): {first}", out.status),
            ));
        }
        for id in parse_list(&String::from_utf8_lossy(&out.stdout)) {
            if !ids.iter().any(|(known, _)| *known == id) {
                ids.push((id, exe.clone()));
            }
        }
    }
    Ok(ids)
}

/// The user's Criterion arguments (after `--`), split for the two uses they have.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CriterionArgs {
    /// For `--list`: the filter and the flags that change what matches (`--exact`,
    /// `--ignored`, `--include-ignored`).
    pub filter: Vec<String>,
    /// For every run: the other options (`--warm-up-time 1`, `--quick`, ...). Each run picks
    /// its one benchmark with `--exact <id>` itself.
    pub run: Vec<String>,
}

/// Criterion 0.8.2 options that take a value (its `lib.rs` argument list).
const TAKES_VALUE: [&str; 13] = [
    "-c",
    "--color",
    "--format",
    "--sample-size",
    "--warm-up-time",
    "--measurement-time",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--plotting-backend",
    "--output-format",
    "--profile-time",
];

/// Options the runner sets itself, or that would make a run save nothing.
const RESERVED: [&str; 11] = [
    "-s",
    "--save-baseline",
    "--discard-baseline",
    "-b",
    "--baseline",
    "--baseline-lenient",
    "--load-baseline",
    "--list",
    "--test",
    "--profile-time",
    "--bench",
];

/// Splits the arguments after `--`: at most one filter, no option the runner sets itself.
pub fn split_criterion_args(args: &[String]) -> Result<CriterionArgs> {
    let mut out = CriterionArgs::default();
    let mut filters = 0;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let name = arg.split('=').next().unwrap_or(arg);
        if RESERVED.contains(&name) {
            return Err(Error::msg(format!(
                "Criterion option {name} cannot be passed here: each run's baseline and mode are set by target-report"
            )));
        }
        if !arg.starts_with('-') {
            filters += 1;
            if filters > 1 {
                return Err(Error::msg(format!(
                    "more than one Criterion filter after `--` ('{arg}'); Criterion takes one regular expression"
                )));
            }
            out.filter.push(arg.clone());
        } else if matches!(name, "--exact" | "--ignored" | "--include-ignored") {
            out.filter.push(arg.clone());
        } else {
            out.run.push(arg.clone());
            if TAKES_VALUE.contains(&name) && !arg.contains('=') {
                let value = it
                    .next()
                    .ok_or_else(|| Error::msg(format!("Criterion option {arg} needs a value")))?;
                out.run.push(value.clone());
            }
        }
    }
    Ok(out)
}

/// The effective `CB_*` configuration `cb-config` prints (`NAME=value\t(...)` lines), as
/// `(NAME, value)` pairs; `None` when the checkout has no `cb-config` or it fails.
pub fn config(exe: Option<&Path>, env: &[(String, String)]) -> Option<Vec<(String, String)>> {
    let out = Command::new(exe?)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Some(
        text.lines()
            .filter_map(|l| {
                let setting = l.split('\t').next()?;
                let (k, v) = setting.split_once('=')?;
                Some((k.to_string(), v.to_string()))
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines recorded from `cargo bench --no-run --message-format=json` in this workspace
    /// (paths shortened; one library, the two suite benches, `cb-config`, a build script and
    /// the closing message).
    const RECORDED: &str = r#"{"reason":"compiler-artifact","package_id":"registry+https://github.com/rust-lang/crates.io-index#quote@1.0.47","manifest_path":"/r/quote-1.0.47/Cargo.toml","target":{"kind":["custom-build"],"crate_types":["bin"],"name":"build-script-build","src_path":"/r/quote-1.0.47/build.rs","edition":"2021","doc":false,"doctest":false,"test":false},"profile":{"opt_level":"0","debuginfo":0,"debug_assertions":false,"overflow_checks":false,"test":false},"features":["default","proc-macro"],"filenames":["/w/target/release/build/quote-1/build-script-build"],"executable":null,"fresh":true}
{"reason":"build-script-executed","package_id":"registry+https://github.com/rust-lang/crates.io-index#quote@1.0.47","linked_libs":[],"linked_paths":[],"cfgs":[],"env":[],"out_dir":"/w/target/release/build/quote-6a0b13dda2211c58/out"}
{"reason":"compiler-artifact","package_id":"path+file:///w#concurrency-bench@0.1.0","manifest_path":"/w/Cargo.toml","target":{"kind":["lib"],"crate_types":["lib"],"name":"concurrency_bench","src_path":"/w/src/lib.rs","edition":"2021","doc":true,"doctest":true,"test":true},"profile":{"opt_level":"3","debuginfo":0,"debug_assertions":false,"overflow_checks":false,"test":false},"features":[],"filenames":["/w/target/release/deps/libconcurrency_bench-1.rlib"],"executable":null,"fresh":true}
{"reason":"compiler-artifact","package_id":"path+file:///w#concurrency-bench@0.1.0","manifest_path":"/w/Cargo.toml","target":{"kind":["bin"],"crate_types":["bin"],"name":"cb-config","src_path":"/w/src/bin/config.rs","edition":"2021","doc":true,"doctest":false,"test":false},"profile":{"opt_level":"3","debuginfo":0,"debug_assertions":false,"overflow_checks":false,"test":false},"features":[],"filenames":["/w/target/release/cb-config"],"executable":"/w/target/release/cb-config","fresh":true}
{"reason":"compiler-artifact","package_id":"path+file:///w#concurrency-bench@0.1.0","manifest_path":"/w/Cargo.toml","target":{"kind":["bench"],"crate_types":["bin"],"name":"io","src_path":"/w/benches/io.rs","edition":"2021","doc":false,"doctest":false,"test":true},"profile":{"opt_level":"3","debuginfo":0,"debug_assertions":false,"overflow_checks":false,"test":true},"features":[],"filenames":["/w/target/release/deps/io-0c1d"],"executable":"/w/target/release/deps/io-0c1d","fresh":false}
{"reason":"compiler-artifact","package_id":"path+file:///w#concurrency-bench@0.1.0","manifest_path":"/w/Cargo.toml","target":{"kind":["bench"],"crate_types":["bin"],"name":"cpu","src_path":"/w/benches/cpu.rs","edition":"2021","doc":false,"doctest":false,"test":true},"profile":{"opt_level":"3","debuginfo":0,"debug_assertions":false,"overflow_checks":false,"test":true},"features":[],"filenames":["/w/target/release/deps/cpu-9a8b"],"executable":"/w/target/release/deps/cpu-9a8b","fresh":false}
{"reason":"build-finished","success":true}
"#;

    #[test]
    fn the_suite_benches_and_cb_config_are_found_in_cargo_json() {
        let artifacts = parse_artifacts(RECORDED);
        // Only messages with an executable count: the build script and library have none.
        assert_eq!(artifacts.len(), 3);
        let built = select(&artifacts).unwrap();
        assert_eq!(
            built.benches,
            [
                (
                    "cpu".to_string(),
                    PathBuf::from("/w/target/release/deps/cpu-9a8b")
                ),
                (
                    "io".to_string(),
                    PathBuf::from("/w/target/release/deps/io-0c1d")
                ),
            ]
        );
        assert_eq!(
            built.config,
            Some(PathBuf::from("/w/target/release/cb-config"))
        );
    }

    #[test]
    fn a_build_without_suite_benches_is_an_error() {
        let only_config: Vec<Artifact> = parse_artifacts(RECORDED)
            .into_iter()
            .filter(|a| a.name == CONFIG_BIN)
            .collect();
        let err = select(&only_config).unwrap_err().to_string();
        assert!(err.contains("`cpu` or `io`"), "{err}");
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn criterion_args_split_into_the_filter_and_run_options() {
        let a = split_criterion_args(&strings(&[
            "--warm-up-time",
            "1",
            "^cpu/fib",
            "--exact",
            "--quick",
            "--sample-size=20",
        ]))
        .unwrap();
        assert_eq!(a.filter, strings(&["^cpu/fib", "--exact"]));
        assert_eq!(
            a.run,
            strings(&["--warm-up-time", "1", "--quick", "--sample-size=20"])
        );
    }

    #[test]
    fn criterion_args_the_runner_owns_are_refused() {
        let cases: [(&[&str], &str); 4] = [
            (&["--save-baseline", "x"], "--save-baseline"),
            (&["--baseline=x"], "--baseline"),
            (&["a", "b"], "more than one Criterion filter"),
            (&["--color"], "needs a value"),
        ];
        for (args, needle) in cases {
            let err = split_criterion_args(&strings(args))
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{args:?}: {err}");
        }
    }

    #[test]
    fn list_output_gives_the_ids_and_nothing_else() {
        let out = "cpu/fib/sequential: benchmark\ncpu/fib/rayon: benchmark\n\nWarning: something\nio/download/thread_pool/8: benchmark\n";
        assert_eq!(
            parse_list(out),
            [
                "cpu/fib/sequential",
                "cpu/fib/rayon",
                "io/download/thread_pool/8"
            ]
        );
    }
}
