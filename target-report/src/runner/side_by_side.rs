//! Runs side by side: several slots of a [`Plan`] at once, at one of two paces ([`Pace`]).
//!
//! - **By cores**, for benchmarks that spend their time waiting on the mock server's latency
//!   rather than on a core. `io/download/sequential` keeps 0.03 cores busy for 3.3 s an
//!   iteration: run alone, a round of it leaves the machine idle for 37 s a side. Started
//!   together, as many runs as keep the sum of their measured cores under a cap share the
//!   machine without queueing for a core, and the two sides of a round share the very same
//!   moment, so drift cancels in their ratio exactly.
//! - **In lock step**, for everything else: the two runs of a round start together and take
//!   turns through a coordinator ([`cb_turns`], the suite's `CB_TURNS`), one sample each, so
//!   only one measures at a time and both live through the same episodes of a noisy machine.
//!   A run that took no turn (a suite too old to read `CB_TURNS`, or one that measures live, as
//!   under `--quick`) may have measured while the other did: that is an error, not a result.
//!
//! Each run still writes into its own staging directory and is moved into the Criterion
//! directory only after it succeeded ([`session`]); Ctrl-C ends every running one.

use std::path::Path;
use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::child;
use super::session::{self, Plan, StatusLine};
use crate::error::{Error, Result};
use crate::format::format_duration;

/// When [`execute`] starts the next slot.
#[derive(Debug, Clone, Copy)]
pub enum Pace<'a> {
    /// While the running ones' cores (one figure per slot: the cores its benchmark kept busy
    /// when measured alone) plus the next one's stay within the capacity; at least one runs.
    Cores(&'a [f64], f64),
    /// Two at a time, slots 2i and 2i + 1 together (the two sides of a round), the next two
    /// once both are done, taking turns sample by sample.
    LockStep,
}

/// What [`execute`] did.
#[derive(Debug)]
pub struct Ran {
    /// Each slot's wall time, `None` for a slot that did not complete.
    pub times: Vec<Option<Duration>>,
    /// Whether the stop flag ended it early (completed runs stay, running ones are removed).
    pub interrupted: bool,
}

/// One running slot.
struct Running {
    slot: usize,
    child: Child,
    started: Instant,
}

/// Runs every slot of `plan`, in order, at `pace`.
pub fn execute(plan: &Plan, pace: Pace, criterion_dir: &Path, stop: &AtomicBool) -> Result<Ran> {
    let (staging, _lock) = session::open_staging(criterion_dir)?;
    let mut runs = Runs {
        plan,
        pace,
        coordinator: None,
        staging: &staging,
        criterion_dir,
    };
    let started = Instant::now();
    let mut line = StatusLine::new();
    let mut times = vec![None; plan.slots.len()];
    // In lock step, the turns the completed runs took, for the closing line.
    let mut turns = 0;
    let mut running: Vec<Running> = Vec::new();
    let mut next = 0;
    let mut last_shown = Instant::now();
    loop {
        if stop.load(Ordering::SeqCst) {
            runs.end_all(&mut running)?;
            line.finish();
            // Nothing staged is needed after Ctrl-C (a failed run's log stays for its error).
            session::remove_dir(&staging)?;
            return Ok(Ran {
                times,
                interrupted: true,
            });
        }
        if let Err(e) = runs.start_due(&mut next, &mut running) {
            runs.end_all(&mut running)?;
            return Err(e);
        }
        if running.is_empty() {
            break;
        }
        if let Err(e) = runs.reap(&mut running, &mut times, &mut turns) {
            runs.end_all(&mut running)?;
            line.finish();
            return Err(e);
        }
        if running.is_empty() {
            continue;
        }
        if last_shown.elapsed() >= Duration::from_secs(1) {
            let done = times.iter().flatten().count();
            line.show(&runs.status(&running, done, started.elapsed()), true);
            last_shown = Instant::now();
        }
        std::thread::sleep(child::POLL);
    }
    let taken = match pace {
        Pace::LockStep => format!(", {turns} turns"),
        Pace::Cores(..) => String::new(),
    };
    line.show(
        &format!(
            "{}: {} runs done in {}{taken}",
            runs.pace_name(),
            plan.slots.len(),
            format_duration(started.elapsed())
        ),
        false,
    );
    line.finish();
    session::remove_dir(&staging)?;
    Ok(Ran {
        times,
        interrupted: false,
    })
}

/// What every step of [`execute`] needs.
struct Runs<'a> {
    plan: &'a Plan,
    pace: Pace<'a>,
    /// In lock step, the running pair's coordinator, whose socket both runs get.
    coordinator: Option<cb_turns::Coordinator>,
    staging: &'a Path,
    criterion_dir: &'a Path,
}

