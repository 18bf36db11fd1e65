//! The `summary` command's model: one table per workload (a group, or a group at one parameter
//! value), computed from Criterion's files and the suite's side files, the parameter sweeps seen
//! as curves ([`sweeps`]), plus what is missing. The exporters render it.
//!
//! * [`table`] — the model of one workload: rows, speed-ups, efficiency, what is unmeasured.
//! * `draft` — reading each benchmark directory into the draft table of its workload, and
//!   finishing a draft (sorting, settings set apart, speed-ups, drift).
//! * `advice` — the "which to use" verdict of a finished table.
//! * [`cpu`] — CPU time per iteration by who spent it, cores kept busy, and what they explain.
//! * [`pairing`] — which ratios come from rounds paired within one run, and why the others not.
//! * [`physics`] — CPU speed-ups the hardware cannot deliver, named as measurement defects.
//! * [`python`] — "Rust vs Python": the tutorial's CPython programs beside their counterparts.
//! * [`sweeps`] — the parameter sweeps as curves, one per strategy, with their findings.

mod advice;
pub mod cpu;
mod draft;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod pairing;
pub mod physics;
pub mod python;
pub mod sweeps;
pub mod table;

use std::path::Path;

use serde::Serialize;

use crate::criterion;
use crate::error::{Error, Result};
use sweeps::Sweep;

pub use table::{
    Advice, DefectKind, Efficiency, GilCheck, Lead, LikelyCause, MeasurementDefect, Pair, Pairing,
    PairingNote, Row, RustVsPython, SetApart, Table, Throughput, TimelineSummary, Unmeasured,
    SEQUENTIAL,
};

/// Everything the summary page shows.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The Criterion directory, as given on the command line.
    pub criterion_dir: String,
    /// The baseline read (`new` = the latest run).
    pub baseline: String,
    /// One table per workload, sorted by group then parameter value.
    pub tables: Vec<Table>,
    /// Groups with a parameter value, one curve per strategy, with their findings (the same
    /// measurements as their per-value tables).
    pub sweeps: Vec<Sweep>,
    /// Gaps, one line per workload and kind: strategies not measured, without `cb-meta.json`,
    /// without `cb-timeline.json`.
    pub missing: Vec<String>,
}

/// Builds the summary of `baseline` (usually `new`) under `criterion_dir`, with links relative
/// to `out_dir` (where `index.html` will be written).
///
/// Fails on a missing Criterion directory, no benchmarks at all, or any corrupt file.
pub fn build(criterion_dir: &Path, baseline: &str, out_dir: &Path) -> Result<Summary> {
    let dirs = criterion::discover(criterion_dir)?;
    if dirs.is_empty() {
        return Err(Error::at(
            criterion_dir,
            "no benchmarks found (no <benchmark>/<baseline>/benchmark.json or cb-meta.json); run `cargo bench` first",
        ));
    }
    let drafts = draft::read(criterion_dir, baseline, out_dir, &dirs)?;
    if !drafts.any_measured {
        return Err(no_measurement(criterion_dir, baseline));
    }
    let tables: Vec<Table> = drafts.finish();
    let missing = missing_lines(&tables);
    let sweeps = sweeps::build(criterion_dir, &tables, out_dir)?;
    Ok(Summary {
        criterion_dir: criterion_dir.display().to_string(),
        baseline: baseline.to_string(),
        tables,
        sweeps,
        missing,
    })
}

/// Side files alone are no summary: without a single measurement there is nothing to rank.
fn no_measurement(criterion_dir: &Path, baseline: &str) -> Error {
    let what = if baseline == "new" {
        "no benchmark has new/benchmark.json (no Criterion run yet?)".to_string()
    } else {
        format!("unknown baseline '{baseline}': no benchmark has {baseline}/benchmark.json")
    };
    Error::at(criterion_dir, what)
}

/// Whether the row is one of the tutorial's CPython programs (`cargo bench --bench python`).
fn is_python(row: &Row) -> bool {
    row.meta.as_ref().is_some_and(|meta| meta.python.is_some())
}

/// One line per workload and kind of gap, so a sweep without timelines is one line, not fifty.
fn missing_lines(tables: &[Table]) -> Vec<String> {
    let mut missing = Vec::new();
    for t in tables {
        let list = |pred: &dyn Fn(&Row) -> bool| {
            t.rows
                .iter()
                .filter(|r| pred(r))
                .map(|r| format!("`{}`", r.function))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let unmeasured = t
            .unmeasured
            .iter()
            .map(|u| match &u.skipped {
                Some(reason) => format!("`{}` (skipped: {reason})", u.function),
                None => format!("`{}` (missing {})", u.function, u.missing.join(", ")),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let title = t.title();
        for (what, names) in [
            ("not measured", unmeasured),
            (
                "no cb-meta.json (no efficiency or kind) for",
                list(&|r| r.meta.is_none()),
            ),
            (
                "no cb-timeline.json (no timeline) for",
                // CPython programs record no timeline: their jobs run inside the interpreter.
                list(&|r| r.timeline.is_none() && !is_python(r)),
            ),
        ] {
            if !names.is_empty() {
                missing.push(format!("{title}: {what} {names}"));
            }
        }
    }
    missing
}
