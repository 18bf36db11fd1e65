//! The `summary` command's model: one table per workload (a group, or a group at one parameter
//! value), computed from Criterion's files and the suite's side files, the parameter sweeps seen
//! as curves ([`crate::sweeps`]), plus what is missing. Rendering lives in [`crate::export`].

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::criterion::{self, BenchDir, Measured};
use crate::error::{Error, Result};
use crate::format::{fmt_change, fmt_ns, fmt_pct, fmt_pct1, fmt_x};
use crate::meta::{self, Meta, SideFiles, Timeline};
use crate::paths::relative_href;
use crate::rounds::{self, Drift, Rounds};
use crate::stats::{self, Interval};
use crate::sweeps::{self, Sweep};

/// The function name that speed-ups are measured against.
pub const SEQUENTIAL: &str = "sequential";

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

/// One workload: a group, or a parameterised group at one value.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    /// Criterion group, e.g. `io/download`.
    pub group: String,
    /// Parameter value for `<group>/<function>/<value>` benchmarks.
    pub value: Option<String>,
    /// `io` or `cpu`, from `cb-meta.json`.
    pub kind: Option<String>,
    /// Relative link to Criterion's violin plot of the group, when the file exists.
    pub violin: Option<String>,
    /// Measured strategies, fastest (lowest median) first.
    pub rows: Vec<Row>,
    /// Strategies found without a complete measurement, and what they lack.
    pub unmeasured: Vec<Unmeasured>,
    /// Gaps specific to this table (no `sequential`, no meta, ...).
    pub notes: Vec<String>,
    /// The "which to use" verdict computed from the rows.
    pub advice: Advice,
    /// Whether the group was measured in interleaved rounds (`cb-rounds.json`): then speed-ups
    /// come from rounds paired with the reference.
    pub interleaved: bool,
    /// How the reference's speed changed during the group, when measured in rounds.
    pub drift: Option<Drift>,
    /// Strategies measured with other settings than the table's (an older or filtered run):
    /// shown apart and compared with nothing.
    pub set_apart: Vec<SetApart>,
}

/// A row kept out of a table's comparisons because it was measured with other settings.
#[derive(Debug, Clone, Serialize)]
pub struct SetApart {
    /// Function name.
    pub function: String,
    /// Its median, ns.
    pub median_ns: f64,
    /// Its settings ([`Meta::settings`]).
    pub settings: String,
}

impl Table {
    /// `group` or `group/value`: the workload's name.
    pub fn title(&self) -> String {
        match &self.value {
            Some(v) => format!("{}/{}", self.group, v),
            None => self.group.clone(),
        }
    }

    /// The row measured for `function`, if any.
    pub fn row(&self, function: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.function == function)
    }
}

/// One measured strategy.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Criterion's full id, e.g. `io/download/thread_pool`.
    pub id: String,
    /// Criterion function name: the strategy.
    pub function: String,
    /// Directory relative to the Criterion directory.
    pub dir: String,
    /// Median time per iteration in ns, with Criterion's 95% interval (from `estimates.json`).
    pub median_ns: Interval,
    /// Number of samples in `sample.json`.
    pub samples: usize,
    /// Throughput per second (interval mapped from the median's), when the bench declared one.
    pub throughput: Option<Throughput>,
    /// `median(sequential) / median(this)` with a bootstrap 95% interval; `None` for
    /// `sequential` itself (the reference) and without a `sequential` row in the same table.
    pub speedup: Option<Interval>,
    /// I/O only: ideal ⌈N/C⌉·L ÷ median, with L the configured latency.
    pub efficiency: Option<Efficiency>,
    /// I/O only: the same with L = the server's measured single-request time, when recorded.
    pub efficiency_measured_latency: Option<Efficiency>,
    /// `cb-meta.json`, when present.
    pub meta: Option<Meta>,
    /// Relative link to Criterion's page for this benchmark, when the file exists.
    pub report: Option<String>,
    /// Shape of the timeline run, when `cb-timeline.json` is present.
    pub timeline_summary: Option<TimelineSummary>,
    /// Failures under injected faults, when the run had `CB_FAULTS` (`cb-faults.json`).
    pub faults: Option<meta::FaultRun>,
    /// The timeline itself, for the Gantt chart (not repeated in `summary.json`).
    #[serde(skip)]
    pub timeline: Option<Timeline>,
    /// Per-iteration times, for intervals computed across rows (not in `summary.json`).
    #[serde(skip)]
    pub per_iteration: Vec<f64>,
}

/// Throughput with an interval and a unit.
#[derive(Debug, Clone, Serialize)]
pub struct Throughput {
    /// Amount per second: point and 95% interval.
    pub per_second: Interval,
    /// `elem`, `B` or `bit`.
    pub unit: String,
}

