//! A sweep's findings in words: one sentence per finding, in the order the page shows them.

use std::collections::BTreeMap;

use super::findings::{
    AtLargest, Best, Crossover, NotMeasured, ServerFinding, ServerLoad, SERVER_BOUND,
};
use super::{ParameterKind, Point, Sweep};
use crate::format::{fmt_ci, fmt_cores, fmt_latency, fmt_ns, fmt_pct, fmt_value};
use crate::meta;
use crate::summary::cpu::{beyond_ideal, SHORT_OF_IDEAL};
use crate::summary::table::SEQUENTIAL;

/// `⌈160/20⌉ × 20 ms = 160 ms` for the point of `strategy` at `parameter`, when it has an ideal.
fn ideal_formula(s: &Sweep, strategy: &str, parameter: &str) -> Option<String> {
    let p = s
        .points
        .iter()
        .find(|p| p.strategy == strategy && p.parameter == parameter)?;
    let latency = p.ideal_latency_ms?;
    let measured = if p.latency_ms == Some(latency) {
        ""
    } else {
        " (measured)"
    };
    Some(format!(
        "⌈{}/{}⌉ × {} ms{measured} = {}",
        p.jobs?,
        p.concurrency?,
        fmt_latency(latency),
        fmt_ns(p.ideal_ns?)
    ))
}

/// The findings of `s` in words.
pub(super) fn sentences(s: &Sweep) -> Vec<String> {
    let f = &s.findings;
    let mut out = Vec::new();
    if s.points.iter().all(|p| p.median_ns.is_none()) {
        out.push(format!("Nothing in {} was measured.", s.group));
    }
    out.extend(f.best.iter().map(|b| best_sentence(s, b)));
    out.extend(f.at_largest.iter().map(|a| at_largest_sentence(s, a)));
    if let Some(server) = &f.server {
        out.extend(server_sentences(s, server));
    } else if s.parameter == ParameterKind::Latency && s.kind.as_deref() == Some("io") {
        out.push(format!(
            "No {} in the group's directory: the server's capacity at 0 ms is unknown.",
            meta::CAPACITY_FILE
        ));
    }
    out.extend(
        f.faster_than_sequential
            .iter()
            .map(|c| crossover_sentence(s, c)),
    );
    out.extend(s.strategies.iter().filter_map(|st| cores_sentence(s, st)));
    if !f.not_measured.is_empty() {
        out.push(not_measured_sentence(s, &f.not_measured));
    }
    out
}

/// `` `async_tokio` kept 0.2 cores busy at 10 requests, 0.6 at 100 … `` — the cores a
/// strategy kept busy at each value it recorded CPU time at (two at least); for I/O, at the
/// first value below [`SHORT_OF_IDEAL`] of its ideal, whether its CPU explains the time beyond
/// the ideal: where it stops scaling, and why.
fn cores_sentence(s: &Sweep, strategy: &str) -> Option<String> {
    let points: Vec<&Point> = s
        .points
        .iter()
        .filter(|p| p.strategy == strategy && p.cores.is_some())
        .collect();
    if points.len() < 2 {
        return None;
    }
    let at = |p: &Point| s.parameter.phrase(&p.parameter);
    let list: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let cores = fmt_cores(p.cores.map_or(0.0, |c| c.point));
            match i {
                0 => format!("{cores} cores busy at {}", at(p)),
                _ => format!("{cores} at {}", fmt_value(&p.parameter)),
            }
        })
        .collect();
    let mut line = format!("`{strategy}` kept {}", list.join(", "));
    let short = points.iter().find_map(|p| {
        let efficiency = p.efficiency?;
        let found = (p.ideal_ns?, p.cpu_ns?, p.cores?.point);
        (efficiency.point < SHORT_OF_IDEAL).then_some((p, efficiency, found))
    });
    if let Some((p, efficiency, (ideal_ns, cpu_ns, cores))) = short {
        let median = p.median_ns.map_or(0.0, |m| m.point);
        line.push_str(&format!(
            "; at {} it reaches {} of its ideal, with {} of CPU per iteration: {}",
            at(p),
            fmt_pct(efficiency.point),
            fmt_ns(cpu_ns.point),
            beyond_ideal(median, ideal_ns, cpu_ns, cores)
        ));
    }
    line.push('.');
    Some(line)
}

