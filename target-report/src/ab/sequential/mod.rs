//! `ab`'s sequential rounds: every benchmark gets a first batch of rounds, then only the
//! benchmarks still undecided get more, two rounds at a time (one old-first, one new-first, so
//! the sides stay balanced), until each is decided or `--max-rounds` or `--budget` ends it.
//!
//! # Error control with repeated looks
//! A benchmark is looked at after its first batch and after every later pair of rounds: at
//! most L = (max − min)/2 + 1 looks. Each look applies the verdict rules with α split evenly
//! over the L looks (Bonferroni, [`crate::verdict`]): it stops a benchmark as *regressed*
//! (*improved*) when its one-sided p-value is at most α/(m·L), m the benchmarks compared, and
//! as *unchanged* when its 1 − α/L interval lies within ±T. The final verdict is
//! [`crate::compare::from_sequential_rounds`]: Holm over the look-adjusted p-values of the
//! last look of each, which calls every stopped benchmark the same and may decide more. By
//! the union bound over benchmarks and looks, the chance of any false *regressed* stays at
//! most α however the looks fall; Bonferroni ignores that successive looks share rounds, so it
//! is conservative (a simulation test measures how much). Group-sequential boundaries
//! (Pocock, O'Brien–Fleming) would spend α more tightly but assume a known variance, which
//! K paired rounds do not give.
//!
//! # Lock step
//! A round's two runs start together and take turns sample by sample through a coordinator
//! ([`Pace::LockStep`], the suite's `CB_TURNS`): each measures only while the other waits, and
//! their samples alternate a tenth of a second apart, so an episode of a noisy machine (a whole
//! run uniformly slow) slows both sides alike instead of one. `ab` turns it off when a side's
//! suite does not read `CB_TURNS` (an older commit), and `--no-lock-step` does; then a round's
//! runs go one after the other, in ABBA order.
//!
//! # Side by side
//! A benchmark that waits on latency keeps a few hundredths of a core busy
//! (`io/download/sequential` 0.03 cores for 3.3 s an iteration), so running its rounds one
//! after another leaves the 2-core machine idle for most of the I/O group's time. Every
//! benchmark's round 0 therefore runs alone and measures the cores each side kept busy (the
//! suite's CPU-time record); one that kept at most [`LATENCY_BOUND_CORES`] on both sides runs
//! its later rounds *side by side* with the other such benchmarks' ([`crate::runner::side_by_side`]): as many
//! runs at once as keep their measured cores within `--side-by-side-cores` (default
//! [`DEFAULT_SIDE_BY_SIDE_CORES`]), both sides of a round among them, so they share the same
//! moment. Everything else, and every run when the CPU record is missing (`CB_CPU_TIME=off`),
//! runs alone: no other benchmark's runs beside its own two, in lock step.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use super::{abba, rotate_layouts, round_names};
use crate::error::Result;
use crate::format::format_duration;
use crate::noise::LayoutNoise;
use crate::runner::session::{self, Outcome, Plan, Slot};
use crate::runner::side_by_side::{self, Pace};
use crate::verdict;
use crate::verdict::{Entry, Verdict};

mod stopping;
mod together;
pub use stopping::{
    parse_budget, Stopping, DEFAULT_MAX_ROUNDS, DEFAULT_MIN_ROUNDS, DEFAULT_SIDE_BY_SIDE_CORES,
    LATENCY_BOUND_CORES, STEP,
};
use together::{round0_cores, run_together};

/// One benchmark's progress.
#[derive(Debug, Clone, Default)]
struct Progress {
    /// Rounds completed on both sides.
    rounds: usize,
    /// What stopped it: the verdict of a look, or inconclusive when the budget (or a missing
    /// result) ended it undecided; `None` while it is due more rounds.
    verdict: Option<Verdict>,
    /// Wall time of its runs, and how many: the budget's estimate of its next batch.
    spent: Duration,
    runs: usize,
    /// The cores its round 0 kept busy (the more of the two sides), when measured alone with a
    /// CPU-time record: whether it waits on latency, and its weight among the runs at once.
    round0_cores: Option<f64>,
    /// Stopped undecided because more rounds were unlikely to decide it ([`futile`]).
    futile: bool,
}

impl Progress {
    /// Whether its rounds after round 0 run side by side: round 0 kept at most
    /// [`LATENCY_BOUND_CORES`] busy on both sides.
    fn side_by_side(&self) -> bool {
        self.round0_cores.is_some_and(|c| c <= LATENCY_BOUND_CORES)
    }
}