impl Runs<'_> {
    /// Starts the slots that are due from `next` on: by cores, while the running ones' plus the
    /// next one's stay within the capacity (at least one runs); in lock step, the next two once
    /// nothing runs.
    fn start_due(&mut self, next: &mut usize, running: &mut Vec<Running>) -> Result<()> {
        let slots = self.plan.slots.len();
        if matches!(self.pace, Pace::LockStep) && running.is_empty() && *next < slots {
            // A coordinator of its own for each pair, granting the first turn once both
            // runs ask for one: neither's start-up overlaps the other's first samples.
            let quorum = (slots - *next).min(2);
            let coordinator = cb_turns::Coordinator::with_quorum(quorum).map_err(|e| {
                Error::msg(format!(
                    "cannot start the turn coordinator of the lock-step runs: {e}"
                ))
            })?;
            self.coordinator = Some(coordinator);
        }
        let due = |running: &[Running], next: usize| match self.pace {
            Pace::Cores(cores, capacity) => {
                let load: f64 = running.iter().map(|r| cores[r.slot]).sum();
                running.is_empty() || load + cores[next] <= capacity
            }
            Pace::LockStep => running.is_empty() || (running.len() == 1 && next % 2 == 1),
        };
        while *next < slots && due(running, *next) {
            let (mut cmd, _) =
                session::prepare_slot(self.plan, &self.plan.slots[*next], self.staging)?;
            if let Some(coordinator) = &self.coordinator {
                cmd.env(cb_turns::ENV, coordinator.path());
            }
            running.push(Running {
                slot: *next,
                child: child::spawn(&mut cmd)?,
                started: Instant::now(),
            });
            *next += 1;
        }
        Ok(())
    }

    /// Moves every finished run's baselines into place, adding the turns it took to `turns`;
    /// an error for the first that failed, or that ran in lock step without taking a turn.
    fn reap(
        &self,
        running: &mut Vec<Running>,
        times: &mut [Option<Duration>],
        turns: &mut usize,
    ) -> Result<()> {
        let plan = self.plan;
        let mut i = 0;
        while i < running.len() {
            let status = running[i].child.try_wait().map_err(|e| {
                Error::msg(format!(
                    "cannot wait for {}: {e}",
                    plan.benches[plan.slots[running[i].slot].bench]
                ))
            })?;
            let Some(status) = status else {
                i += 1;
                continue;
            };
            let done = running.swap_remove(i);
            let slot = &plan.slots[done.slot];
            if let Some(coordinator) = &self.coordinator {
                let taken = coordinator.turns_of(done.child.id());
                *turns += taken;
                if taken == 0 && status.success() {
                    session::remove_dir(&session::slot_home(self.staging, slot))?;
                    return Err(Error::msg(format!(
                        "{} ({} round {}) took no turn in lock step, so its samples may have been taken while the other side measured (a suite that does not read {}, or a run that measures live, as under --quick)",
                        plan.benches[slot.bench],
                        plan.sides[slot.side].name,
                        slot.round,
                        cb_turns::ENV
                    )));
                }
            }
            session::finish_slot(plan, slot, self.criterion_dir, self.staging, status)?;
            times[done.slot] = Some(done.started.elapsed());
        }
        Ok(())
    }

    /// Ends every running slot's process group and removes its staging home.
    fn end_all(&self, running: &mut Vec<Running>) -> Result<()> {
        for mut r in running.drain(..) {
            child::end_group(&mut r.child);
            session::remove_dir(&session::slot_home(self.staging, &self.plan.slots[r.slot]))?;
        }
        Ok(())
    }

    /// `side by side` or `lock step`, for the status line.
    fn pace_name(&self) -> &'static str {
        match self.pace {
            Pace::Cores(..) => "side by side",
            Pace::LockStep => "lock step",
        }
    }

    /// `side by side: 6 running (io/download/sequential old 2, …) · 10 of 24 done · 1m 2s
    /// elapsed`.
    fn status(&self, running: &[Running], done: usize, elapsed: Duration) -> String {
        let plan = self.plan;
        let names: Vec<String> = running
            .iter()
            .take(2)
            .map(|r| {
                let slot = &plan.slots[r.slot];
                format!(
                    "{} {} {}",
                    plan.benches[slot.bench],
                    plan.sides[slot.side].name,
                    slot.round + 1
                )
            })
            .collect();
        let more = if running.len() > names.len() {
            ", …"
        } else {
            ""
        };
        format!(
            "{}: {} running ({}{more}) · {done} of {} done · {} elapsed",
            self.pace_name(),
            running.len(),
            names.join(", "),
            plan.slots.len(),
            format_duration(elapsed)
        )
    }
}
