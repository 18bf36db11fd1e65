//! The CPU kernels really iterate: their cost grows with n.
//!
//! LLVM turns a naive `sum of i*i` loop into its closed form (20 calls in 180 ns), which would
//! make every CPU benchmark measure nothing. Only an optimized build can show whether that
//! happened, so these tests are ignored in debug builds; CI runs them with
//! `cargo test --release --test main kernel_cost::`.

use std::time::{Duration, Instant};

use concurrency_bench::workload::cpu::{fib, sum_of_squares_closed_form, CpuJob, Kernel};

/// The fastest of a few runs: the least disturbed by a noisy neighbour.
fn best_of(runs: usize, mut work: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed()
        })
        .min()
        .expect("at least one run")
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "measures optimized code: run with --release"
)]
fn sum_of_squares_cost_grows_linearly() {
    // The job exactly as the benchmarks run it.
    let job = |n| CpuJob {
        kernel: Kernel::SumOfSquares,
        n: std::hint::black_box(n),
    };
    let n = 2_000_000u64;
    let small = best_of(7, || {
        assert_eq!(job(n).run(), sum_of_squares_closed_form(n))
    });
    let large = best_of(7, || {
        assert_eq!(job(8 * n).run(), sum_of_squares_closed_form(8 * n))
    });
    let ratio = large.as_secs_f64() / small.as_secs_f64();
    let ns_per_element = large.as_secs_f64() * 1e9 / (8 * n) as f64;
    println!(
        "sum_of_squares: n = {n}: {small:?}, 8n: {large:?}, ratio {ratio:.2}, {ns_per_element:.3} ns per element"
    );
    // The closed form gives a ratio near 1; a real loop gives near 8.
    assert!(
        ratio >= 4.0,
        "time at 8n / time at n = {ratio:.2}: the loop was folded away"
    );
    assert!(
        small >= Duration::from_micros(100),
        "{n} elements in {small:?}: faster than any real loop"
    );
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "measures optimized code: run with --release"
)]
fn fib_cost_grows_exponentially() {
    let small = best_of(5, || assert_eq!(fib(std::hint::black_box(22)), 17_711));
    let large = best_of(5, || assert_eq!(fib(std::hint::black_box(27)), 196_418));
    let ratio = large.as_secs_f64() / small.as_secs_f64();
    println!("fib: 22 in {small:?}, 27 in {large:?}, ratio {ratio:.2} (calls ratio ≈ 11.1)");
    assert!(
        ratio >= 5.0,
        "fib(27) / fib(22) time = {ratio:.2}: not recursing"
    );
}