/// What the sequential rounds did.
#[derive(Debug)]
pub struct Ran {
    /// The runs, as one session.
    pub outcome: Outcome,
    /// Benchmarks the budget left without a first batch (not compared).
    pub unmeasured: Vec<String>,
    /// Benchmarks the budget stopped before they were decided or reached the maximum.
    pub cut_by_budget: Vec<String>,
    /// Benchmarks stopped undecided because at their spread not even no change would have
    /// been called unchanged by `--max-rounds` ([`futile`]).
    pub futile: Vec<String>,
}

/// What the rounds run against: where they are saved and how a look decides.
pub struct Judge<'a> {
    /// The rounds' Criterion directory.
    pub criterion_dir: &'a Path,
    /// The verdict threshold, percent.
    pub threshold_pct: f64,
    /// The layout noise added per benchmark (one build per side), as for the final verdict.
    pub layout: Option<(&'a Path, &'a LayoutNoise)>,
    /// Link orders per side (`--layouts`): round r runs link order r mod M.
    pub layouts: usize,
}

/// Runs `template`'s benchmarks (its slots are ignored) in sequential rounds.
pub fn run(template: &Plan, judge: &Judge, rule: &Stopping, stop: &AtomicBool) -> Result<Ran> {
    start(template, judge, rule)?;
    let n = template.benches.len();
    let mut s = Passes {
        template,
        judge,
        rule,
        stop,
        started: Instant::now(),
        state: vec![Progress::default(); n],
        outcome: Outcome {
            completed: 0,
            total: 0,
            interrupted: false,
            complete_benches: Vec::new(),
            elapsed: Duration::ZERO,
        },
        unmeasured: Vec::new(),
        cut: Vec::new(),
    };
    let mut pass = 0;
    loop {
        let due: Vec<usize> = (0..n)
            .filter(|&b| s.state[b].verdict.is_none() && s.state[b].rounds < rule.max_rounds)
            .collect();
        if due.is_empty() {
            break;
        }
        pass += 1;
        announce_pass(pass, &due, &s.state, template, rule);
        if !s.pass(due)? {
            break;
        }
    }
    if !s.outcome.interrupted {
        eprintln!(
            "all runs done in {}: {}",
            format_duration(s.started.elapsed()),
            rounds_taken(&s.state)
        );
    }
    Ok(finish(
        s.outcome,
        template,
        &s.state,
        rule,
        s.started,
        (s.unmeasured, s.cut),
    ))
}

/// The sequential rounds in progress: what they run, how, and where every benchmark stands.
struct Passes<'a> {
    template: &'a Plan,
    judge: &'a Judge<'a>,
    rule: &'a Stopping,
    stop: &'a AtomicBool,
    started: Instant,
    state: Vec<Progress>,
    outcome: Outcome,
    /// Benchmarks the budget left without a first batch, and those it cut later.
    unmeasured: Vec<String>,
    cut: Vec<String>,
}

impl Passes<'_> {
    /// One pass: the next batch of every benchmark in `due` (alone, or side by side for those
    /// that wait on latency, after the others), each looked at once its batch is in. `false`
    /// when Ctrl-C stopped it.
    fn pass(&mut self, due: Vec<usize>) -> Result<bool> {
        let (template, judge, rule, stop) = (self.template, self.judge, self.rule, self.stop);
        let mut together = Vec::new();
        for b in due {
            let to = match self.state[b].rounds {
                0 => rule.min_rounds,
                k => k + STEP,
            };
            if over_budget(rule, &self.state, b, to, self.started) {
                self.stop_for_budget(b);
                continue;
            }
            if self.state[b].rounds == 0 && rule.side_by_side_cores > 0.0 {
                // Round 0 alone: it measures whether the benchmark waits on latency.
                if !run_alone(
                    template,
                    (judge, rule),
                    stop,
                    (b, 1),
                    &mut self.state,
                    &mut self.outcome,
                )? {
                    return Ok(false);
                }
                self.state[b].round0_cores =
                    round0_cores(judge.criterion_dir, &template.benches[b])?;
            }
            if self.state[b].side_by_side() {
                together.push((b, to));
                continue;
            }
            if !run_alone(
                template,
                (judge, rule),
                stop,
                (b, to),
                &mut self.state,
                &mut self.outcome,
            )? {
                return Ok(false);
            }
            (self.state[b].verdict, self.state[b].futile) = look(judge, template, b, to, rule)?;
        }
        if together.is_empty() {
            return Ok(true);
        }
        let (state, outcome) = (&mut self.state, &mut self.outcome);
        if !run_together(template, judge, rule, stop, &together, state, outcome)? {
            return Ok(false);
        }
        for (b, to) in together {
            (self.state[b].verdict, self.state[b].futile) = look(judge, template, b, to, rule)?;
        }
        Ok(true)
    }

    /// Stops benchmark `b` undecided because its next batch would end after the budget: no
    /// more batches, its rounds stay what they are.
    fn stop_for_budget(&mut self, b: usize) {
        let id = self.template.benches[b].clone();
        match self.state[b].rounds {
            0 => self.unmeasured.push(id),
            _ => self.cut.push(id),
        }
        self.state[b].verdict = Some(Verdict::Inconclusive);
    }
}