/// `` `thread_pool`: best at 8 workers (…); 6–10 are indistinguishable …``
fn best_sentence(s: &Sweep, b: &Best) -> String {
    let mut line = format!(
        "`{}`: best at {} ({}, {})",
        b.strategy,
        s.parameter.phrase(&b.parameter),
        fmt_ns(b.median_ns.point),
        fmt_ci(&b.median_ns)
    );
    let others: Vec<String> = b
        .indistinguishable
        .iter()
        .filter(|v| **v != b.parameter)
        .cloned()
        .collect();
    if others.is_empty() {
        line.push_str("; no other value's CI overlaps it");
    } else {
        line.push_str(&format!(
            "; {} are indistinguishable (their CIs overlap the best's)",
            s.span(&b.indistinguishable)
        ));
    }
    if let (Some(e), Some(ideal)) = (b.efficiency, ideal_formula(s, &b.strategy, &b.parameter)) {
        line.push_str(&format!(
            "; there it reaches {} of the ideal {ideal}",
            fmt_pct(e.point)
        ));
    }
    line.push('.');
    line
}

/// `` `async`: 10,000 requests in 1.23 s (…), 80% of the ideal …; not measured at …``
fn at_largest_sentence(s: &Sweep, a: &AtLargest) -> String {
    let mut line = format!(
        "`{}`: {} in {} ({})",
        a.strategy,
        s.parameter.phrase(&a.parameter),
        fmt_ns(a.median_ns.point),
        fmt_ci(&a.median_ns)
    );
    if let (Some(e), Some(ideal)) = (a.efficiency, ideal_formula(s, &a.strategy, &a.parameter)) {
        line.push_str(&format!(", {} of the ideal {ideal}", fmt_pct(e.point)));
    }
    if !a.not_measured_above.is_empty() {
        line.push_str(&format!(
            "; not measured at {}",
            s.span(&a.not_measured_above)
        ));
    }
    line.push('.');
    line
}

/// The server's capacity, and each strategy's share of it at parameter 0.
fn server_sentences(s: &Sweep, server: &ServerFinding) -> Vec<String> {
    let k = s.parameter;
    let c = &server.capacity;
    let mut out = vec![format!(
        "The mock server answers {} requests/s ({} requests, {} in flight; cb-server-capacity.json).",
        fmt_value(&format!("{:.0}", c.requests_per_s)),
        c.requests,
        c.in_flight
    )];
    if server.at_zero.is_empty() {
        out.push(format!(
            "No strategy was measured at {}, so none is compared with that capacity.",
            k.phrase("0")
        ));
    }
    if let Some(over) = server
        .at_zero
        .iter()
        .find(|l| l.share_of_capacity.point > 1.0)
    {
        out.push(format!(
            "`{}` exceeds the measured capacity at {}: that measurement ({} requests in flight) underestimates what the server sustains with more in flight, so these shares overstate how close each strategy is to the server's real limit.",
            over.strategy,
            k.phrase("0"),
            c.in_flight
        ));
    }
    for l in &server.at_zero {
        out.push(format!(
            "At {}: `{}` completes {} requests/s = {} of that capacity (CI {}–{}){}.",
            k.phrase("0"),
            l.strategy,
            fmt_value(&format!("{:.0}", l.requests_per_s.point)),
            fmt_pct(l.share_of_capacity.point),
            fmt_pct(l.share_of_capacity.lower),
            fmt_pct(l.share_of_capacity.upper),
            server_bound_note(l)
        ));
    }
    out
}

/// ` — server-bound (≥ 80%): …`, ` — possibly server-bound …`, or nothing.
fn server_bound_note(l: &ServerLoad) -> String {
    if l.server_bound {
        format!(
            " — server-bound (≥ {}): this point measures the server, not the strategy",
            fmt_pct(SERVER_BOUND)
        )
    } else if l.possibly_server_bound {
        format!(
            " — possibly server-bound (its CI reaches {})",
            fmt_pct(SERVER_BOUND)
        )
    } else {
        String::new()
    }
}

