//! Interleaved rounds: how a group's strategies are measured so that load that comes and goes
//! lands on all of them alike instead of on the comparisons.
//!
//! 1. Planning warm-up: each selected strategy runs (real, verified runs) with 1, 2, 4, …
//!    iterations until the group's warm-up time has passed; its last batch gives its time per
//!    iteration t, and its iterations per sample are k = max(2, round(sample target / t)):
//!    Criterion's flat sampling prints "Unable to complete N samples" whenever it plans one
//!    iteration per sample, so no strategy gets fewer than two.
//! 2. R rounds (R = the group's sample count): in each round every selected strategy takes one
//!    sample of k verified iterations, in a fresh shuffled order (mock-server's [`SplitMix64`],
//!    seeded by `CB_ORDER_SEED` or the clock, mixed with the group's id). A load that starts
//!    halfway slows half of *every* strategy's samples, not all of one strategy's. Around each
//!    sample, outside its timing, the CPU time it consumed is read and kept with it, split into
//!    the suite's threads, the server and the worker processes ([`crate::cpu_time`];
//!    `CB_CPU_TIME=off` skips it).
//! 3. The samples go to Criterion unchanged through `iter_custom` ([`measure_group`]), so its
//!    `sample.json` holds exactly the (iters, ns) pairs of `cb-rounds.json` ([`RoundsFile`]).
//!
//! Handing samples over (Criterion 0.8.2, Flat sampling, `routine.rs` and `lib.rs`): Criterion
//! first warms up, calling the routine with 1, 2, 4, … iterations until the summed *wall* time
//! of the calls (its own `Instant` around each call) passes the warm-up time, and asks for
//! ceil((measurement time / n) / met) iterations per sample, met being the warm-up's wall time
//! per iteration. With a warm-up time of 1 ns there is exactly one warm-up call (iters = 1); it
//! waits D ([`pause`]) precisely ([`wait_precisely`]), so met = D·(1 + δ) with δ the wait's
//! relative overshoot. With the measurement time set to n·D·k, Criterion asks for
//! ceil(k / (1 + δ)) iterations, which is k while the overshoot stays below D/(k − 1)
//! ([`overshoot_tolerance`]; never early, so never k + 1). Every measurement call for k
//! iterations then returns the next measured sample. If Criterion's first call is not that
//! 1-iteration warm-up, or it then asks for another count, nothing is scaled or faked: that
//! strategy is measured live for Criterion's requests (real verified runs), listed in the file's
//! `fallback`, and one warning line says so (with how late the warm-up call ended).
//!
//! How large k can be: D is 1 ms + 100 ms·(k − 1), at most 1 s, so the tolerance is 100 ms up
//! to k = 11 and 1 s/(k − 1) beyond. A plain `thread::sleep` ends 0.1–0.2 ms late (timer slack and
//! wake-up), which capped replay at k ≈ 5,000 even on an idle machine. The wait therefore
//! sleeps all but its last [`SPIN_TAIL`] and spins on `Instant` through the deadline: while its
//! thread holds a CPU at the deadline it ends within one clock reading of it. Measured through
//! Criterion (`CRITERION_DEBUG=1 cargo test -p concurrency-bench --test main
//! rounds::handoff::samples_of_tens -- --nocapture`, its warm-up wall time against D = 1 s, 12
//! runs, the 2-core machine busy with other builds): 2.7–5.0 µs late, most of it Criterion's own
//! call around the wait. With a 10 µs budget, replay holds up to k = 1 + 1 s/10 µs ≈ 100,000
//! iterations per sample. What no wait can promise is a CPU at the deadline: with two busy loops
//! beside other builds on the two cores, 17 of 22 such warm-ups ended 0.9–12.4 ms late (the
//! thread woke from its sleep only after the deadline, or was preempted while spinning; ticks
//! are 4 ms at 250 Hz), beyond the tolerance for any k ≳ 80. Such a strategy falls back to live
//! measuring under that load, and its warning line says that its thread had no CPU at the
//! deadline.
//!
//! Modes in which Criterion does not measure (`--test`, `--list`, `--profile-time`,
//! `--load-baseline`) and `--quick` (Criterion's own adaptive sampling) run the strategies live,
//! in order, as Criterion asks — no rounds.

