//! The files concurrency-bench writes beside Criterion's output and `target-report` reads,
//! defined once for both: the suite serializes these types, the report deserializes them, so a
//! field that changes on one side is a compile error on the other.
//!
//! - [`META_FILE`] ([`Meta`]), [`TIMELINE_FILE`] ([`Timeline`]) and [`FAULTS_FILE`] ([`Faults`])
//!   in each benchmark's baseline directory, `<group>/<function>[/<value>]/<baseline>/`, and
//!   for a sweep point [`CPU_FILE`] ([`CpuSamples`]) there too;
//! - [`ROUNDS_FILE`] ([`Rounds`]) in each group's baseline directory, `<group>/<baseline>/`;
//! - [`CAPACITY_FILE`] ([`ServerCapacity`]) in a sweep group's directory, `<group>/`.
//!
//! Every file carries [`SCHEMA`]. Reading is tolerant: unknown fields are ignored and fields
//! added after the first version default when absent, so a newer suite does not break an older
//! report. (`cb-calibration.json` is not here: only `target-report` writes and reads it.)

#![warn(missing_docs)]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The version of the files' layout; bumped when a field changes meaning.
pub const SCHEMA: u32 = 1;

/// File name of [`Meta`] inside a benchmark's baseline directory.
pub const META_FILE: &str = "cb-meta.json";
/// File name of [`Timeline`] inside a benchmark's baseline directory.
pub const TIMELINE_FILE: &str = "cb-timeline.json";
/// File name of [`Faults`] inside a benchmark's baseline directory.
pub const FAULTS_FILE: &str = "cb-faults.json";
/// File name of [`CpuSamples`] inside a sweep point's baseline directory.
pub const CPU_FILE: &str = "cb-cpu.json";
/// File name of [`Rounds`] inside a group's baseline directory.
pub const ROUNDS_FILE: &str = "cb-rounds.json";
/// File name of [`ServerCapacity`] inside a sweep group's directory (per group, not per
/// baseline).
pub const CAPACITY_FILE: &str = "cb-server-capacity.json";

/// `cb-meta.json`: what one benchmark measured — enough to compute speed-ups and the ideal
/// time ⌈N/C⌉·L without guessing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// [`SCHEMA`].
    pub schema: u32,
    /// Criterion group id, e.g. `io/download`.
    pub group: String,
    /// Criterion function id: the strategy's name.
    pub function: String,
    /// The strategy that ran, e.g. `thread_pool`.
    pub strategy: String,
    /// `cpu` or `io`.
    pub kind: String,
    /// The workload's name, e.g. `download` or `sum_of_squares`.
    pub workload: String,
    /// Jobs per iteration (N).
    pub jobs: u64,
    /// Elementary steps per iteration (Criterion's `Throughput::Elements`).
    pub elements: u64,
    /// Jobs in flight at once (C).
    pub concurrency: u64,
    /// The embedded server's configured latency per request in ms (L); `None` for CPU work and
    /// for a server the suite did not start.
    pub latency_ms: Option<f64>,
    /// Cores available to the run.
    pub cores: u64,
    /// `CB_WORKERS`: threads in the thread pools.
    pub workers: u64,
    /// `CB_PROCESSES`: processes in the process pools.
    pub processes: u64,
    /// What one request to the server really takes, in ms (the median of a few sequential
    /// requests, measured before the benchmarks; for a sweep point, after it): L plus the
    /// server's timer slack and the HTTP round trip.
    #[serde(default)]
    pub server_latency_ms: Option<f64>,
    /// The swept parameter's value, for `sweep/...` groups (Criterion's `<value>` directory).
    #[serde(default)]
    pub parameter: Option<u64>,
    /// Why a planned benchmark was not measured, when it was not.
    #[serde(default)]
    pub skipped: Option<String>,
    /// For one of the tutorial's CPython programs (`cargo bench --bench python`): the
    /// interpreter and its packages, e.g. `CPython 3.11.7 (aiohttp 3.14.5, requests 2.34.2)`.
    /// `None` for the suite's Rust strategies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python: Option<String>,
    /// For a CPython program: the Rust strategy of the same group that does what it does, e.g.
    /// `thread_pool` for `threading`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rust_counterpart: Option<String>,
    /// For a CPU benchmark of the suite: whether its executable had the kernels' placement
    /// pinned (every kernel 64-byte aligned, as `.cargo/config.toml` makes it; `false` when a
    /// `RUSTFLAGS` replaced those flags). `None` in files written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement_pinned: Option<bool>,
}

