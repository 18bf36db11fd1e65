//! A trend chart of one benchmark across history records: the median with its 95% interval per
//! record, the fitted constant segments, and a marker at each detected step.

use std::fmt::Write;

use super::{escape, nice_ticks};
use crate::format::{fmt_change, time_unit, trim_decimals};
use crate::steps::Fit;

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 280.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 26.0;
const BOTTOM: f64 = 58.0;

/// One record of one benchmark.
#[derive(Debug, Clone)]
pub struct TrendPoint {
    /// The x label: short commit, `*` when the tree was dirty.
    pub label: String,
    /// Median, ns.
    pub median_ns: f64,
    /// Lower bound of the 95% interval, ns.
    pub lower_ns: f64,
    /// Upper bound of the 95% interval, ns.
    pub upper_ns: f64,
}

/// Renders a standalone SVG document (with XML namespace) for `points` and their `fit`
/// (fitted on the natural log of the medians).
pub fn render(title: &str, points: &[TrendPoint], fit: &Fit) -> String {
    let frame = Frame::new(points);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}">"#,
        escape(&format!(
            "{title}: {} records, {} step changes",
            points.len(),
            fit.steps.len()
        ))
    );
    let _ = write!(
        s,
        "<title>{t}</title><rect width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"#fff\"/><text x=\"{LEFT}\" y=\"16\" font-size=\"14\" font-family=\"sans-serif\" fill=\"#222\">{t}</text>",
        t = escape(title)
    );
    frame.y_axis(&mut s);
    frame.fitted_levels(&mut s, fit);
    frame.step_markers(&mut s, fit);
    frame.points(&mut s, points);
    let (plot_w, plot_h) = (frame.plot_w, frame.plot_h);
    let _ = write!(
        s,
        "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{plot_w}\" height=\"{plot_h}\" fill=\"none\" stroke=\"#999\" stroke-width=\"0.7\"/></svg>"
    );
    s
}

/// The plot's time range and unit, and where record `i` and a time in ns are drawn.
struct Frame {
    /// Records (at least 1).
    n: usize,
    /// Bottom and top of the y axis, ns.
    lo: f64,
    hi: f64,
    /// Divisor and unit of the axis labels.
    div: f64,
    unit: &'static str,
    plot_w: f64,
    plot_h: f64,
}

impl Frame {
    /// A y range covering every median and interval with 8% padding (never below 0).
    fn new(points: &[TrendPoint]) -> Frame {
        let lo = points
            .iter()
            .map(|p| p.lower_ns.min(p.median_ns))
            .fold(f64::INFINITY, f64::min);
        let hi = points
            .iter()
            .map(|p| p.upper_ns.max(p.median_ns))
            .fold(f64::NEG_INFINITY, f64::max);
        let (lo, hi) = if lo.is_finite() && hi > lo {
            let pad = (hi - lo) * 0.08;
            ((lo - pad).max(0.0), hi + pad)
        } else if lo.is_finite() {
            (lo * 0.9, lo * 1.1 + 1.0)
        } else {
            (0.0, 1.0)
        };
        let (div, unit) = time_unit(hi);
        Frame {
            n: points.len().max(1),
            lo,
            hi,
            div,
            unit,
            plot_w: WIDTH - LEFT - RIGHT,
            plot_h: HEIGHT - TOP - BOTTOM,
        }
    }

    fn x(&self, i: f64) -> f64 {
        let step_w = self.plot_w / self.n as f64;
        LEFT + (i + 0.5) * step_w
    }

    fn y(&self, ns: f64) -> f64 {
        TOP + self.plot_h - (ns - self.lo) / (self.hi - self.lo) * self.plot_h
    }

    /// Grid lines, tick labels and the axis label.
    fn y_axis(&self, s: &mut String) {
        let (div, unit) = (self.div, self.unit);
        for t in nice_ticks(self.lo / div, self.hi / div, 5) {
            let yv = self.y(t * div);
            let _ = write!(
                s,
                "<line x1=\"{LEFT}\" y1=\"{yv:.1}\" x2=\"{:.1}\" y2=\"{yv:.1}\" stroke=\"#e3e3e3\" stroke-width=\"0.7\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" font-family=\"sans-serif\" text-anchor=\"end\" fill=\"#444\">{}</text>",
                WIDTH - RIGHT,
                LEFT - 4.0,
                yv + 3.5,
                trim_decimals(t)
            );
        }
        let _ = write!(
            s,
            "<text x=\"14\" y=\"{:.1}\" font-size=\"12\" font-family=\"sans-serif\" fill=\"#444\" transform=\"rotate(-90 14 {:.1})\" text-anchor=\"middle\">median ({unit})</text>",
            TOP + self.plot_h / 2.0,
            TOP + self.plot_h / 2.0
        );
    }

