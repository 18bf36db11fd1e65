//! `backfill A..B`: build and benchmark each commit of a range and append every run to the
//! history file, as asv's `run A..B` does, so `history` can show where a change came in.
//!
//! Steps, per commit of `git rev-list --first-parent --reverse A..B` (every Nth, counted back
//! from B so the newest commit is always measured, see [`pick_every`]), oldest first:
//! 1. check the commit out in the worktree `target/backfill/worktree` ([`git::prepare_worktree`]:
//!    one worktree moved from commit to commit, so `git checkout` rewrites only the files that
//!    differ);
//! 2. build its bench executables into the shared target directory `target/backfill/target`
//!    ([`cargo::try_build`]);
//! 3. run each benchmark the filter selects once, as a short Criterion run (`CB_SAMPLES=10`
//!    unless set) saved as baseline `bf-<commit>` in `target/backfill/criterion`, through the
//!    staging directory of [`session`], so Ctrl-C leaves no partial run;
//! 4. append one [`Record`] with that commit's git information (not the working tree's), and
//!    the [`Origin`] (`backfill`, the Criterion arguments, the `CB_*` configuration).
//!
//! A commit that does not build is recorded with [`Status::BuildFailed`] (one where no
//! benchmark matches with [`Status::NoBenchmarks`], one whose bench executable fails while
//! listing or running with [`Status::RunFailed`]) and skipped; `history` lists it as a gap. A
//! resumed backfill tries a failed run again.
//!
//! **Resuming**: a commit that already has a record from a backfill with the same Criterion
//! arguments and configuration on this machine — measured or failed — is skipped
//! ([`already_done`]), so after Ctrl-C the same command continues where it stopped; the
//! commit that was interrupted has no record and is measured again from the start.
//!
//! **Build time** on 2 cores: one worktree at one path and one target directory for every
//! commit make each build incremental — the dependencies (tokio, reqwest, Criterion, …) are
//! compiled once, and a commit rebuilds only the workspace crates whose files changed. A
//! worktree and target directory per commit would compile every dependency again for each
//! commit (2–4 minutes each here, see [`crate::ab`]).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::format::format_duration;
use crate::history::{self, Origin, Record, Status};
use crate::machine::{self, Machine};
use crate::runner::cargo::{self, BuildOutcome, CriterionArgs};
use crate::runner::git::{self, Repo};
use crate::runner::session::{self, Entries, Plan, SideRun, Slot, StatusLine};

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct Options {
    /// The revision range `A..B`.
    pub range: String,
    /// Measure every Nth commit of the range (1: all).
    pub every: usize,
    /// The history file the records are appended to.
    pub history: PathBuf,
    /// Criterion arguments after `--`.
    pub criterion_args: Vec<String>,
}

/// What a backfill did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Commits selected from the range.
    pub selected: usize,
    /// Of those, already in the history from an earlier backfill with the same settings.
    pub already_done: usize,
    /// Commits measured and recorded now.
    pub measured: usize,
    /// Commits recorded now as not measurable (build failed, or no benchmark matched).
    pub failed: Vec<String>,
    /// Wall time.
    pub elapsed: Duration,
}

impl Tally {
    /// The closing line of a finished backfill.
    pub fn done_line(&self) -> String {
        let failed = if self.failed.is_empty() {
            String::new()
        } else {
            let short: Vec<&str> = self.failed.iter().map(|c| git::short(c)).collect();
            format!(" ({})", short.join(", "))
        };
        format!(
            "backfill done in {}: {} commits measured, {} could not be measured{failed}, {} already in the history",
            format_duration(self.elapsed),
            self.measured,
            self.failed.len(),
            self.already_done
        )
    }

    /// What an interrupted backfill says; `None` when the interruption came during a git or
    /// `--list` command, which cannot say how many commits were recorded before it.
    pub fn interrupted_line(tally: Option<&Tally>, history: &Path) -> String {
        let recorded = match tally {
            Some(t) => format!(
                "{} commits recorded in {}",
                t.measured + t.failed.len(),
                format_duration(t.elapsed)
            ),
            None => "the commits finished before it are recorded".to_string(),
        };
        format!(
            "interrupted: {recorded}; the commit in progress left nothing in {}. Run the same command again to resume.",
            history.display()
        )
    }
}

/// How a backfill ended.
#[derive(Debug)]
pub enum Finished {
    /// Every selected commit is in the history.
    Done(Tally),
    /// Ctrl-C: what was recorded before it; the commit in progress left nothing.
    Interrupted(Tally),
}

/// Checks the options that need no repository.
pub fn validate(opts: &Options) -> Result<()> {
    if opts.every == 0 {
        return Err(Error::msg("--every must be at least 1"));
    }
    cargo::split_criterion_args(&opts.criterion_args).map(|_| ())
}

