//! A schedule of short Criterion runs, each one benchmark (or one group's benchmarks together,
//! [`Entries::Groups`]) on one side saved as its own baseline, with a progress line and
//! all-or-nothing results.
//!
//! Every run writes into a fresh staging directory (`CRITERION_HOME=<staging>/<run>`), a
//! sibling of the Criterion directory: nothing the bench executable writes lands in the
//! Criterion directory while it runs. Only after it exited successfully are the directories
//! named after its baseline (the benchmark's `<baseline>/` and the group's
//! `<baseline>/cb-rounds.json`) renamed into place; Criterion's `new/` and reports are
//! dropped with the staging directory. A stopped or failed run therefore leaves nothing
//! behind, and a baseline directory in the Criterion directory is always a complete run; a run
//! of a group is moved only once every benchmark it was to measure saved its baseline.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use super::child::{self, Exit};
pub use super::entries::Entries;
use crate::error::{Error, Result};
use crate::format::format_duration;

/// The suite settings of every short run (`ab`'s rounds, `layout`'s and `backfill`'s runs)
/// unless the user set them: Criterion's fewest samples,
/// samples of 100 ms, one iteration per sample for strategies slower than that, and no untimed
/// timeline run (nobody reads it in a round). A round is one short run per side that gives one of
/// K paired values: the spread between rounds, not a run's own precision, bounds the
/// verdict, so a round spends as little time as 10 samples allow.
pub const ROUND_SETTINGS: [(&str, &str); 4] = [
    ("CB_SAMPLES", "10"),
    ("CB_SAMPLE_MS", "100"),
    ("CB_MIN_ITERS", "1"),
    ("CB_TIMELINE", "off"),
];

/// The suite configuration for one side's runs: the user's `CB_*` variables (inherited), that
/// side's own `side` settings over them, and [`ROUND_SETTINGS`] where neither set them.
pub fn round_env(side: &[(String, String)]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| k.starts_with("CB_"))
        .filter(|(k, _)| !side.iter().any(|(name, _)| name == k))
        .chain(side.iter().cloned())
        .collect();
    for (name, value) in ROUND_SETTINGS {
        if !env.iter().any(|(k, _)| k == name) {
            env.push((name.into(), value.into()));
        }
    }
    env.sort();
    env
}

/// One side's executables and settings.
#[derive(Debug, Clone)]
pub struct SideRun {
    /// `old`, `new` or `cal`: shown in the progress line.
    pub name: String,
    /// The bench executables' working directory (the side's checkout, as under `cargo bench`).
    pub cwd: PathBuf,
    /// Which executable runs each benchmark id.
    pub exes: BTreeMap<String, PathBuf>,
    /// Environment for every run (the `CB_*` configuration).
    pub env: Vec<(String, String)>,
}

/// One run: a benchmark, on a side, in a round, saved as a baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// Index into [`Plan::benches`].
    pub bench: usize,
    /// Index into [`Plan::sides`].
    pub side: usize,
    /// 0-based round.
    pub round: usize,
    /// The baseline the run is saved as.
    pub baseline: String,
}

/// Everything [`execute`] runs, in order.
#[derive(Debug, Clone)]
pub struct Plan {
    /// What a slot runs: benchmark ids, or groups ([`Plan::entries`]).
    pub benches: Vec<String>,
    /// Whether [`Plan::benches`] are benchmarks or groups of them.
    pub entries: Entries,
    /// The sides.
    pub sides: Vec<SideRun>,
    /// The runs, in the order they happen.
    pub slots: Vec<Slot>,
    /// Extra Criterion options for every run (the user's, filter removed).
    pub args: Vec<String>,
    /// Rounds per benchmark, for the progress line.
    pub rounds: usize,
}

impl Plan {
    /// The benchmark ids a run of entry `b` measures: the entry itself, or its group's members.
    pub fn members(&self, b: usize) -> &[String] {
        self.entries.members(b, &self.benches[b])
    }

