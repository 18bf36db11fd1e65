//! CPU time per iteration, split by who spent it, from the `cpu` fields the suite writes on
//! each sample of a group's `cb-rounds.json` ([`load`]) and of a sweep point's `cb-cpu.json`
//! ([`load_benchmark`]: the samples Criterion measured live) ([`cb_schema::SampleCpu`],
//! recorded unless `CB_CPU_TIME=off`, on Linux only): the suite's own threads (**client**), the
//! embedded mock server (**server**) and the worker processes (**workers**: the process pool's,
//! and for the python bench its interpreter), each user and system apart. Both go through one
//! estimator, [`samples_cpu`].
//!
//! Why sums, not per-sample ratios: the suite reads `/proc`'s counters, which move in whole
//! clock ticks (10 ms), before and after each sample, so a sample that spent 4 ms of server
//! time shows 0 or 10 ms. The rounding is as likely to go either way, so over all of a
//! strategy's samples, (sum of CPU) ÷ (sum of iterations) converges on the truth while a mean
//! of per-sample ratios would not be better and a median would be wrong (0 here).
//!
//! Intervals: 95% percentile bootstrap over the samples (a strategy has one sample per round,
//! a sweep point one per Criterion sample; whole samples are resampled with replacement,
//! [`stats::BOOTSTRAP_RESAMPLES`] times, from a SplitMix64 stream seeded by the group and
//! strategy, and the parameter of a sweep point, so the same file gives the same intervals), each estimate recomputed as a ratio of sums. Each interval is then widened, if
//! needed, to at least ± 1.96 · tick · √(n/6) ÷ (sum of the denominator) around the point: the
//! spread the rounding alone gives n samples (each reading rounds down by a fraction of a tick
//! spread evenly, so a difference of two readings is off by a triangular error of SD tick/√6).
//! Without it, a part that never reached a tick in any sample would get the interval [0, 0]
//! although its true time could be anywhere below about a tick per sample.

use std::path::Path;

use serde::Serialize;

use crate::criterion::load_optional;
use crate::error::{Error, Result};
use crate::meta::check_schema;
use crate::rounds::Rounds;
use crate::stats::{self, Interval, SplitMix64};
use cb_schema::{CpuSamples, CpuTime, RoundSample, SampleCpu, CPU_FILE};

/// The z of a two-sided 95% normal interval, for the rounding's floor (see the module docs).
const Z_95: f64 = 1.959_964;

/// One part's CPU time (user plus system, and each apart) per iteration, and the cores it
/// kept busy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PartCpu {
    /// CPU time (user + system) per iteration, ns: the sum over the strategy's samples of
    /// this part's CPU time ÷ the sum of their iterations.
    pub per_iteration_ns: Interval,
    /// User time per iteration, ns (the program's own code), likewise.
    pub user_ns: Interval,
    /// System time per iteration, ns (the kernel on its behalf: system calls, page faults),
    /// likewise. `user_ns` and `system_ns` add up to `per_iteration_ns`.
    pub system_ns: Interval,
    /// Cores kept busy on average: this part's CPU time ÷ the wall time of the same samples
    /// (their `ns`, the timed region). 1 is one core busy throughout; for all parts together
    /// it can be at most the cores the machine has.
    pub cores: Interval,
}

/// A strategy's CPU time per iteration by who spent it, from its samples in the rounds (or, for
/// a sweep point, Criterion's samples).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrategyCpu {
    /// The Criterion function id (the strategy).
    pub function: String,
    /// Samples with CPU fields the estimates come from (one per round, or per Criterion sample
    /// of a sweep point).
    pub samples: usize,
    /// Their iterations, summed: every per-iteration figure's denominator.
    pub iterations: u64,
    /// Their timed wall time, summed, ns: every `cores` figure's denominator.
    pub wall_ns: f64,
    /// The clock tick of the readings, ns (10 ms): the resolution of one sample's values.
    pub tick_ns: u64,
    /// The suite's own threads: the client side of the work (and, for CPU work, the work).
    pub client: PartCpu,
    /// The embedded server; `None` when the run had none (CPU groups, `CB_TARGET_URL`).
    pub server: Option<PartCpu>,
    /// The worker processes (process pool, python interpreter) and children reaped during
    /// the samples; 0 for strategies without processes.
    pub workers: PartCpu,
    /// All three together: `total.cores` is how many cores the strategy kept busy on average
    /// while it was measured, `total.per_iteration_ns` what one iteration cost in CPU.
    pub total: PartCpu,
}

