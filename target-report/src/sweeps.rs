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

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;

use crate::error::Result;
use crate::format::{fmt_ci, fmt_latency, fmt_ns, fmt_pct, fmt_value};
use crate::meta::{self, ServerCapacity};
use crate::paths::relative_href;
use crate::stats::Interval;
use crate::summary::table::{Table, SEQUENTIAL};
use crate::svg::sweep as chart;

/// Throughput at or above this share of the server's capacity is called server-bound.
pub const SERVER_BOUND: f64 = 0.8;

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
    fn phrase(self, value: &str) -> String {
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
}

impl Point {
    fn reason(&self) -> String {
        match &self.skipped {
            Some(r) => r.clone(),
            None => format!("missing {}", self.missing.join(", ")),
        }
    }
}

/// The findings of one sweep; each list is empty when it does not apply.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Findings {
    /// Worker-count sweeps: the best value per strategy.
    pub best: Vec<Best>,
    /// Request-count sweeps: each strategy at the largest value it was measured at.
    pub at_largest: Vec<AtLargest>,
    /// With `cb-server-capacity.json`: the server's capacity and the load at parameter 0.
    pub server: Option<ServerFinding>,
    /// Sweeps with `sequential` and a process pool: where each strategy overtakes it.
    pub faster_than_sequential: Vec<Crossover>,
    /// Points not measured, with the reason.
    pub not_measured: Vec<NotMeasured>,
}

/// The best parameter value of one strategy.
#[derive(Debug, Clone, Serialize)]
pub struct Best {
    /// The strategy.
    pub strategy: String,
    /// The value with the lowest median.
    pub parameter: String,
    /// Its median.
    pub median_ns: Interval,
    /// Values (the best included) whose 95% interval overlaps the best's, in order.
    pub indistinguishable: Vec<String>,
    /// I/O: the ideal at the best value, ns.
    pub ideal_ns: Option<f64>,
    /// I/O: ideal ÷ median at the best value.
    pub efficiency: Option<Interval>,
}

/// One strategy at the largest value it was measured at.
#[derive(Debug, Clone, Serialize)]
pub struct AtLargest {
    /// The strategy.
    pub strategy: String,
    /// That value.
    pub parameter: String,
    /// The median there.
    pub median_ns: Interval,
    /// I/O: ideal ÷ median there.
    pub efficiency: Option<Interval>,
    /// Larger values of the sweep at which it was not measured.
    pub not_measured_above: Vec<String>,
}

/// The server's capacity and how close each strategy came to it at zero latency.
#[derive(Debug, Clone, Serialize)]
pub struct ServerFinding {
    /// `cb-server-capacity.json`.
    pub capacity: ServerCapacity,
    /// One entry per strategy measured at parameter 0.
    pub at_zero: Vec<ServerLoad>,
}

/// One strategy's throughput against the server's capacity.
#[derive(Debug, Clone, Serialize)]
pub struct ServerLoad {
    /// The strategy.
    pub strategy: String,
    /// N ÷ median, requests per second (interval mapped from the median's).
    pub requests_per_s: Interval,
    /// `requests_per_s ÷ capacity`.
    pub share_of_capacity: Interval,
    /// `share_of_capacity.point ≥ SERVER_BOUND`.
    pub server_bound: bool,
    /// Not server-bound by the point estimate, but the interval reaches [`SERVER_BOUND`].
    pub possibly_server_bound: bool,
}

/// Where one strategy becomes significantly faster than `sequential`.
#[derive(Debug, Clone, Serialize)]
pub struct Crossover {
    /// The strategy.
    pub strategy: String,
    /// The smallest value at which its 95% interval lies entirely below `sequential`'s; `None`:
    /// never in the measured range.
    pub first_faster: Option<String>,
    /// Values above `first_faster` at which it is *not* significantly faster.
    pub not_faster_above: Vec<String>,
    /// The values at which both were measured, in order.
    pub compared: Vec<String>,
}

