//! `layout`: the working tree's bench executables linked in M section orders, every selected
//! benchmark run K times on each, for each benchmark's code-placement noise
//! ([`crate::noise::layout`], `cb-layout.json`), which `compare`, `ab`, `history` and
//! `backfill` then add to their noise. The builds are relinked by [`crate::runner::relink`].
//!
//! # Order
//! Round-robin as `calibrate` ([`schedule`]): round r runs every benchmark, each on all M builds
//! in an order rotated by r, so a build is never always first, and each benchmark's runs spread
//! over the whole session. Baselines are `lay<b>-<r>`.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::error::{Error, Result};
use crate::noise::layout::{benchmark_from_medians, medians_from_runs, LayoutNoise};
use crate::runner::cargo;
use crate::runner::relink::{build_layouts, exes_of, seeds, LayoutBuild};
use crate::runner::session::{self, Entries, Outcome, Plan, SideRun, Slot};

/// Default `--builds`.
pub const DEFAULT_BUILDS: usize = 4;

/// Default `--rounds`.
pub const DEFAULT_ROUNDS: usize = 3;

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct Options {
    /// Builds M (link orders, at least 2).
    pub builds: usize,
    /// Runs K of every benchmark on every build (at least 2).
    pub rounds: usize,
    /// Seed of the builds' shuffle seeds; `None`: from the clock.
    pub seed: Option<u64>,
    /// Criterion's directory: the `lay<b>-<r>` baselines and `cb-layout.json` go here.
    pub criterion_dir: PathBuf,
    /// Criterion arguments after `--`.
    pub criterion_args: Vec<String>,
}

/// How a layout session ended.
#[derive(Debug)]
pub enum Finished {
    /// All runs done and `cb-layout.json` written.
    Written(Box<LayoutNoise>),
    /// Ctrl-C: what was completed (`None` when it came during the builds).
    Interrupted(Option<Outcome>),
}

/// Checks the options.
pub fn validate(opts: &Options) -> Result<()> {
    if opts.builds < 2 || opts.rounds < 2 {
        return Err(Error::msg(format!(
            "--builds and --rounds must be at least 2 (a spread between layouts, and within one, needs two of each), got {} and {}",
            opts.builds, opts.rounds
        )));
    }
    cargo::split_criterion_args(&opts.criterion_args).map(|_| ())
}

/// The baseline of build `b`, run `r`.
pub fn run_name(build: usize, round: usize) -> String {
    format!("lay{build}-{round}")
}

/// Whether a directory name is one of `layout`'s baselines.
pub fn is_layout_name(name: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    name.strip_prefix("lay")
        .and_then(|rest| rest.split_once('-'))
        .is_some_and(|(b, r)| digits(b) && digits(r))
}

/// Every run in order: round by round, benchmark by benchmark, the builds rotated by the round.
pub fn schedule(benches: usize, builds: usize, rounds: usize) -> Vec<Slot> {
    let mut slots = Vec::with_capacity(benches * builds * rounds);
    for round in 0..rounds {
        for bench in 0..benches {
            for i in 0..builds {
                let side = (i + round) % builds;
                slots.push(Slot {
                    bench,
                    side,
                    round,
                    baseline: run_name(side, round),
                });
            }
        }
    }
    slots
}

