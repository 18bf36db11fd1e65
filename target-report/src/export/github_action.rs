//! github-action-benchmark's `customSmallerIsBetter` input: a JSON array of
//! `{name, unit, value, range?, extra?}`, which the action validates in its `src/extract.ts`
//! (`value` a number; `name`, `unit`, `range` and `extra` strings) and charts per `name`
//! (<https://github.com/benchmark-action/github-action-benchmark#examples>).
//!
//! Every measured strategy becomes one entry named by its Criterion id, its `value` Criterion's
//! median time per iteration in `ns/iter` (a unit the action knows how to rescale, and the one
//! `cargo bench` prints). `range` holds the 95% confidence interval in the same unit, written
//! out as bounds rather than the action's usual `± x`, because Criterion's interval is not
//! symmetric about the median. `extra`, shown in the chart's tooltip, says how many samples
//! the median comes from and, when `cb-meta.json` is present, the settings the benchmark ran
//! with, and the sentence of a measurement defect ([`crate::summary::physics`]). Rows set
//! apart because they were measured with other settings are left out.

use serde::Serialize;

use super::plain::plain_sentence;
use super::Exporter;
use crate::format::trim_decimals;
use crate::summary::{Row, Summary};

/// The `customSmallerIsBetter` format of github-action-benchmark (times: smaller is better).
pub struct CustomSmallerIsBetter;

/// The unit of every `value` and `range`: nanoseconds per Criterion iteration.
pub const UNIT: &str = "ns/iter";

/// One entry of the array, with the action's field names.
#[derive(Debug, Serialize)]
struct Entry<'a> {
    name: &'a str,
    unit: &'static str,
    value: f64,
    range: String,
    extra: String,
}

fn entry<'a>(r: &'a Row, baseline: &str) -> Entry<'a> {
    let m = &r.median_ns;
    let mut extra = format!(
        "median of {} samples, Criterion baseline {baseline}",
        r.samples
    );
    if let Some(meta) = &r.meta {
        extra.push('\n');
        extra.push_str(&meta.settings());
    }
    // The tooltip is where the chart's reader meets the number: say it is no finding.
    if let Some(d) = &r.measurement_defect {
        extra.push('\n');
        extra.push_str(&plain_sentence(&d.sentence));
    }
    Entry {
        name: &r.id,
        unit: UNIT,
        value: m.point,
        range: format!(
            "95% CI {}–{} {UNIT}",
            trim_decimals(m.lower),
            trim_decimals(m.upper)
        ),
        extra,
    }
}

impl Exporter<Summary> for CustomSmallerIsBetter {
    fn render(&self, report: &Summary) -> String {
        let entries: Vec<Entry> = report
            .tables
            .iter()
            .flat_map(|t| &t.rows)
            .map(|r| entry(r, &report.baseline))
            .collect();
        super::json::to_json(&entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::fixtures::{row, summary_of};
    use serde_json::Value;

    #[test]
    fn each_row_is_an_entry_with_its_median_in_ns_per_iteration() {
        let s = summary_of(vec![
            row("cpu/fib/rayon", 2_000.5, 1_900.0, 2_100.25),
            row("cpu/fib/sequential", 8_000.0, 7_500.0, 8_400.0),
        ]);
        let doc: Value = serde_json::from_str(&CustomSmallerIsBetter.render(&s)).unwrap();
        let entries = doc.as_array().unwrap();
        assert_eq!(entries.len(), 2);
        let rayon = entries[0].as_object().unwrap();
        assert_eq!(
            rayon.keys().collect::<Vec<_>>(),
            ["extra", "name", "range", "unit", "value"]
        );
        assert_eq!(rayon["name"], "cpu/fib/rayon");
        assert_eq!(rayon["unit"], "ns/iter");
        assert_eq!(rayon["value"], 2_000.5);
        assert_eq!(rayon["range"], "95% CI 1900–2100.25 ns/iter");
        assert_eq!(
            rayon["extra"],
            "median of 10 samples, Criterion baseline new"
        );
        assert_eq!(entries[1]["name"], "cpu/fib/sequential");
    }

    #[test]
    fn extra_carries_the_settings_from_cb_meta() {
        let mut r = row("io/download/thread_pool", 3e6, 2.9e6, 3.1e6);
        r.meta = Some(
            serde_json::from_value(serde_json::json!({
                "schema": crate::meta::SCHEMA,
                "group": "io/download",
                "function": "thread_pool",
                "strategy": "thread_pool",
                "kind": "io",
                "workload": "download",
                "jobs": 64,
                "elements": 0,
                "concurrency": 8,
                "latency_ms": 20.0,
                "cores": 2,
                "workers": 8,
                "processes": 0
            }))
            .unwrap(),
        );
        let doc: Value =
            serde_json::from_str(&CustomSmallerIsBetter.render(&summary_of(vec![r]))).unwrap();
        assert_eq!(
            doc[0]["extra"],
            "median of 10 samples, Criterion baseline new\n\
             jobs 64, elements 0, latency 20 ms, cores 2, workers 8, processes 0"
        );
    }
}