/// Runs benchmark `b`'s rounds from where it stands up to `to`, alone (no other benchmark's
/// runs beside them), round by round: a round's two sides in lock step, taking turns sample by
/// sample ([`Pace::LockStep`]), or one after the other without it; `false` when Ctrl-C stopped
/// it.
fn run_alone(
    template: &Plan,
    (judge, rule): (&Judge, &Stopping),
    stop: &AtomicBool,
    (b, to): (usize, usize),
    state: &mut [Progress],
    outcome: &mut Outcome,
) -> Result<bool> {
    let batch = batch_plan(template, b, state[b].rounds, to, judge.layouts);
    let started = Instant::now();
    let (completed, interrupted) = if rule.lock_step {
        let ran = side_by_side::execute(&batch, Pace::LockStep, judge.criterion_dir, stop)?;
        (ran.times.iter().flatten().count(), ran.interrupted)
    } else {
        let done = session::execute(&batch, judge.criterion_dir, stop)?;
        (done.completed, done.interrupted)
    };
    outcome.completed += completed;
    // In lock step a round's two runs take about their two times together, as one after the
    // other: the budget's estimate per run stays the batch's time over its runs.
    state[b].spent += started.elapsed();
    state[b].runs += completed;
    if interrupted {
        outcome.interrupted = true;
        return Ok(false);
    }
    state[b].rounds = to;
    Ok(true)
}

/// Removes an earlier session's rounds and says what this one will run.
fn start(template: &Plan, judge: &Judge, rule: &Stopping) -> Result<()> {
    let stale = session::remove_baselines(judge.criterion_dir, |n| {
        session::is_round_name(n, "ab-old-") || session::is_round_name(n, "ab-new-")
    })?;
    if stale > 0 {
        eprintln!("removed {stale} baseline directories of an earlier session");
    }
    eprintln!(
        "{} benchmarks × {}–{} rounds × 2 sides, results in {}; a benchmark stops once decided (at most {} looks, α split over them)",
        template.benches.len(),
        rule.min_rounds,
        rule.max_rounds,
        judge.criterion_dir.display(),
        rule.looks()
    );
    Ok(())
}

fn finish(
    mut outcome: Outcome,
    template: &Plan,
    state: &[Progress],
    rule: &Stopping,
    started: Instant,
    (unmeasured, cut_by_budget): (Vec<String>, Vec<String>),
) -> Ran {
    outcome.elapsed = started.elapsed();
    // Planned: every benchmark's first batch, and whatever ran beyond it.
    outcome.total = outcome.completed.max(2 * rule.min_rounds * state.len());
    outcome.complete_benches = (0..state.len())
        .filter(|&b| state[b].runs >= 2 * rule.min_rounds)
        .map(|b| template.benches[b].clone())
        .collect();
    let futile = (0..state.len())
        .filter(|&b| state[b].futile)
        .map(|b| template.benches[b].clone())
        .collect();
    Ran {
        outcome,
        unmeasured,
        cut_by_budget,
        futile,
    }
}