/// Runs a whole layout session of the workspace containing `cwd`.
pub fn run(opts: &Options, cwd: &Path, stop: &AtomicBool) -> Result<Finished> {
    validate(opts)?;
    let flags = crate::runner::flags::announce();
    let args = cargo::split_criterion_args(&opts.criterion_args)?;
    let root = crate::runner::workspace_root(cwd, "relink")?;
    let base = root.join("target").join("layout");
    let _lock = crate::runner::lock(&base.join(".lock"), "the layout builds of this workspace")?;
    let seeds = seeds(opts.seed.unwrap_or_else(clock_seed), opts.builds);
    let Some((_, builds)) = build_layouts(
        &root,
        &base.join("target"),
        &base.join("builds"),
        &seeds,
        "working tree",
        stop,
    )?
    else {
        return Ok(Finished::Interrupted(None));
    };
    let env = session::round_env(&[]);
    let plan = plan(&builds, &root, &env, &args, opts.rounds)?;
    let criterion_dir = cwd.join(&opts.criterion_dir);
    let shape = format!(
        "{} benchmarks × {} link orders × {} rounds",
        plan.benches.len(),
        opts.builds,
        opts.rounds
    );
    let outcome = session::run_fresh(&plan, &criterion_dir, stop, is_layout_name, &shape)?;
    if outcome.interrupted {
        return Ok(Finished::Interrupted(Some(outcome)));
    }
    let names: Vec<Vec<String>> = (0..opts.builds)
        .map(|b| (0..opts.rounds).map(|r| run_name(b, r)).collect())
        .collect();
    let git = crate::machine::git_info(&root, Some(&base));
    let layout = LayoutNoise {
        schema: 1,
        builds: opts.builds,
        rounds: opts.rounds,
        seeds,
        rustflags: flags.describe(),
        created_at: crate::machine::utc_now(),
        commit: git.commit,
        dirty: git.dirty,
        machine: Some(crate::machine::machine()),
        benchmarks: medians_from_runs(&criterion_dir, &names)?
            .into_iter()
            .map(|(id, m)| (id, benchmark_from_medians(m)))
            .collect(),
    };
    if layout.benchmarks.is_empty() {
        return Err(Error::at(
            &criterion_dir,
            "no benchmark has a sample.json in every layout run",
        ));
    }
    layout.write(&criterion_dir)?;
    Ok(Finished::Written(Box::new(layout)))
}

fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
}

/// The listed benchmarks (from build 0's executables) on every build, round-robin.
fn plan(
    builds: &[LayoutBuild],
    root: &Path,
    env: &[(String, String)],
    args: &cargo::CriterionArgs,
    rounds: usize,
) -> Result<Plan> {
    let list = cargo::list(&builds[0].benches, root, &args.filter, &builds[0].env(env))?;
    if list.is_empty() {
        return Err(Error::msg(match args.filter.first() {
            Some(f) => format!("no benchmark matches '{f}'"),
            None => "the bench executables list no benchmark".to_string(),
        }));
    }
    let benches: Vec<String> = list.iter().map(|(id, _)| id.clone()).collect();
    let sides = builds
        .iter()
        .enumerate()
        .map(|(b, build)| SideRun {
            name: format!("layout {b}"),
            cwd: root.to_path_buf(),
            exes: exes_of(&list, &builds[0].benches, &build.benches),
            env: build.env(env),
        })
        .collect();
    Ok(Plan {
        slots: schedule(benches.len(), builds.len(), rounds),
        benches,
        entries: Entries::Benchmarks,
        sides,
        args: args.run.clone(),
        rounds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_rotates_the_builds_per_round() {
        let s = schedule(2, 3, 2);
        assert_eq!(s.len(), 12);
        let sides: Vec<usize> = s.iter().map(|x| x.side).collect();
        assert_eq!(sides, [0, 1, 2, 0, 1, 2, 1, 2, 0, 1, 2, 0]);
        assert_eq!(s[6].baseline, "lay1-1");
        // Every build, every benchmark, every round exactly once.
        for b in 0..2 {
            for side in 0..3 {
                for r in 0..2 {
                    let n = s
                        .iter()
                        .filter(|x| x.bench == b && x.side == side && x.round == r)
                        .count();
                    assert_eq!(n, 1);
                }
            }
        }
    }

    #[test]
    fn layout_baseline_names() {
        assert!(is_layout_name("lay0-3") && is_layout_name("lay12-0"));
        for n in ["lay-3", "lay0-", "layout", "lay0-1x", "cal-1"] {
            assert!(!is_layout_name(n), "{n}");
        }
    }
}
