//! The files of the two pages: the summary's (`index.html`, `summary.md`, `summary.json` and
//! one SVG chart per sweep) and the history's (`index.html` and one SVG trend chart per
//! benchmark), as (name, bytes) for [`crate::atomic_write::write_files`].

use super::{Exporter, Html, Json, Markdown};
use crate::summary::Summary;
use crate::svg;
use crate::trend::HistoryReport;

/// The summary page's files. `summary.md` shows each sweep's chart as an image beside it
/// (`index.html` inlines them).
pub fn summary_files(s: &Summary) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![
        ("index.html".to_string(), Html.render(s).into_bytes()),
        ("summary.md".to_string(), Markdown.render(s).into_bytes()),
        ("summary.json".to_string(), Json.render(s).into_bytes()),
    ];
    for sw in &s.sweeps {
        let chart = svg::sweep::render(&svg::sweep::from_sweep(sw));
        files.push((sw.chart_file(), svg_file(&chart)));
    }
    files
}

/// The history page's files.
pub fn history_files(report: &HistoryReport) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![("index.html".to_string(), Html.render(report).into_bytes())];
    for (series, file) in &report.charts {
        let points: Vec<svg::trend::TrendPoint> = series
            .points
            .iter()
            .map(|p| svg::trend::TrendPoint {
                label: p.label(),
                median_ns: p.median_ns,
                lower_ns: p.lower_ns,
                upper_ns: p.upper_ns,
            })
            .collect();
        let chart = svg::trend::render(&series.id, &points, &series.fit);
        files.push((file.clone(), svg_file(&chart)));
    }
    files
}

/// An SVG chart as a standalone file.
fn svg_file(chart: &str) -> Vec<u8> {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{chart}\n").into_bytes()
}