/// Efficiency against the ideal wall time of an I/O workload.
#[derive(Debug, Clone, Serialize)]
pub struct Efficiency {
    /// The latency L used, ms.
    pub latency_ms: f64,
    /// ⌈N/C⌉·L in ns.
    pub ideal_ns: f64,
    /// ideal ÷ median, with the interval mapped from the median's.
    pub ratio: Interval,
}

/// The shape of one timeline run.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineSummary {
    /// Wall time of the run, ns.
    pub wall_ns: u64,
    /// Jobs (spans).
    pub jobs: usize,
    /// Distinct workers (rows).
    pub workers: usize,
    /// Busy time ÷ (workers × wall).
    pub utilisation: f64,
}

/// A strategy found without a complete measurement.
#[derive(Debug, Clone, Serialize)]
pub struct Unmeasured {
    /// Function name.
    pub function: String,
    /// Directory relative to the Criterion directory.
    pub dir: String,
    /// The files it lacks.
    pub missing: Vec<String>,
    /// The bench's reason for not measuring it (`skipped` in `cb-meta.json`).
    pub skipped: Option<String>,
    /// `cb-meta.json`, when present (for a sweep point's ideal time; not in `summary.json`).
    #[serde(skip)]
    pub meta: Option<Meta>,
}

/// The "which to use" verdict for one workload.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Advice {
    /// The strategy with the lowest median.
    pub fastest: Option<String>,
    /// The second fastest and how much longer it takes: `median(next)/median(fastest) − 1`
    /// with a bootstrap 95% interval.
    pub runner_up: Option<Lead>,
    /// Strategies whose difference from the fastest is not significant (interval includes 0).
    pub tied_with_fastest: Vec<String>,
    /// Strategies whose speed-up interval reaches 1× or below, with that interval.
    pub no_better_than_sequential: Vec<(String, Interval)>,
    /// The verdict in words, generated from the fields above.
    pub sentences: Vec<String>,
}

/// How far one strategy is behind the fastest.
#[derive(Debug, Clone, Serialize)]
pub struct Lead {
    /// The slower strategy.
    pub function: String,
    /// `median(it)/median(fastest) − 1`, with its interval.
    pub extra: Interval,
    /// The interval excludes 0.
    pub significant: bool,
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
    let link = |target: PathBuf| -> Option<String> {
        target
            .is_file()
            .then(|| relative_href(out_dir, &target))
            .flatten()
    };

    // (group, value) → rows and unmeasured entries; BTreeMap for a stable order.
    let mut tables: BTreeMap<(String, SortKey), TableDraft> = BTreeMap::new();
    let mut any_measured_baseline = false;

    for dir in &dirs {
        let measured = criterion::load_measured(dir, baseline)?;
        let SideFiles {
            meta,
            timeline,
            faults,
        } = SideFiles::load(&dir.path, baseline)?;
        if measured.is_some() {
            any_measured_baseline = true;
        }
        let (group, function, value) = identity(dir, measured.as_ref(), meta.as_ref());
        let draft = match tables.entry((group.clone(), SortKey::new(value.clone()))) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(TableDraft {
                group: group.clone(),
                value: value.clone(),
                // A sweep value has its own violin plot (<group>/<value>/report/) beside the
                // group's.
                violin: value
                    .as_ref()
                    .and_then(|v| {
                        link(
                            criterion_dir
                                .join(dir.group_dir())
                                .join(v)
                                .join("report/violin.svg"),
                        )
                    })
                    .or_else(|| {
                        link(
                            criterion_dir
                                .join(dir.group_dir())
                                .join("report/violin.svg"),
                        )
                    }),
                // Whole groups are measured in rounds; a sweep point is not.
                rounds: match value {
                    None => Rounds::load(&criterion_dir.join(dir.group_dir()), baseline)?,
                    Some(_) => None,
                },
                ..TableDraft::default()
            }),
        };
        if let Some(m) = &meta {
            draft.kinds.push(m.kind.clone());
        }