impl Meta {
    /// The ideal wall time ⌈N/C⌉·L in nanoseconds for a latency of `latency_ms`: N jobs, C at a
    /// time, each taking exactly L. `None` without jobs, without concurrency, or without a
    /// positive latency.
    pub fn ideal_ns(&self, latency_ms: f64) -> Option<f64> {
        if self.jobs == 0 || self.concurrency == 0 || !(latency_ms.is_finite() && latency_ms > 0.0)
        {
            return None;
        }
        let waves = self.jobs.div_ceil(self.concurrency);
        Some(waves as f64 * latency_ms * 1e6)
    }

    /// [`Meta::ideal_ns`] at the configured latency `latency_ms`, for I/O benchmarks.
    pub fn configured_ideal_ns(&self) -> Option<f64> {
        self.latency_ms
            .and_then(|latency_ms| self.ideal_ns(latency_ms))
    }
}

/// One job's run in a [`Timeline`]: who ran it and when, in nanoseconds since the run began.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// The job's index in the workload.
    pub job: u64,
    /// The worker's row: thread, task slot or process, numbered from 0 by the strategy.
    pub worker: u64,
    /// When the job started.
    pub start_ns: u64,
    /// When the job ended.
    pub end_ns: u64,
}

/// `cb-timeline.json`: one more run of a benchmark's strategy, untimed, with every job's span.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// [`SCHEMA`].
    pub schema: u32,
    /// Criterion group id.
    pub group: String,
    /// Criterion function id.
    pub function: String,
    /// From the start of the run to the last job's end.
    pub wall_ns: u64,
    /// Every job's span, in job order.
    pub spans: Vec<Span>,
}

impl Timeline {
    /// Distinct worker ids in ascending order: the Gantt chart's rows.
    pub fn workers(&self) -> Vec<u64> {
        let mut workers: Vec<u64> = self.spans.iter().map(|span| span.worker).collect();
        workers.sort_unstable();
        workers.dedup();
        workers
    }

    /// Sum of job durations ÷ (rows × wall time): how busy the workers were.
    pub fn utilisation(&self) -> f64 {
        let rows = self.workers().len() as f64;
        if rows == 0.0 || self.wall_ns == 0 {
            return 0.0;
        }
        let busy: u64 = self
            .spans
            .iter()
            .map(|span| span.end_ns - span.start_ns)
            .sum();
        busy as f64 / (rows * self.wall_ns as f64)
    }
}

/// `cb-faults.json`: a benchmark run with `CB_FAULTS` — what the clients saw fail and what the
/// server injected meanwhile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Faults {
    /// [`SCHEMA`].
    pub schema: u32,
    /// Criterion group id.
    #[serde(default)]
    pub group: String,
    /// Criterion function id.
    #[serde(default)]
    pub function: String,
    /// The fault spec, as `CB_FAULTS` gave it, e.g. `error:0.05,reset:0.02`.
    pub faults: String,
    /// `CB_TIMEOUT_MS`: the request timeout.
    pub timeout_ms: u64,
    /// Runs of the workload counted (warm-up and measurement).
    pub runs: u64,
    /// Downloads attempted in those runs.
    pub downloads: u64,
    /// Failed downloads seen by the clients, by kind (`status`, `connection`, `timeout`, ...).
    pub failed: BTreeMap<String, u64>,
    /// Faults the server injected meanwhile, by kind (`error`, `reset`, `stall`), and `ok`.
    pub injected: BTreeMap<String, u64>,
}

