//! Parameter sweeps: a Criterion group whose benchmarks carry a parameter value
//! (`BenchmarkId::new(strategy, value)`, directories `<group>/<strategy>/<value>/`), seen as one
//! curve per strategy instead of one table per value, with findings computed from the numbers.
//!
//! Any group with a parameter value is a sweep; nothing here lists the suite's sweeps. What the
//! parameter *is* comes from the last word of the group name (`sweep/io_workers` → workers,
//! `…_requests`, `…_latency`, `…_size`; anything else is "parameter"), and decides which
//! findings apply:
//!
//! * **workers** — per strategy, the best value (lowest median), the values whose 95% interval
//!   overlaps the best's (not distinguishable from it with these samples) and, for I/O, the
//!   efficiency at the best against the ideal ⌈N/C⌉·L.
//! * **requests** — per strategy, the median at the largest value it was measured at.
//! * **server capacity** — when the group directory holds `cb-server-capacity.json`, each
//!   strategy's throughput at parameter 0 (N ÷ median) as a share of the server's measured
//!   capacity, *server-bound* from [`SERVER_BOUND`] up: such a point measures the mock server.
//! * **faster than sequential** — in a sweep with `sequential` and a `process_pool…` strategy,
//!   the smallest value at which each other strategy is significantly faster than `sequential`:
//!   its median's 95% interval lies entirely below `sequential`'s at the same value.
//! * **not measured** — every point without a measurement, with the bench's reason.
//! * **measurement defects** — the per-value tables' CPU speed-ups above what the hardware
//!   allows ([`crate::summary::physics`]), named again beside the findings.
//!
//! This module builds the [`Sweep`] model from the summary's tables (the chart layer draws it:
//! `svg::sweep::from_sweep`); `findings` computes the findings as data, `prose` puts them in
//! words.

mod findings;
mod prose;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use crate::error::Result;
use crate::format::{fmt_count, fmt_value};
use crate::meta::{self, ServerCapacity};

use crate::paths::relative_href;
use crate::stats::Interval;
use crate::summary::table::{Row, Table, Unmeasured};
use findings::findings;
pub use findings::{
    AtLargest, Best, Crossover, Findings, NotMeasured, ServerFinding, ServerLoad, SERVER_BOUND,
};
use prose::sentences;

/// What a sweep's parameter counts, from the last word of its group name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParameterKind {
    /// Threads, tasks or processes (`…workers`, `…threads`).
    Workers,
    /// Jobs per iteration (`…requests`).
    Requests,
    /// The server's latency in ms (`…latency`).
    Latency,
    /// Elements per job (`…size`).
    Size,
    /// Anything else.
    Other,
}

impl ParameterKind {
    /// The kind named by the last `_`-separated word of the group's last `/` component.
    pub fn from_group(group: &str) -> ParameterKind {
        let last = group.rsplit('/').next().unwrap_or(group);
        match last.rsplit('_').next().unwrap_or(last) {
            "workers" | "threads" => ParameterKind::Workers,
            "requests" => ParameterKind::Requests,
            "latency" => ParameterKind::Latency,
            "size" => ParameterKind::Size,
            _ => ParameterKind::Other,
        }
    }

    /// The axis label.
    pub fn label(self) -> &'static str {
        match self {
            ParameterKind::Workers => "workers",
            ParameterKind::Requests => "requests",
            ParameterKind::Latency => "latency (ms)",
            ParameterKind::Size => "elements per job",
            ParameterKind::Other => "parameter",
        }
    }

    /// A value with its unit for prose: `10 workers`, `5 ms`, `parameter 3`.
    pub(crate) fn phrase(self, value: &str) -> String {
        self.phrase_of(&fmt_value(value))
    }

    /// [`ParameterKind::phrase`] of already formatted text, e.g. a range `5–20`.
    fn phrase_of(self, v: &str) -> String {
        let plural = if v == "1" { "" } else { "s" };
        match self {
            ParameterKind::Workers => format!("{v} worker{plural}"),
            ParameterKind::Requests => format!("{v} request{plural}"),
            ParameterKind::Latency => format!("{v} ms"),
            ParameterKind::Size => format!("{v} elements per job"),
            ParameterKind::Other => format!("parameter {v}"),
        }
    }
}

