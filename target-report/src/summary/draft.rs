//! Reading one baseline into tables: each benchmark directory's Criterion files and side files
//! become a [`Row`] (or an [`Unmeasured`] entry) of the draft table of its workload, and a draft
//! is finished into a [`Table`] — sorted, set apart by settings, with speed-ups (paired where the
//! rounds allow), drift and advice.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::advice::{advise, drift_sentence};
use super::pairing::{self, Pairer};
use super::table::{
    Efficiency, Pairing, Row, SetApart, Table, Throughput, TimelineSummary, Unmeasured, SEQUENTIAL,
};
use super::{cpu, physics, python};
use crate::criterion::{self, BenchDir, Measured};
use crate::error::Result;
use crate::format::fmt_ns;
use crate::meta::{Meta, SideFiles};
use crate::paths::relative_href;
use crate::rounds::{self, Rounds};
use crate::stats::{self, Interval};

/// The draft tables of one baseline, keyed by (group, value) for a stable order.
pub(super) struct Drafts {
    tables: BTreeMap<(String, SortKey), TableDraft>,
    /// Whether any benchmark had this baseline's `benchmark.json`.
    pub(super) any_measured: bool,
}

impl Drafts {
    /// Every table finished, sorted by group then parameter value.
    pub(super) fn finish(self) -> Vec<Table> {
        self.tables.into_values().map(TableDraft::finish).collect()
    }
}

/// Reads every benchmark directory of `baseline` into the draft table of its workload.
pub(super) fn read(
    criterion_dir: &Path,
    baseline: &str,
    out_dir: &Path,
    dirs: &[BenchDir],
) -> Result<Drafts> {
    let mut drafts = Drafts {
        tables: BTreeMap::new(),
        any_measured: false,
    };
    for dir in dirs {
        let measured = criterion::load_measured(dir, baseline)?;
        let SideFiles {
            meta,
            timeline,
            faults,
        } = SideFiles::load(&dir.path, baseline)?;
        if measured.is_some() {
            drafts.any_measured = true;
        }
        let (group, function, value) = identity(dir, measured.as_ref(), meta.as_ref());
        let draft = match drafts
            .tables
            .entry((group.clone(), SortKey::new(value.clone())))
        {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(TableDraft::new(
                criterion_dir,
                baseline,
                out_dir,
                dir,
                group,
                value,
            )?),
        };
        if let Some(m) = &meta {
            draft.kinds.push(m.kind.clone());
        }
        match complete(measured.as_ref(), baseline) {
            Err(mut lacks) => {
                if meta.is_none() {
                    lacks.push("cb-meta.json".into());
                }
                draft.unmeasured.push(Unmeasured {
                    function,
                    dir: dir.rel.clone(),
                    missing: lacks,
                    skipped: meta.as_ref().and_then(|m| m.skipped.clone()),
                    meta: meta.clone(),
                });
            }
            Ok(measurement) => {
                let side = SideFiles {
                    meta,
                    timeline,
                    faults,
                };
                let mut row = row(out_dir, dir, function, measurement, side);
                if draft.value.is_some() {
                    row.cpu = cpu::of_sweep_point(&dir.path, baseline, &row)?;
                }
                draft.rows.push(row);
            }
        }
    }
    Ok(drafts)
}

/// The relative link to `target` from `out_dir`, when the file exists.
fn link(out_dir: &Path, target: PathBuf) -> Option<String> {
    target
        .is_file()
        .then(|| relative_href(out_dir, &target))
        .flatten()
}

/// A measurement with all three Criterion files, or the files it lacks.
type Complete<'a> = (
    &'a criterion::BenchmarkJson,
    &'a criterion::Estimates,
    &'a criterion::SavedSample,
);

