//! `calibrate`: the same build run K times, interleaved, to measure each benchmark's
//! run-to-run noise, which `compare` then uses as its noise floor.
//!
//! The working tree's benches are built in place (`cargo bench --no-run` in the workspace,
//! cargo's usual target directory), then every group of the selected benchmarks is run K
//! times, each run saving its benchmarks as baseline `cal-<r>`, and [`crate::noise`] turns the
//! runs into `<criterion>/cb-calibration.json`.
//!
//! A run is a whole group's, as in a plain `cargo bench`: one call of the bench executable
//! measures every selected benchmark of a group (`io/download`, `cpu/fib`, …; a benchmark's
//! group is its id up to the last `/`, [`groups`]), chosen by one filter matching exactly them
//! (`^(cpu/fib/sequential|cpu/fib/rayon)$`, [`crate::runner::entries`]), so the suite
//! interleaves the group's strategies in rounds as `cargo bench` does and saves all of them.
//! Each group runs at its own sample count and sample time (20 × 150 ms for
//! `cpu/sum_of_squares`, 12 × 400 ms for `cpu/fib`, 10 × 400 ms for `io/download`;
//! `CB_SAMPLES`/`CB_SAMPLE_MS` override them, as for `cargo bench`), not at `ab`'s short 10
//! samples: `compare` judges plain `cargo bench` runs, and the within-run part of σ_run shrinks
//! with the samples. What still differs from a plain run: each group has a process of its own
//! (`cargo bench` runs all of a bench target's groups in one), and a filter after `--` that
//! selects part of a group interleaves only that part (as `cargo bench -- FILTER` would).
//!
//! `--per-benchmark` ([`Options::per_benchmark`]) keeps the former runs, one call per benchmark
//! and run (`--exact <id>`, each strategy measured alone), to compare the two σs.
//! [`from_baselines`] builds the same file from K plain runs the user made (`cargo bench --
//! --save-baseline cal-k`): exactly the conditions `compare` judges, at the price of K
//! whole-suite runs.
//!
//! Order: round-robin ([`schedule`]) — run 1 of every group, then run 2 of every group, and so
//! on (of every benchmark, with `--per-benchmark`) — rather than all K runs of one back to
//! back. Two plain `cargo bench` runs that `compare` sees are a whole suite apart, so the noise
//! that matters includes the machine's drift over that time; round-robin spreads each
//! benchmark's runs over the whole session and measures it. Back-to-back runs would share one
//! stretch of load: a burst covering all K runs of a benchmark would shift them together and
//! hide in their spread, and the measured noise would be too small. Like `ab`, each run goes
//! through a staging directory, so Ctrl-C leaves only complete runs (a group's run is kept only
//! once every benchmark of it saved its baseline); Criterion's `new/` (the latest plain run) is
//! left untouched.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::error::{Error, Result};
use crate::format::format_duration;
use crate::runner::cargo;
use crate::runner::session::{self, Entries, Outcome, Plan, SideRun, Slot, StatusLine};

/// Default `--runs`.
pub const DEFAULT_RUNS: usize = 5;

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct Options {
    /// Runs per benchmark (at least 2).
    pub runs: usize,
    /// Criterion's directory: the `cal-<r>` baselines and `cb-calibration.json` go here.
    pub criterion_dir: PathBuf,
    /// Criterion arguments after `--`.
    pub criterion_args: Vec<String>,
    /// One call per benchmark and run (`--exact <id>`), instead of one per group and run.
    pub per_benchmark: bool,
}

/// How a calibration ended.
#[derive(Debug)]
pub enum Finished {
    /// All runs done and the calibration written: benchmarks and runs.
    Written {
        /// Benchmarks calibrated.
        benchmarks: usize,
        /// Runs of each.
        runs: usize,
    },
    /// Ctrl-C: what was completed (`None` when it came during the build).
    Interrupted(Option<Outcome>),
}

/// The baseline names of the runs: `cal-0`, `cal-1`, ...
pub fn run_names(runs: usize) -> Vec<String> {
    (0..runs).map(|r| format!("cal-{r}")).collect()
}

/// Every run in order: round-robin over the plan's entries (groups, or benchmarks with
/// `--per-benchmark`), `runs` times.
pub fn schedule(benches: usize, runs: usize) -> Vec<Slot> {
    let names = run_names(runs);
    (0..runs)
        .flat_map(|round| {
            let name = names[round].clone();
            (0..benches).map(move |bench| Slot {
                bench,
                side: 0,
                round,
                baseline: name.clone(),
            })
        })
        .collect()
}

/// Checks the options.
pub fn validate(opts: &Options) -> Result<()> {
    if opts.runs < 2 {
        return Err(Error::msg(format!(
            "--runs must be at least 2 (a run-to-run spread needs two or more runs), got {}",
            opts.runs
        )));
    }
    cargo::split_criterion_args(&opts.criterion_args).map(|_| ())
}

/// Runs a whole calibration of the workspace containing `cwd`.
pub fn run(opts: &Options, cwd: &Path, stop: &AtomicBool) -> Result<Finished> {
    validate(opts)?;
    crate::runner::flags::announce();
    let args = cargo::split_criterion_args(&opts.criterion_args)?;
    let root = crate::runner::workspace_root(cwd, "calibrate")?;
    let env = run_env();
    let Some(built) = build(&root, stop)? else {
        return Ok(Finished::Interrupted(None));
    };
    let list = cargo::list(&built.benches, &root, &args.filter, &env)?;
    let plan = plan(list, &root, env, &args, opts)?;
    let criterion_dir = cwd.join(&opts.criterion_dir);
    let outcome = run_rounds(&plan, &criterion_dir, stop)?;
    if outcome.interrupted {
        return Ok(Finished::Interrupted(Some(outcome)));
    }
    let calibration = crate::noise::calibration_from_runs(&criterion_dir, &run_names(opts.runs))?;
    calibration.write(&criterion_dir)?;
    Ok(Finished::Written {
        benchmarks: plan.benchmarks().len(),
        runs: opts.runs,
    })
}

