//! The README's numbers that come from the code's constants say what the code says: how many
//! iterations a sample takes at least, each group's default sampling, the rounds' warm-up wait,
//! the sweeps' table and budget, the blocking-hop comparison's sizes, and the ideal of the
//! default sequential downloads. (The Configuration table has its own test, `readme_config`.)
//! Each check names the sentence it expects, so a changed constant says which text to change.

use std::time::Duration;

use crate::util;
use concurrency_bench::bench_group::{cpu_sampling, Sampling, IO_SAMPLING};
use concurrency_bench::config::VARIABLES;
use concurrency_bench::extra_benches::blocking_hop::{
    HIGH_LATENCY_MS, LATENCIES_MS, SITES_AT_HIGH_LATENCY,
};
use concurrency_bench::extra_benches::sweep::{Sweep, POINT_BUDGET, SAMPLES as SWEEP_SAMPLES};
use concurrency_bench::rounds::{pause, MIN_ITERS_PER_SAMPLE, SPIN_TAIL};
use concurrency_bench::workload::cpu::Kernel;

/// The README with every run of whitespace one space, so that a sentence may wrap anywhere.
fn readme() -> String {
    include_str!("../README.md")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn assert_says(expected: &str) {
    assert!(
        readme().contains(expected),
        "README.md should say (whitespace aside): {expected}"
    );
}

fn ms(duration: Duration) -> u128 {
    duration.as_millis()
}

#[test]
fn the_fewest_iterations_per_sample_is_the_constant() {
    assert_says(&format!(
        "k = max({MIN_ITERS_PER_SAMPLE}, round(sample target / t))"
    ));
    let sample_ms = VARIABLES
        .iter()
        .find(|variable| variable.name == "CB_SAMPLE_MS")
        .unwrap();
    assert!(
        sample_ms
            .meaning
            .ends_with(&format!("at least `CB_MIN_ITERS` ({MIN_ITERS_PER_SAMPLE})")),
        "CB_SAMPLE_MS's meaning should end \"at least `CB_MIN_ITERS` ({MIN_ITERS_PER_SAMPLE})\": {}",
        sample_ms.meaning
    );
}

#[test]
fn the_default_sampling_of_each_group_is_the_benches() {
    let Sampling {
        samples: sums,
        sample_target: sums_target,
    } = cpu_sampling(Kernel::SumOfSquares);
    let fib = cpu_sampling(Kernel::Fib);
    assert_says(&format!(
        "Defaults: `cpu/sum_of_squares` {sums} samples of {} ms, `cpu/fib` {} of {} ms, \
         `io/download` {} of {} ms; `CB_SAMPLES` and `CB_SAMPLE_MS` override them.",
        ms(sums_target),
        fib.samples,
        ms(fib.sample_target),
        IO_SAMPLING.samples,
        ms(IO_SAMPLING.sample_target)
    ));
}

#[test]
fn the_warm_up_wait_is_the_rounds() {
    assert_eq!(pause(u64::MAX), Duration::from_secs(1));
    assert_eq!(SPIN_TAIL, Duration::from_millis(1));
    assert_says("a wait of D (up to 1 s: sleep, then spin the last millisecond)");
}

/// A sweep's parameter values as the README's table writes them: powers of ten from 10^5 as
/// `10^k`, others in plain digits.
fn shown(parameter: u64) -> String {
    match parameter.checked_ilog10() {
        Some(exponent) if exponent >= 5 && 10u64.pow(exponent) == parameter => {
            format!("10^{exponent}")
        }
        _ => parameter.to_string(),
    }
}

#[test]
fn the_sweeps_table_and_budget_are_the_sweeps() {
    let readme = include_str!("../README.md");
    for sweep in Sweep::ALL {
        let row = readme
            .lines()
            .find(|line| line.starts_with(&format!("| `{}` |", sweep.group())))
            .unwrap_or_else(|| panic!("README.md has no row for {}", sweep.group()));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let values: Vec<String> = sweep.parameters().iter().map(|&p| shown(p)).collect();
        assert!(
            cells[2].starts_with(&format!("{} ", values.join(", "))),
            "{}: the parameters should be {values:?}: {row}",
            sweep.group()
        );
        // Words in parentheses describe a strategy; the names are the list.
        let named: Vec<&str> = cells[3]
            .split(", ")
            .map(|cell| cell.split(" (").next().unwrap())
            .collect();
        let strategies: Vec<&str> = sweep.strategies().iter().map(|s| s.name()).collect();
        assert_eq!(named, strategies, "{}: {row}", sweep.group());
    }
    assert_says(&format!(
        "Every point takes Criterion's minimum of {SWEEP_SAMPLES} samples. A point whose \
         {SWEEP_SAMPLES} samples would take more than {} s at the ideal speed",
        POINT_BUDGET.as_secs()
    ));
}

#[test]
fn the_blocking_hop_sizes_are_its_constants() {
    let sites = util::config(&[]).sites;
    assert_says(&format!(
        "{sites} downloads ({SITES_AT_HIGH_LATENCY} at {HIGH_LATENCY_MS} ms)"
    ));
    let columns: Vec<String> = LATENCIES_MS
        .iter()
        .map(|latency| format!("L = {latency} ms"))
        .collect();
    assert_says(&format!("| strategy | {} |", columns.join(" | ")));
}

#[test]
fn the_sequential_ideal_is_the_defaults() {
    let config = util::config(&[]);
    let seconds = config.sites as f64 * config.latency_ms / 1000.0;
    assert_says(&format!(
        "`sequential` can't beat {} × {} ms = {seconds} s",
        config.sites, config.latency_ms
    ));
}
