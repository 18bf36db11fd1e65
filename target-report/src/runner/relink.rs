//! Relinking a checkout's bench executables and `cb-worker` in M section orders (rust-lld's
//! `--shuffle-sections`), for `layout` and `ab --layouts`: each build is one draw of a code
//! placement.
//!
//! # Relinking only
//! The builds go to their own target directory (`target/layout/target`, kept between
//! invocations, so the dependencies compile once and the user's `target/release` is never
//! relinked) through a linker wrapper ([`WRAPPER`], written to `target/layout/cb-link.sh`)
//! that runs `cc` — rustc still passes `-fuse-ld=lld`, rust-lld being this toolchain's linker —
//! adding `-Wl,--shuffle-sections=.text*=SEED` when [`SEED_VAR`] is set. The linker setting
//! is the same for every build, and the seed travels in an environment variable that no crate
//! reads, so cargo's fingerprints of the dependencies never change: before each relink the
//! bench targets' and `cb-worker`'s root source files get a fresh modification time, and only
//! those small crates recompile (to the same objects) and relink. Each build's executables are
//! copied to `target/layout/builds/<b>/`.
//!
//! # One placement per build, worker included
//! The benches find `cb-worker` at the path compiled into them; each build's runs set
//! `CB_WORKER_EXE` to that build's own copy, so the process pool runs the same link order as
//! the bench (a commit from before `CB_WORKER_EXE` runs the last build's worker everywhere).

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use super::cargo::{self, Built};
use super::session::StatusLine;
use crate::error::{Error, Result};
use crate::format::format_duration;
use crate::stats::SplitMix64;

/// The variable that carries a build's shuffle seed to the linker wrapper.
pub const SEED_VAR: &str = "CB_LINK_SHUFFLE_SEED";

/// The suite variable that points a bench at its `cb-worker`.
pub const WORKER_VAR: &str = "CB_WORKER_EXE";

/// The linker wrapper: `cc` with rust-lld's section shuffle when [`SEED_VAR`] is set.
pub const WRAPPER: &str = r#"#!/bin/sh
# Written by target-report (layout, ab --layouts): the linker of its relinks. rustc passes
# -fuse-ld=lld itself; with CB_LINK_SHUFFLE_SEED set, rust-lld orders the .text input sections
# by that seed.
if [ -n "$CB_LINK_SHUFFLE_SEED" ]; then
  set -- "$@" "-Wl,--shuffle-sections=.text*=$CB_LINK_SHUFFLE_SEED"
fi
exec cc "$@"
"#;

