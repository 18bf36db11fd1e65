//! Telling whether a run is already in the history: `record` twice after one `cargo bench`
//! must store the run once, or it would count as two runs in the history's noise estimate and
//! charts.

use super::{BenchRecord, Record};
use crate::{criterion, stats};

/// A fingerprint of one run's raw measurements: FNV-1a (64-bit) over the sample count and the
/// bit patterns of every `iters` and `times` value, as 16 hex digits. A new run of a benchmark
/// gives new times (they are nanosecond totals), so equal fingerprints mean the same run.
pub fn sample_fingerprint(sample: &criterion::SavedSample) -> String {
    let values = sample.iters.iter().chain(&sample.times);
    let words = std::iter::once(sample.iters.len() as u64).chain(values.map(|x| x.to_bits()));
    let hash = stats::fnv1a(words.flat_map(u64::to_le_bytes));
    format!("{hash:016x}")
}

/// Whether two results of a benchmark are the same run: equal fingerprints when both have
/// one; otherwise (an older record) equal sample counts, medians and interval bounds. The
/// bounds are compared to a relative 1e-9, since a number written to JSON and read back may
/// differ in its last bit.
pub fn same_result(a: &BenchRecord, b: &BenchRecord) -> bool {
    if let (Some(x), Some(y)) = (&a.sample_fingerprint, &b.sample_fingerprint) {
        return a.id == b.id && x == y;
    }
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * x.abs().max(y.abs());
    a.id == b.id
        && a.samples == b.samples
        && close(a.median_ns, b.median_ns)
        && close(a.lower_ns, b.lower_ns)
        && close(a.upper_ns, b.upper_ns)
}

/// The line number of a record in `records` holding the same run as `benchmarks` — every
/// benchmark the same result ([`same_result`]), none more, none fewer — if there is one.
/// `record` twice after one `cargo bench` would otherwise store one run twice, which would
/// count as two runs in the history's noise estimate and in its charts.
pub fn find_same_run(records: &[(usize, Record)], benchmarks: &[BenchRecord]) -> Option<usize> {
    if benchmarks.is_empty() {
        return None;
    }
    records
        .iter()
        .find(|(_, r)| {
            r.benchmarks.len() == benchmarks.len()
                && benchmarks
                    .iter()
                    .all(|b| r.benchmarks.iter().any(|old| same_result(old, b)))
        })
        .map(|(line, _)| *line)
}