/// One sweep group.
#[derive(Debug, Clone, Serialize)]
pub struct Sweep {
    /// Criterion group, e.g. `sweep/io_workers`.
    pub group: String,
    /// What the parameter counts.
    pub parameter: ParameterKind,
    /// The axis label, e.g. `workers`.
    pub parameter_name: String,
    /// `io` or `cpu`, when the points' `cb-meta.json` agree.
    pub kind: Option<String>,
    /// The parameter values, in numeric order (as directory names).
    pub values: Vec<String>,
    /// Whether every value is a number (otherwise the chart spaces them evenly).
    pub numeric: bool,
    /// The strategies, by name.
    pub strategies: Vec<String>,
    /// One point per strategy and value found.
    pub points: Vec<Point>,
    /// The findings as data.
    pub findings: Findings,
    /// The findings in words, generated from [`Sweep::findings`].
    pub sentences: Vec<String>,
    /// Relative link to Criterion's report of the group, when the file exists.
    pub report: Option<String>,
    /// Palette index of each strategy (same order as `strategies`), the same on every chart.
    #[serde(skip)]
    pub colours: Vec<usize>,
}

/// One strategy at one parameter value.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    /// The strategy (Criterion function).
    pub strategy: String,
    /// The parameter value as Criterion wrote it.
    pub parameter: String,
    /// The median per iteration in ns with Criterion's 95% interval; `None` when not measured.
    pub median_ns: Option<Interval>,
    /// I/O only: the ideal ⌈N/C⌉·L in ns for this point's N, C and L (see `latency_ms`).
    pub ideal_ns: Option<f64>,
    /// `ideal_ns ÷ median`, interval mapped from the median's.
    pub efficiency: Option<Interval>,
    /// Jobs per iteration (N), from `cb-meta.json`.
    pub jobs: Option<u64>,
    /// Jobs in flight (C), from `cb-meta.json`.
    pub concurrency: Option<u64>,
    /// The server's configured latency in ms, from `cb-meta.json` (I/O only).
    pub latency_ms: Option<f64>,
    /// The L of `ideal_ns` in ms: what one request was measured to take (`server_latency_ms`
    /// in `cb-meta.json`) where the bench measured it, else the configured latency — a
    /// chart's ideal is only as true as its L.
    pub ideal_latency_ms: Option<f64>,
    /// Why the bench did not measure it (`skipped` in `cb-meta.json`).
    pub skipped: Option<String>,
    /// Files an unmeasured point lacks.
    pub missing: Vec<String>,
    /// Directory relative to the Criterion directory.
    pub dir: String,
    /// Cores kept busy on average (CPU time ÷ wall time, [`crate::cpu_time`]), when the point
    /// recorded CPU time.
    pub cores: Option<Interval>,
    /// CPU time per iteration, all parts together, when recorded.
    pub cpu_ns: Option<Interval>,
    /// Its speed-up is a measurement defect ([`crate::summary::physics`]): drawn, but no finding
    /// (best value, faster than `sequential`) is drawn from it. Named in the sentences instead.
    #[serde(skip)]
    pub defect: bool,
}

impl Point {
    fn reason(&self) -> String {
        match &self.skipped {
            Some(r) => r.clone(),
            None => format!("missing {}", self.missing.join(", ")),
        }
    }
}

/// The sweeps among `tables` (those with a parameter value), with `cb-server-capacity.json`
/// read from each group's directory under `criterion_dir` and links relative to `out_dir`.
///
/// Fails only on a corrupt `cb-server-capacity.json`.
pub fn build(criterion_dir: &Path, tables: &[Table], out_dir: &Path) -> Result<Vec<Sweep>> {
    // Tables are sorted by group, then numerically by value.
    let mut groups: BTreeMap<&str, Vec<&Table>> = BTreeMap::new();
    for t in tables.iter().filter(|t| t.value.is_some()) {
        groups.entry(&t.group).or_default().push(t);
    }
    let mut sweeps = Vec::new();
    for (group, tables) in groups {
        let group_dir = tables
            .iter()
            .flat_map(|t| {
                t.rows
                    .iter()
                    .map(|r| r.dir.as_str())
                    .chain(t.unmeasured.iter().map(|u| u.dir.as_str()))
            })
            .next()
            .and_then(|d| d.split('/').next())
            .unwrap_or("")
            .to_string();
        let capacity = if group_dir.is_empty() {
            None
        } else {
            meta::load_capacity(&criterion_dir.join(&group_dir).join(meta::CAPACITY_FILE))?
        };
        let report_file = criterion_dir.join(&group_dir).join("report/index.html");
        let report = (!group_dir.is_empty() && report_file.is_file())
            .then(|| relative_href(out_dir, &report_file))
            .flatten();
        sweeps.push(sweep(group, &tables, capacity, report));
    }
    // One colour per strategy name across all sweeps.
    let names: BTreeSet<String> = sweeps
        .iter()
        .flat_map(|s| s.strategies.iter().cloned())
        .collect();
    let names: Vec<String> = names.into_iter().collect();
    for s in &mut sweeps {
        s.colours = s
            .strategies
            .iter()
            .map(|n| names.binary_search(n).unwrap_or(0))
            .collect();
    }
    Ok(sweeps)
}