/// A point without a measurement.
#[derive(Debug, Clone, Serialize)]
pub struct NotMeasured {
    /// The strategy.
    pub strategy: String,
    /// The value.
    pub parameter: String,
    /// The bench's reason, or the files it lacks.
    pub reason: String,
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
        for r in &t.rows {
            // The measured latency where the bench measured one (see `Point::latency_ms`).
            let efficiency = r
                .efficiency_measured_latency
                .as_ref()
                .or(r.efficiency.as_ref());
            points.push(Point {
                strategy: r.function.clone(),
                parameter: value.clone(),
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
            });
        }
        for u in &t.unmeasured {
            let m = u.meta.as_ref();
            points.push(Point {
                strategy: u.function.clone(),
                parameter: value.clone(),
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
            });
        }
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
    s
}

/// A parameter value as a number, when it is one.
fn number(v: &str) -> Option<f64> {
    v.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Two intervals share at least one value.
fn overlap(a: &Interval, b: &Interval) -> bool {
    a.lower <= b.upper && b.lower <= a.upper
}

impl Sweep {
    /// The position of `value` among [`Sweep::values`].
    fn index(&self, value: &str) -> usize {
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
            count(self.values.len(), "value")
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
            count(self.points.len(), "point")
        ));
        format!("{}.", parts.join("; "))
    }

    /// The chart's input: one series per strategy, coloured consistently across the page.
    pub fn chart(&self) -> chart::Chart {
        let x = |value: &str| {
            if self.numeric {
                number(value).unwrap_or(0.0)
            } else {
                self.index(value) as f64
            }
        };
        let series = self
            .strategies
            .iter()
            .enumerate()
            .map(|(i, name)| chart::Series {
                name: name.clone(),
                colour: chart::colour(self.colours.get(i).copied().unwrap_or(i)).to_string(),
                points: self
                    .points
                    .iter()
                    .filter(|p| &p.strategy == name)
                    .map(|p| chart::SeriesPoint {
                        x: x(&p.parameter),
                        median_ns: p.median_ns,
                        ideal_ns: p.ideal_ns,
                        label: self.parameter.phrase(&p.parameter),
                    })
                    .collect(),
            })
            .collect();
        chart::Chart {
            title: self.group.clone(),
            x_label: self.parameter_name.clone(),
            x_ticks: self
                .values
                .iter()
                .map(|v| {
                    let label = match number(v) {
                        Some(n) if self.numeric => chart::compact_number(n),
                        _ => v.clone(),
                    };
                    (x(v), label)
                })
                .collect(),
            categorical: !self.numeric,
            series,
            ideal_label: (self.kind.as_deref() == Some("io")
                && self.points.iter().any(|p| p.ideal_ns.is_some()))
            .then(|| "ideal ⌈N/C⌉·L (dashed, same colour)".to_string()),
        }
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

fn findings(s: &Sweep, capacity: Option<ServerCapacity>) -> Findings {
    let mut f = Findings::default();
    if s.parameter == ParameterKind::Workers {
        for name in &s.strategies {
            let measured = s.measured(name);
            let Some(&(best_p, best)) = measured
                .iter()
                .min_by(|a, b| a.1.point.total_cmp(&b.1.point))
            else {
                continue;
            };
            f.best.push(Best {
                strategy: name.clone(),
                parameter: best_p.parameter.clone(),
                median_ns: best,
                indistinguishable: measured
                    .iter()
                    .filter(|(_, m)| overlap(m, &best))
                    .map(|(p, _)| p.parameter.clone())
                    .collect(),
                ideal_ns: best_p.ideal_ns,
                efficiency: best_p.efficiency,
            });
        }
    }
    if s.parameter == ParameterKind::Requests {
        for name in &s.strategies {
            let measured = s.measured(name);
            let Some(&(p, m)) = measured.last() else {
                continue;
            };
            let at = s.index(&p.parameter);
            f.at_largest.push(AtLargest {
                strategy: name.clone(),
                parameter: p.parameter.clone(),
                median_ns: m,
                efficiency: p.efficiency,
                not_measured_above: s.values[at + 1..].to_vec(),
            });
        }
    }
    if let Some(capacity) = capacity {
        let at_zero = s
            .points
            .iter()
            .filter(|p| number(&p.parameter) == Some(0.0))
            .filter_map(|p| {
                let m = p.median_ns?;
                let n = p.jobs? as f64;
                // A rate is amount/time: the interval's ends swap.
                let rate = Interval {
                    point: n * 1e9 / m.point,
                    lower: n * 1e9 / m.upper,
                    upper: n * 1e9 / m.lower,
                };
                let share = rate.map(|r| r / capacity.requests_per_s);
                Some(ServerLoad {
                    strategy: p.strategy.clone(),
                    requests_per_s: rate,
                    share_of_capacity: share,
                    server_bound: share.point >= SERVER_BOUND,
                    possibly_server_bound: share.point < SERVER_BOUND
                        && share.upper >= SERVER_BOUND,
                })
            })
            .collect();
        f.server = Some(ServerFinding { capacity, at_zero });
    }
    let has_seq = s.strategies.iter().any(|n| n == SEQUENTIAL);
    let has_process_pool = s.strategies.iter().any(|n| n.starts_with("process_pool"));
    if has_seq && has_process_pool {
        let seq: BTreeMap<&str, Interval> = s
            .measured(SEQUENTIAL)
            .into_iter()
            .map(|(p, m)| (p.parameter.as_str(), m))
            .collect();
        for name in s.strategies.iter().filter(|n| *n != SEQUENTIAL) {
            let pairs: Vec<(&str, bool)> = s
                .measured(name)
                .into_iter()
                .filter_map(|(p, m)| {
                    let q = seq.get(p.parameter.as_str())?;
                    Some((p.parameter.as_str(), m.upper < q.lower))
                })
                .collect();
            if pairs.is_empty() {
                continue;
            }
            let first = pairs.iter().position(|(_, faster)| *faster);
            f.faster_than_sequential.push(Crossover {
                strategy: name.clone(),
                first_faster: first.map(|i| pairs[i].0.to_string()),
                not_faster_above: first.map_or(Vec::new(), |i| {
                    pairs[i + 1..]
                        .iter()
                        .filter(|(_, faster)| !faster)
                        .map(|(v, _)| v.to_string())
                        .collect()
                }),
                compared: pairs.iter().map(|(v, _)| v.to_string()).collect(),
            });
        }
    }
    let mut unmeasured: Vec<&Point> = s.points.iter().filter(|p| p.median_ns.is_none()).collect();
    unmeasured.sort_by_key(|p| (p.strategy.clone(), s.index(&p.parameter)));
    f.not_measured = unmeasured
        .into_iter()
        .map(|p| NotMeasured {
            strategy: p.strategy.clone(),
            parameter: p.parameter.clone(),
            reason: p.reason(),
        })
        .collect();
    f
}

/// `⌈160/20⌉ × 20 ms = 160 ms` for the point of `strategy` at `parameter`, when it has an ideal.
fn ideal_formula(s: &Sweep, strategy: &str, parameter: &str) -> Option<String> {
    let p = s
        .points
        .iter()
        .find(|p| p.strategy == strategy && p.parameter == parameter)?;
    let latency = p.ideal_latency_ms?;
    let measured = if p.latency_ms == Some(latency) {
        ""
    } else {
        " (measured)"
    };
    Some(format!(
        "⌈{}/{}⌉ × {} ms{measured} = {}",
        p.jobs?,
        p.concurrency?,
        fmt_latency(latency),
        fmt_ns(p.ideal_ns?)
    ))
}

/// `1 value`, `5 values`.
fn count(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn sentences(s: &Sweep) -> Vec<String> {
    let f = &s.findings;
    let k = s.parameter;
    let mut out = Vec::new();
    if s.points.iter().all(|p| p.median_ns.is_none()) {
        out.push(format!("Nothing in {} was measured.", s.group));
    }
    for b in &f.best {
        let mut line = format!(
            "`{}`: best at {} ({}, {})",
            b.strategy,
            k.phrase(&b.parameter),
            fmt_ns(b.median_ns.point),
            fmt_ci(&b.median_ns)
        );
        let others: Vec<String> = b
            .indistinguishable
            .iter()
            .filter(|v| **v != b.parameter)
            .cloned()
            .collect();
        if others.is_empty() {
            line.push_str("; no other value's CI overlaps it");
        } else {
            line.push_str(&format!(
                "; {} are indistinguishable (their CIs overlap the best's)",
                s.span(&b.indistinguishable)
            ));
        }
        if let (Some(e), Some(ideal)) = (b.efficiency, ideal_formula(s, &b.strategy, &b.parameter))
        {
            line.push_str(&format!(
                "; there it reaches {} of the ideal {ideal}",
                fmt_pct(e.point)
            ));
        }
        line.push('.');
        out.push(line);
    }
    for a in &f.at_largest {
        let mut line = format!(
            "`{}`: {} in {} ({})",
            a.strategy,
            k.phrase(&a.parameter),
            fmt_ns(a.median_ns.point),
            fmt_ci(&a.median_ns)
        );
        if let (Some(e), Some(ideal)) = (a.efficiency, ideal_formula(s, &a.strategy, &a.parameter))
        {
            line.push_str(&format!(", {} of the ideal {ideal}", fmt_pct(e.point)));
        }
        if !a.not_measured_above.is_empty() {
            line.push_str(&format!(
                "; not measured at {}",
                s.span(&a.not_measured_above)
            ));
        }
        line.push('.');
        out.push(line);
    }
    if let Some(server) = &f.server {
        let c = &server.capacity;
        out.push(format!(
            "The mock server answers {} requests/s ({} requests, {} in flight; cb-server-capacity.json).",
            fmt_value(&format!("{:.0}", c.requests_per_s)),
            c.requests,
            c.in_flight
        ));
        if server.at_zero.is_empty() {
            out.push(format!(
                "No strategy was measured at {}, so none is compared with that capacity.",
                k.phrase("0")
            ));
        }
        if let Some(over) = server
            .at_zero
            .iter()
            .find(|l| l.share_of_capacity.point > 1.0)
        {
            out.push(format!(
                "`{}` exceeds the measured capacity at {}: that measurement ({} requests in flight) underestimates what the server sustains with more in flight, so these shares overstate how close each strategy is to the server's real limit.",
                over.strategy,
                k.phrase("0"),
                c.in_flight
            ));
        }
        for l in &server.at_zero {
            out.push(format!(
                "At {}: `{}` completes {} requests/s = {} of that capacity (CI {}–{}){}.",
                k.phrase("0"),
                l.strategy,
                fmt_value(&format!("{:.0}", l.requests_per_s.point)),
                fmt_pct(l.share_of_capacity.point),
                fmt_pct(l.share_of_capacity.lower),
                fmt_pct(l.share_of_capacity.upper),
                if l.server_bound {
                    format!(
                        " — server-bound (≥ {}): this point measures the server, not the strategy",
                        fmt_pct(SERVER_BOUND)
                    )
                } else if l.possibly_server_bound {
                    format!(
                        " — possibly server-bound (its CI reaches {})",
                        fmt_pct(SERVER_BOUND)
                    )
                } else {
                    String::new()
                }
            ));
        }
    } else if k == ParameterKind::Latency && s.kind.as_deref() == Some("io") {
        out.push(format!(
            "No {} in the group's directory: the server's capacity at 0 ms is unknown.",
            meta::CAPACITY_FILE
        ));
    }
    for c in &f.faster_than_sequential {
        let range = s.span(&c.compared);
        out.push(match &c.first_faster {
            None => format!(
                "`{}` is never significantly faster than `{SEQUENTIAL}` in this range ({range} {}).",
                c.strategy,
                s.parameter_name
            ),
            Some(v) => {
                let mut line = if c.compared.first() == Some(v) {
                    format!(
                        "`{}` is significantly faster than `{SEQUENTIAL}` (CI entirely below) already at {}, the smallest compared",
                        c.strategy,
                        k.phrase(v)
                    )
                } else {
                    format!(
                        "`{}` overtakes `{SEQUENTIAL}` at {} (first value where its CI lies entirely below)",
                        c.strategy,
                        k.phrase(v)
                    )
                };
                if !c.not_faster_above.is_empty() {
                    line.push_str(&format!(
                        ", but not at {}",
                        c.not_faster_above
                            .iter()
                            .map(|v| fmt_value(v))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                line.push('.');
                line
            }
        });
    }
    if !f.not_measured.is_empty() {
        // Grouped by strategy: "`thread_pool` at 1000–10,000 requests".
        let mut by_strategy: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for n in &f.not_measured {
            by_strategy
                .entry(&n.strategy)
                .or_default()
                .push(n.parameter.clone());
        }
        out.push(format!(
            "Not measured (reasons under the chart): {}.",
            by_strategy
                .iter()
                .map(|(strategy, values)| format!(
                    "`{strategy}` at {}",
                    k.phrase_of(&s.span(values))
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    out
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