/// Loads `<group_dir>/<baseline>/cb-rounds.json` with [`Rounds::load`] and estimates every
/// strategy's CPU time ([`group_cpu`]). `Ok(None)` without a rounds file; an empty list when
/// it has no CPU fields (`CB_CPU_TIME=off`, not Linux, or a suite from before them).
pub fn load(group_dir: &Path, baseline: &str) -> Result<Option<Vec<StrategyCpu>>> {
    Ok(Rounds::load(group_dir, baseline)?.map(|rounds| group_cpu(&rounds)))
}

/// Loads `<bench_dir>/<baseline>/cb-cpu.json` (a sweep point's samples as Criterion measured
/// them) and estimates its CPU time ([`samples_cpu`]). `Ok(None)` without the file (a run with
/// `CB_CPU_TIME=off`, `--quick`, not on Linux, a benchmark measured in rounds, a suite from
/// before it) or when no sample has CPU fields. A file that cannot be read, of another schema,
/// or with a sample of another function or without positive iterations and time is an error
/// naming it.
pub fn load_benchmark(bench_dir: &Path, baseline: &str) -> Result<Option<StrategyCpu>> {
    let path = bench_dir.join(baseline).join(CPU_FILE);
    let Some(file) = load_optional::<CpuSamples>(&path)? else {
        return Ok(None);
    };
    check_schema(&path, file.schema)?;
    let bad = file
        .samples
        .iter()
        .find(|s| s.function != file.function || !s.is_measured());
    if let Some(s) = bad {
        return Err(Error::at(
            &path,
            format!(
                "corrupt CPU samples: a sample of `{}` in the file of `{}` (each needs its \
                 function and positive iters and ns)",
                s.function, file.function
            ),
        ));
    }
    let label = match file.parameter {
        Some(value) => format!("cpu {}/{}/{value}", file.group, file.function),
        None => format!("cpu {}/{}", file.group, file.function),
    };
    Ok(samples_cpu(&file.function, &file.samples, &label))
}

/// [`strategy_cpu`] of every function of `rounds` that has CPU fields, in the order the
/// functions first appear.
pub fn group_cpu(rounds: &cb_schema::Rounds) -> Vec<StrategyCpu> {
    let mut functions: Vec<&str> = Vec::new();
    for sample in rounds.rounds.iter().flat_map(|round| &round.samples) {
        if !functions.contains(&sample.function.as_str()) {
            functions.push(&sample.function);
        }
    }
    functions
        .into_iter()
        .filter_map(|function| strategy_cpu(rounds, function))
        .collect()
}

/// `function`'s CPU time per iteration and cores busy in `rounds` ([`samples_cpu`] of its
/// samples there). `None` when none of its samples has CPU fields.
pub fn strategy_cpu(rounds: &cb_schema::Rounds, function: &str) -> Option<StrategyCpu> {
    let label = format!("cpu {}/{function}", rounds.group);
    samples_cpu(function, rounds.samples_of(function), &label)
}

/// The CPU time per iteration and cores busy of `function` from its `samples` (those without
/// CPU fields are left out), by part, with 95% intervals (see the module docs) whose bootstrap
/// is seeded by `seed_label` ([`stats::seed_for`]). `None` when no sample has CPU fields.
pub fn samples_cpu<'a>(
    function: &str,
    samples: impl IntoIterator<Item = &'a RoundSample>,
    seed_label: &str,
) -> Option<StrategyCpu> {
    let measured: Vec<(&RoundSample, &SampleCpu)> = samples
        .into_iter()
        .filter_map(|sample| Some((sample, sample.cpu.as_ref()?)))
        .collect();
    if measured.is_empty() {
        return None;
    }
    let rows: Vec<Row> = measured.iter().map(|&(s, cpu)| Row::of(s, cpu)).collect();
    let tick_ns = measured
        .iter()
        .map(|(_, cpu)| cpu.tick_ns)
        .max()
        .unwrap_or(0);
    let has_server = measured.iter().any(|(_, cpu)| cpu.server.is_some());
    let seed = stats::seed_for(seed_label);
    let estimates = bootstrap(&rows, tick_ns, stats::BOOTSTRAP_RESAMPLES, seed);
    let total = Row::sum(&rows);
    Some(StrategyCpu {
        function: function.to_owned(),
        samples: rows.len(),
        iterations: total.iters as u64,
        wall_ns: total.wall_ns,
        tick_ns,
        client: estimates[Part::Client as usize],
        server: has_server.then_some(estimates[Part::Server as usize]),
        workers: estimates[Part::Workers as usize],
        total: estimates[Part::Total as usize],
    })
}