use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{AxisScale, BenchmarkGroup, PlotConfiguration, SamplingMode};

use mock_server::SplitMix64;

use crate::config::Config;
use crate::cpu_time;
use crate::criterion_args::CriterionArgs;
use crate::error::{self, Error};
use crate::output::{SideFiles, SCHEMA};
use crate::turns;

/// `cb-rounds.json` and its parts, as [`cb_schema`] defines them for the suite and the report.
pub use cb_schema::{Round, RoundSample as Sample, Rounds as RoundsFile, ROUNDS_FILE};

mod replay;
pub use replay::{
    bench_replay, overshoot_tolerance, pause, replay_measurement_time, wait_precisely, Answer,
    Replay, Wait, SPIN_TAIL,
};

/// The order of `count` strategies (indices) in each of `rounds` rounds: every index once per
/// round, freshly shuffled each round, the same for the same `seed` and `group`.
pub fn round_orders(count: usize, rounds: usize, seed: u64, group: &str) -> Vec<Vec<usize>> {
    let mut rng = SplitMix64::new(seed ^ fnv1a(group));
    (0..rounds)
        .map(|_| {
            let mut order: Vec<usize> = (0..count).collect();
            rng.shuffle(&mut order);
            order
        })
        .collect()
}

/// A stable hash of a group id, so that each group of one run gets its own orders.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xCBF2_9CE4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01B3)
    })
}

/// A seed from the clock, for runs without `CB_ORDER_SEED`: 53 bits, so that it survives any
/// JSON reader that keeps numbers as doubles.
pub fn seed_from_clock() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    SplitMix64::new(now.as_nanos() as u64).next_u64() >> 11
}

/// How one group is measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Criterion group id, e.g. `cpu/sum_of_squares`.
    pub group: String,
    /// Samples per strategy: the rounds (`CB_SAMPLES`, else the group's own).
    pub samples: usize,
    /// Target time of one sample (`CB_SAMPLE_MS`, else the group's own).
    pub sample_target: Duration,
    /// How long the planning warm-up of each strategy runs.
    pub warm_up: Duration,
    /// The seed of the round orders (`CB_ORDER_SEED`, else from the clock).
    pub seed: u64,
    /// The fewest iterations per sample (`CB_MIN_ITERS`, else [`MIN_ITERS_PER_SAMPLE`]).
    pub min_iters: u64,
    /// Whether each sample records its CPU time (`CB_CPU_TIME`, [`crate::cpu_time`]).
    pub cpu_time: bool,
    /// The turn coordinator to wait for before each measuring call (`CB_TURNS`,
    /// [`crate::turns`]); `None`: no waiting.
    pub turns: Option<String>,
}

impl Plan {
    /// The plan of `group`: its own `samples` and `sample_target` unless `CB_SAMPLES` /
    /// `CB_SAMPLE_MS` override them.
    pub fn new(
        group: &str,
        config: &Config,
        samples: usize,
        sample_target: Duration,
        warm_up: Duration,
    ) -> Plan {
        Plan {
            group: group.to_owned(),
            samples: config.samples.unwrap_or(samples),
            sample_target: config
                .sample_ms
                .map_or(sample_target, Duration::from_millis),
            warm_up,
            seed: config.order_seed.unwrap_or_else(seed_from_clock),
            min_iters: config.min_iters,
            cpu_time: config.cpu_time,
            turns: config.turns.clone(),
        }
    }
}

/// The fewest iterations per sample by default: at one, Criterion's flat sampling warns that
/// it is "Unable to complete N samples" (Criterion 0.8.2 `lib.rs`, `iteration_counts`),
/// whatever the measurement time. `CB_MIN_ITERS=1` accepts that warning for half the time of
/// a strategy slower than its sample target (`target-report ab` does, in its rounds).
pub const MIN_ITERS_PER_SAMPLE: u64 = crate::config::DEFAULT_MIN_ITERS;