        let mut lacks = Vec::new();
        let complete = match &measured {
            None => {
                lacks.push(format!("{baseline}/benchmark.json"));
                None
            }
            Some(Measured {
                id,
                estimates,
                sample,
            }) => {
                if estimates.is_none() {
                    lacks.push(format!("{baseline}/estimates.json"));
                }
                if sample.is_none() {
                    lacks.push(format!("{baseline}/sample.json"));
                }
                match (estimates, sample) {
                    (Some(e), Some(s)) => Some((id, e, s)),
                    _ => None,
                }
            }
        };
        let Some((id, estimates, sample)) = complete else {
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
            continue;
        };

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
        draft.rows.push(Row {
            id: id.full_id.clone(),
            function,
            dir: dir.rel.clone(),
            median_ns,
            samples: sample.times.len(),
            throughput,
            speedup: None,
            efficiency: meta.as_ref().and_then(|m| efficiency_for(m, m.latency_ms)),
            efficiency_measured_latency: meta
                .as_ref()
                .and_then(|m| efficiency_for(m, m.server_latency_ms)),
            report: link(dir.path.join("report/index.html")),
            timeline_summary: timeline.as_ref().map(|t| TimelineSummary {
                wall_ns: t.wall_ns,
                jobs: t.spans.len(),
                workers: t.workers().len(),
                utilisation: t.utilisation(),
            }),
            timeline,
            faults,
            meta,
            per_iteration: sample.per_iteration(),
        });
    }

    if !any_measured_baseline {
        // Side files alone are no summary: without a single measurement there is nothing to rank.
        let what = if baseline == "new" {
            "no benchmark has new/benchmark.json (no Criterion run yet?)".to_string()
        } else {
            format!("unknown baseline '{baseline}': no benchmark has {baseline}/benchmark.json")
        };
        return Err(Error::at(criterion_dir, what));
    }

    let tables: Vec<Table> = tables.into_values().map(TableDraft::finish).collect();
    // One line per workload and kind of gap, so a sweep without timelines is one line, not fifty.
    let mut missing = Vec::new();
    for t in &tables {
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
                list(&|r| r.timeline.is_none()),
            ),
        ] {
            if !names.is_empty() {
                missing.push(format!("{title}: {what} {names}"));
            }
        }
    }
    let sweeps = sweeps::build(criterion_dir, &tables, out_dir)?;
    Ok(Summary {
        criterion_dir: criterion_dir.display().to_string(),
        baseline: baseline.to_string(),
        tables,
        sweeps,
        missing,
    })
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
        self.speedups(&title, &mut notes);
        for row in &self.rows {
            if let Some(faults) = &row.faults {
                notes.push(faults.describe(&row.function));
            }
        }
        let drift = self.drift();
        let advice = match &drift {
            Some(d) if d.drifted => Advice {
                sentences: vec![drift_sentence(&title, d)],
                ..Advice::default()
            },
            _ => advise(&title, kind.as_deref(), &self.rows, self.rounds.as_ref()),
        };
        Table {
            group: self.group,
            value: self.value,
            kind,
            violin: self.violin,
            rows: self.rows,
            unmeasured: self.unmeasured,
            notes,
            advice,
            interleaved: self.rounds.is_some(),
            drift,
            set_apart,
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

    /// Speed-ups against `sequential`: from rounds paired with it when the group was measured
    /// in interleaved rounds, else from the two samples resampled independently.
    fn speedups(&mut self, title: &str, notes: &mut Vec<String>) {
        let Some(s) = self.rows.iter().position(|r| r.function == SEQUENTIAL) else {
            if !self.rows.is_empty() {
                notes.push(format!(
                    "No `{SEQUENTIAL}` measurement in {title}, so no speed-ups."
                ));
            }
            return;
        };
        let seq_times = self.rows[s].per_iteration.clone();
        let seq_median = self.rows[s].median_ns.point;
        for row in self.rows.iter_mut().filter(|r| r.function != SEQUENTIAL) {
            let seed = stats::seed_for(&format!("speedup {}", row.id));
            let paired = self.rounds.as_ref().and_then(|r| {
                rounds::paired_ratio_of_medians(&r.paired(SEQUENTIAL, &row.function), seed)
            });
            let ci = paired.unwrap_or_else(|| {
                stats::ratio_of_medians(
                    &seq_times,
                    &row.per_iteration,
                    stats::BOOTSTRAP_RESAMPLES,
                    seed,
                )
            });
            // The point is the ratio of Criterion's own median estimates (identical to the ratio
            // of sample medians: same data, same median definition).
            row.speedup = Some(Interval {
                point: seq_median / row.median_ns.point,
                ..ci
            });
        }
    }

    /// The reference's drift across the rounds, when the group was measured in rounds.
    fn drift(&self) -> Option<Drift> {
        let rounds = self.rounds.as_ref()?;
        let name = rounds.reference.as_deref()?;
        let reference = self.rows.iter().find(|r| r.function == name)?;
        rounds::drift(rounds, reference.median_ns)
    }
}

/// Why a drifted group gets no findings, in one sentence.
fn drift_sentence(title: &str, d: &Drift) -> String {
    format!(
        "No findings for {title}: the machine changed speed during the group — `{}` took {} per iteration in the first half of the rounds and {} in the second ({}, 95% CI {} to {}), more than its own interval (±{}).",
        d.reference,
        fmt_ns(d.first_half_ns),
        fmt_ns(d.second_half_ns),
        fmt_change(d.change.point),
        fmt_change(d.change.lower),
        fmt_change(d.change.upper),
        fmt_pct1(d.own_half_width)
    )
}