/// The benchmark, estimates and sample of a measurement, or the files missing for one.
fn complete<'a>(
    measured: Option<&'a Measured>,
    baseline: &str,
) -> std::result::Result<Complete<'a>, Vec<String>> {
    let mut lacks = Vec::new();
    let Some(Measured {
        id,
        estimates,
        sample,
    }) = measured
    else {
        lacks.push(format!("{baseline}/benchmark.json"));
        return Err(lacks);
    };
    if estimates.is_none() {
        lacks.push(format!("{baseline}/estimates.json"));
    }
    if sample.is_none() {
        lacks.push(format!("{baseline}/sample.json"));
    }
    match (estimates, sample) {
        (Some(e), Some(s)) => Ok((id, e, s)),
        _ => Err(lacks),
    }
}

/// One measured strategy's row: median, throughput and efficiency with intervals mapped from
/// the median's, links, and the side files' timeline and faults.
fn row(
    out_dir: &Path,
    dir: &BenchDir,
    function: String,
    (id, estimates, sample): Complete<'_>,
    side: SideFiles,
) -> Row {
    let SideFiles {
        meta,
        timeline,
        faults,
    } = side;
    let median = estimates.median;
    let median_ns = Interval {
        point: median.point_estimate,
        lower: median.confidence_interval.lower_bound,
        upper: median.confidence_interval.upper_bound,
    };
    // A rate is amount/time, so the interval's ends swap: the slowest time bounds it below.
    let rate = |amount: f64| Interval {
        point: amount / median_ns.point,
        lower: amount / median_ns.upper,
        upper: amount / median_ns.lower,
    };
    let throughput = id.throughput.as_ref().map(|t| {
        let (amount, unit) = t.amount();
        Throughput {
            per_second: rate(amount as f64 * 1e9),
            unit: unit.to_string(),
        }
    });
    let efficiency_for = |m: &Meta, latency_ms: Option<f64>| {
        let latency_ms = latency_ms?;
        let ideal_ns = m.ideal_ns(latency_ms)?;
        (m.kind == "io").then(|| Efficiency {
            latency_ms,
            ideal_ns,
            ratio: rate(ideal_ns),
        })
    };
    Row {
        id: id.full_id.clone(),
        function,
        dir: dir.rel.clone(),
        median_ns,
        samples: sample.times.len(),
        throughput,
        speedup: None,
        pairing: None,
        efficiency: meta.as_ref().and_then(|m| efficiency_for(m, m.latency_ms)),
        efficiency_measured_latency: meta
            .as_ref()
            .and_then(|m| efficiency_for(m, m.server_latency_ms)),
        report: link(out_dir, dir.path.join("report/index.html")),
        timeline_summary: timeline.as_ref().map(|t| TimelineSummary {
            wall_ns: t.wall_ns,
            jobs: t.spans.len(),
            workers: t.workers().len(),
            utilisation: t.utilisation(),
        }),
        timeline,
        faults,
        measurement_defect: None,
        cpu: None,
        meta,
        per_iteration: sample.per_iteration(),
    }
}

/// group, function and parameter value of a benchmark directory, from the best source at hand.
fn identity(
    dir: &BenchDir,
    measured: Option<&Measured>,
    meta: Option<&Meta>,
) -> (String, String, Option<String>) {
    if let Some(m) = measured {
        let function =
            m.id.function_id
                .clone()
                .unwrap_or_else(|| m.id.full_id.clone());
        return (m.id.group_id.clone(), function, m.id.value_str.clone());
    }
    // Without benchmark.json the parameter value is in cb-meta.json or, failing that, in the
    // path: <group>/<function>/<value>.
    let parts: Vec<&str> = dir.rel.split('/').collect();
    let value = meta
        .and_then(|m| m.parameter.map(|p| p.to_string()))
        .or_else(|| (parts.len() >= 3).then(|| parts[2..].join("/")));
    match meta {
        Some(m) => (m.group.clone(), m.function.clone(), value),
        None => (
            parts[0].to_string(),
            parts.get(1).unwrap_or(&"?").to_string(),
            value,
        ),
    }
}