/// "4 rounds: 25 benchmarks; 6: 3; 12: 2".
fn rounds_taken(state: &[Progress]) -> String {
    let mut by_rounds: BTreeMap<usize, usize> = BTreeMap::new();
    for p in state.iter().filter(|p| p.runs > 0) {
        *by_rounds.entry(p.rounds).or_default() += 1;
    }
    by_rounds
        .iter()
        .map(|(k, n)| format!("{n} after {k} rounds"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether the batch of benchmark `b` up to round `to` would end after the budget, at the
/// benchmark's own time per run (or, before its first, the mean of all runs so far).
fn over_budget(rule: &Stopping, state: &[Progress], b: usize, to: usize, started: Instant) -> bool {
    let Some(budget) = rule.budget else {
        return false;
    };
    let per_run = |ps: &[&Progress]| {
        let runs: usize = ps.iter().map(|p| p.runs).sum();
        let spent: Duration = ps.iter().map(|p| p.spent).sum();
        (runs > 0).then(|| spent / runs as u32)
    };
    let all: Vec<&Progress> = state.iter().collect();
    let per_run = per_run(&[&state[b]]).or_else(|| per_run(&all));
    // Side by side, a round's two runs take one run's time.
    let sides = if state[b].side_by_side() { 1 } else { 2 };
    let runs = sides * (to - state[b].rounds) as u32;
    started.elapsed() + per_run.map_or(Duration::ZERO, |d| d * runs) > budget
}

/// The runs of benchmark `b`'s rounds `from..to`, in ABBA order, with link orders rotated.
fn batch_plan(template: &Plan, b: usize, from: usize, to: usize, layouts: usize) -> Plan {
    let names = [round_names("old", to), round_names("new", to)];
    let order = abba(to);
    let mut slots = Vec::new();
    for round in from..to {
        for side in order[round] {
            slots.push(Slot {
                bench: b,
                side,
                round,
                baseline: names[side][round].clone(),
            });
        }
    }
    Plan {
        slots: rotate_layouts(slots, layouts),
        ..template.clone()
    }
}

/// Decides benchmark `b` after `k` rounds on its own ([`verdict::decided_alone`]) and prints
/// one line on it: its verdict, `None` while undecided; and whether it was stopped undecided
/// because more rounds were unlikely to decide it ([`futile`], then inconclusive).
fn look(
    judge: &Judge,
    template: &Plan,
    b: usize,
    k: usize,
    rule: &Stopping,
) -> Result<(Option<Verdict>, bool)> {
    let id = &template.benches[b];
    let entry = current_entry(judge, id, rule)?;
    let Some(mut e) = entry else {
        eprintln!("  {id} after {k} rounds: not in the rounds' results; not compared");
        return Ok((Some(Verdict::Inconclusive), false));
    };
    // What the rules can see among all the benchmarks compared, as the final verdict and
    // the stop rule count them, not among those that have rounds so far.
    let m = template.benches.len();
    verdict::fill_power_among(&mut e, judge.threshold_pct, m);
    let decided = verdict::decided_alone(&e, judge.threshold_pct, m);
    let gives_up =
        decided.is_none() && k < rule.max_rounds && futile(&e, judge.threshold_pct, rule);
    let at_estimate = match decided {
        Some(_) => None,
        None => verdict::rounds_at_estimate(&e, judge.threshold_pct, m),
    };
    let undecided = Undecided {
        gives_up,
        at_estimate,
    };
    eprintln!("  {}", look_line(&e, k, decided, rule, &undecided));
    if gives_up {
        Ok((Some(Verdict::Inconclusive), true))
    } else {
        Ok((decided, false))
    }
}

/// Whether more rounds are unlikely to decide `e`: at its spread so far, even an estimate of
/// exactly no change would not be called unchanged by `--max-rounds` (the unchanged interval
/// at K = max, half-width q·√(s²/K + 2σ²_layout), would still reach past ±T), and its estimate
/// lies within ±T, so nothing points to a change more rounds would name. Stopping it cannot
/// add a false *regressed* (it stops without a verdict), and the rounds it would have taken
/// go to benchmarks they can decide.
fn futile(e: &Entry, threshold_pct: f64, rule: &Stopping) -> bool {
    let t = (1.0 + threshold_pct / 100.0).ln();
    let k = rule.max_rounds as f64;
    let floor = e.noise.layout.map_or(0.0, |l| 2.0 * l.sd_log * l.sd_log);
    let se_at_max = (e.noise.sd_log.powi(2) / k + floor).sqrt();
    let (_, reach) = verdict::unchanged_interval(0.0, se_at_max, Some(k - 1.0), e.looks);
    reach >= t && e.log_change.abs() <= t
}

/// The benchmark's entry from its rounds so far (its power as one of the benchmarks that have
/// rounds so far: [`look`] fills it again for the whole comparison).
fn current_entry(judge: &Judge, id: &str, rule: &Stopping) -> Result<Option<Entry>> {
    let names = (
        round_names("old", rule.max_rounds),
        round_names("new", rule.max_rounds),
    );
    let c = crate::compare::from_sequential_rounds(
        judge.criterion_dir,
        (&names.0, &names.1),
        judge.threshold_pct,
        judge.layout,
        (rule.per_round(), rule.looks()),
    )?;
    Ok(c.entries.into_iter().find(|e| e.id == id))
}

/// What a look knows of a benchmark it leaves undecided.
struct Undecided {
    /// Stopped: more rounds are unlikely to decide it ([`futile`]).
    gives_up: bool,
    /// With its estimate beyond ±T: the rounds at which, were the estimate its true change, it
    /// would be called regressed (improved) with 80% probability (`Some(None)`: out of reach).
    at_estimate: Option<Option<u64>>,
}

/// `cpu/fib/rayon after 4 rounds: +1.2% (99% −3.1% … +5.6%): undecided; unchanged by ~8 rounds`.
fn look_line(
    e: &Entry,
    k: usize,
    decided: Option<Verdict>,
    rule: &Stopping,
    undecided: &Undecided,
) -> String {
    let (lo, hi) = verdict::unchanged_interval(e.log_change, e.se, e.df, e.looks);
    let pct = |x: f64| format!("{:+.1}%", 100.0 * (x.exp() - 1.0));
    let head = format!(
        "{} after {k} rounds: {} ({:.1}% interval {} … {})",
        e.id,
        pct(e.log_change),
        100.0 * (1.0 - verdict::ALPHA / e.looks as f64),
        pct(lo),
        pct(hi)
    );
    let at_estimate = undecided
        .at_estimate
        .map(|r| estimate_could(e.log_change, r, rule));
    match (decided, at_estimate) {
        (Some(v), _) => format!("{head}: {}", v.as_str()),
        (None, Some(could)) if k >= rule.max_rounds => {
            format!("{head}: undecided at --max-rounds; {could}")
        }
        (None, None) if k >= rule.max_rounds => format!("{head}: undecided at --max-rounds"),
        (None, _) if undecided.gives_up => format!(
            "{head}: undecided; at this spread not even no change would be called unchanged by --max-rounds: no more rounds"
        ),
        (None, Some(could)) => format!("{head}: undecided; {could}"),
        (None, None) => format!("{head}: undecided; {}", next_could(e, k, rule)),
    }
}

/// For an estimate beyond ±T: when it would be named, were it the true change.
fn estimate_could(log_change: f64, rounds: Option<u64>, rule: &Stopping) -> String {
    let pct = format!("{:+.1}%", 100.0 * (log_change.exp() - 1.0));
    let verdict = if log_change > 0.0 {
        "regressed"
    } else {
        "improved"
    };
    match rounds {
        Some(r) if r as usize <= rule.max_rounds => {
            format!("were the change the {pct} estimated, it would likely (80%) be called {verdict} by {r} rounds")
        }
        Some(r) => format!(
            "were the change the {pct} estimated, it would likely (80%) be called {verdict} only by {r} rounds, beyond --max-rounds {}",
            rule.max_rounds
        ),
        None => format!(
            "were the change the {pct} estimated, no number of rounds would likely call it {verdict} at this spread"
        ),
    }
}

/// What more rounds could settle, from the rounds the rules need at this spread.
fn next_could(e: &Entry, k: usize, rule: &Stopping) -> String {
    let within = |r: Option<u64>| r.filter(|&r| r as usize <= rule.max_rounds);
    match (within(e.rounds_for_unchanged), within(e.rounds_for_regressed)) {
        (Some(u), _) if u as usize > k => {
            format!("no change would likely (80%) be called unchanged by {u} rounds")
        }
        (Some(_), _) => "the estimate sits near ±T: more rounds narrow it".to_string(),
        (None, Some(r)) => format!(
            "not unchanged within --max-rounds at this spread; a true 2T would be called regressed by {r} rounds"
        ),
        (None, None) => {
            "at this spread neither verdict is likely within --max-rounds".to_string()
        }
    }
}

/// One line before a pass: how many benchmarks are still undecided and which rounds they get.
fn announce_pass(pass: usize, due: &[usize], state: &[Progress], template: &Plan, rule: &Stopping) {
    if pass == 1 {
        return;
    }
    let names: Vec<&str> = due.iter().map(|&b| template.benches[b].as_str()).collect();
    let shown = if names.len() > 4 {
        format!("{}, … ({} more)", names[..4].join(", "), names.len() - 4)
    } else {
        names.join(", ")
    };
    let from = due.iter().map(|&b| state[b].rounds).min().unwrap_or(0);
    eprintln!(
        "pass {pass}: {} undecided ({shown}) get rounds {}–{} (of at most {})",
        due.len(),
        from + 1,
        from + STEP,
        rule.max_rounds
    );
}

#[cfg(test)]
mod tests;
