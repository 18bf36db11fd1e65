//! HTML: the history index (`history`'s `index.html`), in the summary page's shell
//! ([`super::html`]): one table of step changes per benchmark, the noise scale behind them,
//! the commits not measured and a trend chart each.

use std::fmt::Write;

use super::html::page;
use super::{Exporter, Html};
use crate::format::{fmt_change, fmt_ns, fmt_pct1};
use crate::svg::escape;
use crate::trend::HistoryReport;

/// The history page's noise-scale sources and the commits that could not be measured.
fn history_noise_and_gaps(body: &mut String, h: &HistoryReport) {
    body.push_str("<section id=\"noise\">\n<h2>Noise scale of the step detector</h2>\n<ul>\n");
    for line in &h.noise_sources {
        let _ = writeln!(body, "<li>{}</li>", escape(line));
    }
    body.push_str("</ul>\n</section>\n");
    if h.unmeasured.is_empty() {
        return;
    }
    body.push_str("<section id=\"unmeasured\">\n<h2>Commits not measured</h2>\n<p class=\"muted\">Gaps in every chart.</p>\n<ul>\n");
    for (record, label, status, reason) in &h.unmeasured {
        let _ = writeln!(
            body,
            "<li data-unmeasured=\"{}\">record {}: <code>{}</code> {}: {}</li>",
            escape(label),
            record + 1,
            escape(label),
            status.describe(),
            escape(reason)
        );
    }
    body.push_str("</ul>\n</section>\n");
}

impl Exporter<HistoryReport> for Html {
    fn render(&self, h: &HistoryReport) -> String {
        let mut body = format!(
            "<header>\n<h1>Benchmark history</h1>\n<p class=\"muted\">{} records from <code>{}</code>, in file order. Steps: optimal L1 piecewise-constant fit of the log-medians (PELT) with a penalty scaled by the series' noise; a step must last two records.</p>\n</header>\n",
            h.records,
            escape(&h.source)
        );
        if !h.corrupt.is_empty() {
            body.push_str("<section id=\"corrupt\">\n<h2>Skipped lines</h2>\n<ul>\n");
            for (line, why) in &h.corrupt {
                let _ = writeln!(
                    body,
                    "<li class=\"note\" data-line=\"{line}\">line {line}: {}</li>",
                    escape(why)
                );
            }
            body.push_str("</ul>\n</section>\n");
        }
        history_noise_and_gaps(&mut body, h);
        if !h.machine_changes.is_empty() {
            body.push_str("<section id=\"machines\">\n<h2>Machine changes</h2>\n<p class=\"muted\">A step at one of these records may come from the machine, not the code.</p>\n<ul>\n");
            for (record, m) in &h.machine_changes {
                let _ = writeln!(body, "<li>record {}: {}</li>", record + 1, escape(m));
            }
            body.push_str("</ul>\n</section>\n");
        }
        body.push_str("<section id=\"steps\">\n<h2>Benchmarks</h2>\n<div class=\"scroll\"><table>\n<thead><tr><th class=\"name\">benchmark</th><th>records</th><th>latest median</th><th>noise σ</th><th class=\"name\">step changes</th></tr></thead>\n<tbody>\n");
        for (series, file) in &h.charts {
            let steps: Vec<String> = series
                .fit
                .steps
                .iter()
                .map(|st| {
                    let p = &series.points[st.index];
                    format!(
                        "{} at <code>{}</code> (record {})",
                        fmt_change(st.ratio - 1.0),
                        escape(&p.label()),
                        p.record + 1
                    )
                })
                .collect();
            let latest = series.points.last().map_or(f64::NAN, |p| p.median_ns);
            let _ = writeln!(
                body,
                "<tr data-benchmark=\"{}\" data-noise=\"{}\"><td class=\"name\"><a href=\"#{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td class=\"name\">{}</td></tr>",
                escape(&series.id),
                series.noise.as_ref().map_or("series", |n| match n.source {
                    crate::noise::Source::Calibration => "calibration",
                    _ => "history",
                }),
                escape(file),
                escape(&series.id),
                series.points.len(),
                fmt_ns(latest),
                escape(&format!(
                    "{} ({})",
                    fmt_pct1(series.fit.sigma),
                    series.noise.as_ref().map_or("series".to_string(), |n| n.describe())
                )),
                if steps.is_empty() { "none".to_string() } else { steps.join("; ") }
            );
        }
        body.push_str("</tbody></table></div>\n</section>\n<section id=\"charts\">\n<h2>Charts</h2>\n<div class=\"timelines\">\n");
        // A chart's id is its file name, unique among the charts (history.rs numbers look-alikes)
        // and never a section's id (it ends in `.svg`); a slug of it was not unique:
        // `g_a.b.svg` and `g_a_b.svg` both became `g-a-b-svg`.
        for (series, file) in &h.charts {
            let _ = writeln!(
                body,
                "<figure class=\"trend\" id=\"{}\"><figcaption><code>{}</code>: {} step change(s)</figcaption><img src=\"{}\" alt=\"{}\"/></figure>",
                escape(file),
                escape(&series.id),
                series.fit.steps.len(),
                escape(file),
                escape(&format!("trend of {}", series.id))
            );
        }
        body.push_str("</div>\n</section>\n");
        page("concurrency-bench history", &body)
    }
}