/// Orders parameter values numerically when they are numbers, as Criterion's summaries do.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum SortKey {
    None,
    Number(OrderedF64, String),
    Text(String),
}

impl SortKey {
    fn new(value: Option<String>) -> Self {
        match value {
            None => SortKey::None,
            Some(v) => match v.parse::<f64>() {
                Ok(x) if x.is_finite() => SortKey::Number(OrderedF64(x), v),
                _ => SortKey::Text(v),
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct OrderedF64(f64);
impl Eq for OrderedF64 {}
impl PartialOrd for OrderedF64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OrderedF64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

#[derive(Default)]
struct TableDraft {
    group: String,
    value: Option<String>,
    kinds: Vec<String>,
    violin: Option<String>,
    rows: Vec<Row>,
    unmeasured: Vec<Unmeasured>,
    rounds: Option<Rounds>,
}

impl TableDraft {
    /// An empty draft for the workload (`group`, `value`) first seen in `dir`: its violin plot
    /// link and, for a whole group, its interleaved rounds.
    fn new(
        criterion_dir: &Path,
        baseline: &str,
        out_dir: &Path,
        dir: &BenchDir,
        group: String,
        value: Option<String>,
    ) -> Result<Self> {
        let group_dir = criterion_dir.join(dir.group_dir());
        // A sweep value has its own violin plot (<group>/<value>/report/) beside the group's.
        let violin = value
            .as_ref()
            .and_then(|v| link(out_dir, group_dir.join(v).join("report/violin.svg")))
            .or_else(|| link(out_dir, group_dir.join("report/violin.svg")));
        // Whole groups are measured in rounds; a sweep point is not.
        let rounds = match value {
            None => Rounds::load(&group_dir, baseline)?,
            Some(_) => None,
        };
        Ok(TableDraft {
            group,
            value,
            violin,
            rounds,
            ..TableDraft::default()
        })
    }

    fn finish(mut self) -> Table {
        self.rows
            .sort_by(|a, b| a.median_ns.point.total_cmp(&b.median_ns.point));
        self.unmeasured.sort_by(|a, b| a.function.cmp(&b.function));
        let mut notes = Vec::new();
        self.kinds.sort();
        self.kinds.dedup();
        let kind = match self.kinds.as_slice() {
            [k] => Some(k.clone()),
            [] => {
                notes.push("No cb-meta.json in this group: kind and ideal time unknown.".into());
                None
            }
            many => {
                notes.push(format!(
                    "cb-meta.json files disagree on the kind ({}).",
                    many.join(", ")
                ));
                None
            }
        };
        let title = match &self.value {
            Some(v) => format!("{}/{}", self.group, v),
            None => self.group.clone(),
        };

        let set_apart = self.set_apart_other_settings(&title, &mut notes);
        // Taken out of the draft so that the pairer can borrow it while the rows change.
        let rounds = self.rounds.take();
        let pairer = Pairer::new(rounds.as_ref(), &self.rows);
        cpu::attach(&mut self.rows, rounds.as_ref(), &pairer);
        self.speedups(&pairer, &title, &mut notes);
        let unpaired = pairing::notes(&title, SEQUENTIAL, &self.rows, &pairer);
        for row in &self.rows {
            if let Some(faults) = &row.faults {
                notes.push(faults.describe(&row.function));
            }
        }
        let drift = pairer.rounds_with_reference().and_then(rounds::drift);
        let drifted = drift.as_ref().is_some_and(|d| d.drifted);
        physics::check(&title, &mut self.rows, drifted);
        let mut advice = advise(&title, kind.as_deref(), &self.rows, &pairer);
        let cores = self.rows.iter().find_map(|r| Some(r.meta.as_ref()?.cores));
        (advice.sentences).extend(cpu::sentences(&title, &self.rows, cores));
        if let Some(d) = drift.as_ref().filter(|d| d.drifted) {
            // First: the medians of every finding below mix the two speeds.
            advice
                .sentences
                .insert(0, drift_sentence(&title, d, &self.rows));
        }
        let rust_vs_python = python::build(&self.rows, |a, b| pairer.ratio(a, b, ratio_seed(a, b)));
        Table {
            group: self.group,
            value: self.value,
            kind,
            violin: self.violin,
            interleaved: pairer.describes_all(),
            rows: self.rows,
            unmeasured: self.unmeasured,
            notes,
            unpaired,
            advice,
            drift,
            set_apart,
            rust_vs_python,
        }
    }

    /// Takes out the rows measured with other settings than the reference's (or, without a
    /// reference, than most rows'), so that no speed-up or ranking mixes two configurations.
    fn set_apart_other_settings(&mut self, title: &str, notes: &mut Vec<String>) -> Vec<SetApart> {
        let settings_of = |r: &Row| r.meta.as_ref().map(Meta::settings);
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for s in self.rows.iter().filter_map(settings_of) {
            *counts.entry(s).or_insert(0) += 1;
        }
        if counts.len() < 2 {
            return Vec::new();
        }
        let reference = self
            .rows
            .iter()
            .find(|r| r.function == SEQUENTIAL)
            .and_then(settings_of)
            .or_else(|| {
                counts
                    .iter()
                    .max_by_key(|(_, n)| **n)
                    .map(|(s, _)| s.clone())
            })
            .unwrap_or_default();
        let (kept, apart): (Vec<Row>, Vec<Row>) = std::mem::take(&mut self.rows)
            .into_iter()
            .partition(|r| settings_of(r).is_none_or(|s| s == reference));
        self.rows = kept;
        let apart: Vec<SetApart> = apart
            .into_iter()
            .map(|r| SetApart {
                settings: settings_of(&r).unwrap_or_default(),
                median_ns: r.median_ns.point,
                function: r.function,
            })
            .collect();
        notes.push(format!(
            "{title} holds measurements made with different settings: compared here only those with {reference}; set apart: {}.",
            apart
                .iter()
                .map(|a| format!("`{}` ({}, median {})", a.function, a.settings, fmt_ns(a.median_ns)))
                .collect::<Vec<_>>()
                .join("; ")
        ));
        apart
    }

    /// Speed-ups against `sequential`, each with where it comes from ([`Pairer::ratio`]).
    fn speedups(&mut self, pairer: &Pairer, title: &str, notes: &mut Vec<String>) {
        let Some(s) = self.rows.iter().position(|r| r.function == SEQUENTIAL) else {
            if !self.rows.is_empty() {
                notes.push(format!(
                    "No `{SEQUENTIAL}` measurement in {title}, so no speed-ups."
                ));
            }
            return;
        };
        let reference = &self.rows[s];
        let speedups: Vec<Option<(Interval, Pairing)>> = self
            .rows
            .iter()
            .map(|row| {
                (row.function != SEQUENTIAL)
                    .then(|| pairer.ratio(reference, row, ratio_seed(reference, row)))
            })
            .collect();
        for (row, speedup) in self.rows.iter_mut().zip(speedups) {
            row.speedup = speedup.map(|(ci, _)| ci);
            row.pairing = speedup.map(|(_, p)| p);
        }
    }
}

/// The bootstrap seed of `median(a) / median(b)`.
fn ratio_seed(a: &Row, b: &Row) -> u64 {
    match a.function.as_str() {
        // The seed speed-ups always had, so their intervals do not move.
        SEQUENTIAL => stats::seed_for(&format!("speedup {}", b.id)),
        _ => stats::seed_for(&format!("ratio {} {}", a.id, b.id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_parameter_values_sort_as_numbers() {
        let mut keys = [
            SortKey::new(Some("10".into())),
            SortKey::new(Some("9".into())),
            SortKey::new(None),
        ];
        keys.sort();
        assert_eq!(
            keys,
            [
                SortKey::None,
                SortKey::new(Some("9".into())),
                SortKey::new(Some("10".into()))
            ]
        );
    }
}