/// The parts estimated, in the order of [`Row::parts`].
#[derive(Clone, Copy)]
enum Part {
    Client,
    Server,
    Workers,
    Total,
}

const PARTS: usize = 4;

/// One sample as numbers: iterations, wall time, and each part's user and system time (ns).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Row {
    iters: f64,
    wall_ns: f64,
    parts: [(f64, f64); PARTS],
}

impl Row {
    fn of(sample: &RoundSample, cpu: &SampleCpu) -> Row {
        let pair = |time: CpuTime| (time.user_ns as f64, time.system_ns as f64);
        let server = cpu.server.unwrap_or_default();
        Row {
            iters: sample.iters as f64,
            wall_ns: sample.ns,
            parts: [
                pair(cpu.client),
                pair(server),
                pair(cpu.workers),
                pair(cpu.client + server + cpu.workers),
            ],
        }
    }

    fn add(&mut self, other: &Row) {
        self.iters += other.iters;
        self.wall_ns += other.wall_ns;
        for (sum, part) in self.parts.iter_mut().zip(other.parts) {
            sum.0 += part.0;
            sum.1 += part.1;
        }
    }

    fn sum(rows: &[Row]) -> Row {
        let mut total = Row::default();
        for row in rows {
            total.add(row);
        }
        total
    }

    /// Each part's four ratios of sums: total, user and system per iteration, cores.
    fn ratios(&self) -> [[f64; 4]; PARTS] {
        self.parts.map(|(user, system)| {
            [
                (user + system) / self.iters,
                user / self.iters,
                system / self.iters,
                (user + system) / self.wall_ns,
            ]
        })
    }
}

/// Every part's estimates with percentile-bootstrap intervals over `rows` (whole samples
/// resampled), floored by the rounding's spread at `tick_ns` (see the module docs).
fn bootstrap(rows: &[Row], tick_ns: u64, resamples: usize, seed: u64) -> [PartCpu; PARTS] {
    let total = Row::sum(rows);
    let points = total.ratios();
    let mut draws: Vec<[[f64; 4]; PARTS]> = Vec::with_capacity(resamples);
    let mut rng = SplitMix64::new(seed);
    for _ in 0..resamples {
        let mut resample = Row::default();
        for _ in 0..rows.len() {
            resample.add(&rows[rng.below(rows.len())]);
        }
        draws.push(resample.ratios());
    }
    let n = rows.len() as f64;
    // The rounding's spread of a sum of n differences, in ns.
    let rounding = Z_95 * tick_ns as f64 * (n / 6.0).sqrt();
    let floors = [rounding / total.iters; 3]
        .into_iter()
        .chain([rounding / total.wall_ns]);
    let floors: Vec<f64> = floors.collect();
    std::array::from_fn(|part| {
        let interval = |stat: usize| {
            let mut values: Vec<f64> = draws.iter().map(|draw| draw[part][stat]).collect();
            widened(points[part][stat], &mut values, floors[stat])
        };
        PartCpu {
            per_iteration_ns: interval(0),
            user_ns: interval(1),
            system_ns: interval(2),
            cores: interval(3),
        }
    })
}