    /// One horizontal line per fitted segment, at its level.
    fn fitted_levels(&self, s: &mut String, fit: &Fit) {
        for seg in &fit.segments {
            let level = seg.level.exp();
            let _ = write!(
                s,
                "<line x1=\"{:.1}\" y1=\"{yv:.1}\" x2=\"{:.1}\" y2=\"{yv:.1}\" stroke=\"#1f77b4\" stroke-width=\"2\" opacity=\"0.55\"/>",
                self.x(seg.start as f64 - 0.4),
                self.x(seg.end as f64 - 0.6),
                yv = self.y(level)
            );
        }
    }

    /// A dashed vertical line at each step change, red up and green down, with its change.
    fn step_markers(&self, s: &mut String, fit: &Fit) {
        for st in &fit.steps {
            let xv = self.x(st.index as f64 - 0.5);
            let change = st.ratio - 1.0;
            let colour = if change > 0.0 { "#c62828" } else { "#2e7d32" };
            let _ = write!(
                s,
                "<line class=\"step\" x1=\"{xv:.1}\" y1=\"{TOP}\" x2=\"{xv:.1}\" y2=\"{:.1}\" stroke=\"{colour}\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" font-family=\"sans-serif\" fill=\"{colour}\">{}</text>",
                TOP + self.plot_h,
                xv + 3.0,
                TOP + 11.0,
                fmt_change(change)
            );
        }
    }

    /// Each record's median with its interval, and a label under every k-th (and the last).
    fn points(&self, s: &mut String, points: &[TrendPoint]) {
        let (div, unit, n) = (self.div, self.unit, self.n);
        let label_every = (n as f64 / 14.0).ceil().max(1.0) as usize;
        for (i, p) in points.iter().enumerate() {
            let xv = self.x(i as f64);
            let _ = write!(
                s,
                "<line x1=\"{xv:.1}\" y1=\"{:.1}\" x2=\"{xv:.1}\" y2=\"{:.1}\" stroke=\"#555\" stroke-width=\"1\"/><circle cx=\"{xv:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#222\"><title>{}: {:.4} {unit} (95% CI {:.4}–{:.4})</title></circle>",
                self.y(p.lower_ns),
                self.y(p.upper_ns),
                self.y(p.median_ns),
                escape(&p.label),
                p.median_ns / div,
                p.lower_ns / div,
                p.upper_ns / div
            );
            if i % label_every == 0 || i + 1 == n {
                let ly = TOP + self.plot_h + 10.0;
                let _ = write!(
                    s,
                    "<text x=\"{xv:.1}\" y=\"{ly:.1}\" font-size=\"11\" font-family=\"monospace\" fill=\"#444\" text-anchor=\"end\" transform=\"rotate(-40 {xv:.1} {ly:.1})\">{}</text>",
                    escape(&p.label)
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::{Segment, Step};

    #[test]
    fn marks_each_step_with_its_percentage() {
        let points: Vec<TrendPoint> = (0..4)
            .map(|i| TrendPoint {
                label: format!("c{i}"),
                median_ns: if i < 2 { 1e6 } else { 1.2e6 },
                lower_ns: 0.99e6,
                upper_ns: 1.21e6,
            })
            .collect();
        let fit = Fit {
            sigma: 0.01,
            penalty: 4.0,
            segments: vec![
                Segment {
                    start: 0,
                    end: 2,
                    level: 1e6f64.ln(),
                },
                Segment {
                    start: 2,
                    end: 4,
                    level: 1.2e6f64.ln(),
                },
            ],
            steps: vec![Step {
                index: 2,
                ratio: 1.2,
            }],
        };
        let svg = render("g/f", &points, &fit);
        assert_eq!(svg.matches("class=\"step\"").count(), 1);
        assert!(svg.contains(">+20.0%</text>"));
        assert_eq!(svg.matches("<circle ").count(), 4);
    }
}