/// The suite's `CB_*` settings of this process, passed on to every run; unlike `ab`'s rounds,
/// no `CB_SAMPLES` of its own: each group runs at its own sample count.
fn run_env() -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| k.starts_with("CB_"))
        .collect();
    env.sort();
    env
}

/// Writes `<criterion_dir>/cb-calibration.json` from baselines already measured, `names`
/// (at least two plain runs of one build, e.g. `cargo bench -- --save-baseline cal-1`, …), and
/// returns the number of benchmarks calibrated: no build and no run.
pub fn from_baselines(criterion_dir: &Path, names: &[String]) -> Result<usize> {
    let calibration = crate::noise::calibration_from_runs(criterion_dir, names)?;
    calibration.write(criterion_dir)?;
    Ok(calibration.benchmarks.len())
}

/// The groups of the listed benchmarks (`(id, executable)` in the suite's order), in the order
/// they first appear: each group's name and its benchmarks, in list order. A benchmark's group
/// is its id up to the last `/` (the suite's ids are `group/strategy`: `cpu/fib/rayon` is
/// `cpu/fib`'s); benchmarks of one name but different executables stay apart.
pub fn groups(list: &[(String, PathBuf)]) -> Vec<(String, Vec<String>)> {
    let mut groups: Vec<(String, &Path, Vec<String>)> = Vec::new();
    for (id, exe) in list {
        let name = id.rsplit_once('/').map_or(id.as_str(), |(g, _)| g);
        match groups.iter_mut().find(|(n, e, _)| n == name && *e == exe) {
            Some((_, _, members)) => members.push(id.clone()),
            None => groups.push((name.to_string(), exe, vec![id.clone()])),
        }
    }
    groups.into_iter().map(|(n, _, m)| (n, m)).collect()
}

/// The round-robin plan over the listed benchmarks' groups (or the benchmarks themselves,
/// `per_benchmark`): one side, run in the workspace.
fn plan(
    list: Vec<(String, PathBuf)>,
    root: &Path,
    env: Vec<(String, String)>,
    args: &cargo::CriterionArgs,
    opts: &Options,
) -> Result<Plan> {
    if list.is_empty() {
        return Err(Error::msg(match args.filter.first() {
            Some(f) => format!("no benchmark matches '{f}'"),
            None => "the bench executables list no benchmark".to_string(),
        }));
    }
    let (benches, entries): (Vec<String>, _) = if opts.per_benchmark {
        let ids = list.iter().map(|(id, _)| id.clone()).collect();
        (ids, Entries::Benchmarks)
    } else {
        let (names, members) = groups(&list).into_iter().unzip();
        (names, Entries::Groups(members))
    };
    Ok(Plan {
        slots: schedule(benches.len(), opts.runs),
        sides: vec![SideRun {
            name: "cal".into(),
            cwd: root.to_path_buf(),
            exes: list.into_iter().collect(),
            env,
        }],
        benches,
        entries,
        args: args.run.clone(),
        rounds: opts.runs,
    })
}

/// Removes an earlier calibration's runs from `criterion_dir`, then runs the plan.
fn run_rounds(plan: &Plan, criterion_dir: &Path, stop: &AtomicBool) -> Result<Outcome> {
    let count = |n: usize, noun: &str| format!("{n} {noun}{}", if n == 1 { "" } else { "s" });
    let benchmarks = count(plan.benchmarks().len(), "benchmark");
    let shape = match plan.entries {
        Entries::Benchmarks => format!("{benchmarks} × {} runs", plan.rounds),
        Entries::Groups(_) => format!(
            "{benchmarks} in {} × {} runs",
            count(plan.benches.len(), "group"),
            plan.rounds
        ),
    };
    session::run_fresh(
        plan,
        criterion_dir,
        stop,
        |n| session::is_round_name(n, "cal-"),
        &shape,
    )
}

/// Builds the workspace's benches in place; `None` when Ctrl-C stopped the build.
fn build(root: &Path, stop: &AtomicBool) -> Result<Option<cargo::Built>> {
    let log = root
        .join("target")
        .join("ab")
        .join("logs")
        .join("build-calibrate.log");
    let mut line = StatusLine::new();
    line.show("building the working tree's benches …", false);
    let started = std::time::Instant::now();
    let built = cargo::build(root, None, &log, stop, |t| {
        line.show(
            &format!(
                "building the working tree's benches … {}",
                format_duration(t)
            ),
            true,
        )
    })?;
    line.finish();
    if built.is_some() {
        eprintln!("built in {}", format_duration(started.elapsed()));
    }
    Ok(built)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_get_the_users_cb_settings_and_no_sample_count_of_their_own() {
        let env = run_env();
        assert!(env.iter().all(|(k, _)| k.starts_with("CB_")));
        assert_eq!(
            env.iter().any(|(k, _)| k == "CB_SAMPLES"),
            std::env::var_os("CB_SAMPLES").is_some()
        );
    }
}