/// M link seeds from `base`: positive and below 2³¹ (lld reads 0 as "random" and −1 as
/// "reverse"), distinct.
pub fn seeds(base: u64, builds: usize) -> Vec<u64> {
    let mut rng = SplitMix64::new(base);
    let mut out: Vec<u64> = Vec::with_capacity(builds);
    while out.len() < builds {
        let s = rng.next_u64() % ((1 << 31) - 1) + 1;
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// One relinked build: its seed and where its executables were copied.
#[derive(Debug, Clone)]
pub struct LayoutBuild {
    /// The `--shuffle-sections` seed.
    pub seed: u64,
    /// The bench executables, `(target name, copied path)`.
    pub benches: Vec<(String, PathBuf)>,
    /// The copied `cb-worker`, if the checkout has one.
    pub worker: Option<PathBuf>,
}

impl LayoutBuild {
    /// The settings of this build's runs: `base` plus [`WORKER_VAR`] naming its own worker.
    pub fn env(&self, base: &[(String, String)]) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = base
            .iter()
            .filter(|(k, _)| k != WORKER_VAR)
            .cloned()
            .collect();
        if let Some(w) = &self.worker {
            env.push((WORKER_VAR.into(), w.display().to_string()));
        }
        env.sort();
        env
    }
}

/// Builds the checkout at `dir` into `target` once per seed through the linker wrapper, each
/// build's executables copied to `<out>/<b>/`; `label` names the checkout in the progress
/// line. A first build without a seed finds the sources to touch (and is fresh when `target`
/// is up to date); each seeded build must then differ from the one before, or the relink did
/// not happen and this fails. Returns that first build (linked in cargo's order) and the
/// layouts; `None` when Ctrl-C stopped a build. With no seeds this is a plain build whose
/// linker setting matches the relinks', so `ab` and `ab --layouts` share one target directory
/// (cargo rebuilds every dependency when the linker setting changes).
pub fn build_layouts(
    dir: &Path,
    target: &Path,
    out: &Path,
    seeds: &[u64],
    label: &str,
    stop: &AtomicBool,
) -> Result<Option<(Built, Vec<LayoutBuild>)>> {
    let wrapper = write_wrapper(out)?;
    let linker = (linker_var()?, wrapper.display().to_string());
    let what = format!("{label}: building");
    let Some(first) = build_one(
        dir,
        target,
        std::slice::from_ref(&linker),
        &out.join("build.log"),
        &what,
        stop,
    )?
    else {
        return Ok(None);
    };
    let mut builds: Vec<LayoutBuild> = Vec::new();
    for (b, seed) in seeds.iter().enumerate() {
        for src in &first.sources {
            touch_file(src)?;
        }
        let env = [linker.clone(), (SEED_VAR.to_string(), seed.to_string())];
        let what = format!(
            "{label}: link order {}/{} (seed {seed})",
            b + 1,
            seeds.len()
        );
        let log = out.join(format!("build-{b}.log"));
        let Some(built) = build_one(dir, target, &env, &log, &what, stop)? else {
            return Ok(None);
        };
        let build = copy_build(&built, &out.join(b.to_string()), *seed)?;
        if let Some(prev) = builds.last() {
            same_as(prev, &build)?;
        }
        builds.push(build);
    }
    Ok(Some((first, builds)))
}

/// Fails when `build`'s first bench executable has the same bytes as `prev`'s: the touched
/// crates were not relinked, or the seed changed nothing.
fn same_as(prev: &LayoutBuild, build: &LayoutBuild) -> Result<()> {
    let (Some((_, a)), Some((_, b))) = (prev.benches.first(), build.benches.first()) else {
        return Ok(());
    };
    let read = |p: &Path| std::fs::read(p).map_err(|e| Error::at(p, format!("cannot read: {e}")));
    if read(a)? == read(b)? {
        return Err(Error::at(
            b,
            format!(
                "link orders {} and {} gave identical executables: the relink with --shuffle-sections did not happen (is the linker rust-lld?)",
                prev.seed, build.seed
            ),
        ));
    }
    Ok(())
}

/// One cargo build with `env`, its progress shown as `what`.
fn build_one(
    dir: &Path,
    target: &Path,
    env: &[(String, String)],
    log: &Path,
    what: &str,
    stop: &AtomicBool,
) -> Result<Option<Built>> {
    let mut line = StatusLine::new();
    line.show(&format!("{what} …"), false);
    let started = std::time::Instant::now();
    let outcome = cargo::try_build_env(dir, Some(target), env, log, stop, |t| {
        line.show(&format!("{what} … {}", format_duration(t)), true)
    })?;
    line.finish();
    match outcome {
        cargo::BuildOutcome::Built(b) => {
            eprintln!("{what}: built in {}", format_duration(started.elapsed()));
            Ok(Some(b))
        }
        cargo::BuildOutcome::Stopped => Ok(None),
        cargo::BuildOutcome::Failed(why) => Err(Error::at(log, why)),
    }
}

/// Whether this platform can relink with a shuffled section order (Linux GNU: rust-lld).
pub fn relink_supported() -> bool {
    cfg!(all(target_os = "linux", target_env = "gnu"))
}

/// cargo's linker variable for this host (`CARGO_TARGET_<ARCH>_UNKNOWN_LINUX_GNU_LINKER`):
/// the shuffle is rust-lld's, which this toolchain links Linux GNU targets with.
fn linker_var() -> Result<String> {
    if !relink_supported() {
        return Err(Error::msg(
            "layout relinks with rust-lld's --shuffle-sections, which needs a Linux GNU target",
        ));
    }
    Ok(format!(
        "CARGO_TARGET_{}_UNKNOWN_LINUX_GNU_LINKER",
        std::env::consts::ARCH.to_uppercase()
    ))
}

fn write_wrapper(out: &Path) -> Result<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(out).map_err(|e| Error::at(out, format!("cannot create: {e}")))?;
    let path = out.join("cb-link.sh");
    std::fs::write(&path, WRAPPER).map_err(|e| Error::at(&path, format!("cannot write: {e}")))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| Error::at(&path, format!("cannot make executable: {e}")))?;
    Ok(path)
}

