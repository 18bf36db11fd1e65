//! The side-by-side half of the sequential rounds: which benchmarks wait on latency (their
//! round 0's CPU-time record), and running their batches together
//! ([`crate::runner::side_by_side`]).

use std::path::Path;
use std::sync::atomic::AtomicBool;

use super::{batch_plan, Judge, Progress, Stopping};
use crate::criterion;
use crate::error::Result;
use crate::runner::session::{Outcome, Plan, Slot};
use crate::runner::side_by_side::{self, Pace};

/// Runs the batches of the latency-bound benchmarks in `together` side by side, round by
/// round, the longest runs first; `false` when Ctrl-C stopped them.
pub(super) fn run_together(
    template: &Plan,
    judge: &Judge,
    rule: &Stopping,
    stop: &AtomicBool,
    together: &[(usize, usize)],
    state: &mut [Progress],
    outcome: &mut Outcome,
) -> Result<bool> {
    let per_run = |b: usize| state[b].spent.as_secs_f64() / state[b].runs.max(1) as f64;
    let mut slots: Vec<Slot> = together
        .iter()
        .flat_map(|&(b, to)| batch_plan(template, b, state[b].rounds, to, judge.layouts).slots)
        .collect();
    slots.sort_by(|x, y| {
        x.round
            .cmp(&y.round)
            .then(per_run(y.bench).total_cmp(&per_run(x.bench)))
    });
    // Only benchmarks that waited on latency come here, each with its round 0 measured.
    let cores: Vec<f64> = slots
        .iter()
        .map(|s| state[s.bench].round0_cores.unwrap_or(0.0))
        .collect();
    eprintln!(
        "side by side: {} runs of {} latency-bound benchmarks, as many at once as keep {} cores busy",
        slots.len(),
        together.len(),
        rule.side_by_side_cores
    );
    let plan = Plan {
        slots,
        ..template.clone()
    };
    let pace = Pace::Cores(&cores, rule.side_by_side_cores);
    let ran = side_by_side::execute(&plan, pace, judge.criterion_dir, stop)?;
    for (slot, time) in plan.slots.iter().zip(&ran.times) {
        if let Some(t) = time {
            state[slot.bench].spent += *t;
            state[slot.bench].runs += 1;
            outcome.completed += 1;
        }
    }
    if ran.interrupted {
        outcome.interrupted = true;
        return Ok(false);
    }
    for &(b, to) in together {
        state[b].rounds = to;
    }
    Ok(true)
}

/// The most cores benchmark `id` kept busy on either side of round 0, from its group's
/// `cb-rounds.json` of each side (the suite's CPU-time record); `None` when either has none.
pub(super) fn round0_cores(criterion_dir: &Path, id: &str) -> Result<Option<f64>> {
    for dir in criterion::discover(criterion_dir)? {
        let Some(measured) = criterion::load_measured(&dir, "ab-old-0")? else {
            continue;
        };
        if measured.id.full_id != id {
            continue;
        }
        let function = measured.id.function_id.unwrap_or_default();
        let group = criterion_dir.join(dir.group_dir());
        let mut most = 0.0f64;
        for baseline in ["ab-old-0", "ab-new-0"] {
            let strategies = crate::cpu_time::load(&group, baseline)?.unwrap_or_default();
            match strategies.iter().find(|s| s.function == function) {
                Some(s) => most = most.max(s.total.cores.point),
                None => return Ok(None),
            }
        }
        return Ok(Some(most));
    }
    Ok(None)
}
