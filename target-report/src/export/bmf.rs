//! Bencher Metric Format (BMF): the JSON that `bencher run --adapter json` reads
//! (<https://bencher.dev/docs/reference/bencher-metric-format/>): one object keyed by benchmark
//! name, each holding one object per measure slug with `value` and the optional `lower_value`
//! and `upper_value`.
//!
//! Every measured strategy becomes one benchmark named by its Criterion id (e.g.
//! `io/download/thread_pool`) with the built-in `latency` measure, whose unit is the nanosecond:
//! Criterion's median time per iteration, bounded by its 95% confidence interval. The median is
//! what every other report of this crate shows; Bencher's own Criterion adapter reads Criterion's
//! terminal line instead, which gives the slope (or mean) estimate. Rows set apart because they
//! were measured with other settings are left out, as the summary compares them with nothing.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Exporter;
use crate::summary::Summary;

/// The Bencher Metric Format.
pub struct Bmf;

/// The slug of Bencher's built-in latency measure (nanoseconds).
pub const LATENCY: &str = "latency";

/// One metric of one measure: `value` required, the bounds optional in the format (always
/// given here).
#[derive(Debug, Serialize)]
struct Metric {
    value: f64,
    lower_value: f64,
    upper_value: f64,
}

impl Exporter<Summary> for Bmf {
    fn render(&self, report: &Summary) -> String {
        // Ordered by name so that the same run always gives the same bytes.
        let document: BTreeMap<&str, BTreeMap<&str, Metric>> = report
            .tables
            .iter()
            .flat_map(|t| &t.rows)
            .map(|r| {
                let metric = Metric {
                    value: r.median_ns.point,
                    lower_value: r.median_ns.lower,
                    upper_value: r.median_ns.upper,
                };
                (r.id.as_str(), BTreeMap::from([(LATENCY, metric)]))
            })
            .collect();
        super::json::to_json(&document)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::fixtures::{row, summary_of};
    use serde_json::Value;

    #[test]
    fn each_row_is_a_benchmark_with_its_median_latency_and_interval_in_ns() {
        let s = summary_of(vec![
            row("cpu/fib/rayon", 2_000.5, 1_900.0, 2_100.25),
            row("cpu/fib/sequential", 8_000.0, 7_500.0, 8_400.0),
        ]);
        let doc: Value = serde_json::from_str(&Bmf.render(&s)).unwrap();
        let obj = doc.as_object().unwrap();
        assert_eq!(
            obj.keys().collect::<Vec<_>>(),
            ["cpu/fib/rayon", "cpu/fib/sequential"]
        );
        let rayon = doc["cpu/fib/rayon"].as_object().unwrap();
        assert_eq!(rayon.keys().collect::<Vec<_>>(), [LATENCY]);
        assert_eq!(rayon[LATENCY]["value"], 2_000.5);
        assert_eq!(rayon[LATENCY]["lower_value"], 1_900.0);
        assert_eq!(rayon[LATENCY]["upper_value"], 2_100.25);
        assert_eq!(doc["cpu/fib/sequential"][LATENCY]["value"], 8_000.0);
    }

    #[test]
    fn set_apart_rows_are_not_exported() {
        let mut s = summary_of(vec![row("cpu/fib/sequential", 8_000.0, 7_500.0, 8_400.0)]);
        s.tables[0].set_apart.push(crate::summary::SetApart {
            function: "rayon".to_string(),
            median_ns: 1_000.0,
            settings: "jobs 1".to_string(),
        });
        let doc: Value = serde_json::from_str(&Bmf.render(&s)).unwrap();
        assert_eq!(doc.as_object().unwrap().len(), 1);
    }
}
