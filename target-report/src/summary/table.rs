//! The summary's model of one workload: a table of measured strategies ([`Row`]) with their
//! medians, throughput, speed-up against [`SEQUENTIAL`] and I/O efficiency, what could not be
//! measured, and the "which to use" [`Advice`]; with what the summary's checks found for each
//! ratio and row: where it comes from ([`Pairing`], by `pairing.rs`), whether the hardware can
//! deliver it ([`MeasurementDefect`], by `physics.rs`), and the CPython programs beside their
//! Rust counterparts ([`RustVsPython`], by `python.rs`). Built by the summary's reader
//! (`summary::build`); read by the sweeps, the exporters and `summary.json`.

use serde::Serialize;

use crate::cpu_time::StrategyCpu;
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
    /// CPU time per iteration by who spent it, and the cores kept busy, when the row's samples
    /// are its group's rounds and those recorded CPU time ([`crate::cpu_time`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<StrategyCpu>,
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

/// Where a ratio of two rows (a speed-up: `sequential` to a strategy) comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pairing {
    /// Both sides measured in the same rounds of one run (`cb-rounds.json` holds exactly both
    /// `sample.json`s): its interval resamples whole rounds, so load that came and went is
    /// not in it.
    Paired,
    /// Both in the same rounds of one run, but fewer than
    /// [`crate::rounds::MIN_PAIRED_ROUNDS`] of them: too few to resample rounds.
    FewRounds,
    /// One run, but one side could not be replayed and was measured live after the rounds
    /// (`fallback` in `cb-rounds.json`).
    Fallback,
    /// Separate runs: the group's latest rounds hold one side's samples but not the other's.
    SeparateRuns,
    /// Neither side's samples are in the group's latest rounds: both come from earlier runs
    /// (one or two).
    OutsideRounds,
    /// The group has no rounds: Criterion measured each side live (`--quick`,
    /// `--profile-time`, a sweep point, a run from before rounds).
    NoRounds,
}

impl Pairing {
    /// The name `summary.json` gives it (`separate_runs`).
    pub fn as_str(self) -> &'static str {
        match self {
            Pairing::Paired => "paired",
            Pairing::FewRounds => "few_rounds",
            Pairing::Fallback => "fallback",
            Pairing::SeparateRuns => "separate_runs",
            Pairing::OutsideRounds => "outside_rounds",
            Pairing::NoRounds => "no_rounds",
        }
    }

    /// Whether the ratio comes from rounds paired within one run.
    pub fn is_paired(self) -> bool {
        self == Pairing::Paired
    }

    /// What the tables print beside a ratio that is not paired (nothing beside a paired one).
    pub fn mark(self) -> Option<&'static str> {
        match self {
            Pairing::Paired => None,
            Pairing::SeparateRuns => Some("separate runs"),
            _ => Some("not paired"),
        }
    }

    /// Why load that differed between the two sides can be in the ratio, as a clause ("as
    /// …"); `None` when paired.
    pub fn why_unpaired(self) -> Option<&'static str> {
        match self {
            Pairing::Paired => None,
            Pairing::FewRounds => Some("too few rounds paired the two"),
            Pairing::Fallback => Some("one of the two was measured live, after the rounds"),
            Pairing::SeparateRuns => Some("the two were measured in separate runs"),
            Pairing::OutsideRounds => Some("the two were not measured in the group's rounds"),
            Pairing::NoRounds => Some("the group was not measured in interleaved rounds"),
        }
    }
}

/// The speed-ups of a table not paired for one reason, and the sentence that explains their
/// mark.
#[derive(Debug, Clone, Serialize)]
pub struct PairingNote {
    /// Why they are not paired.
    pub pairing: Pairing,
    /// The rows whose speed-up it is, fastest first.
    pub functions: Vec<String>,
    /// The explanation, as the tables' notes show it.
    pub sentence: String,
}

/// Which limit a speed-up broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DefectKind {
    /// Above min(cores, C), with C ≥ 2.
    AboveParallelism,
    /// A strategy with one job in flight (C = 1), measurably faster than `sequential`.
    OneThreadFaster,
}

/// The likeliest reason a speed-up broke its limit, from what the row and its group say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LikelyCause {
    /// The reference drifted during the group and the speed-up is not paired by round: the two
    /// sides did not see the same machine.
    MachineChangedSpeed,
    /// A process pool: the kernel ran in `cb-worker`, a different executable.
    OtherBinary,
    /// The bench binary itself: the two sides' code placed differently.
    CodePlacement,
    /// A build whose kernels were pinned (`cb-meta.json`'s `placement_pinned`), so both sides ran
    /// the same machine code: other load on the machine slowed the one-core reference more.
    LoadOnOtherCores,
}

/// A speed-up the hardware cannot deliver, named instead of reported.
#[derive(Debug, Clone, Serialize)]
pub struct MeasurementDefect {
    /// Which limit it broke.
    pub kind: DefectKind,
    /// The limit: min(cores, C) times the speed of `sequential`.
    pub limit: u64,
    /// Cores available to the run (`cb-meta.json`).
    pub cores: u64,
    /// Jobs in flight, C (`cb-meta.json`).
    pub concurrency: u64,
    /// `physics::TOLERANCE`: the lower bound exceeded `limit × (1 + tolerance)`.
    pub tolerance: f64,
    /// The likeliest cause.
    pub cause: LikelyCause,
    /// Where the speed-up comes from; when it is not paired by round, load that came and went
    /// between the two sides is a cause too, and the sentence says so.
    pub pairing: Pairing,
    /// The defect in words, as the "which to use" section shows it.
    pub sentence: String,
}

/// A group's CPython programs beside their Rust counterparts.
#[derive(Debug, Clone, Serialize)]
pub struct RustVsPython {
    /// The interpreter, as the bench recorded it (e.g. `CPython 3.11.7 (aiohttp 3.14.5, ...)`).
    pub python: String,
    /// One pair per CPython program measured whose counterpart was measured too, in the
    /// group's order (fastest CPython program first).
    pub pairs: Vec<Pair>,
    /// CPython `threading`'s speed-up over `synchronous` beside `gil_threads`' over
    /// `sequential`, when all four were measured.
    pub gil: Option<GilCheck>,
}

/// One CPython program and its Rust counterpart.
#[derive(Debug, Clone, Serialize)]
pub struct Pair {
    /// The program's name, e.g. `threading`.
    pub program: String,
    /// Its median per iteration, ns, with Criterion's 95% interval.
    pub python_ns: Interval,
    /// The Rust strategy, e.g. `thread_pool`.
    pub counterpart: String,
    /// The counterpart's median per iteration, ns, with Criterion's 95% interval.
    pub rust_ns: Interval,
    /// `median(program) / median(counterpart)`: how many times longer CPython takes.
    pub python_over_rust: Interval,
    /// Where that ratio comes from: rounds paired within one run, or why not.
    pub pairing: Pairing,
}

/// Whether `gil_threads` behaves like the real GIL: both speed-ups, with their intervals.
#[derive(Debug, Clone, Serialize)]
pub struct GilCheck {
    /// `median(synchronous) / median(threading)`, CPython.
    pub cpython_threading: Interval,
    /// `median(sequential) / median(gil_threads)`, the emulation.
    pub gil_threads: Interval,
}

impl RustVsPython {
    /// Whether every pair's ratio comes from rounds paired within one run.
    pub fn all_paired(&self) -> bool {
        self.pairs.iter().all(|p| p.pairing.is_paired())
    }
}
