//! `ab OLD [NEW]`: interleaved A/B rounds between two commits, and a verdict from the spread
//! of the paired per-round ratios.
//!
//! Steps, in order: resolve both revisions (NEW defaults to the working tree, uncommitted and
//! untracked files included, see [`git`]); check out each side in its own worktree under
//! `target/ab/worktrees/` and build its bench executables once into its own target directory
//! (`target/ab/target-old`, `target/ab/target-new`, kept between invocations so cargo rebuilds
//! only what changed); list the benchmarks both sides have (the user's Criterion filter
//! applied by Criterion itself); then, benchmark by benchmark, K rounds in ABBA order
//! ([`abba`]: old-new, new-old, old-new, ...), each side's round one short Criterion run
//! (`CB_SAMPLES=10` unless set) saved as baseline `ab-old-<r>` or `ab-new-<r>`. All K rounds of
//! one benchmark run back to back, so its pairs are close in time, and the order alternates
//! within them, so a linear drift adds as much to one side as to the other. (Sequential
//! rounds, the default, run the two sides of each round at once, taking turns sample by
//! sample, and benchmarks that wait on latency side by side after round 0: [`sequential`].)
//!
//! The verdict is [`crate::compare::from_rounds`]; the exit code is
//! [`Comparison::exit_code`](crate::compare::Comparison::exit_code).
//!
//! # Time
//! A run costs the bench executable's start-up, its group's warm-up and measurement (Criterion
//! needs at least 10 samples; `CB_SAMPLES=10` asks for exactly that) and the suite's untimed
//! timeline run, so K rounds of a benchmark cost about `2K × (start-up + 11 iterations +
//! warm-up)`. Measured on the 2-core machine, once both sides were built:
//! `cpu/sum_of_squares/sequential` (CB_CPU_START=200000, CB_CPU_COUNT=4) takes 3.2 s per run,
//! 32 s for the default 5 rounds; `io/download/async_tokio` at CB_SITES=8 about 4.7 s per run
//! (the I/O group measures for at least 4 s). A side whose worktree and build are reused is
//! ready in about a second; a side at a new commit rebuilds only the workspace's crates
//! (17-25 s here); a cold build of a side took 2-2.5 minutes on a quiet machine (about 4 on a
//! busy one).

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::compare::Comparison;
use crate::error::{Error, Result};
use crate::format::format_duration;
use crate::runner::cargo::{self, Built, CriterionArgs};
use crate::runner::git::{self, Prepared, Repo, Source};
use crate::runner::relink::{self, LayoutBuild};
use crate::runner::session::{self, round_env, Entries, Outcome, Plan, SideRun, Slot, StatusLine};

mod sequential;
pub use sequential::{
    parse_budget, Stopping, DEFAULT_MAX_ROUNDS, DEFAULT_MIN_ROUNDS, DEFAULT_SIDE_BY_SIDE_CORES,
    LATENCY_BOUND_CORES, STEP,
};

/// How many rounds each benchmark gets.
#[derive(Debug, Clone, PartialEq)]
pub enum RoundCount {
    /// `--rounds K`: K for every benchmark, one look at the end.
    Fixed(usize),
    /// The default: a first batch, then more for the undecided ones ([`Stopping`]).
    Sequential(Stopping),
}

impl RoundCount {
    /// The most rounds any benchmark can get.
    pub fn max(&self) -> usize {
        match self {
            RoundCount::Fixed(k) => *k,
            RoundCount::Sequential(s) => s.max_rounds,
        }
    }

    /// The fewest rounds a measured benchmark gets.
    pub fn min(&self) -> usize {
        match self {
            RoundCount::Fixed(k) => *k,
            RoundCount::Sequential(s) => s.min_rounds,
        }
    }
}

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct Options {
    /// The old revision.
    pub old: String,
    /// The new revision; `None` is the working tree.
    pub new: Option<String>,
    /// Rounds per benchmark.
    pub rounds: RoundCount,
    /// The verdict threshold, percent.
    pub threshold_pct: f64,
    /// Where the rounds' baselines go.
    pub criterion_dir: PathBuf,
    /// Criterion arguments after `--`.
    pub criterion_args: Vec<String>,
    /// `CB_*` variables set for the old side's runs only (`--old-env`).
    pub old_env: Vec<(String, String)>,
    /// `CB_*` variables set for the new side's runs only (`--new-env`): a deliberate,
    /// testing-only difference such as `CB_TEST_SLOWDOWN`.
    pub new_env: Vec<(String, String)>,
    /// Link orders per side (`--layouts M`): round r runs link order r mod M of each side, so
    /// the rounds' spread contains the code-placement noise. 1: one build per side.
    pub layouts: usize,
    /// With one build per side, the `cb-layout.json` whose σ_layout is added to each
    /// benchmark's variance (2σ²_layout); `None`: none.
    pub layout_file: Option<PathBuf>,
}