/// `cb-rounds.json`: how one run measured a group in interleaved rounds — every strategy one
/// sample per round, in a fresh shuffled order each round.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rounds {
    /// [`SCHEMA`].
    pub schema: u32,
    /// Criterion group id.
    pub group: String,
    /// The strategy the others are compared with (`sequential`); `None` when the run did not
    /// measure it (a filter that left it out).
    #[serde(default)]
    pub reference: Option<String>,
    /// `CB_ORDER_SEED` or the seed taken from the clock; the orders derive from it and the
    /// group id.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Every round, in the order they ran.
    pub rounds: Vec<Round>,
    /// Function ids whose samples could not be replayed into Criterion and were measured live
    /// (their `sample.json` holds those live samples, not the rounds').
    #[serde(default)]
    pub fallback: Vec<String>,
}

/// One round of [`Rounds`]: every measured strategy once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Round {
    /// The function ids in the order they ran.
    #[serde(default)]
    pub order: Vec<String>,
    /// Their samples, in the same order.
    pub samples: Vec<RoundSample>,
}

/// One sample of one strategy in one round: `iters` iterations that took `ns` nanoseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoundSample {
    /// Criterion function id (the strategy).
    pub function: String,
    /// Iterations in the sample. Read from any JSON number that is a whole count (`3` or
    /// `3.0`: Criterion's own `sample.json` writes counts as floats).
    #[serde(deserialize_with = "whole_count")]
    pub iters: u64,
    /// Total time of those iterations, in nanoseconds.
    pub ns: f64,
    /// The CPU time the sample consumed, by who spent it; `None` where it was not recorded
    /// (`CB_CPU_TIME=off`, not Linux, files written before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<SampleCpu>,
}

impl RoundSample {
    /// Whether the sample measured something: at least one iteration in a finite, positive time.
    /// A reader refuses a file with a sample that did not.
    pub fn is_measured(&self) -> bool {
        self.iters > 0 && self.ns.is_finite() && self.ns > 0.0
    }
}

/// `cb-cpu.json`: the samples of one benchmark that Criterion measured live (a sweep point, not
/// measured in rounds), each with the CPU time it consumed — the same samples, in the same
/// order, as Criterion's `sample.json` of that baseline (its warm-up calls are not among them).
/// Written only when some sample has its [`RoundSample::cpu`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CpuSamples {
    /// [`SCHEMA`].
    pub schema: u32,
    /// Criterion group id, e.g. `sweep/io_requests`.
    pub group: String,
    /// Criterion function id: the strategy's name.
    pub function: String,
    /// The swept parameter's value (Criterion's `<value>` directory), for a sweep point.
    #[serde(default)]
    pub parameter: Option<u64>,
    /// The samples in the order they ran, each `function` the benchmark's.
    pub samples: Vec<RoundSample>,
}

/// The CPU time one [`RoundSample`] consumed, split by who spent it, each part user and
/// system apart. Read from Linux's `/proc` just before and just after the sample (outside its
/// timing) as whole clock ticks ([`SampleCpu::tick_ns`], 10 ms at the usual `USER_HZ` of 100);
/// each value is the difference of two such readings, converted to nanoseconds.
///
/// One sample's values are therefore coarse: a part that spent 4 ms shows 0 or 10 ms, and a
/// part computed as a difference of separately rounded readings (the client's) can even be one
/// tick below zero. The rounding is as likely to go either way, so sums over many samples are
/// right: estimate CPU per iteration as (sum of CPU) ÷ (sum of iterations) over all of a
/// strategy's samples, never as a mean of per-sample ratios.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleCpu {
    /// Nanoseconds per clock tick of the readings (`1e9 / sysconf(_SC_CLK_TCK)`): every value
    /// below is a whole number of them.
    pub tick_ns: u64,
    /// The suite's own threads (the client side): the whole process (threads that ended during
    /// the sample included) minus the embedded server's threads.
    pub client: CpuTime,
    /// The embedded mock server: its threads in this process, or its process when it runs as
    /// a child. `None` when the suite started no server (CPU groups, `CB_TARGET_URL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<CpuTime>,
    /// Worker processes: the process pool's workers alive around the sample, and the children
    /// reaped during it (a cold pool's, started and ended within the sample).
    pub workers: CpuTime,
}