fn sweep(
    group: &str,
    tables: &[&Table],
    capacity: Option<ServerCapacity>,
    report: Option<String>,
) -> Sweep {
    let parameter = ParameterKind::from_group(group);
    let values: Vec<String> = tables.iter().filter_map(|t| t.value.clone()).collect();
    let numeric = values.iter().all(|v| number(v).is_some());
    let mut kinds: Vec<String> = tables.iter().filter_map(|t| t.kind.clone()).collect();
    kinds.sort();
    kinds.dedup();
    let kind = match kinds.as_slice() {
        [k] => Some(k.clone()),
        _ => None,
    };
    let mut points = Vec::new();
    for t in tables {
        let value = t.value.clone().unwrap_or_default();
        points.extend(t.rows.iter().map(|r| measured_point(&value, r)));
        points.extend(t.unmeasured.iter().map(|u| unmeasured_point(&value, u)));
    }
    let strategies: Vec<String> = points
        .iter()
        .map(|p| p.strategy.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut s = Sweep {
        group: group.to_string(),
        parameter,
        parameter_name: parameter.label().to_string(),
        kind,
        values,
        numeric,
        strategies,
        points,
        findings: Findings::default(),
        sentences: Vec::new(),
        report,
        colours: Vec::new(),
    };
    s.findings = findings(&s, capacity);
    s.sentences = sentences(&s);
    // The per-value tables' measurement defects, so the page's "Which to use" names them too.
    s.sentences.extend(
        tables
            .iter()
            .flat_map(|t| &t.rows)
            .filter_map(|r| r.measurement_defect.as_ref())
            .map(|d| d.sentence.clone()),
    );
    s
}

/// A measured row's point at `value`, with the efficiency against the measured latency where
/// the bench measured one (see `Point::latency_ms`).
fn measured_point(value: &str, r: &Row) -> Point {
    let efficiency = r
        .efficiency_measured_latency
        .as_ref()
        .or(r.efficiency.as_ref());
    Point {
        strategy: r.function.clone(),
        parameter: value.to_string(),
        median_ns: Some(r.median_ns),
        ideal_ns: efficiency.map(|e| e.ideal_ns),
        efficiency: efficiency.map(|e| e.ratio),
        jobs: r.meta.as_ref().map(|m| m.jobs),
        concurrency: r.meta.as_ref().map(|m| m.concurrency),
        latency_ms: r.meta.as_ref().and_then(|m| m.latency_ms),
        ideal_latency_ms: efficiency.map(|e| e.latency_ms),
        skipped: None,
        missing: Vec::new(),
        dir: r.dir.clone(),
        cores: r.cpu.as_ref().map(|c| c.total.cores),
        cpu_ns: r.cpu.as_ref().map(|c| c.total.per_iteration_ns),
        defect: r.measurement_defect.is_some(),
    }
}

/// An unmeasured strategy's point at `value`: no median, and for I/O the ideal at the
/// configured latency.
fn unmeasured_point(value: &str, u: &Unmeasured) -> Point {
    let m = u.meta.as_ref();
    Point {
        strategy: u.function.clone(),
        parameter: value.to_string(),
        median_ns: None,
        ideal_ns: m
            .filter(|m| m.kind == "io")
            .and_then(|m| m.latency_ms.and_then(|l| m.ideal_ns(l))),
        efficiency: None,
        jobs: m.map(|m| m.jobs),
        concurrency: m.map(|m| m.concurrency),
        latency_ms: m.and_then(|m| m.latency_ms),
        ideal_latency_ms: m.filter(|m| m.kind == "io").and_then(|m| m.latency_ms),
        skipped: u.skipped.clone(),
        missing: u.missing.clone(),
        dir: u.dir.clone(),
        cores: None,
        cpu_ns: None,
        defect: false,
    }
}

/// A parameter value as a number, when it is one.
pub(crate) fn number(v: &str) -> Option<f64> {
    v.parse::<f64>().ok().filter(|x| x.is_finite())
}

impl Sweep {
    /// The position of `value` among [`Sweep::values`].
    pub(crate) fn index(&self, value: &str) -> usize {
        self.values.iter().position(|v| v == value).unwrap_or(0)
    }

    /// The measured points of `strategy`, in value order.
    fn measured(&self, strategy: &str) -> Vec<(&Point, Interval)> {
        let mut v: Vec<(&Point, Interval)> = self
            .points
            .iter()
            .filter(|p| p.strategy == strategy)
            .filter_map(|p| p.median_ns.map(|m| (p, m)))
            .collect();
        v.sort_by_key(|(p, _)| self.index(&p.parameter));
        v
    }

    /// File name of the chart written beside `summary.md`, e.g. `sweep_io_workers.svg`.
    pub fn chart_file(&self) -> String {
        let name: String = self
            .group
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        format!("{name}.svg")
    }

    /// One sentence on what was swept: kind, range, the fixed N and L, how many points.
    pub fn describe(&self) -> String {
        let kind = match self.kind.as_deref() {
            Some("io") => "I/O sweep",
            Some("cpu") => "CPU sweep",
            _ => "Sweep",
        };
        let range = match self.values.as_slice() {
            [] => String::new(),
            [one] => fmt_value(one),
            [first, .., last] => format!("{}–{}", fmt_value(first), fmt_value(last)),
        };
        let mut parts = vec![format!(
            "{kind} of {} over {range} ({})",
            self.parameter_name,
            fmt_count(self.values.len(), "value")
        )];
        let distinct = |f: &dyn Fn(&Point) -> Option<String>| -> Vec<String> {
            self.points
                .iter()
                .filter_map(f)
                .collect::<BTreeSet<String>>()
                .into_iter()
                .collect()
        };
        let jobs = distinct(&|p| p.jobs.map(|n| n.to_string()));
        if let [n] = jobs.as_slice() {
            parts.push(format!("N = {n} jobs per iteration"));
        }
        let latency = distinct(&|p| p.latency_ms.map(|l| l.to_string()));
        if let [l] = latency.as_slice() {
            parts.push(format!("server latency L = {l} ms"));
        }
        let unmeasured = self.points.iter().filter(|p| p.median_ns.is_none()).count();
        parts.push(format!(
            "{}, {} ({unmeasured} not measured)",
            if self.strategies.len() == 1 {
                "1 strategy".to_string()
            } else {
                format!("{} strategies", self.strategies.len())
            },
            fmt_count(self.points.len(), "point")
        ));
        format!("{}.", parts.join("; "))
    }

    /// A list of values as a range when they are consecutive values of the sweep (`5–20`),
    /// otherwise comma-separated.
    fn span(&self, values: &[String]) -> String {
        let idx: Vec<usize> = values.iter().map(|v| self.index(v)).collect();
        let consecutive = idx.windows(2).all(|w| w[1] == w[0] + 1);
        match values {
            [] => String::new(),
            [one] => fmt_value(one),
            [first, .., last] if consecutive => {
                format!("{}–{}", fmt_value(first), fmt_value(last))
            }
            many => many
                .iter()
                .map(|v| fmt_value(v))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_kind_comes_from_the_last_word() {
        assert_eq!(
            ParameterKind::from_group("sweep/io_workers"),
            ParameterKind::Workers
        );
        assert_eq!(
            ParameterKind::from_group("sweep/cpu_size").label(),
            "elements per job"
        );
        assert_eq!(
            ParameterKind::from_group("sweep/io_latency").label(),
            "latency (ms)"
        );
        assert_eq!(
            ParameterKind::from_group("sweep/other").label(),
            "parameter"
        );
    }
}