/// Parses a `--old-env`/`--new-env` value `CB_NAME=VALUE`.
pub fn parse_side_env(text: &str) -> std::result::Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if name.starts_with("CB_") && name.len() > 3 => {
            Ok((name.to_string(), value.to_string()))
        }
        _ => Err(format!("expected CB_NAME=VALUE, got '{text}'")),
    }
}

/// How an `ab` session ended.
#[derive(Debug)]
pub enum Finished {
    /// All rounds ran; the verdict (boxed: a comparison is large, an interruption small).
    Verdict(Box<Comparison>),
    /// Ctrl-C: what was completed (`None` when it came during the builds).
    Interrupted(Option<Outcome>),
}

/// The sides' order in each round: `[0, 1]` is old then new. Round r runs old first when r is
/// even, new first when it is odd (ABBA ABBA ...).
pub fn abba(rounds: usize) -> Vec<[usize; 2]> {
    (0..rounds)
        .map(|r| if r % 2 == 0 { [0, 1] } else { [1, 0] })
        .collect()
}

/// The baseline names of one side's rounds: `ab-old-0`, `ab-old-1`, ...
pub fn round_names(side: &str, rounds: usize) -> Vec<String> {
    (0..rounds).map(|r| format!("ab-{side}-{r}")).collect()
}

/// Every run in order: benchmark by benchmark, each benchmark's rounds in ABBA order.
pub fn schedule(benches: usize, rounds: usize) -> Vec<Slot> {
    let names = [round_names("old", rounds), round_names("new", rounds)];
    let mut slots = Vec::with_capacity(benches * rounds * 2);
    for bench in 0..benches {
        for (round, order) in abba(rounds).into_iter().enumerate() {
            for side in order {
                slots.push(Slot {
                    bench,
                    side,
                    round,
                    baseline: names[side][round].clone(),
                });
            }
        }
    }
    slots
}

/// With `m` link orders per side, slot (side s, round r) runs side s's link order r mod m:
/// side index s·m + r mod m. With m = 1 the schedule is unchanged.
pub fn rotate_layouts(mut slots: Vec<Slot>, m: usize) -> Vec<Slot> {
    for slot in &mut slots {
        slot.side = slot.side * m + slot.round % m;
    }
    slots
}

/// Checks the options that need no repository.
pub fn validate(opts: &Options) -> Result<()> {
    match &opts.rounds {
        RoundCount::Fixed(k) if *k < 2 => {
            return Err(Error::msg(format!(
                "--rounds must be at least 2 (an interval needs the spread of two or more paired rounds), got {k}"
            )))
        }
        RoundCount::Fixed(_) => {}
        RoundCount::Sequential(s) => s.validate()?,
    }
    let first = opts.rounds.min();
    if opts.layouts == 0 || (opts.layouts > 1 && first < opts.layouts) {
        return Err(Error::msg(format!(
            "--layouts must be at least 1 and at most --rounds (--min-rounds) (each link order in at least one round), got {} with {first} rounds",
            opts.layouts
        )));
    }
    if opts.layouts > 1 && !relink::relink_supported() {
        return Err(Error::msg(
            "--layouts relinks with rust-lld's --shuffle-sections, which needs a Linux GNU target",
        ));
    }
    if !(opts.threshold_pct.is_finite() && opts.threshold_pct >= 0.0) {
        return Err(Error::msg(format!(
            "--threshold must be a non-negative percentage, got {}",
            opts.threshold_pct
        )));
    }
    cargo::split_criterion_args(&opts.criterion_args).map(|_| ())
}

/// One side, checked out and built (and relinked, with `--layouts`).
struct Side {
    name: &'static str,
    source: Source,
    dir: PathBuf,
    built: Built,
    layouts: Vec<LayoutBuild>,
}