/// Iterations per sample for a strategy that takes `per_iteration`: as many as fit in
/// `target`, rounded, at least [`MIN_ITERS_PER_SAMPLE`].
pub fn iters_per_sample(target: Duration, per_iteration: Duration) -> u64 {
    iters_per_sample_at_least(target, per_iteration, MIN_ITERS_PER_SAMPLE)
}

/// [`iters_per_sample`], at least `min` (at least 1).
pub fn iters_per_sample_at_least(target: Duration, per_iteration: Duration, min: u64) -> u64 {
    let min = min.max(1);
    if per_iteration.is_zero() {
        return min;
    }
    let ratio = target.as_secs_f64() / per_iteration.as_secs_f64();
    (ratio.round() as u64).max(min)
}

/// Medians per iteration spanning more than this factor get a logarithmic summary axis: on a
/// linear one the fast strategies are dots at zero.
pub const LOG_AXIS_SPAN: f64 = 10.0;

/// The summary plots' axis for strategies whose median times per iteration are `medians`:
/// logarithmic when they span more than [`LOG_AXIS_SPAN`].
pub fn summary_scale(medians: &[f64]) -> AxisScale {
    let positive = medians.iter().copied().filter(|median| *median > 0.0);
    let (low, high) = positive.fold((f64::INFINITY, 0.0_f64), |(low, high), median| {
        (low.min(median), high.max(median))
    });
    if high > low * LOG_AXIS_SPAN {
        AxisScale::Logarithmic
    } else {
        AxisScale::Linear
    }
}

/// What one measuring call of a strategy does: runs `iters` verified iterations and returns
/// how long they took, or why a run failed.
pub type Measure<'a> = Box<dyn FnMut(u64) -> Result<Duration, Error> + 'a>;

/// One strategy of a group: its Criterion function name and how to measure it.
pub struct Job<'a> {
    /// The Criterion function id (the strategy's name).
    pub name: String,
    /// Runs and times iterations.
    pub measure: Measure<'a>,
}

