//! The summary's model of one workload: a table of measured strategies ([`Row`]) with their
//! medians, throughput, speed-up against [`SEQUENTIAL`] and I/O efficiency, what could not be
//! measured, and the "which to use" [`Advice`]. Built by the summary's reader
//! (`summary::build`); read by the sweeps, the exporters and `summary.json`.

use serde::Serialize;

use super::pairing::{Pairing, PairingNote};
use super::physics::MeasurementDefect;
use super::python::RustVsPython;
use crate::meta::{self, Meta, Timeline};
use crate::rounds::Drift;
use crate::stats::Interval;

/// The function name that speed-ups are measured against.
pub const SEQUENTIAL: &str = "sequential";

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
    /// The speed-ups not paired by round, one note per reason (none when all are paired).
    pub unpaired: Vec<PairingNote>,
    /// The "which to use" verdict computed from the rows.
    pub advice: Advice,
    /// Whether every row was measured in the same interleaved rounds of one run (the group's
    /// `cb-rounds.json` holds each row's samples): then every speed-up comes from rounds paired
    /// with the reference. Otherwise each row's [`Row::pairing`] says which are.
    pub interleaved: bool,
    /// How the reference's speed changed during the rounds, when they hold its samples.
    pub drift: Option<Drift>,
    /// Strategies measured with other settings than the table's (an older or filtered run):
    /// shown apart and compared with nothing.
    pub set_apart: Vec<SetApart>,
    /// In a group of `cargo bench --bench python`: the CPython programs beside their Rust
    /// counterparts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rust_vs_python: Option<RustVsPython>,
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
    /// Where the speed-up comes from: rounds paired within one run, or why not; `None` with
    /// no speed-up.
    pub pairing: Option<Pairing>,
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
    /// CPU work: a speed-up above what the cores and jobs in flight allow, which the summary
    /// names instead of reporting (absent from `summary.json` when there is none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measurement_defect: Option<MeasurementDefect>,
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
