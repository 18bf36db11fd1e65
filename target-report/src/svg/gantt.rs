//! A Gantt chart of one timeline run: one row per worker, one bar per job from its start to its
//! end — the tutorial's pictures of threads and processes, drawn from a real run.

use std::fmt::Write;

use super::{escape, job_colour, nice_ticks};
use crate::format::trim_decimals;
use crate::meta::Timeline;

const WIDTH: f64 = 600.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 6.0;
const BOTTOM: f64 = 32.0;

/// The chart's geometry: the rows' height, the plot's size and the time scale.
struct Frame {
    rows: usize,
    row_h: f64,
    gap: f64,
    plot_w: f64,
    plot_h: f64,
    height: f64,
    /// The time at the right edge, ns.
    end: f64,
    /// The axis unit and its size in ns.
    unit_div: f64,
    unit: &'static str,
}

impl Frame {
    fn of(timeline: &Timeline, rows: usize) -> Frame {
        // Few rows get tall bars; 160 task rows shrink to thin stripes instead of a huge chart.
        let row_h = if rows <= 12 {
            20.0
        } else {
            (300.0 / rows as f64).clamp(2.0, 20.0)
        };
        let plot_h = rows as f64 * row_h;
        let end = timeline
            .spans
            .iter()
            .map(|s| s.end_ns)
            .max()
            .unwrap_or(0)
            .max(timeline.wall_ns)
            .max(1) as f64;
        let (unit_div, unit) = if end >= 2e9 { (1e9, "s") } else { (1e6, "ms") };
        Frame {
            rows,
            row_h,
            gap: if row_h >= 8.0 { 3.0 } else { row_h * 0.15 },
            plot_w: WIDTH - LEFT - RIGHT,
            plot_h,
            height: TOP + plot_h + BOTTOM,
            end,
            unit_div,
            unit,
        }
    }

    /// The x coordinate of a time, ns.
    fn x(&self, ns: f64) -> f64 {
        LEFT + ns / self.end * self.plot_w
    }
}

/// Renders `timeline` as an inline `<svg>` element titled `title`.
pub fn render(timeline: &Timeline, title: &str) -> String {
    let workers = timeline.workers();
    let f = Frame::of(timeline, workers.len().max(1));
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="gantt" viewBox="0 0 {WIDTH} {:.1}" role="img" aria-label="{}">"#,
        f.height,
        escape(&format!(
            "{title}: {} jobs on {} workers over {:.1} ms",
            timeline.spans.len(),
            workers.len(),
            timeline.wall_ns as f64 / 1e6
        ))
    );
    let _ = write!(s, "<title>{}</title>", escape(title));
    time_axis(&mut s, &f);
    row_labels(&mut s, &f, &workers);
    // One bar per job, on its worker's row.
    for span in &timeline.spans {
        let row = workers.binary_search(&span.worker).unwrap_or(0);
        let x0 = f.x(span.start_ns as f64);
        let w = (f.x(span.end_ns as f64) - x0).max(0.6);
        let _ = write!(
            s,
            "<rect x=\"{x0:.2}\" y=\"{:.2}\" width=\"{w:.2}\" height=\"{:.2}\" fill=\"{}\"><title>job {} on w{}: {:.3}–{:.3} ms</title></rect>",
            TOP + row as f64 * f.row_h + f.gap / 2.0,
            (f.row_h - f.gap).max(0.5),
            job_colour(span.job),
            span.job,
            span.worker,
            span.start_ns as f64 / 1e6,
            span.end_ns as f64 / 1e6
        );
    }
    let _ = write!(
        s,
        "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{}\" height=\"{:.1}\" fill=\"none\" stroke=\"#999\" stroke-width=\"0.6\"/>",
        f.plot_w,
        f.plot_h
    );
    s.push_str("</svg>");
    s
}

/// The grid and the time axis with its unit.
fn time_axis(s: &mut String, f: &Frame) {
    for t in nice_ticks(0.0, f.end / f.unit_div, 6) {
        let xv = f.x(t * f.unit_div);
        let _ = write!(
            s,
            "<line x1=\"{xv:.1}\" y1=\"{TOP}\" x2=\"{xv:.1}\" y2=\"{:.1}\" stroke=\"#ddd\" stroke-width=\"0.6\"/>",
            TOP + f.plot_h
        );
        let _ = write!(
            s,
            "<text x=\"{xv:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#444\">{}</text>",
            TOP + f.plot_h + 14.0,
            trim_decimals(t)
        );
    }
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\" fill=\"#444\">time ({})</text>",
        WIDTH - RIGHT,
        f.height - 3.0,
        f.unit
    );
}

/// Row labels: all of them when they fit, otherwise about a dozen.
fn row_labels(s: &mut String, f: &Frame, workers: &[u64]) {
    let label_every = (f.rows as f64 / 12.0).ceil().max(1.0) as usize;
    for (i, w) in workers.iter().enumerate() {
        // The last row gets a label too, unless it would collide with the previous one.
        let last_fits = i + 1 == f.rows && i % label_every >= label_every / 2;
        if i % label_every == 0 || last_fits {
            let _ = write!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{:.1}\" text-anchor=\"end\" dominant-baseline=\"middle\" fill=\"#444\">w{w}</text>",
                LEFT - 4.0,
                TOP + (i as f64 + 0.5) * f.row_h,
                f.row_h.clamp(8.0, 12.0)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::Span;

    #[test]
    fn one_bar_per_job_and_one_label_per_worker() {
        let t = Timeline {
            schema: 1,
            group: "g".into(),
            function: "f".into(),
            wall_ns: 40,
            spans: vec![
                Span {
                    job: 0,
                    worker: 0,
                    start_ns: 0,
                    end_ns: 20,
                },
                Span {
                    job: 1,
                    worker: 1,
                    start_ns: 0,
                    end_ns: 20,
                },
                Span {
                    job: 2,
                    worker: 0,
                    start_ns: 20,
                    end_ns: 40,
                },
            ],
        };
        let svg = render(&t, "g/f");
        assert_eq!(svg.matches("<rect ").count(), 3 + 1, "3 bars and the frame");
        assert!(svg.contains(">w0</text>") && svg.contains(">w1</text>"));
        // Job 2 starts halfway: x = LEFT + plot_w / 2.
        let half = format!("x=\"{:.2}\"", LEFT + (WIDTH - LEFT - RIGHT) / 2.0);
        assert!(svg.contains(&half), "{svg}");
    }
}
