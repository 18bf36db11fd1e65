//! Runs side by side: several slots of a [`Plan`] at once, for benchmarks that spend their
//! time waiting on the mock server's latency rather than on a core.
//!
//! `io/download/sequential` keeps 0.03 cores busy for 3.3 s an iteration: run alone, a round
//! of it leaves the machine idle for 37 s a side. Started together, as many runs as keep the
//! sum of their measured cores under a cap share the machine without queueing for a core, and
//! the two sides of a round share the very same moment, so drift cancels in their ratio
//! exactly. Each run still writes into its own staging directory and is moved into the
//! Criterion directory only after it succeeded ([`session`]); Ctrl-C ends every running one.

use std::path::Path;
use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::child;
use super::session::{self, Plan, StatusLine};
use crate::error::{Error, Result};
use crate::format::format_duration;

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

/// Runs every slot of `plan`, starting them in order while the running ones' `cores` (one
/// figure per slot: the cores its benchmark kept busy when measured alone) plus the next one's
/// stay within `capacity`; at least one always runs.
pub fn execute(
    plan: &Plan,
    cores: &[f64],
    capacity: f64,
    criterion_dir: &Path,
    stop: &AtomicBool,
) -> Result<Ran> {
    let (staging, _lock) = session::open_staging(criterion_dir)?;
    let started = Instant::now();
    let mut line = StatusLine::new();
    let mut times = vec![None; plan.slots.len()];
    let mut running: Vec<Running> = Vec::new();
    let mut next = 0;
    let mut last_shown = Instant::now();
    loop {
        if stop.load(Ordering::SeqCst) {
            end_all(plan, &mut running, &staging)?;
            line.finish();
            // Nothing staged is needed after Ctrl-C (a failed run's log stays for its error).
            session::remove_dir(&staging)?;
            return Ok(Ran {
                times,
                interrupted: true,
            });
        }
        if let Err(e) = start_due(plan, (cores, capacity), &staging, &mut next, &mut running) {
            end_all(plan, &mut running, &staging)?;
            return Err(e);
        }
        if running.is_empty() {
            break;
        }
        if let Err(e) = reap(plan, &mut running, &mut times, criterion_dir, &staging) {
            end_all(plan, &mut running, &staging)?;
            line.finish();
            return Err(e);
        }
        if running.is_empty() {
            continue;
        }
        if last_shown.elapsed() >= Duration::from_secs(1) {
            let done = times.iter().flatten().count();
            line.show(&status(plan, &running, done, started.elapsed()), true);
            last_shown = Instant::now();
        }
        std::thread::sleep(child::POLL);
    }
    line.show(
        &format!(
            "side by side: {} runs done in {}",
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

/// Starts slots from `next` on while the running ones' cores plus the next one's stay within
/// the capacity; at least one always runs.
fn start_due(
    plan: &Plan,
    (cores, capacity): (&[f64], f64),
    staging: &Path,
    next: &mut usize,
    running: &mut Vec<Running>,
) -> Result<()> {
    let load = |running: &[Running]| running.iter().map(|r| cores[r.slot]).sum::<f64>();
    while *next < plan.slots.len()
        && (running.is_empty() || load(running) + cores[*next] <= capacity)
    {
        let (mut cmd, _) = session::prepare_slot(plan, &plan.slots[*next], staging)?;
        running.push(Running {
            slot: *next,
            child: child::spawn(&mut cmd)?,
            started: Instant::now(),
        });
        *next += 1;
    }
    Ok(())
}

/// Moves every finished run's baselines into place; an error for the first that failed.
fn reap(
    plan: &Plan,
    running: &mut Vec<Running>,
    times: &mut [Option<Duration>],
    criterion_dir: &Path,
    staging: &Path,
) -> Result<()> {
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
        session::finish_slot(plan, slot, criterion_dir, staging, status)?;
        times[done.slot] = Some(done.started.elapsed());
    }
    Ok(())
}

/// Ends every running slot's process group and removes its staging home.
fn end_all(plan: &Plan, running: &mut Vec<Running>, staging: &Path) -> Result<()> {
    for mut r in running.drain(..) {
        child::end_group(&mut r.child);
        session::remove_dir(&session::slot_home(staging, &plan.slots[r.slot]))?;
    }
    Ok(())
}

/// `side by side: 6 running (io/download/sequential old 2, …) · 10 of 24 done · 1m 2s elapsed`.
fn status(plan: &Plan, running: &[Running], done: usize, elapsed: Duration) -> String {
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
        "side by side: {} running ({}{more}) · {done} of {} done · {} elapsed",
        running.len(),
        names.join(", "),
        plan.slots.len(),
        format_duration(elapsed)
    )
}