impl<'a> Job<'a> {
    /// A job named `name` measured by `measure`.
    pub fn new(name: &str, measure: impl FnMut(u64) -> Result<Duration, Error> + 'a) -> Job<'a> {
        Job {
            name: name.to_owned(),
            measure: Box::new(measure),
        }
    }
}

/// The measuring function of one benchmark iteration: times `iters` calls of `iteration`
/// (which runs the workload and checks every result), each followed by `slowdown`'s sleep
/// inside the timing (`CB_TEST_SLOWDOWN`). The first failure ends the measurement.
pub fn timed<T, E: Into<Error>>(
    slowdown: Option<Duration>,
    mut iteration: impl FnMut() -> Result<T, E>,
) -> impl FnMut(u64) -> Result<Duration, Error> {
    move |iters| {
        let start = Instant::now();
        for _ in 0..iters {
            std::hint::black_box(iteration().map_err(Into::into)?);
            if let Some(pause) = slowdown {
                std::thread::sleep(pause);
            }
        }
        Ok(start.elapsed())
    }
}

/// Each function's median time per iteration in nanoseconds in `record`, in the order the
/// functions first appear.
pub fn medians_per_iteration(record: &RoundsFile) -> Vec<f64> {
    let mut functions: Vec<&str> = Vec::new();
    for sample in record.rounds.iter().flat_map(|round| &round.samples) {
        if !functions.contains(&sample.function.as_str()) {
            functions.push(&sample.function);
        }
    }
    functions
        .into_iter()
        .map(|function| {
            let mut times: Vec<f64> = record
                .samples_of(function)
                .iter()
                .map(|sample| sample.ns / sample.iters.max(1) as f64)
                .collect();
            times.sort_by(f64::total_cmp);
            // The middle one, or the mean of the middle two.
            let count = times.len();
            (times[(count - 1) / 2] + times[count / 2]) / 2.0
        })
        .collect()
}

/// The planning warm-up of one strategy: runs 1, 2, 4, … iterations until `warm_up` has
/// passed; returns the time per iteration of the last batch (the earlier ones pay for first
/// use: page faults, thread start-up, connections).
/// With a `coordinator` ([`Plan::turns`]) each call waits for this process's turn first.
pub fn warm_up(
    measure: &mut Measure<'_>,
    warm_up: Duration,
    coordinator: Option<&str>,
) -> Result<Duration, Error> {
    let mut iters = 1u64;
    let mut total = Duration::ZERO;
    loop {
        turns::take(coordinator)?;
        let elapsed = measure(iters)?;
        total += elapsed;
        if total >= warm_up || iters >= 1 << 40 {
            return Ok(Duration::from_secs_f64(
                elapsed.as_secs_f64() / iters as f64,
            ));
        }
        iters *= 2;
    }
}

/// Measures `jobs` in `plan.samples` rounds, `iters[i]` iterations per sample for job `i`,
/// each round in a fresh shuffled order. `reference` names the group's reference strategy.
pub fn run_rounds(
    plan: &Plan,
    jobs: &mut [&mut Job<'_>],
    iters: &[u64],
    reference: Option<&str>,
) -> Result<RoundsFile, Error> {
    let orders = round_orders(jobs.len(), plan.samples, plan.seed, &plan.group);
    let mut rounds = Vec::with_capacity(orders.len());
    for order in orders {
        let mut samples = Vec::with_capacity(order.len());
        for &index in &order {
            let job = &mut jobs[index];
            // Outside the CPU-time reading: waiting for a turn costs no CPU, and it is not
            // the sample's.
            turns::take(plan.turns.as_deref())?;
            // The CPU time is read outside the sample's own timing, which `measure` takes.
            let (elapsed, cpu) = cpu_time::around(plan.cpu_time, || (job.measure)(iters[index]));
            samples.push(Sample {
                function: job.name.clone(),
                iters: iters[index],
                ns: elapsed?.as_nanos() as f64,
                cpu,
            });
        }
        rounds.push(Round {
            order: order
                .iter()
                .map(|&index| jobs[index].name.clone())
                .collect(),
            samples,
        });
    }
    Ok(RoundsFile {
        schema: SCHEMA,
        group: plan.group.clone(),
        reference: reference
            .filter(|name| jobs.iter().any(|job| job.name == *name))
            .map(str::to_owned),
        seed: Some(plan.seed),
        rounds,
        fallback: Vec::new(),
    })
}

/// Measures one group, then finishes it: interleaved rounds handed to Criterion when
/// Criterion measures (`args.interleaves()`), else each job live as Criterion asks. `group` must
/// be the Criterion group of `plan.group`; jobs keep their order in Criterion's report. Writes
/// (or, without rounds, removes a stale) `cb-rounds.json` in the group's baseline directories.
/// Returns the names of the jobs Criterion measured or ran, or the first failed run: never
/// timed as if it had worked.
pub fn measure_group(
    mut group: BenchmarkGroup<'_, WallTime>,
    args: &CriterionArgs,
    plan: &Plan,
    reference: Option<&str>,
    jobs: Vec<Job<'_>>,
    side_files: &SideFiles,
) -> Result<Vec<String>, Error> {
    match measure_jobs(&mut group, args, plan, reference, jobs, side_files) {
        Ok(measured) => {
            group.finish();
            Ok(measured)
        }
        Err(error) => {
            // Dropping (finishing) a group writes its summary and prints a separator, as after
            // a complete group: a failed run stops with its error line and nothing more.
            std::mem::forget(group);
            Err(error)
        }
    }
}

/// [`measure_group`] before the group is finished.
fn measure_jobs(
    group: &mut BenchmarkGroup<'_, WallTime>,
    args: &CriterionArgs,
    plan: &Plan,
    reference: Option<&str>,
    mut jobs: Vec<Job<'_>>,
    side_files: &SideFiles,
) -> Result<Vec<String>, Error> {
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(plan.samples);
    if !args.interleaves() {
        return measure_live(group, plan, jobs, side_files);
    }

    let selected: Vec<bool> = jobs
        .iter()
        .map(|job| args.selects(&format!("{}/{}", plan.group, job.name)))
        .collect();
    let mut chosen: Vec<&mut Job<'_>> = jobs
        .iter_mut()
        .zip(&selected)
        .filter_map(|(job, &selected)| selected.then_some(job))
        .collect();
    let record = match chosen.is_empty() {
        true => None,
        false => Some(rounds_of(plan, &mut chosen, reference)?),
    };
    drop(chosen);
    if let Some(record) = &record {
        let scale = summary_scale(&medians_per_iteration(record));
        group.plot_config(PlotConfiguration::default().summary_scale(scale));
    }

    group.warm_up_time(Duration::from_nanos(1));
    let mut measured = Vec::new();
    let mut fallback = Vec::new();
    for job in &mut jobs {
        let samples = record
            .as_ref()
            .map(|record| record.samples_of(&job.name))
            .unwrap_or_default();
        let ran = match samples.first() {
            Some(first) => {
                let times = samples
                    .iter()
                    .map(|sample| Duration::from_nanos(sample.ns as u64));
                let mut replay = Replay::new(first.iters, times);
                let ran = bench_replay(group, plan, job, &mut replay)?;
                if replay.fell_back() {
                    fallback.push(job.name.clone());
                }
                ran
            }
            // Not selected: Criterion does not call it (were it to, it is measured live).
            None => bench_live(group, job)?,
        };
        if ran {
            measured.push(job.name.clone());
        }
    }
    if let Some(mut record) = record {
        record.fallback = fallback;
        side_files.write_group_file(&plan.group, ROUNDS_FILE, &record)?;
    }
    Ok(measured)
}

/// Without rounds: each job measured live as Criterion asks (`--quick`), or run as it asks
/// (`--test`, `--list`, …).
fn measure_live(
    group: &mut BenchmarkGroup<'_, WallTime>,
    plan: &Plan,
    mut jobs: Vec<Job<'_>>,
    side_files: &SideFiles,
) -> Result<Vec<String>, Error> {
    group
        .warm_up_time(plan.warm_up)
        .measurement_time(plan.sample_target * plan.samples as u32);
    let mut measured = Vec::new();
    for job in &mut jobs {
        if bench_live(group, job)? {
            measured.push(job.name.clone());
        }
    }
    // Criterion replaced this group's samples without rounds (`--quick`): rounds an earlier
    // run left would no longer describe them.
    if !measured.is_empty() {
        side_files.remove_group_file(&plan.group, ROUNDS_FILE)?;
    }
    Ok(measured)
}

/// Planning warm-up and rounds of the selected jobs, with one line saying what is coming.
fn rounds_of(
    plan: &Plan,
    jobs: &mut [&mut Job<'_>],
    reference: Option<&str>,
) -> Result<RoundsFile, Error> {
    let mut iters = Vec::with_capacity(jobs.len());
    let mut round_seconds = 0.0;
    for job in jobs.iter_mut() {
        let per_iteration = warm_up(&mut job.measure, plan.warm_up, plan.turns.as_deref())?;
        let count = iters_per_sample_at_least(plan.sample_target, per_iteration, plan.min_iters);
        round_seconds += per_iteration.as_secs_f64() * count as f64;
        iters.push(count);
    }
    eprintln!(
        "{}: {} in {} interleaved rounds, about {:.0} s (order seed {}); then Criterion \
         analyses those samples (its \"estimated\" times below are not measuring)",
        plan.group,
        match jobs.len() {
            1 => "1 strategy".to_owned(),
            count => format!("{count} strategies"),
        },
        plan.samples,
        round_seconds * plan.samples as f64,
        plan.seed
    );
    run_rounds(plan, jobs, &iters, reference)
}

/// Lets Criterion measure a job itself; returns whether Criterion called it, or the failed run
/// that ended Criterion's measuring.
fn bench_live(group: &mut BenchmarkGroup<'_, WallTime>, job: &mut Job<'_>) -> Result<bool, Error> {
    let mut ran = false;
    let name = job.name.clone();
    error::catch(|| {
        group.bench_function(&name, |b| {
            ran = true;
            b.iter_custom(|iters| live(job, iters))
        });
    })?;
    Ok(ran)
}

/// A measuring call inside Criterion's routine, which has no way to return a failed run: it
/// escapes to the [`error::catch`] around the Criterion call.
fn live(job: &mut Job<'_>, iters: u64) -> Duration {
    (job.measure)(iters).unwrap_or_else(|failed| error::escape(failed))
}