/// Gives `path` a modification time of now, so cargo recompiles the crate it is the root of.
fn touch_file(path: &Path) -> Result<()> {
    let f = std::fs::File::options()
        .append(true)
        .open(path)
        .map_err(|e| Error::at(path, format!("cannot open to touch: {e}")))?;
    f.set_modified(std::time::SystemTime::now())
        .map_err(|e| Error::at(path, format!("cannot touch: {e}")))
}

/// Copies a build's bench executables and `cb-worker` to `dir`.
fn copy_build(built: &Built, dir: &Path, seed: u64) -> Result<LayoutBuild> {
    std::fs::create_dir_all(dir).map_err(|e| Error::at(dir, format!("cannot create: {e}")))?;
    let copy = |from: &Path, name: &str| -> Result<PathBuf> {
        let to = dir.join(name);
        std::fs::copy(from, &to).map_err(|e| Error::at(&to, format!("cannot copy: {e}")))?;
        Ok(to)
    };
    let mut benches = Vec::new();
    for (name, exe) in &built.benches {
        benches.push((name.clone(), copy(exe, name)?));
    }
    let worker = match &built.worker {
        Some(w) => Some(copy(w, cargo::WORKER_BIN)?),
        None => None,
    };
    Ok(LayoutBuild {
        seed,
        benches,
        worker,
    })
}

/// Benchmark id → executable in `build`, for the ids `list` found in the executables
/// `listed` (both `(target name, path)`): the same bench target, another link.
pub fn exes_of(
    list: &[(String, PathBuf)],
    listed: &[(String, PathBuf)],
    build: &[(String, PathBuf)],
) -> std::collections::BTreeMap<String, PathBuf> {
    list.iter()
        .filter_map(|(id, exe)| {
            let (name, _) = listed.iter().find(|(_, p)| p == exe)?;
            let (_, mine) = build.iter().find(|(n, _)| n == name)?;
            Some((id.clone(), mine.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_positive_distinct_and_repeatable() {
        let s = seeds(7, 8);
        assert_eq!(s, seeds(7, 8));
        assert!(s.iter().all(|&x| x > 0 && x < (1 << 31)));
        let mut d = s.clone();
        d.sort();
        d.dedup();
        assert_eq!(d.len(), 8);
    }

    #[test]
    fn each_build_runs_its_own_worker() {
        let b = LayoutBuild {
            seed: 5,
            benches: vec![("cpu".into(), "/l/1/cpu".into())],
            worker: Some("/l/1/cb-worker".into()),
        };
        let env = b.env(&[
            ("CB_SAMPLES".into(), "10".into()),
            (WORKER_VAR.into(), "/elsewhere".into()),
        ]);
        assert_eq!(
            env,
            [
                ("CB_SAMPLES".to_string(), "10".to_string()),
                (WORKER_VAR.to_string(), "/l/1/cb-worker".to_string())
            ]
        );
        #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
        assert_eq!(
            linker_var().unwrap(),
            "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER"
        );
    }
}