/// Every `every`-th commit of `commits` (oldest first), counted back from the newest, which
/// is always included: the tip of the range is the commit a backfill is usually about.
pub fn pick_every(commits: &[String], every: usize) -> Vec<String> {
    let every = every.max(1);
    let n = commits.len();
    commits
        .iter()
        .enumerate()
        .filter(|(i, _)| (n - 1 - i).is_multiple_of(every))
        .map(|(_, c)| c.clone())
        .collect()
}

/// The origin every record of this backfill carries.
pub fn origin(criterion_args: &[String], env: &[(String, String)]) -> Origin {
    Origin {
        command: "backfill".into(),
        criterion_args: criterion_args.to_vec(),
        env: env.to_vec(),
    }
}

/// The commits that already have a record from a backfill with `origin` on `machine`,
/// measured or not measurable: a resumed backfill skips them. A commit whose benchmark failed
/// at run time is tried again (the failure may have been the machine's, not the commit's).
pub fn already_done(
    records: &[(usize, Record)],
    origin: &Origin,
    machine: &Machine,
) -> BTreeSet<String> {
    records
        .iter()
        .filter(|(_, r)| r.origin.as_ref() == Some(origin) && r.machine == *machine)
        .filter(|(_, r)| r.status != Some(Status::RunFailed))
        .filter_map(|(_, r)| r.git.commit.clone())
        .collect()
}

/// The baseline a commit's runs are saved as: `bf-<12 characters of the commit>`.
pub fn baseline_name(commit: &str) -> String {
    format!("bf-{}", &commit[..commit.len().min(12)])
}

/// A record of a commit that could not be measured.
pub fn unmeasured_record(
    git: machine::GitInfo,
    origin: Origin,
    status: Status,
    reason: String,
) -> Record {
    Record {
        schema: 1,
        recorded_at: machine::utc_now(),
        git,
        machine: machine::machine(),
        benchmarks: Vec::new(),
        origin: Some(origin),
        status: Some(status),
        reason: Some(reason),
    }
}

/// Where a backfill of the repository at `root` keeps its worktree, builds, runs and logs.
#[derive(Debug, Clone)]
pub struct Dirs {
    /// `target/backfill`.
    pub base: PathBuf,
    /// The worktree moved from commit to commit.
    pub worktree: PathBuf,
    /// The shared `CARGO_TARGET_DIR`.
    pub target: PathBuf,
    /// Criterion's directory for the runs (baselines `bf-<commit>`).
    pub criterion: PathBuf,
    /// Build logs.
    pub logs: PathBuf,
}

impl Dirs {
    /// The directories under `<root>/target/backfill`.
    pub fn new(root: &Path) -> Dirs {
        let base = root.join("target").join("backfill");
        Dirs {
            worktree: base.join("worktree"),
            target: base.join("target"),
            criterion: base.join("criterion"),
            logs: base.join("logs"),
            base,
        }
    }
}

/// Runs a backfill from the repository containing `cwd`.
pub fn run(opts: &Options, cwd: &Path, stop: &AtomicBool) -> Result<Finished> {
    validate(opts)?;
    crate::runner::flags::announce();
    let args = cargo::split_criterion_args(&opts.criterion_args)?;
    let repo = Repo::discover(cwd)?;
    let commits = repo.commits_in(&opts.range)?;
    if commits.is_empty() {
        return Err(Error::msg(format!(
            "revision range '{}' holds no commit",
            opts.range
        )));
    }
    let selected = pick_every(&commits, opts.every);
    let dirs = Dirs::new(&repo.root);
    repo.require_ignored(&dirs.base)?;
    let _lock = crate::runner::lock(
        &dirs.base.join(".lock"),
        "the backfill worktree of this repository",
    )?;
    let env = session::round_env(&[]);
    let origin = origin(&opts.criterion_args, &env);
    let done = if opts.history.exists() {
        already_done(
            &history::load(&opts.history)?.records,
            &origin,
            &machine::machine(),
        )
    } else {
        BTreeSet::new()
    };
    let todo: Vec<&String> = selected.iter().filter(|c| !done.contains(*c)).collect();
    let mut tally = Tally {
        selected: selected.len(),
        already_done: selected.len() - todo.len(),
        ..Tally::default()
    };
    eprintln!(
        "{} commits in {} (first parents), {} selected{}, {} already in {}: {} to measure",
        commits.len(),
        opts.range,
        selected.len(),
        if opts.every > 1 {
            format!(" (every {})", opts.every)
        } else {
            String::new()
        },
        tally.already_done,
        opts.history.display(),
        todo.len()
    );
    let started = Instant::now();
    for (i, commit) in todo.iter().enumerate() {
        let step = Step {
            repo: &repo,
            dirs: &dirs,
            args: &args,
            env: &env,
            origin: &origin,
            history: &opts.history,
            label: format!("commit {}/{} {}", i + 1, todo.len(), git::short(commit)),
        };
        match step.run(commit, stop)? {
            CommitResult::Measured => tally.measured += 1,
            CommitResult::Unmeasured => tally.failed.push(commit.to_string()),
            CommitResult::Stopped => {
                tally.elapsed = started.elapsed();
                return Ok(Finished::Interrupted(tally));
            }
        }
    }
    tally.elapsed = started.elapsed();
    Ok(Finished::Done(tally))
}

