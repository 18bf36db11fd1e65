//! Builders of the summary's model for unit tests (here and in the exporters): a measured row,
//! a `cb-meta.json`, a summary of one table.

use super::{Advice, Row, Summary, Table};
use crate::meta::Meta;
use crate::stats::Interval;

/// A measured row of `id` (`group/function`) with its median and interval, in ns.
pub(crate) fn row(id: &str, point: f64, lower: f64, upper: f64) -> Row {
    let function = id.rsplit_once('/').map_or(id, |(_, f)| f);
    Row {
        id: id.to_string(),
        function: function.to_string(),
        dir: id.replace('/', "_"),
        median_ns: Interval {
            point,
            lower,
            upper,
        },
        samples: 10,
        throughput: None,
        speedup: None,
        pairing: None,
        efficiency: None,
        efficiency_measured_latency: None,
        meta: None,
        report: None,
        timeline_summary: None,
        faults: None,
        measurement_defect: None,
        cpu: None,
        timeline: None,
        per_iteration: Vec::new(),
    }
}

/// The `cb-meta.json` of a run of `function` in `group`: 20 jobs of `workload` (`kind` `io` or
/// `cpu`), C = `concurrency` jobs in flight, on 2 cores.
pub(crate) fn meta(
    group: &str,
    function: &str,
    kind: &str,
    workload: &str,
    concurrency: u64,
) -> Meta {
    serde_json::from_value(serde_json::json!({
        "schema": 1, "group": group, "function": function, "strategy": function,
        "kind": kind, "workload": workload, "jobs": 20, "elements": 20,
        "concurrency": concurrency, "latency_ms": null, "cores": 2, "workers": 5,
        "processes": 2,
    }))
    .unwrap()
}

/// A summary of one table holding `rows`.
pub(crate) fn summary_of(rows: Vec<Row>) -> Summary {
    let group = rows[0].id.rsplit_once('/').unwrap().0.to_string();
    Summary {
        criterion_dir: "target/criterion".to_string(),
        baseline: "new".to_string(),
        tables: vec![Table {
            group,
            value: None,
            kind: None,
            violin: None,
            rows,
            unmeasured: Vec::new(),
            notes: Vec::new(),
            unpaired: Vec::new(),
            advice: Advice::default(),
            interleaved: false,
            drift: None,
            set_apart: Vec::new(),
            rust_vs_python: None,
        }],
        sweeps: Vec::new(),
        missing: Vec::new(),
    }
}