    /// Every benchmark the plan measures, entry by entry.
    pub fn benchmarks(&self) -> Vec<String> {
        (0..self.benches.len())
            .flat_map(|b| self.members(b).to_vec())
            .collect()
    }
}

/// How far [`execute`] got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Runs completed and moved into the Criterion directory.
    pub completed: usize,
    /// Runs planned.
    pub total: usize,
    /// Whether Ctrl-C (the stop flag) ended it early.
    pub interrupted: bool,
    /// Benchmarks all of whose runs completed (of a group's runs: all its members).
    pub complete_benches: Vec<String>,
    /// Wall time.
    pub elapsed: Duration,
}

/// The staging directory for `criterion_dir`: `<parent>/.<name>-staging`.
pub fn staging_root(criterion_dir: &Path) -> PathBuf {
    let name = criterion_dir
        .file_name()
        .map_or("criterion".into(), |n| n.to_string_lossy().into_owned());
    criterion_dir
        .parent()
        .unwrap_or(Path::new("."))
        .join(format!(".{name}-staging"))
}

/// Removes an earlier session's baselines (the names `is_ours` accepts) from `criterion_dir`,
/// says what will run (`shape`, e.g. "3 benchmarks × 5 rounds × 2 sides"), then runs the plan.
pub fn run_fresh(
    plan: &Plan,
    criterion_dir: &Path,
    stop: &AtomicBool,
    is_ours: impl Fn(&str) -> bool,
    shape: &str,
) -> Result<Outcome> {
    let stale = remove_baselines(criterion_dir, is_ours)?;
    if stale > 0 {
        eprintln!("removed {stale} baseline directories of an earlier session");
    }
    eprintln!(
        "{shape} = {} runs, results in {}",
        plan.slots.len(),
        criterion_dir.display()
    );
    let outcome = execute(plan, criterion_dir, stop)?;
    if !outcome.interrupted {
        eprintln!("all runs done in {}", format_duration(outcome.elapsed));
    }
    Ok(outcome)
}

/// Runs every slot of `plan` in order; stops early, cleanly, when `stop` is set.
pub fn execute(plan: &Plan, criterion_dir: &Path, stop: &AtomicBool) -> Result<Outcome> {
    let (staging, _lock) = open_staging(criterion_dir)?;
    let started = Instant::now();
    let mut progress = Progress::new(plan);
    let mut completed = 0;
    for (i, slot) in plan.slots.iter().enumerate() {
        progress.begin(i);
        match run_slot(plan, slot, criterion_dir, &staging, stop, &mut progress) {
            Ok(Some(d)) => {
                progress.done(i, d);
                completed += 1;
            }
            Ok(None) => break,
            Err(e) => {
                progress.finish();
                return Err(e);
            }
        }
    }
    progress.finish();
    // A failed run returned above and left its log here for the error to point at; after
    // success or Ctrl-C nothing in the staging directory is needed.
    remove_dir(&staging)?;
    let complete_benches = complete_benches(plan, completed);
    Ok(Outcome {
        completed,
        total: plan.slots.len(),
        interrupted: completed < plan.slots.len(),
        complete_benches,
        elapsed: started.elapsed(),
    })
}

/// The staging directory of `criterion_dir`, emptied, and the lock that keeps any other
/// session's runs out of both until it is dropped.
pub(crate) fn open_staging(criterion_dir: &Path) -> Result<(PathBuf, super::Lock)> {
    let staging = staging_root(criterion_dir);
    let lock = super::lock(
        &staging.with_extension("lock"),
        &format!("the Criterion directory {}", criterion_dir.display()),
    )?;
    remove_dir(&staging)?;
    Ok((staging, lock))
}