/// Runs a whole `ab` session from the repository containing `cwd`.
pub fn run(opts: &Options, cwd: &Path, stop: &AtomicBool) -> Result<Finished> {
    validate(opts)?;
    crate::runner::flags::announce();
    let args = cargo::split_criterion_args(&opts.criterion_args)?;
    let repo = Repo::discover(cwd)?;
    let ab_dir = repo.root.join("target").join("ab");
    let sources = resolve_sides(&repo, opts, &ab_dir)?;
    let _lock = crate::runner::lock(&ab_dir.join(".lock"), "the ab worktrees of this repository")?;
    let envs = [round_env(&opts.old_env), round_env(&opts.new_env)];
    let seeds = link_seeds(opts.layouts);
    let layout = match (&opts.layout_file, opts.layouts) {
        (Some(p), 1) => Some((p.clone(), crate::noise::LayoutNoise::load(p)?)),
        _ => None,
    };
    let mut sides = Vec::new();
    for (name, source) in ["old", "new"].into_iter().zip(sources) {
        match checkout_and_build(&repo, &ab_dir, (name, source), &seeds, stop)? {
            Some(side) => sides.push(side),
            None => return Ok(Finished::Interrupted(None)),
        }
    }
    // Each side's effective configuration, as its own `cb-config` reads the environment.
    let known: Vec<Option<Vec<(String, String)>>> = sides
        .iter()
        .zip(&envs)
        .map(|(s, env)| cargo::config(s.built.config.as_deref(), env))
        .collect();
    print_sides(&repo, &sides, &envs, &known);
    let plan = plan(&sides, &args, &envs, opts.rounds.max())?;
    let criterion_dir = cwd.join(&opts.criterion_dir);
    let layout = layout.as_ref().map(|(p, l)| (p.as_path(), l));
    let names = (
        round_names("old", opts.rounds.max()),
        round_names("new", opts.rounds.max()),
    );
    let mut c = match &opts.rounds {
        RoundCount::Fixed(_) => {
            let outcome = run_rounds(&plan, &criterion_dir, stop)?;
            if outcome.interrupted {
                return Ok(Finished::Interrupted(Some(outcome)));
            }
            crate::compare::from_rounds_with_layout(
                &criterion_dir,
                &names.0,
                &names.1,
                opts.threshold_pct,
                layout,
            )?
        }
        RoundCount::Sequential(rule) => {
            let rule = &lock_step_if_both_take_turns(rule, &sides, &known, &plan.args);
            let judge = sequential::Judge {
                criterion_dir: &criterion_dir,
                threshold_pct: opts.threshold_pct,
                layout,
                layouts: opts.layouts,
            };
            let ran = sequential::run(&plan, &judge, rule, stop)?;
            if ran.outcome.interrupted {
                return Ok(Finished::Interrupted(Some(ran.outcome)));
            }
            let mut c = crate::compare::from_sequential_rounds(
                &criterion_dir,
                (&names.0, &names.1),
                opts.threshold_pct,
                layout,
                (rule.per_round(), rule.looks()),
            )?;
            c.warnings.extend(budget_warnings(&ran));
            c
        }
    };
    if opts.layouts > 1 {
        c.noise.push(format!(
            "each side's rounds rotate over {} link orders (seeds {}): the spread includes code placement",
            opts.layouts,
            seeds.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
        ));
    }
    // The sides by their revisions rather than by their first and last round's baseline.
    c.old = side_label(opts.old.as_str(), &sides[0].source);
    c.new = side_label(
        opts.new.as_deref().unwrap_or("working tree"),
        &sides[1].source,
    );
    Ok(Finished::Verdict(Box::new(c)))
}

/// What `--budget` left undone, one line each.
fn budget_warnings(ran: &sequential::Ran) -> Vec<String> {
    let mut out = Vec::new();
    if !ran.unmeasured.is_empty() {
        out.push(format!(
            "--budget ran out before these had a first batch (not compared): {}",
            ran.unmeasured.join(", ")
        ));
    }
    if !ran.futile.is_empty() {
        out.push(format!(
            "no more rounds for these, at their spread not even no change would have been called unchanged by --max-rounds: {}",
            ran.futile.join(", ")
        ));
    }
    if !ran.cut_by_budget.is_empty() {
        out.push(format!(
            "--budget stopped these before they were decided: {}",
            ran.cut_by_budget.join(", ")
        ));
    }
    out
}

/// `HEAD~1 (abc1234)` for a revision; the working tree says that it includes its changes.
fn side_label(given: &str, source: &Source) -> String {
    match source {
        Source::Commit(c) => format!("{given} ({})", git::short(c)),
        Source::WorkingTree(_) => format!("{given} (uncommitted changes included)"),
    }
}