/// CPU time in nanoseconds, user and system apart; signed, being a difference of rounded
/// readings (see [`SampleCpu`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuTime {
    /// Time spent running the program's own code.
    pub user_ns: i64,
    /// Time the kernel spent on its behalf (system calls, page faults).
    pub system_ns: i64,
}

impl CpuTime {
    /// User plus system.
    pub fn total_ns(&self) -> i64 {
        self.user_ns + self.system_ns
    }
}

impl std::ops::Add for CpuTime {
    type Output = CpuTime;

    fn add(self, other: CpuTime) -> CpuTime {
        CpuTime {
            user_ns: self.user_ns + other.user_ns,
            system_ns: self.system_ns + other.system_ns,
        }
    }
}

impl std::ops::Sub for CpuTime {
    type Output = CpuTime;

    fn sub(self, other: CpuTime) -> CpuTime {
        CpuTime {
            user_ns: self.user_ns - other.user_ns,
            system_ns: self.system_ns - other.system_ns,
        }
    }
}

/// A count written as an integer or as a float with no fractional part.
fn whole_count<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    struct WholeCount;

    impl serde::de::Visitor<'_> for WholeCount {
        type Value = u64;

        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            formatter.write_str("a whole, non-negative number")
        }

        fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<u64, E> {
            Ok(value)
        }

        fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<u64, E> {
            u64::try_from(value)
                .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(value), &self))
        }

        fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<u64, E> {
            if value >= 0.0 && value.fract() == 0.0 && value < u64::MAX as f64 {
                Ok(value as u64)
            } else {
                Err(E::invalid_value(serde::de::Unexpected::Float(value), &self))
            }
        }
    }

    deserializer.deserialize_any(WholeCount)
}

impl Rounds {
    /// The samples of `function`, round by round (rounds without one are left out).
    pub fn samples_of(&self, function: &str) -> Vec<&RoundSample> {
        self.rounds
            .iter()
            .flat_map(|round| round.samples.iter())
            .filter(|sample| sample.function == function)
            .collect()
    }

    /// Per-iteration times of `function` in ns, round by round (`None` in a round it is missing
    /// from).
    pub fn per_iteration(&self, function: &str) -> Vec<Option<f64>> {
        self.rounds
            .iter()
            .map(|round| {
                round
                    .samples
                    .iter()
                    .find(|sample| sample.function == function)
                    .map(|sample| sample.ns / sample.iters as f64)
            })
            .collect()
    }
}