/// The benchmarks all of whose slots (their entry's) are among the first `completed`.
fn complete_benches(plan: &Plan, completed: usize) -> Vec<String> {
    let runs_of = |slots: &[Slot], b: usize| slots.iter().filter(|s| s.bench == b).count();
    (0..plan.benches.len())
        .filter(|&b| runs_of(&plan.slots[..completed], b) == runs_of(&plan.slots, b))
        .flat_map(|b| plan.members(b).to_vec())
        .collect()
}

/// Runs one slot into its staging directory and moves its baselines into place. `Ok(None)`:
/// stopped, and the staging directory is gone.
fn run_slot(
    plan: &Plan,
    slot: &Slot,
    criterion_dir: &Path,
    staging: &Path,
    stop: &AtomicBool,
    progress: &mut Progress,
) -> Result<Option<Duration>> {
    let (mut cmd, home) = prepare_slot(plan, slot, staging)?;
    let started = Instant::now();
    match child::run(&mut cmd, stop, || progress.tick())? {
        Exit::Stopped => {
            remove_dir(&home)?;
            Ok(None)
        }
        Exit::Finished(status) => {
            finish_slot(plan, slot, criterion_dir, staging, status)?;
            Ok(Some(started.elapsed()))
        }
    }
}

/// A fresh staging home for `slot` and the bench executable's call that runs it there.
pub(crate) fn prepare_slot(plan: &Plan, slot: &Slot, staging: &Path) -> Result<(Command, PathBuf)> {
    let side = &plan.sides[slot.side];
    let what = &plan.benches[slot.bench];
    let exe = plan
        .members(slot.bench)
        .first()
        .and_then(|id| side.exes.get(id))
        .ok_or_else(|| Error::msg(format!("{what}: no executable on side {}", side.name)))?;
    let home = slot_home(staging, slot);
    remove_dir(&home)?;
    fs::create_dir_all(&home).map_err(|e| Error::at(&home, format!("cannot create: {e}")))?;
    let cmd = command(exe, plan, slot, &home, &slot_log(staging, slot))?;
    Ok((cmd, home))
}

/// The slot's own staging home (`CRITERION_HOME`): by entry and baseline, since slots of
/// different benchmarks share baseline names and may run at once ([`super::side_by_side`]).
pub(crate) fn slot_home(staging: &Path, slot: &Slot) -> PathBuf {
    staging.join(format!("{}.{}", slot.bench, slot.baseline))
}

/// Where a slot's output goes while it runs (kept, and named by the error, when it fails).
fn slot_log(staging: &Path, slot: &Slot) -> PathBuf {
    staging.join(format!("{}.{}.log", slot.bench, slot.baseline))
}

/// After the slot's run exited with `status`: its baselines moved into `criterion_dir` and
/// its staging home removed, or an error naming its log when it failed or saved too little.
pub(crate) fn finish_slot(
    plan: &Plan,
    slot: &Slot,
    criterion_dir: &Path,
    staging: &Path,
    status: std::process::ExitStatus,
) -> Result<()> {
    let side = &plan.sides[slot.side];
    let what = &plan.benches[slot.bench];
    let members = plan.members(slot.bench);
    let home = slot_home(staging, slot);
    let log = slot_log(staging, slot);
    if !status.success() {
        return Err(Error::at(
            &log,
            format!(
                "{what} ({} round {}) failed ({status}); its output is in this file",
                side.name, slot.round
            ),
        ));
    }
    let saved = benchmarks_saved(&home, &slot.baseline)?;
    if saved < members.len() {
        return Err(Error::at(
            &log,
            format!(
                "{what} ({}): the run saved a '{}' baseline for {saved} of its {} benchmarks; its output is in this file",
                side.name,
                slot.baseline,
                members.len()
            ),
        ));
    }
    commit(&home, criterion_dir, &slot.baseline)?;
    remove_dir(&home)?;
    let _ = fs::remove_file(&log);
    Ok(())
}