/// Where a strategy overtakes `sequential`, or that it never does in the range.
fn crossover_sentence(s: &Sweep, c: &Crossover) -> String {
    let k = s.parameter;
    let range = s.span(&c.compared);
    match &c.first_faster {
        None => format!(
            "`{}` is never significantly faster than `{SEQUENTIAL}` in this range ({range} {}).",
            c.strategy, s.parameter_name
        ),
        Some(v) => {
            let mut line = if c.compared.first() == Some(v) {
                format!(
                    "`{}` is significantly faster than `{SEQUENTIAL}` (CI entirely below) already at {}, the smallest compared",
                    c.strategy,
                    k.phrase(v)
                )
            } else {
                format!(
                    "`{}` overtakes `{SEQUENTIAL}` at {} (first value where its CI lies entirely below)",
                    c.strategy,
                    k.phrase(v)
                )
            };
            if !c.not_faster_above.is_empty() {
                line.push_str(&format!(
                    ", but not at {}",
                    c.not_faster_above
                        .iter()
                        .map(|v| fmt_value(v))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            line.push('.');
            line
        }
    }
}

/// The unmeasured points grouped by strategy: "`thread_pool` at 1000–10,000 requests".
fn not_measured_sentence(s: &Sweep, not_measured: &[NotMeasured]) -> String {
    let mut by_strategy: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for n in not_measured {
        by_strategy
            .entry(&n.strategy)
            .or_default()
            .push(n.parameter.clone());
    }
    format!(
        "Not measured (reasons under the chart): {}.",
        by_strategy
            .iter()
            .map(|(strategy, values)| format!(
                "`{strategy}` at {}",
                s.parameter.phrase_of(&s.span(values))
            ))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Interval;

    /// `async_tokio` with `requests` downloads at 50 ms, all in flight: ideal 50 ms.
    fn point(requests: u64, median_ms: f64, cores: Option<f64>) -> Point {
        let median = median_ms * 1e6;
        Point {
            strategy: "async_tokio".into(),
            parameter: requests.to_string(),
            median_ns: Some(Interval::exact(median)),
            ideal_ns: Some(50e6),
            efficiency: Some(Interval::exact(50e6 / median)),
            jobs: Some(requests),
            concurrency: Some(requests),
            latency_ms: Some(50.0),
            ideal_latency_ms: Some(50.0),
            skipped: None,
            missing: Vec::new(),
            dir: format!("sweep_io_requests/async_tokio/{requests}"),
            cores: cores.map(Interval::exact),
            cpu_ns: cores.map(|c| Interval::exact(c * median)),
            defect: false,
        }
    }

    fn sweep(points: Vec<Point>) -> Sweep {
        Sweep {
            group: "sweep/io_requests".into(),
            parameter: ParameterKind::Requests,
            parameter_name: "requests".into(),
            kind: Some("io".into()),
            values: points.iter().map(|p| p.parameter.clone()).collect(),
            numeric: true,
            strategies: vec!["async_tokio".into()],
            points,
            findings: Default::default(),
            sentences: Vec::new(),
            report: None,
            colours: Vec::new(),
        }
    }

    #[test]
    fn cores_against_the_parameter_say_where_a_strategy_stops_scaling_and_why() {
        // Near the ideal up to 100 requests; at 1,000, 80 ms against 50 with one core busy:
        // 80 ms of CPU covers the 30 ms beyond the ideal.
        let s = sweep(vec![
            point(10, 50.5, Some(0.05)),
            point(100, 52.0, Some(0.3)),
            point(1000, 80.0, Some(1.0)),
        ]);
        let line = cores_sentence(&s, "async_tokio").expect("a sentence");
        assert!(
            line.starts_with(
                "`async_tokio` kept 0.05 cores busy at 10 requests, 0.3 at 100, 1.0 at 1,000;"
            ),
            "{line}"
        );
        assert!(line.contains("at 1,000 requests it reaches 62% of its ideal, with 80.0 ms of CPU per iteration: enough CPU to account for the 30.0 ms beyond the ideal: bound by CPU, not by latency."), "{line}");
    }

    #[test]
    fn without_cpu_time_at_two_values_there_is_no_cores_sentence() {
        let s = sweep(vec![point(10, 50.5, Some(0.05)), point(100, 52.0, None)]);
        assert_eq!(cores_sentence(&s, "async_tokio"), None);
    }
}