/// `cb-server-capacity.json`: how many requests per second the embedded server answers at zero
/// latency. A strategy whose throughput comes close to it measures the server, not itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerCapacity {
    /// [`SCHEMA`].
    pub schema: u32,
    /// Requests sent in the measurement.
    pub requests: u64,
    /// Requests in flight at once.
    pub in_flight: u64,
    /// Requests answered (and checked) per second.
    pub requests_per_s: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(jobs: u64, concurrency: u64, latency_ms: Option<f64>) -> Meta {
        Meta {
            schema: SCHEMA,
            group: "io/download".into(),
            function: "thread_pool".into(),
            strategy: "thread_pool".into(),
            kind: "io".into(),
            workload: "download".into(),
            jobs,
            elements: jobs,
            concurrency,
            latency_ms,
            server_latency_ms: None,
            cores: 2,
            workers: 5,
            processes: 2,
            parameter: None,
            skipped: None,
            python: None,
            rust_counterpart: None,
            placement_pinned: None,
        }
    }

    #[test]
    fn ideal_rounds_up_the_number_of_waves() {
        // 160 jobs, 5 at a time: 32 waves of 20 ms.
        assert_eq!(meta(160, 5, None).ideal_ns(20.0), Some(640e6));
        // 161 jobs need a 33rd wave.
        assert_eq!(meta(161, 5, None).ideal_ns(20.0), Some(660e6));
        assert_eq!(meta(160, 0, None).ideal_ns(20.0), None);
        assert_eq!(meta(160, 5, None).ideal_ns(0.0), None);
        assert_eq!(meta(160, 5, Some(20.0)).configured_ideal_ns(), Some(640e6));
        assert_eq!(meta(160, 5, None).configured_ideal_ns(), None);
    }

    #[test]
    fn unknown_fields_are_ignored_and_later_fields_are_optional() {
        let text = r#"{"schema":1,"group":"g","function":"f","strategy":"f","kind":"io",
            "workload":"w","jobs":4,"elements":4,"concurrency":2,"latency_ms":null,"cores":2,
            "workers":5,"processes":2,"future_field":[1,2],"server_latency_ms":2.5}"#;
        let m: Meta = serde_json::from_str(text).unwrap();
        assert_eq!(m.server_latency_ms, Some(2.5));
        assert_eq!(m.latency_ms, None);
        assert_eq!(m.parameter, None);

        let text = r#"{"schema":1,"group":"g","rounds":[{"samples":[
            {"function":"a","iters":2,"ns":10.0}]},{"samples":[
            {"function":"a","iters":4.0,"ns":10.0}]}]}"#;
        let r: Rounds = serde_json::from_str(text).unwrap();
        assert_eq!((&r.reference, r.seed, r.fallback.len()), (&None, None, 0));
        assert_eq!(r.per_iteration("a"), vec![Some(5.0), Some(2.5)]);
        assert_eq!(r.per_iteration("b"), vec![None, None]);
        assert_eq!(r.rounds[0].samples[0].cpu, None);
        let fractional = text.replace("4.0", "4.5");
        assert!(serde_json::from_str::<Rounds>(&fractional).is_err());
    }

    #[test]
    fn samples_carry_their_cpu_time_only_when_it_was_recorded() {
        let mut sample = RoundSample {
            function: "a".into(),
            iters: 2,
            ns: 10.0,
            cpu: None,
        };
        let text = serde_json::to_string(&sample).unwrap();
        assert_eq!(text, r#"{"function":"a","iters":2,"ns":10.0}"#);
        let cpu = SampleCpu {
            tick_ns: 10_000_000,
            client: CpuTime {
                user_ns: 20_000_000,
                system_ns: -10_000_000,
            },
            server: None,
            workers: CpuTime::default(),
        };
        sample.cpu = Some(cpu);
        let text = serde_json::to_string(&sample).unwrap();
        assert!(!text.contains("server"), "{text}");
        assert_eq!(serde_json::from_str::<RoundSample>(&text).unwrap(), sample);
        assert_eq!(cpu.client.total_ns(), 10_000_000);
        let sum = cpu.client + cpu.client - cpu.workers;
        assert_eq!((sum.user_ns, sum.system_ns), (40_000_000, -20_000_000));
    }

    #[test]
    fn cpu_samples_read_with_criterion_style_counts_and_without_a_parameter() {
        let text = r#"{"schema":1,"group":"sweep/io_requests","function":"async_tokio",
            "samples":[{"function":"async_tokio","iters":3.0,"ns":1.5e8,"cpu":{"tick_ns":10000000,
            "client":{"user_ns":10000000,"system_ns":0},"workers":{"user_ns":0,"system_ns":0}}}]}"#;
        let file: CpuSamples = serde_json::from_str(text).unwrap();
        assert_eq!(file.parameter, None);
        assert_eq!(file.samples[0].iters, 3);
        let cpu = file.samples[0].cpu.unwrap();
        assert_eq!((cpu.client.total_ns(), cpu.server), (10_000_000, None));
        let back: CpuSamples =
            serde_json::from_str(&serde_json::to_string(&file).unwrap()).unwrap();
        assert_eq!(back, file);
    }

    #[test]
    fn timeline_rows_and_utilisation() {
        let span = |worker, start_ns, end_ns| Span {
            job: 0,
            worker,
            start_ns,
            end_ns,
        };
        let timeline = Timeline {
            schema: SCHEMA,
            group: "g".into(),
            function: "f".into(),
            wall_ns: 100,
            spans: vec![span(1, 0, 50), span(0, 0, 100), span(1, 50, 100)],
        };
        assert_eq!(timeline.workers(), vec![0, 1]);
        assert!((timeline.utilisation() - 1.0).abs() < 1e-12);
    }
}