/// The bench executable's call for `slot`: its entry's benchmarks (one with `--exact`, or a
/// group's with one filter matching exactly them) saved as the slot's baseline under `home`,
/// its output to `log`.
fn command(exe: &Path, plan: &Plan, slot: &Slot, home: &Path, log: &Path) -> Result<Command> {
    let side = &plan.sides[slot.side];
    let out = fs::File::create(log).map_err(|e| Error::at(log, format!("cannot create: {e}")))?;
    let err = out
        .try_clone()
        .map_err(|e| Error::at(log, format!("cannot open: {e}")))?;
    let mut cmd = Command::new(exe);
    cmd.args(["--bench", "--noplot"])
        .args(
            plan.entries
                .filter_args(slot.bench, &plan.benches[slot.bench]),
        )
        .args(["--save-baseline", &slot.baseline])
        .args(&plan.args)
        .envs(side.env.iter().map(|(k, v)| (k, v)))
        .env("CRITERION_HOME", home)
        .current_dir(&side.cwd)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    Ok(cmd)
}

/// How many benchmarks saved a `baseline` under `staged`: the directories of that name holding
/// Criterion's `benchmark.json` (a group's own holds only the suite's `cb-rounds.json`).
fn benchmarks_saved(staged: &Path, baseline: &str) -> Result<usize> {
    let mut found = Vec::new();
    find_named(staged, baseline, &mut found)?;
    Ok(found
        .iter()
        .filter(|d| d.join("benchmark.json").is_file())
        .count())
}

/// Moves every directory named `baseline` under `staged` to the same place under
/// `criterion_dir`, replacing what was there. Returns how many were moved.
pub fn commit(staged: &Path, criterion_dir: &Path, baseline: &str) -> Result<usize> {
    let mut found = Vec::new();
    find_named(staged, baseline, &mut found)?;
    for dir in &found {
        let rel = dir.strip_prefix(staged).unwrap_or(dir);
        let dest = criterion_dir.join(rel);
        remove_dir(&dest)?;
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| Error::at(parent, format!("cannot create directory: {e}")))?;
        }
        fs::rename(dir, &dest)
            .map_err(|e| Error::at(&dest, format!("cannot move the finished run here: {e}")))?;
    }
    Ok(found.len())
}

/// Collects the directories named `name` under `dir`, not descending into them.
fn find_named(dir: &Path, name: &str, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::at(dir, format!("cannot read directory: {e}"))),
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::at(dir, format!("cannot read directory: {e}")))?;
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        if entry.file_name().to_string_lossy() == name {
            out.push(entry.path());
        } else {
            find_named(&entry.path(), name, out)?;
        }
    }
    Ok(())
}

/// Removes, anywhere under `criterion_dir`, the baseline directories whose name `is_ours`:
/// a previous session's rounds must not mix with this one's. Returns how many.
pub fn remove_baselines(criterion_dir: &Path, is_ours: impl Fn(&str) -> bool) -> Result<usize> {
    fn walk(dir: &Path, is_ours: &dyn Fn(&str) -> bool, n: &mut usize) -> Result<()> {
        let Ok(entries) = fs::read_dir(dir) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            if is_ours(&entry.file_name().to_string_lossy()) {
                remove_dir(&entry.path())?;
                *n += 1;
            } else {
                walk(&entry.path(), is_ours, n)?;
            }
        }
        Ok(())
    }
    let mut n = 0;
    walk(criterion_dir, &is_ours, &mut n)?;
    Ok(n)
}

/// `prefix` followed by a round number: `ab-old-3` for prefix `ab-old-`.
pub fn is_round_name(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix)
        .is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()))
}

pub(crate) fn remove_dir(dir: &Path) -> Result<()> {
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(Error::at(dir, format!("cannot remove: {e}")))
        }
        _ => Ok(()),
    }
}