/// Computes the "which to use" verdict from rows sorted fastest first.
fn advise(title: &str, kind: Option<&str>, rows: &[Row], rounds: Option<&Rounds>) -> Advice {
    let mut advice = Advice::default();
    let Some(fastest) = rows.first() else {
        advice
            .sentences
            .push(format!("Nothing in {title} was measured."));
        return advice;
    };
    advice.fastest = Some(fastest.function.clone());

    let mut first = format!(
        "Fastest for {title}: `{}` at {} (median)",
        fastest.function,
        fmt_ns(fastest.median_ns.point)
    );
    if let Some(s) = fastest.speedup.filter(|_| fastest.function != SEQUENTIAL) {
        first.push_str(&format!(
            ", {} the speed of `{SEQUENTIAL}` (95% CI {}–{})",
            fmt_x(s.point),
            fmt_x(s.lower),
            fmt_x(s.upper)
        ));
    }
    if let (Some("io"), Some(e), Some(m)) = (kind, &fastest.efficiency, &fastest.meta) {
        first.push_str(&format!(
            "; it reaches {} of the ideal ⌈{}/{}⌉ × {} ms = {}",
            fmt_pct(e.ratio.point),
            m.jobs,
            m.concurrency,
            e.latency_ms,
            fmt_ns(e.ideal_ns)
        ));
    }
    first.push('.');
    advice.sentences.push(first);

    // Everyone whose gap to the fastest is not significant is tied with it.
    let leads: Vec<Lead> = rows[1..]
        .iter()
        .map(|r| {
            let seed = stats::seed_for(&format!("lead {} {}", fastest.id, r.id));
            let paired = rounds.and_then(|rounds| {
                rounds::paired_ratio_of_medians(
                    &rounds.paired(&r.function, &fastest.function),
                    seed,
                )
            });
            let ci = paired.unwrap_or_else(|| {
                stats::ratio_of_medians(
                    &r.per_iteration,
                    &fastest.per_iteration,
                    stats::BOOTSTRAP_RESAMPLES,
                    seed,
                )
            });
            Lead {
                function: r.function.clone(),
                extra: Interval {
                    point: r.median_ns.point / fastest.median_ns.point,
                    ..ci
                }
                .map(|x| x - 1.0),
                significant: ci.lower > 1.0,
            }
        })
        .collect();
    advice.tied_with_fastest = leads
        .iter()
        .filter(|l| !l.significant)
        .map(|l| l.function.clone())
        .collect();
    if let Some(next) = leads.first() {
        advice.sentences.push(if next.significant {
            format!(
                "It is ahead of the next, `{}`, which takes {} longer (95% CI {} to {}).",
                next.function,
                fmt_pct1(next.extra.point),
                fmt_pct1(next.extra.lower),
                fmt_pct1(next.extra.upper)
            )
        } else {
            format!(
                "It is not measurably ahead of `{}` ({} longer, but the 95% CI {} to {} includes no difference); tied with the fastest: {}.",
                next.function,
                fmt_pct1(next.extra.point),
                fmt_pct1(next.extra.lower),
                fmt_pct1(next.extra.upper),
                advice
                    .tied_with_fastest
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
    }

    if rows.iter().any(|r| r.function == SEQUENTIAL) {
        advice.no_better_than_sequential = rows
            .iter()
            .filter(|r| r.function != SEQUENTIAL)
            .filter_map(|r| r.speedup.map(|s| (r.function.clone(), s)))
            .filter(|(_, s)| s.lower <= 1.0)
            .collect();
        let list = |slower: bool| {
            advice
                .no_better_than_sequential
                .iter()
                .filter(|(_, s)| (s.upper < 1.0) == slower)
                .map(|(f, s)| {
                    format!(
                        "`{f}` ({}, CI {}–{})",
                        fmt_x(s.point),
                        fmt_x(s.lower),
                        fmt_x(s.upper)
                    )
                })
                .collect::<Vec<_>>()
        };
        let (slower, same) = (list(true), list(false));
        if slower.is_empty() && same.is_empty() {
            advice.sentences.push(format!(
                "Every other strategy is faster than `{SEQUENTIAL}` (speed-up CI above 1×)."
            ));
        }
        if !slower.is_empty() {
            advice.sentences.push(format!(
                "Slower than `{SEQUENTIAL}` (whole speed-up CI below 1×): {}.",
                slower.join(", ")
            ));
        }
        if !same.is_empty() {
            advice.sentences.push(format!(
                "No measurable gain over `{SEQUENTIAL}` (speed-up CI includes 1×): {}.",
                same.join(", ")
            ));
        }
    } else {
        advice.sentences.push(format!(
            "No `{SEQUENTIAL}` run in {title}: which strategies are no better than it cannot be judged."
        ));
    }
    advice
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