/// The 95% percentile interval of `values` around `point`, at least `floor` either side.
fn widened(point: f64, values: &mut [f64], floor: f64) -> Interval {
    values.sort_unstable_by(f64::total_cmp);
    let tail = (1.0 - stats::CONFIDENCE) / 2.0 * 100.0;
    let (lower, upper) = match values.is_empty() {
        true => (point, point),
        false => (
            stats::percentile_sorted(values, tail),
            stats::percentile_sorted(values, 100.0 - tail),
        ),
    };
    Interval {
        point,
        lower: lower.min(point - floor),
        upper: upper.max(point + floor),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cb_schema::Round;

    const TICK: u64 = 10_000_000;

    fn time(user_ns: i64, system_ns: i64) -> CpuTime {
        CpuTime { user_ns, system_ns }
    }

    fn sample(function: &str, iters: u64, ns: f64, cpu: Option<SampleCpu>) -> RoundSample {
        RoundSample {
            function: function.into(),
            iters,
            ns,
            cpu,
        }
    }

    fn rounds(samples: Vec<Vec<RoundSample>>) -> cb_schema::Rounds {
        cb_schema::Rounds {
            schema: 1,
            group: "io/g".into(),
            reference: None,
            seed: Some(1),
            rounds: samples
                .into_iter()
                .map(|samples| Round {
                    order: samples.iter().map(|s| s.function.clone()).collect(),
                    samples,
                })
                .collect(),
            fallback: vec![],
        }
    }

    fn cpu(client: CpuTime, server: Option<CpuTime>, workers: CpuTime) -> SampleCpu {
        SampleCpu {
            tick_ns: TICK,
            client,
            server,
            workers,
        }
    }

    fn close(x: f64, y: f64) -> bool {
        (x - y).abs() <= 1e-9 * y.abs().max(1.0)
    }

    #[test]
    fn per_iteration_is_a_ratio_of_sums_and_cores_divide_by_wall_time() {
        // Round 1: 2 iterations in 100 ms, client 20+10 ms, server 10 ms, workers 0.
        // Round 2: 4 iterations in 200 ms, client 40+0 ms, server 20 ms, workers 10 ms.
        let ms = |x: i64| x * 1_000_000;
        let r = rounds(vec![
            vec![sample(
                "a",
                2,
                100e6,
                Some(cpu(time(ms(20), ms(10)), Some(time(0, ms(10))), time(0, 0))),
            )],
            vec![sample(
                "a",
                4,
                200e6,
                Some(cpu(time(ms(40), 0), Some(time(ms(20), 0)), time(ms(10), 0))),
            )],
        ]);
        let a = strategy_cpu(&r, "a").unwrap();
        assert_eq!((a.samples, a.iterations, a.tick_ns), (2, 6, TICK));
        assert!(close(a.wall_ns, 300e6));
        assert!(close(a.client.per_iteration_ns.point, ms(70) as f64 / 6.0));
        assert!(close(a.client.user_ns.point, ms(60) as f64 / 6.0));
        assert!(close(a.client.system_ns.point, ms(10) as f64 / 6.0));
        assert!(close(
            a.server.unwrap().per_iteration_ns.point,
            ms(30) as f64 / 6.0
        ));
        assert!(close(a.workers.per_iteration_ns.point, ms(10) as f64 / 6.0));
        assert!(close(a.total.per_iteration_ns.point, ms(110) as f64 / 6.0));
        assert!(close(a.total.cores.point, 110.0 / 300.0));
        assert!(close(a.client.cores.point, 70.0 / 300.0));
        for part in [a.client, a.server.unwrap(), a.workers, a.total] {
            for i in [
                part.per_iteration_ns,
                part.user_ns,
                part.system_ns,
                part.cores,
            ] {
                assert!(i.lower <= i.point && i.point <= i.upper, "{i:?}");
            }
        }
    }

    #[test]
    fn ticks_that_come_in_some_samples_average_out_with_an_honest_interval() {
        // A server spending 3 ms per sample of 1 iteration: with 10 ms ticks, 3 samples in 10
        // see a tick and the others none (in some order), over 40 rounds.
        let samples: Vec<Vec<RoundSample>> = (0..40)
            .map(|i| {
                let server = if i % 10 < 3 { TICK as i64 } else { 0 };
                let cpu = cpu(time(0, 0), Some(time(server, 0)), time(0, 0));
                vec![sample("a", 1, 20e6, Some(cpu))]
            })
            .collect();
        let a = strategy_cpu(&rounds(samples), "a").unwrap();
        let server = a.server.unwrap().per_iteration_ns;
        assert!(close(server.point, 3e6));
        assert!(server.contains(3e6) && server.lower > 0.5e6 && server.upper < 6e6);
        // The client saw nothing, but its interval still says what ticks can hide.
        let client = a.client.per_iteration_ns;
        assert_eq!(client.point, 0.0);
        let floor = Z_95 * TICK as f64 * (40.0_f64 / 6.0).sqrt() / 40.0;
        assert!(close(client.upper, floor) && close(client.lower, -floor));
    }

    #[test]
    fn intervals_are_seeded_and_strategies_without_cpu_fields_are_left_out() {
        let samples: Vec<Vec<RoundSample>> = (0..12)
            .map(|i| {
                let client = time((i % 4) * TICK as i64, TICK as i64);
                vec![
                    sample("a", 3, 50e6, Some(cpu(client, None, time(0, 0)))),
                    sample("old", 3, 50e6, None),
                ]
            })
            .collect();
        let r = rounds(samples);
        let all = group_cpu(&r);
        assert_eq!(all.len(), 1);
        assert_eq!(all[0], strategy_cpu(&r, "a").unwrap());
        assert_eq!(all[0].server, None);
        assert_eq!(strategy_cpu(&r, "old"), None);
        assert_eq!(strategy_cpu(&r, "missing"), None);
        let client = all[0].client.per_iteration_ns;
        assert!(client.lower < client.point && client.point < client.upper);
    }

    #[test]
    fn a_rounds_file_is_read_through_the_rounds_reader() {
        let dir = std::env::temp_dir().join(format!("cb-cpu-time-{}", std::process::id()));
        let baseline = dir.join("new");
        std::fs::create_dir_all(&baseline).unwrap();
        assert_eq!(load(&dir, "new").unwrap(), None);
        let c = cpu(time(TICK as i64, 0), None, time(0, 0));
        let r = rounds(vec![vec![sample("a", 2, 40e6, Some(c))]]);
        let text = serde_json::to_string(&r).unwrap();
        std::fs::write(baseline.join(cb_schema::ROUNDS_FILE), text).unwrap();
        let loaded = load(&dir, "new").unwrap().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(loaded, vec![strategy_cpu(&r, "a").unwrap()]);
        assert!(close(loaded[0].total.cores.point, 0.25));
    }

    /// A temporary benchmark directory, `<tmp>/<name>-<pid>/`, with its `new/` baseline.
    fn bench_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("new")).unwrap();
        dir
    }

    #[test]
    fn a_missing_cpu_file_is_none_and_a_corrupt_one_an_error_naming_it() {
        let dir = bench_dir("cb-cpu-file-bad");
        assert_eq!(load_benchmark(&dir, "new").unwrap(), None);
        let path = dir.join("new").join(CPU_FILE);
        let bad = |text: &str| {
            std::fs::write(&path, text).unwrap();
            let error = load_benchmark(&dir, "new").unwrap_err();
            assert_eq!(error.path.as_deref(), Some(path.as_path()), "{error}");
            error.to_string()
        };
        bad("{\"schema\":1,\"group\":");
        let valid = |schema: u32, function: &str, iters: u64| {
            let c = cpu(time(TICK as i64, 0), None, time(0, 0));
            serde_json::to_string(&CpuSamples {
                schema,
                group: "sweep/io_requests".into(),
                function: "async_tokio".into(),
                parameter: Some(10),
                samples: vec![sample(function, iters, 40e6, Some(c))],
            })
            .unwrap()
        };
        assert!(bad(&valid(2, "async_tokio", 1)).contains("unsupported schema 2"));
        assert!(bad(&valid(1, "async_tokio", 0)).contains("corrupt CPU samples"));
        assert!(bad(&valid(1, "thread_pool", 1)).contains("`thread_pool`"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_cpu_file_gives_ratios_of_sums_like_the_rounds() {
        // Two samples of 3 iterations in 150 ms each: client 10+10 ms, then 20+0 ms; server 10
        // ms, then none; workers none; a third sample without CPU fields is left out.
        let ms = |x: i64| x * 1_000_000;
        let samples = vec![
            sample(
                "async_tokio",
                3,
                150e6,
                Some(cpu(time(ms(10), ms(10)), Some(time(ms(10), 0)), time(0, 0))),
            ),
            sample(
                "async_tokio",
                3,
                150e6,
                Some(cpu(time(ms(20), 0), Some(time(0, 0)), time(0, 0))),
            ),
            sample("async_tokio", 3, 150e6, None),
        ];
        let dir = bench_dir("cb-cpu-file-good");
        let file = CpuSamples {
            schema: 1,
            group: "sweep/io_requests".into(),
            function: "async_tokio".into(),
            parameter: Some(10),
            samples: samples.clone(),
        };
        let path = dir.join("new").join(CPU_FILE);
        std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();
        let loaded = load_benchmark(&dir, "new").unwrap().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(loaded.function, "async_tokio");
        assert_eq!((loaded.samples, loaded.iterations), (2, 6));
        assert!(close(loaded.wall_ns, 300e6));
        assert!(close(
            loaded.client.per_iteration_ns.point,
            ms(40) as f64 / 6.0
        ));
        assert!(close(loaded.client.user_ns.point, ms(30) as f64 / 6.0));
        assert!(close(loaded.client.system_ns.point, ms(10) as f64 / 6.0));
        let server = loaded.server.unwrap();
        assert!(close(server.per_iteration_ns.point, ms(10) as f64 / 6.0));
        assert!(close(
            loaded.total.per_iteration_ns.point,
            ms(50) as f64 / 6.0
        ));
        assert!(close(loaded.total.cores.point, 50.0 / 300.0));
        // The same estimator as the rounds': the same samples in rounds give the same points.
        let in_rounds = rounds(samples.into_iter().map(|s| vec![s]).collect());
        let from_rounds = strategy_cpu(&in_rounds, "async_tokio").unwrap();
        assert_eq!(
            from_rounds.total.per_iteration_ns.point,
            loaded.total.per_iteration_ns.point
        );
        assert_eq!(from_rounds.client.cores.point, loaded.client.cores.point);
    }
}