/// Time left: every remaining slot is expected to take its entry's (benchmark's or group's)
/// mean time so far, or the mean over all entries for one not run yet; the current slot counts
/// its elapsed time as done. `None` until a run has finished.
pub fn estimate_left(
    slots: &[Slot],
    done: &[Option<Duration>],
    current: usize,
    current_elapsed: Duration,
) -> Option<Duration> {
    let finished: Vec<(usize, Duration)> = slots
        .iter()
        .zip(done)
        .filter_map(|(s, d)| Some((s.bench, (*d)?)))
        .collect();
    if finished.is_empty() {
        return None;
    }
    let mean = |ds: &[Duration]| ds.iter().sum::<Duration>() / ds.len() as u32;
    let all: Vec<Duration> = finished.iter().map(|(_, d)| *d).collect();
    let overall = mean(&all);
    let of_bench = |b: usize| {
        let ds: Vec<Duration> = finished
            .iter()
            .filter(|(x, _)| *x == b)
            .map(|(_, d)| *d)
            .collect();
        if ds.is_empty() {
            overall
        } else {
            mean(&ds)
        }
    };
    let mut left = Duration::ZERO;
    for (i, slot) in slots.iter().enumerate().skip(current) {
        let expected = of_bench(slot.bench);
        left += if i == current {
            expected.saturating_sub(current_elapsed)
        } else {
            expected
        };
    }
    Some(left)
}

/// Whether stderr is a terminal: then the progress line is redrawn in place every second;
/// otherwise (a CI log) it is printed once per run.
pub fn stderr_is_tty() -> bool {
    // SAFETY: isatty only inspects the descriptor.
    unsafe { libc::isatty(2) == 1 }
}

/// A status line on stderr, redrawn in place on a terminal.
#[derive(Debug)]
pub struct StatusLine {
    tty: bool,
    open: bool,
}

impl StatusLine {
    /// A status line for this process's stderr.
    pub fn new() -> Self {
        StatusLine {
            tty: stderr_is_tty(),
            open: false,
        }
    }

    /// Shows `text`. A `transient` update is drawn only on a terminal (a log would fill up).
    pub fn show(&mut self, text: &str, transient: bool) {
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K{text}");
            self.open = true;
        } else if !transient {
            let _ = writeln!(err, "{text}");
        }
        let _ = err.flush();
    }

    /// Ends the line, so what follows starts on its own line.
    pub fn finish(&mut self) {
        if self.open {
            eprintln!();
            self.open = false;
        }
    }
}

impl Default for StatusLine {
    fn default() -> Self {
        Self::new()
    }
}

struct Progress<'a> {
    plan: &'a Plan,
    started: Instant,
    done: Vec<Option<Duration>>,
    current: usize,
    current_started: Instant,
    line: StatusLine,
}

impl<'a> Progress<'a> {
    fn new(plan: &'a Plan) -> Self {
        Progress {
            plan,
            started: Instant::now(),
            done: vec![None; plan.slots.len()],
            current: 0,
            current_started: Instant::now(),
            line: StatusLine::new(),
        }
    }

    fn begin(&mut self, i: usize) {
        self.current = i;
        self.current_started = Instant::now();
        let text = self.text();
        self.line.show(&text, false);
    }

    fn tick(&mut self) {
        let text = self.text();
        self.line.show(&text, true);
    }

    fn done(&mut self, i: usize, d: Duration) {
        self.done[i] = Some(d);
    }

    fn finish(&mut self) {
        self.line.finish();
    }

    fn text(&self) -> String {
        let slot = &self.plan.slots[self.current];
        let left = estimate_left(
            &self.plan.slots,
            &self.done,
            self.current,
            self.current_started.elapsed(),
        )
        .map_or("estimating".to_string(), |d| {
            format!("~{} left", format_duration(d))
        });
        format!(
            "{} · round {}/{} {} · {} elapsed · {left}",
            self.plan.entries.label(slot.bench, &self.plan.benches),
            slot.round + 1,
            self.plan.rounds,
            self.plan.sides[slot.side].name,
            format_duration(self.started.elapsed()),
        )
    }
}
