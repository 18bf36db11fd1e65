//! A sweep's findings as data, computed from its points: the best value per strategy
//! (workers), the median at the largest value (requests), the load against the mock server's
//! measured capacity, where strategies overtake `sequential`, and what was not measured.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{number, ParameterKind, Point, Sweep};
use crate::meta::ServerCapacity;
use crate::stats::Interval;
use crate::summary::table::SEQUENTIAL;

/// Throughput at or above this share of the server's capacity is called server-bound.
pub const SERVER_BOUND: f64 = 0.8;

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

/// Two intervals share at least one value.
fn overlap(a: &Interval, b: &Interval) -> bool {
    a.lower <= b.upper && b.lower <= a.upper
}

/// The findings of `s`, each list empty when it does not apply to its parameter.
pub(super) fn findings(s: &Sweep, capacity: Option<ServerCapacity>) -> Findings {
    let mut f = Findings::default();
    if s.parameter == ParameterKind::Workers {
        f.best = best_per_strategy(s);
    }
    if s.parameter == ParameterKind::Requests {
        f.at_largest = at_largest_per_strategy(s);
    }
    if let Some(capacity) = capacity {
        let at_zero = load_at_zero(s, &capacity);
        f.server = Some(ServerFinding { capacity, at_zero });
    }
    let has_seq = s.strategies.iter().any(|n| n == SEQUENTIAL);
    let has_process_pool = s.strategies.iter().any(|n| n.starts_with("process_pool"));
    if has_seq && has_process_pool {
        f.faster_than_sequential = crossovers(s);
    }
    f.not_measured = not_measured(s);
    f
}

/// The measured points a finding may be drawn from: not the measurement defects.
fn plausible(measured: Vec<(&Point, Interval)>) -> Vec<(&Point, Interval)> {
    measured.into_iter().filter(|(p, _)| !p.defect).collect()
}

/// Per strategy, the value with the lowest median and the values whose CI overlaps it.
fn best_per_strategy(s: &Sweep) -> Vec<Best> {
    let mut best = Vec::new();
    for name in &s.strategies {
        let measured = plausible(s.measured(name));
        let Some(&(best_p, median)) = measured
            .iter()
            .min_by(|a, b| a.1.point.total_cmp(&b.1.point))
        else {
            continue;
        };
        best.push(Best {
            strategy: name.clone(),
            parameter: best_p.parameter.clone(),
            median_ns: median,
            indistinguishable: measured
                .iter()
                .filter(|(_, m)| overlap(m, &median))
                .map(|(p, _)| p.parameter.clone())
                .collect(),
            ideal_ns: best_p.ideal_ns,
            efficiency: best_p.efficiency,
        });
    }
    best
}

/// Per strategy, the median at the largest value it was measured at.
fn at_largest_per_strategy(s: &Sweep) -> Vec<AtLargest> {
    let mut at_largest = Vec::new();
    for name in &s.strategies {
        let measured = s.measured(name);
        let Some(&(p, m)) = measured.last() else {
            continue;
        };
        let at = s.index(&p.parameter);
        at_largest.push(AtLargest {
            strategy: name.clone(),
            parameter: p.parameter.clone(),
            median_ns: m,
            efficiency: p.efficiency,
            not_measured_above: s.values[at + 1..].to_vec(),
        });
    }
    at_largest
}

/// Each strategy's throughput at parameter 0 (N ÷ median) as a share of the server's capacity.
fn load_at_zero(s: &Sweep, capacity: &ServerCapacity) -> Vec<ServerLoad> {
    s.points
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
                possibly_server_bound: share.point < SERVER_BOUND && share.upper >= SERVER_BOUND,
            })
        })
        .collect()
}

/// Per strategy other than `sequential`, the first value where its CI lies entirely below
/// `sequential`'s at the same value.
fn crossovers(s: &Sweep) -> Vec<Crossover> {
    let seq: BTreeMap<&str, Interval> = s
        .measured(SEQUENTIAL)
        .into_iter()
        .map(|(p, m)| (p.parameter.as_str(), m))
        .collect();
    let mut out = Vec::new();
    for name in s.strategies.iter().filter(|n| *n != SEQUENTIAL) {
        let pairs: Vec<(&str, bool)> = plausible(s.measured(name))
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
        out.push(Crossover {
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
    out
}

/// Every point without a measurement, by strategy then value, with the bench's reason.
fn not_measured(s: &Sweep) -> Vec<NotMeasured> {
    let mut unmeasured: Vec<&Point> = s.points.iter().filter(|p| p.median_ns.is_none()).collect();
    unmeasured.sort_by_key(|p| (p.strategy.clone(), s.index(&p.parameter)));
    unmeasured
        .into_iter()
        .map(|p| NotMeasured {
            strategy: p.strategy.clone(),
            parameter: p.parameter.clone(),
            reason: p.reason(),
        })
        .collect()
}