/// How one commit ended.
enum CommitResult {
    Measured,
    Unmeasured,
    Stopped,
}

/// What measuring one commit needs.
struct Step<'a> {
    repo: &'a Repo,
    dirs: &'a Dirs,
    args: &'a CriterionArgs,
    env: &'a [(String, String)],
    origin: &'a Origin,
    history: &'a Path,
    label: String,
}

impl Step<'_> {
    /// Builds, lists and measures `commit`, appending its record (a gap when it could not be
    /// measured).
    fn run(&self, commit: &str, stop: &AtomicBool) -> Result<CommitResult> {
        git::prepare_worktree(self.repo, &self.dirs.worktree, commit)?;
        // The commit's own information, read before the build (a build may touch Cargo.lock).
        let info = machine::git_info(&self.dirs.worktree, None);
        let built = match self.build(commit, stop)? {
            BuildOutcome::Built(b) => b,
            BuildOutcome::Stopped => return Ok(CommitResult::Stopped),
            BuildOutcome::Failed(why) => {
                eprintln!("{}: does not build, recorded as such: {why}", self.label);
                return self.unmeasured(info, Status::BuildFailed, why);
            }
        };
        let list = match cargo::list(
            &built.benches,
            &self.dirs.worktree,
            &self.args.filter,
            self.env,
        ) {
            Ok(list) => list,
            Err(error) => return self.run_failed(info, &error, stop),
        };
        if list.is_empty() {
            let why = match self.args.filter.first() {
                Some(f) => format!("no benchmark matches '{f}' at this commit"),
                None => "the bench executables list no benchmark".to_string(),
            };
            eprintln!("{}: {why}; recorded as such", self.label);
            return self.unmeasured(info, Status::NoBenchmarks, why);
        }
        self.measure(commit, info, list, stop)
    }

    /// The commit's bench executables, built into the shared target directory with a progress
    /// line; a failure's reason names its log.
    fn build(&self, commit: &str, stop: &AtomicBool) -> Result<BuildOutcome> {
        let log = self
            .dirs
            .logs
            .join(format!("build-{}.log", git::short(commit)));
        let mut line = StatusLine::new();
        line.show(&format!("{}: building …", self.label), false);
        let started = Instant::now();
        let outcome = cargo::try_build(
            &self.dirs.worktree,
            Some(&self.dirs.target),
            &log,
            stop,
            |t| {
                line.show(
                    &format!("{}: building … {}", self.label, format_duration(t)),
                    true,
                )
            },
        )?;
        line.finish();
        Ok(match outcome {
            BuildOutcome::Failed(why) => BuildOutcome::Failed(format!("{why} ({})", log.display())),
            BuildOutcome::Built(b) => {
                eprintln!(
                    "{}: built in {}",
                    self.label,
                    format_duration(started.elapsed())
                );
                BuildOutcome::Built(b)
            }
            stopped => stopped,
        })
    }

    /// One run of each listed benchmark, saved as the commit's baseline and appended to the
    /// history as one record.
    fn measure(
        &self,
        commit: &str,
        info: machine::GitInfo,
        list: Vec<(String, PathBuf)>,
        stop: &AtomicBool,
    ) -> Result<CommitResult> {
        let baseline = baseline_name(commit);
        let plan = self.plan(commit, list, &baseline);
        let criterion = &self.dirs.criterion;
        // A run of this commit interrupted earlier may have left some complete benchmarks.
        session::remove_baselines(criterion, |n| n == baseline)?;
        let outcome = match session::execute(&plan, criterion, stop) {
            Ok(outcome) => outcome,
            Err(error) => {
                session::remove_baselines(criterion, |n| n == baseline)?;
                return self.run_failed(info, &error, stop);
            }
        };
        if outcome.interrupted {
            session::remove_baselines(criterion, |n| n == baseline)?;
            return Ok(CommitResult::Stopped);
        }
        let (all, _) = history::collect_baseline(criterion, &baseline)?;
        let benchmarks: Vec<_> = all
            .into_iter()
            .filter(|b| plan.benches.contains(&b.id))
            .collect();
        eprintln!(
            "{}: {} benchmarks measured in {}",
            self.label,
            benchmarks.len(),
            format_duration(outcome.elapsed)
        );
        self.append(Record {
            schema: 1,
            recorded_at: machine::utc_now(),
            git: info,
            machine: machine::machine(),
            benchmarks,
            origin: Some(self.origin.clone()),
            status: None,
            reason: None,
        })?;
        Ok(CommitResult::Measured)
    }

    /// A commit that could not be measured, recorded as such.
    fn unmeasured(
        &self,
        info: machine::GitInfo,
        status: Status,
        why: String,
    ) -> Result<CommitResult> {
        self.append(unmeasured_record(info, self.origin.clone(), status, why))?;
        Ok(CommitResult::Unmeasured)
    }

    /// A bench executable failed at this commit: recorded as such (the error names its log),
    /// and the backfill goes on with the next commit — unless Ctrl-C caused the failure.
    fn run_failed(
        &self,
        info: machine::GitInfo,
        error: &Error,
        stop: &AtomicBool,
    ) -> Result<CommitResult> {
        if stop.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(CommitResult::Stopped);
        }
        eprintln!(
            "{}: a benchmark failed, recorded as such: {error}",
            self.label
        );
        self.unmeasured(info, Status::RunFailed, error.to_string())
    }

    /// One run of each listed benchmark, saved as `baseline`.
    fn plan(&self, commit: &str, list: Vec<(String, PathBuf)>, baseline: &str) -> Plan {
        let benches: Vec<String> = list.iter().map(|(id, _)| id.clone()).collect();
        Plan {
            slots: (0..benches.len())
                .map(|bench| Slot {
                    bench,
                    side: 0,
                    round: 0,
                    baseline: baseline.to_string(),
                })
                .collect(),
            sides: vec![SideRun {
                name: git::short(commit).to_string(),
                cwd: self.dirs.worktree.clone(),
                exes: list.into_iter().collect(),
                env: self.env.to_vec(),
            }],
            benches,
            entries: Entries::Benchmarks,
            args: self.args.run.clone(),
            rounds: 1,
        }
    }

    fn append(&self, record: Record) -> Result<()> {
        history::append(self.history, &record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::GitInfo;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn every_nth_counts_back_from_the_newest() {
        let c = ids(&["a", "b", "c", "d", "e"]);
        assert_eq!(pick_every(&c, 1), c);
        assert_eq!(pick_every(&c, 2), ids(&["a", "c", "e"]));
        assert_eq!(pick_every(&c, 3), ids(&["b", "e"]));
        assert_eq!(pick_every(&c, 10), ids(&["e"]));
        assert!(pick_every(&[], 2).is_empty());
    }

    fn rec(commit: &str, origin: Option<Origin>, machine: &Machine) -> (usize, Record) {
        let mut r = unmeasured_record(
            GitInfo {
                commit: Some(commit.into()),
                commit_date: None,
                dirty: Some(false),
            },
            origin.clone().unwrap_or_else(|| super::origin(&[], &[])),
            Status::BuildFailed,
            "x".into(),
        );
        r.origin = origin;
        r.machine = machine.clone();
        (1, r)
    }

    #[test]
    fn resume_skips_commits_recorded_by_the_same_backfill_on_this_machine() {
        let here = machine::machine();
        let other = Machine {
            cores: here.cores + 1,
            ..here.clone()
        };
        let cpu = origin(&ids(&["^cpu/"]), &[("CB_SAMPLES".into(), "10".into())]);
        let io = origin(&ids(&["^io/"]), &[("CB_SAMPLES".into(), "10".into())]);
        let records = vec![
            rec("a", Some(cpu.clone()), &here),
            // Another filter, another machine, or a plain `record`: not this backfill's.
            rec("b", Some(io.clone()), &here),
            rec("c", Some(cpu.clone()), &other),
            rec("d", None, &here),
        ];
        assert_eq!(
            already_done(&records, &cpu, &here),
            BTreeSet::from(["a".to_string()])
        );
        assert_eq!(
            already_done(&records, &io, &here),
            BTreeSet::from(["b".to_string()])
        );
    }

    #[test]
    fn a_failed_build_record_reads_back_as_a_gap() {
        let r = unmeasured_record(
            GitInfo::default(),
            origin(&[], &[]),
            Status::BuildFailed,
            "cargo failed".into(),
        );
        let line = serde_json::to_string(&r).unwrap();
        assert!(line.contains(r#""status":"build_failed""#), "{line}");
        let back: Record = serde_json::from_str(&line).unwrap();
        assert_eq!(back, r);
        assert!(back.benchmarks.is_empty());
    }

    #[test]
    fn zero_every_is_refused() {
        let opts = Options {
            range: "HEAD~1..HEAD".into(),
            every: 0,
            history: "h".into(),
            criterion_args: vec![],
        };
        assert!(validate(&opts).unwrap_err().to_string().contains("--every"));
    }
}
