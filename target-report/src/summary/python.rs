//! "Rust vs Python": in a group of `cargo bench --bench python`, each of the tutorial's CPython
//! programs next to its Rust counterpart (named by the program's `cb-meta.json`), and the real
//! GIL next to the suite's emulation of it.
//!
//! Every ratio is of two benchmarks of one group; when both were measured in the same
//! interleaved rounds of one run its interval is the paired one (as the summary's speed-ups'
//! are), and each pair says whether it was ([`Pair::pairing`]).

use super::table::{GilCheck, Pair, Pairing, Row, RustVsPython, SEQUENTIAL};
use crate::stats::Interval;

/// CPython's loop program, the reference of its speed-ups.
pub const SYNCHRONOUS: &str = "synchronous";
/// CPython's threaded program, which the GIL keeps to one core.
pub const THREADING: &str = "threading";
/// The suite's emulation of the GIL.
pub const GIL_THREADS: &str = "gil_threads";

/// The comparison for a group's `rows`, or `None` when no row is a CPython program.
/// `ratio(a, b)` is `median(a) / median(b)` with its 95% interval, and where it comes from.
pub fn build(
    rows: &[Row],
    ratio: impl Fn(&Row, &Row) -> (Interval, Pairing),
) -> Option<RustVsPython> {
    let row = |function: &str| rows.iter().find(|r| r.function == function);
    let programs: Vec<(&Row, &str, &str)> = rows
        .iter()
        .filter_map(|r| {
            let meta = r.meta.as_ref()?;
            Some((
                r,
                meta.python.as_deref()?,
                meta.rust_counterpart.as_deref()?,
            ))
        })
        .collect();
    let python = programs.first()?.1.to_owned();
    let pairs = programs
        .iter()
        .filter_map(|&(program, _, counterpart)| {
            let rust = row(counterpart)?;
            let (python_over_rust, pairing) = ratio(program, rust);
            Some(Pair {
                program: program.function.clone(),
                python_ns: program.median_ns,
                counterpart: counterpart.to_owned(),
                rust_ns: rust.median_ns,
                python_over_rust,
                pairing,
            })
        })
        .collect();
    let gil = match (
        row(SYNCHRONOUS),
        row(THREADING),
        row(SEQUENTIAL),
        row(GIL_THREADS),
    ) {
        (Some(synchronous), Some(threading), Some(sequential), Some(gil_threads)) => {
            Some(GilCheck {
                cpython_threading: ratio(synchronous, threading).0,
                gil_threads: ratio(sequential, gil_threads).0,
            })
        }
        _ => None,
    };
    Some(RustVsPython { python, pairs, gil })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::fixtures::{self, meta};

    fn row(function: &str, median: f64, python: Option<(&str, &str)>) -> Row {
        let mut r = fixtures::row(
            &format!("py/fib/{function}"),
            median,
            median * 0.9,
            median * 1.1,
        );
        r.per_iteration = vec![median];
        r.meta = python.map(|(interpreter, counterpart)| {
            let mut meta = meta("py/fib", function, "cpu", "fib", 1);
            meta.0.python = Some(interpreter.into());
            meta.0.rust_counterpart = Some(counterpart.into());
            meta
        });
        r
    }

    fn plain_ratio(a: &Row, b: &Row) -> (Interval, Pairing) {
        let point = a.median_ns.point / b.median_ns.point;
        let ci = Interval {
            point,
            lower: point,
            upper: point,
        };
        (ci, Pairing::Paired)
    }

    #[test]
    fn each_program_meets_its_counterpart_and_the_gil_meets_its_emulation() {
        let cpython = Some(("CPython 3.11.7", "sequential"));
        let rows = [
            row("sequential", 10.0, None),
            row("gil_threads", 11.0, None),
            row("synchronous", 400.0, cpython),
            row("threading", 500.0, Some(("CPython 3.11.7", "thread_pool"))),
        ];
        let comparison = build(&rows, plain_ratio).unwrap();
        assert_eq!(comparison.python, "CPython 3.11.7");
        // `thread_pool` was not measured: `threading` has no pair, only its GIL speed-up.
        assert_eq!(comparison.pairs.len(), 1);
        let pair = &comparison.pairs[0];
        assert_eq!(
            (pair.program.as_str(), pair.counterpart.as_str()),
            ("synchronous", "sequential")
        );
        assert_eq!(pair.python_over_rust.point, 40.0);
        let gil = comparison.gil.unwrap();
        assert_eq!(gil.cpython_threading.point, 0.8);
        assert_eq!(gil.gil_threads.point, 10.0 / 11.0);
    }

    #[test]
    fn a_group_without_python_has_no_comparison() {
        let rows = [
            row("sequential", 10.0, None),
            row("gil_threads", 11.0, None),
        ];
        assert!(build(&rows, plain_ratio).is_none());
    }
}