/// Both revisions resolved (a bad one is named before anything is built), and NEW's working
/// tree snapshot taken when NEW was not given.
fn resolve_sides(repo: &Repo, opts: &Options, ab_dir: &Path) -> Result<[Source; 2]> {
    let old = Source::Commit(repo.resolve(&opts.old)?);
    let new_commit = match &opts.new {
        Some(rev) => Some(repo.resolve(rev)?),
        None => None,
    };
    repo.require_ignored(ab_dir)?;
    let new = match new_commit {
        Some(c) => Source::Commit(c),
        None => Source::WorkingTree(repo.working_tree_commit(ab_dir)?),
    };
    Ok([old, new])
}

/// Removes an earlier session's rounds from `criterion_dir`, then runs the plan.
fn run_rounds(plan: &Plan, criterion_dir: &Path, stop: &AtomicBool) -> Result<Outcome> {
    let shape = format!(
        "{} benchmarks × {} rounds × 2 sides",
        plan.benches.len(),
        plan.rounds
    );
    session::run_fresh(
        plan,
        criterion_dir,
        stop,
        |n| session::is_round_name(n, "ab-old-") || session::is_round_name(n, "ab-new-"),
        &shape,
    )
}

/// The link seeds of `--layouts M` (none for one build per side), from the clock.
fn link_seeds(layouts: usize) -> Vec<u64> {
    if layouts < 2 {
        return Vec::new();
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    relink::seeds(now.map_or(1, |d| d.as_nanos() as u64), layouts)
}

/// Prepares the side's worktree and builds it (and relinks it once per seed); `None` when
/// Ctrl-C stopped the build. Where relinking is supported every build goes through the same
/// linker wrapper, with or without seeds, so `ab` and `ab --layouts` share the side's target
/// directory without rebuilding the dependencies.
fn checkout_and_build(
    repo: &Repo,
    ab_dir: &Path,
    (name, source): (&'static str, Source),
    seeds: &[u64],
    stop: &AtomicBool,
) -> Result<Option<Side>> {
    let dir = ab_dir
        .join("worktrees")
        .join(format!("{name}-{}", source.label()));
    let prepared = git::prepare_worktree(repo, &dir, source.commit())?;
    let how = match prepared {
        Prepared::Reused => "reused",
        Prepared::Updated => "updated",
        Prepared::Created => "created",
    };
    eprintln!("{name}: worktree {} ({how})", dir.display());
    let target = ab_dir.join(format!("target-{name}"));
    let label = match &source {
        Source::Commit(c) => format!("{name} ({})", git::short(c)),
        Source::WorkingTree(_) => format!("{name} (the working tree)"),
    };
    let built = if relink::relink_supported() {
        let out = ab_dir.join(format!("layouts-{name}"));
        relink::build_layouts(&dir, &target, &out, seeds, &label, stop)?
    } else {
        let log = ab_dir.join("logs").join(format!("build-{name}.log"));
        let mut line = StatusLine::new();
        line.show(&format!("building {label} …"), false);
        let built = cargo::build(&dir, Some(&target), &log, stop, |t| {
            line.show(&format!("building {label} … {}", format_duration(t)), true)
        })?;
        line.finish();
        built.map(|b| (b, Vec::new()))
    };
    Ok(built.map(|(built, layouts)| Side {
        name,
        source,
        dir,
        built,
        layouts,
    }))
}

/// The benchmarks both sides have, and the ABBA schedule over them.
fn plan(
    sides: &[Side],
    args: &CriterionArgs,
    envs: &[Vec<(String, String)>; 2],
    rounds: usize,
) -> Result<Plan> {
    let mut lists = Vec::new();
    for (side, env) in sides.iter().zip(envs) {
        lists.push(cargo::list(
            &side.built.benches,
            &side.dir,
            &args.filter,
            env,
        )?);
    }
    let benches: Vec<String> = lists[0]
        .iter()
        .filter(|(id, _)| lists[1].iter().any(|(other, _)| other == id))
        .map(|(id, _)| id.clone())
        .collect();
    for (side, list) in sides.iter().zip(&lists) {
        for (id, _) in list.iter().filter(|(id, _)| !benches.contains(id)) {
            eprintln!("note: {id} is only on the {} side; not compared", side.name);
        }
    }
    if benches.is_empty() {
        return Err(Error::msg(format!(
            "no benchmark{} exists on both sides",
            match args.filter.first() {
                Some(f) => format!(" matching '{f}'"),
                None => String::new(),
            }
        )));
    }
    let m = sides[0].layouts.len().max(1);
    let mut side_runs = Vec::new();
    for ((side, list), env) in sides.iter().zip(lists).zip(envs) {
        if side.layouts.is_empty() {
            side_runs.push(SideRun {
                name: side.name.to_string(),
                cwd: side.dir.clone(),
                exes: list.iter().cloned().collect(),
                env: env.clone(),
            });
        }
        for (l, build) in side.layouts.iter().enumerate() {
            side_runs.push(SideRun {
                name: format!("{} link order {l}", side.name),
                cwd: side.dir.clone(),
                exes: relink::exes_of(&list, &side.built.benches, &build.benches),
                env: build.env(env),
            });
        }
    }
    Ok(Plan {
        slots: rotate_layouts(schedule(benches.len(), rounds), m),
        benches,
        entries: Entries::Benchmarks,
        sides: side_runs,
        args: args.run.clone(),
        rounds,
    })
}

/// `rule`, with lock step turned off (and a line saying so) when a side's suite does not read
/// `CB_TURNS` (its `cb-config` output, `known`, does not list it, or it has none), or the runs' Criterion
/// options (`args`) include `--quick`, under which the suite measures live, not in rounds
/// that take turns: either way a run would measure while the other side's does.
fn lock_step_if_both_take_turns(
    rule: &Stopping,
    sides: &[Side],
    known: &[Option<Vec<(String, String)>>],
    args: &[String],
) -> Stopping {
    let mut rule = rule.clone();
    if !rule.lock_step {
        return rule;
    }
    if args.iter().any(|a| a == "--quick") {
        eprintln!("lock step off: under --quick the suite measures live, without taking turns; each round's two sides run one after the other");
        rule.lock_step = false;
        return rule;
    }
    let reads_turns = |known: &Option<Vec<(String, String)>>| {
        known
            .as_ref()
            .is_some_and(|c| c.iter().any(|(name, _)| name == cb_turns::ENV))
    };
    let without: Vec<&str> = sides
        .iter()
        .zip(known)
        .filter(|(_, known)| !reads_turns(known))
        .map(|(side, _)| side.name)
        .collect();
    if !without.is_empty() {
        eprintln!(
            "lock step off: the {} side's suite does not read {} (not in its cb-config); each round's two sides run one after the other",
            without.join(" and "),
            cb_turns::ENV
        );
        rule.lock_step = false;
    }
    rule
}

/// A side's effective configuration from its `cb-config` (`known`), plus the variables in `env` that
/// it does not know, marked `(ignored?)`: an older commit may not read a newer setting such as
/// `CB_SAMPLES`, and then its runs differ from the other side's. Without `cb-config`: `env`.
fn side_config(
    known: &Option<Vec<(String, String)>>,
    env: &[(String, String)],
) -> Vec<(String, String)> {
    let Some(mut known) = known.clone() else {
        return env.to_vec();
    };
    for (k, v) in env {
        if !known.iter().any(|(n, _)| n == k) {
            known.push((k.clone(), format!("{v} (ignored?)")));
        }
    }
    known
}

/// The sides' commits and `CB_*` configurations, side by side, with a warning per difference.
fn print_sides(
    repo: &Repo,
    sides: &[Side],
    envs: &[Vec<(String, String)>; 2],
    known: &[Option<Vec<(String, String)>>],
) {
    for side in sides {
        let what = match &side.source {
            Source::Commit(c) => repo
                .git(&["log", "-1", "--format=%h %s", c])
                .unwrap_or_else(|_| c.clone()),
            Source::WorkingTree(c) => {
                let same = |rev: &str| repo.git(&["rev-parse", &format!("{rev}^{{tree}}")]).ok();
                if same(c) == same("HEAD") {
                    "the working tree (no uncommitted changes: HEAD's files)".into()
                } else {
                    "the working tree (HEAD with uncommitted changes)".into()
                }
            }
        };
        eprintln!("{:>4}: {what}", side.name);
    }
    let configs: Vec<Vec<(String, String)>> = known
        .iter()
        .zip(envs)
        .map(|(known, env)| side_config(known, env))
        .collect();
    let mut names: Vec<&String> = configs.iter().flatten().map(|(k, _)| k).collect();
    names.sort();
    names.dedup();
    let value = |c: &[(String, String)], k: &str| {
        c.iter()
            .find(|(n, _)| n == k)
            .map_or("-".to_string(), |(_, v)| v.clone())
    };
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0);
    eprintln!("{:width$}  {:<20}  new", "config", "old");
    for name in &names {
        let (a, b) = (value(&configs[0], name), value(&configs[1], name));
        eprintln!("{name:width$}  {a:<20}  {b}");
    }
    for name in names {
        let (a, b) = (value(&configs[0], name), value(&configs[1], name));
        if a != b {
            eprintln!("warning: {name} differs between the sides ({a} vs {b}): the comparison includes that difference");
        }
    }
}
