//! What `benches/cpu.rs` and `benches/io.rs` do with each group: measure its strategies in
//! interleaved rounds, hand them to Criterion, then write each measured strategy's side files.

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::BenchmarkGroup;

use crate::criterion_args::CriterionArgs;
use crate::error::Error;
use crate::output::SideFiles;
use crate::rounds::{self, Job, Plan};
use crate::strategy::Strategy;
use crate::workload::cpu::Kernel;

/// How a group is sampled unless `CB_SAMPLES` / `CB_SAMPLE_MS` say otherwise (the README's
/// "Defaults", which a test holds to these values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sampling {
    /// Samples per benchmark: the group's interleaved rounds.
    pub samples: usize,
    /// Target time of one sample.
    pub sample_target: Duration,
}

/// `cpu/<kernel>`: more samples for the short sum-of-squares runs (tens of ms, several per
/// sample, so a tight interval is cheap) than for fib (hundreds of ms per run, two runs per
/// sample: the fewest that Criterion does not warn about), so that the whole bench stays within
/// about two minutes on 2 cores.
pub fn cpu_sampling(kernel: Kernel) -> Sampling {
    let (samples, ms) = match kernel {
        Kernel::SumOfSquares => (20, 150),
        Kernel::Fib => (12, 400),
    };
    Sampling {
        samples,
        sample_target: Duration::from_millis(ms),
    }
}

/// `io/download`: the slow strategies take two iterations per sample (the fewest Criterion does
/// not warn about; sequential downloads take N·L ≈ 3.2 s each), the fast ones several.
pub const IO_SAMPLING: Sampling = Sampling {
    samples: 10,
    sample_target: Duration::from_millis(400),
};

/// Measures `strategies` as Criterion's `group` ([`rounds::measure_group`], with `sequential`
/// as the reference; `job_of` makes each strategy's measuring job, in `strategies`' order),
/// finishes the group, then calls `record` for each strategy Criterion measured or ran, to
/// write its side files ([`crate::output`]). Returns how many that was (none when Criterion's
/// filter selects none of them), for the bench's end
/// ([`CriterionArgs::saved_results`]). Stops at the first failed run or write.
pub fn measure_then_record<'a>(
    group: BenchmarkGroup<'_, WallTime>,
    args: &CriterionArgs,
    plan: &Plan,
    side_files: &SideFiles,
    strategies: &[Strategy],
    job_of: impl FnMut(Strategy) -> Job<'a>,
    mut record: impl FnMut(Strategy) -> Result<(), Error>,
) -> Result<usize, Error> {
    let jobs = strategies.iter().copied().map(job_of).collect();
    measure_jobs_then_record(group, args, plan, side_files, jobs, |name| {
        let strategy = strategies.iter().find(|strategy| strategy.name() == name);
        record(*strategy.expect("a job of each strategy"))
    })
}

/// [`measure_then_record`] for jobs that are not all strategies (the python bench's CPython
/// programs beside Rust strategies): `record` gets the name of each job Criterion measured;
/// returns how many there were.
pub fn measure_jobs_then_record(
    group: BenchmarkGroup<'_, WallTime>,
    args: &CriterionArgs,
    plan: &Plan,
    side_files: &SideFiles,
    jobs: Vec<Job<'_>>,
    record: impl FnMut(&str) -> Result<(), Error>,
) -> Result<usize, Error> {
    let reference = Some(Strategy::Sequential.name());
    let measured = rounds::measure_group(group, args, plan, reference, jobs, side_files)?;
    measured.iter().map(String::as_str).try_for_each(record)?;
    Ok(measured.len())
}
