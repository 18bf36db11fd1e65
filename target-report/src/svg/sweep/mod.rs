//! A sweep chart: median time per iteration against the swept parameter, one coloured line with
//! markers per strategy, the 95% interval of each median as a whisker, and for I/O sweeps the
//! ideal ⌈N/C⌉·L of each strategy as a dashed line of the same colour.
//!
//! # Axes
//! * **x** is the parameter. It is logarithmic when the largest value is at least 100× the
//!   smallest (`1…160` workers, `10…10000` requests) — which includes any range starting at 0
//!   with two or more positive values (`0, 1, 5, 20, 50` ms) — linear otherwise, and categorical
//!   (evenly spaced, in the given order) when the caller says the values are not numbers. A
//!   logarithm has no place for 0, so on a log axis a value of 0 is drawn at the left edge,
//!   separated from the smallest positive value by a fixed gap and a `//` break mark on the
//!   axis; the distance between 0 and the next value means nothing.
//! * **y** is the median time per iteration. It is logarithmic when the drawn values (medians,
//!   interval ends and ideal times) span two decades or more, and linear from 0 otherwise.
//!
//! Points that were not measured have no median; when their ideal time is known (an I/O point
//! skipped because even the ideal was too slow) they are drawn as a hollow marker at that ideal,
//! a lower bound of what the run would have taken. The caller lists them with their reasons.

use std::fmt::Write;

mod axes;

use super::escape;
use crate::stats::Interval;
use crate::summary::sweeps::{number, Sweep};
pub use axes::{compact_number, XScale};
use axes::{time_label, YScale};

/// Narrower than the other charts, with larger text, so it stays legible at a phone's width.
const WIDTH: f64 = 560.0;
const LEFT: f64 = 78.0;
const RIGHT: f64 = 18.0;
const TOP: f64 = 30.0;
const PLOT_H: f64 = 270.0;
/// Room under the plot for the x tick labels and the axis label.
const AXIS_H: f64 = 50.0;
const LEGEND_ROW: f64 = 21.0;
/// Where the positive values start on a log axis that also shows 0 at its left edge.
const ZERO_GAP: f64 = 30.0;
/// Horizontal offset between strategies at the same x, so their whiskers do not cover each other.
const DODGE: f64 = 3.5;
/// Inner margin of the plot so markers at the ends are not cut by the frame.
const PAD_X: f64 = 14.0;

/// Colours for strategies: distinguishable on white, assigned by the caller in a fixed order so a
/// strategy keeps its colour on every chart of the page.
pub const PALETTE: [&str; 10] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#7f7f7f", "#bcbd22",
];

/// The colour of the `i`-th strategy (cycling through [`PALETTE`]).
pub fn colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// One parameter value of one strategy.
#[derive(Debug, Clone)]
pub struct SeriesPoint {
    /// Position on the x axis: the parameter value, or its index for a categorical axis.
    pub x: f64,
    /// The median time per iteration (ns) with its 95% interval; `None` when not measured.
    pub median_ns: Option<Interval>,
    /// The ideal ⌈N/C⌉·L (ns), I/O only.
    pub ideal_ns: Option<f64>,
    /// Hover text: the parameter and, when not measured, why.
    pub label: String,
}

/// One strategy's line.
#[derive(Debug, Clone)]
pub struct Series {
    /// The strategy.
    pub name: String,
    /// A CSS colour.
    pub colour: String,
    /// Its points, in any order (drawn in x order).
    pub points: Vec<SeriesPoint>,
}

/// Everything a sweep chart shows.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Drawn at the top and used as the accessible name.
    pub title: String,
    /// What the parameter is, e.g. `workers`.
    pub x_label: String,
    /// The parameter values to mark on the x axis: position and label.
    pub x_ticks: Vec<(f64, String)>,
    /// The values are names, not numbers: evenly spaced positions `0, 1, 2, …`.
    pub categorical: bool,
    /// One line per strategy.
    pub series: Vec<Series>,
    /// Legend text of the dashed ideal lines (I/O sweeps); `None` draws none.
    pub ideal_label: Option<String>,
}

/// Rough width of `text` at `size` px in a sans-serif font, for layout without font metrics.
fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.56
}

/// The chart of a sweep: one series per strategy, coloured consistently across the page.
pub fn from_sweep(sw: &Sweep) -> Chart {
    let x = |value: &str| {
        if sw.numeric {
            number(value).unwrap_or(0.0)
        } else {
            sw.index(value) as f64
        }
    };
    let series = sw
        .strategies
        .iter()
        .enumerate()
        .map(|(i, name)| Series {
            name: name.clone(),
            colour: colour(sw.colours.get(i).copied().unwrap_or(i)).to_string(),
            points: sw
                .points
                .iter()
                .filter(|p| &p.strategy == name)
                .map(|p| SeriesPoint {
                    x: x(&p.parameter),
                    median_ns: p.median_ns,
                    ideal_ns: p.ideal_ns,
                    label: sw.parameter.phrase(&p.parameter),
                })
                .collect(),
        })
        .collect();
    Chart {
        title: sw.group.clone(),
        x_label: sw.parameter_name.clone(),
        x_ticks: sw
            .values
            .iter()
            .map(|v| {
                let label = match number(v) {
                    Some(n) if sw.numeric => compact_number(n),
                    _ => v.clone(),
                };
                (x(v), label)
            })
            .collect(),
        categorical: !sw.numeric,
        series,
        ideal_label: (sw.kind.as_deref() == Some("io")
            && sw.points.iter().any(|p| p.ideal_ns.is_some()))
        .then(|| "ideal ⌈N/C⌉·L (dashed, same colour)".to_string()),
    }
}

/// Renders `chart` as an `<svg>` element (with its namespace, so it also stands alone as a file).
pub fn render(chart: &Chart) -> String {
    let plot = Plot::new(chart);
    let legend = Legend::place(chart);
    let height = legend.top + legend.rows as f64 * LEGEND_ROW + 6.0;
    let mut s = String::new();
    header(&mut s, chart, height);
    y_axis(&mut s, &plot.yscale);
    x_axis(&mut s, chart, &plot.xscale);
    // Ideal lines first, so the measurements are drawn over them.
    if chart.ideal_label.is_some() {
        for (i, series) in chart.series.iter().enumerate() {
            ideal_line(&mut s, &plot, i, series);
        }
    }
    for (i, series) in chart.series.iter().enumerate() {
        measurements(&mut s, &plot, i, series);
    }
    let (x0, plot_w) = (LEFT, WIDTH - RIGHT - LEFT);
    let _ = write!(
        s,
        "<rect x=\"{x0}\" y=\"{TOP}\" width=\"{plot_w}\" height=\"{PLOT_H}\" fill=\"none\" stroke=\"#999\" stroke-width=\"0.8\"/>"
    );
    legend.draw(&mut s);
    s.push_str("</svg>");
    s
}

/// The plot area's scales, and where a strategy's point at x is drawn.
struct Plot {
    xscale: XScale,
    yscale: YScale,
    nseries: usize,
}

impl Plot {
    /// Scales chosen from every tick, point, interval end and ideal time of `chart`.
    fn new(chart: &Chart) -> Plot {
        let xs: Vec<f64> = chart
            .x_ticks
            .iter()
            .map(|(x, _)| *x)
            .chain(
                chart
                    .series
                    .iter()
                    .flat_map(|s| s.points.iter().map(|p| p.x)),
            )
            .collect();
        let xscale = if chart.categorical {
            XScale::Categorical(chart.x_ticks.len())
        } else {
            XScale::choose(&xs, false)
        };
        let ys: Vec<f64> = chart
            .series
            .iter()
            .flat_map(|s| s.points.iter())
            .flat_map(|p| {
                let m = p
                    .median_ns
                    .map_or(vec![], |m| vec![m.lower, m.point, m.upper]);
                m.into_iter().chain(p.ideal_ns)
            })
            .collect();
        Plot {
            xscale,
            yscale: YScale::choose(&ys),
            nseries: chart.series.len(),
        }
    }

    /// The x coordinate of value `v` for the `i`-th series, dodged so whiskers do not overlap.
    fn px(&self, v: f64, i: usize) -> f64 {
        let dodge = (i as f64 - (self.nseries as f64 - 1.0) / 2.0) * DODGE;
        self.xscale.map(v, LEFT, WIDTH - RIGHT) + dodge
    }
}

/// The opening `<svg>` with its accessible name, background and title.
fn header(s: &mut String, chart: &Chart, height: f64) {
    let points_total: usize = chart.series.iter().map(|s| s.points.len()).sum();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="sweep" viewBox="0 0 {WIDTH} {height:.1}" role="img" aria-label="{}" font-family="sans-serif">"#,
        escape(&format!(
            "{}: median time per iteration against {}, {} strategies, {points_total} points",
            chart.title,
            chart.x_label,
            chart.series.len()
        ))
    );
    let _ = write!(
        s,
        "<title>{t}</title><rect width=\"{WIDTH}\" height=\"{height:.1}\" fill=\"#fff\"/><text x=\"{LEFT}\" y=\"19\" font-size=\"15\" font-weight=\"600\" fill=\"#222\">{t}</text>",
        t = escape(&chart.title)
    );
}

/// The y grid, tick labels and axis label.
fn y_axis(s: &mut String, yscale: &YScale) {
    let (x0, x1) = (LEFT, WIDTH - RIGHT);
    for t in yscale.ticks() {
        let yv = yscale.map(t);
        let _ = write!(
            s,
            "<line x1=\"{x0}\" y1=\"{yv:.1}\" x2=\"{x1}\" y2=\"{yv:.1}\" stroke=\"#e6e6e6\" stroke-width=\"0.8\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13.5\" text-anchor=\"end\" fill=\"#444\">{}</text>",
            x0 - 5.0,
            yv + 4.0,
            time_label(t)
        );
    }
    let y_label = match yscale {
        YScale::Log { .. } => "median per iteration, log scale".to_string(),
        YScale::Linear { .. } => "median per iteration".to_string(),
    };
    let ymid = TOP + PLOT_H / 2.0;
    let _ = write!(
        s,
        "<text x=\"16\" y=\"{ymid:.1}\" font-size=\"13.5\" fill=\"#444\" text-anchor=\"middle\" transform=\"rotate(-90 16 {ymid:.1})\">{}</text>",
        escape(&y_label)
    );
}

/// The x grid (one line per parameter value), the tick labels that do not collide, the axis
/// label, and the break mark when 0 sits on a log axis.
fn x_axis(s: &mut String, chart: &Chart, xscale: &XScale) {
    let (x0, x1) = (LEFT, WIDTH - RIGHT);
    let bottom = TOP + PLOT_H;
    let mut ticks: Vec<&(f64, String)> = chart.x_ticks.iter().collect();
    ticks.sort_by(|a, b| a.0.total_cmp(&b.0));
    // The last label always shows; walking from it leftwards keeps the first one too unless
    // the two collide.
    let last_left = ticks.last().map_or(f64::INFINITY, |(v, label)| {
        xscale.map(*v, x0, x1) - text_width(label, 13.5) / 2.0
    });
    let mut last_right = f64::NEG_INFINITY;
    for (i, (v, label)) in ticks.iter().enumerate() {
        let xv = xscale.map(*v, x0, x1);
        let _ = write!(
            s,
            "<line class=\"x-grid\" x1=\"{xv:.1}\" y1=\"{TOP}\" x2=\"{xv:.1}\" y2=\"{bottom}\" stroke=\"#eeeeee\" stroke-width=\"0.8\"/>"
        );
        let w = text_width(label, 13.5);
        let is_last = i + 1 == ticks.len();
        let fits = xv - w / 2.0 > last_right + 4.0 && (is_last || xv + w / 2.0 + 4.0 < last_left);
        if fits {
            let _ = write!(
                s,
                "<text class=\"x-tick\" x=\"{xv:.1}\" y=\"{:.1}\" font-size=\"13.5\" text-anchor=\"middle\" fill=\"#444\">{}</text>",
                bottom + 18.0,
                escape(label)
            );
            last_right = xv + w / 2.0;
        }
    }
    let x_label = if xscale.is_log() {
        format!("{}, log scale", chart.x_label)
    } else {
        chart.x_label.clone()
    };
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"14.5\" text-anchor=\"middle\" fill=\"#333\">{}</text>",
        x0 + (x1 - x0) / 2.0,
        bottom + 40.0,
        escape(&x_label)
    );
    if let XScale::Log { zero: true, .. } = xscale {
        // The axis break between 0 and the first positive value.
        let bx = x0 + PAD_X + ZERO_GAP / 2.0;
        let _ = write!(
            s,
            "<path d=\"M{:.1} {:.1} l6 -10 M{:.1} {:.1} l6 -10\" stroke=\"#777\" stroke-width=\"1.2\" fill=\"none\"/>",
            bx - 5.0,
            bottom + 5.0,
            bx,
            bottom + 5.0
        );
    }
}

/// The dashed ideal line of the `i`-th series (a short dash when it has one ideal).
fn ideal_line(s: &mut String, plot: &Plot, i: usize, series: &Series) {
    let mut pts: Vec<(f64, f64)> = series
        .points
        .iter()
        .filter_map(|p| {
            p.ideal_ns
                .map(|ideal| (plot.px(p.x, i), plot.yscale.map(ideal)))
        })
        .collect();
    if pts.is_empty() {
        return;
    }
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    if pts.len() == 1 {
        // A single ideal is a short dash, so it is still visible.
        let (x, y) = pts[0];
        pts = vec![(x - 9.0, y), (x + 9.0, y)];
    }
    let _ = write!(
        s,
        "<polyline class=\"ideal\" data-strategy=\"{}\" points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.6\" stroke-dasharray=\"6 4\" opacity=\"0.75\"><title>{}: ideal ⌈N/C⌉·L</title></polyline>",
        escape(&series.name),
        polyline(&pts),
        escape(&series.colour),
        escape(&series.name)
    );
}

/// The `i`-th series' line through its medians, each median's marker and whisker, and a
/// hollow marker at the ideal of each point not measured.
fn measurements(s: &mut String, plot: &Plot, i: usize, series: &Series) {
    let yscale = &plot.yscale;
    let colour = escape(&series.colour);
    let mut measured: Vec<(&SeriesPoint, Interval)> = series
        .points
        .iter()
        .filter_map(|p| p.median_ns.map(|m| (p, m)))
        .collect();
    measured.sort_by(|a, b| a.0.x.total_cmp(&b.0.x));
    if !measured.is_empty() {
        let pts: Vec<(f64, f64)> = measured
            .iter()
            .map(|(p, m)| (plot.px(p.x, i), yscale.map(m.point)))
            .collect();
        let _ = write!(
            s,
            "<polyline class=\"series\" data-strategy=\"{}\" points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" stroke-linejoin=\"round\"/>",
            escape(&series.name),
            polyline(&pts)
        );
    }
    for (p, m) in &measured {
        let xv = plot.px(p.x, i);
        let (yl, yu) = (yscale.map(m.lower), yscale.map(m.upper));
        let _ = write!(
            s,
            "<path class=\"ci\" d=\"M{xv:.1} {yl:.1}V{yu:.1}M{:.1} {yl:.1}h6M{:.1} {yu:.1}h6\" stroke=\"{colour}\" stroke-width=\"1.3\" fill=\"none\"/><circle class=\"point\" data-strategy=\"{}\" cx=\"{xv:.1}\" cy=\"{:.1}\" r=\"3.6\" fill=\"{colour}\" stroke=\"#fff\" stroke-width=\"0.8\"><title>{} at {}: {} (95% CI {}–{})</title></circle>",
            xv - 3.0,
            xv - 3.0,
            escape(&series.name),
            yscale.map(m.point),
            escape(&series.name),
            escape(&p.label),
            time_label(m.point),
            time_label(m.lower),
            time_label(m.upper)
        );
    }
    for p in series.points.iter().filter(|p| p.median_ns.is_none()) {
        if let Some(ideal) = p.ideal_ns {
            let _ = write!(
                s,
                "<circle class=\"unmeasured\" data-strategy=\"{}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"4.2\" fill=\"#fff\" stroke=\"{colour}\" stroke-width=\"1.8\"><title>{} at {}: not measured; at least {}</title></circle>",
                escape(&series.name),
                plot.px(p.x, i),
                yscale.map(ideal),
                escape(&series.name),
                escape(&p.label),
                time_label(ideal)
            );
        }
    }
}

/// What a legend entry shows beside its text.
#[derive(Clone, Copy)]
enum Key {
    /// A strategy's line and marker.
    Series,
    /// The dashed ideal line.
    Ideal,
    /// The hollow marker of a point not measured.
    Hollow,
}

/// The legend under the axes: entries laid out left to right, wrapping at the plot's width.
struct Legend {
    /// (key, colour, text, x, row) per entry.
    placed: Vec<(Key, String, String, f64, usize)>,
    /// Rows used.
    rows: usize,
    /// y of the first row.
    top: f64,
}

impl Legend {
    /// One entry per strategy, then the ideal line and the hollow marker when drawn.
    fn place(chart: &Chart) -> Legend {
        let hollow = chart.series.iter().any(|s| {
            s.points
                .iter()
                .any(|p| p.median_ns.is_none() && p.ideal_ns.is_some())
        });
        let mut entries: Vec<(Key, String, String)> = chart
            .series
            .iter()
            .map(|s| (Key::Series, s.colour.clone(), s.name.clone()))
            .collect();
        if let Some(label) = &chart.ideal_label {
            entries.push((Key::Ideal, "#555".into(), label.clone()));
        }
        if hollow {
            entries.push((
                Key::Hollow,
                "#555".into(),
                "not measured: at its ideal (a lower bound)".into(),
            ));
        }
        let mut placed = Vec::new();
        let (mut lx, mut row) = (LEFT, 0usize);
        for (key, colour, text) in entries {
            let w = 26.0 + text_width(&text, 13.5) + 16.0;
            if lx + w > WIDTH - RIGHT && lx > LEFT {
                lx = LEFT;
                row += 1;
            }
            placed.push((key, colour, text, lx, row));
            lx += w;
        }
        Legend {
            rows: if placed.is_empty() { 0 } else { row + 1 },
            placed,
            top: TOP + PLOT_H + AXIS_H + 6.0,
        }
    }

    fn draw(&self, s: &mut String) {
        for (key, colour, text, lx, row) in &self.placed {
            let lx = *lx;
            let ly = self.top + *row as f64 * LEGEND_ROW + 9.0;
            let c = escape(colour);
            match key {
                Key::Series => {
                    let _ = write!(
                        s,
                        "<path d=\"M{lx:.1} {ly:.1}h20\" stroke=\"{c}\" stroke-width=\"2.2\"/><circle cx=\"{:.1}\" cy=\"{ly:.1}\" r=\"3.6\" fill=\"{c}\"/>",
                        lx + 10.0
                    );
                }
                Key::Ideal => {
                    let _ = write!(
                        s,
                        "<path d=\"M{lx:.1} {ly:.1}h20\" stroke=\"{c}\" stroke-width=\"1.6\" stroke-dasharray=\"6 4\"/>"
                    );
                }
                Key::Hollow => {
                    let _ = write!(
                        s,
                        "<circle cx=\"{:.1}\" cy=\"{ly:.1}\" r=\"4.2\" fill=\"#fff\" stroke=\"{c}\" stroke-width=\"1.8\"/>",
                        lx + 10.0
                    );
                }
            }
            let _ = write!(
                s,
                "<text class=\"legend\" x=\"{:.1}\" y=\"{:.1}\" font-size=\"13.5\" fill=\"#222\">{}</text>",
                lx + 26.0,
                ly + 4.0,
                escape(text)
            );
        }
    }
}

fn polyline(pts: &[(f64, f64)]) -> String {
    pts.iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(point: f64) -> Option<Interval> {
        Some(Interval {
            point,
            lower: point * 0.95,
            upper: point * 1.05,
        })
    }

    #[test]
    fn one_line_per_strategy_dashed_ideals_and_hollow_unmeasured_points() {
        let series = |name: &str, k: f64| Series {
            name: name.into(),
            colour: colour(0).into(),
            points: vec![
                SeriesPoint {
                    x: 1.0,
                    median_ns: iv(k * 1e8),
                    ideal_ns: Some(k * 0.5e8),
                    label: "1".into(),
                },
                SeriesPoint {
                    x: 10.0,
                    median_ns: None,
                    ideal_ns: Some(k * 0.5e9),
                    label: "10".into(),
                },
            ],
        };
        let chart = Chart {
            title: "sweep/x".into(),
            x_label: "workers".into(),
            x_ticks: vec![(1.0, "1".into()), (10.0, "10".into())],
            categorical: false,
            series: vec![series("a", 1.0), series("b", 2.0)],
            ideal_label: Some("ideal".into()),
        };
        let svg = render(&chart);
        assert_eq!(svg.matches("class=\"series\"").count(), 2);
        assert_eq!(svg.matches("class=\"ideal\"").count(), 2);
        assert_eq!(svg.matches("stroke-dasharray").count(), 2 + 1, "+ legend");
        assert_eq!(svg.matches("class=\"unmeasured\"").count(), 2);
        assert!(svg.contains(">not measured: at its ideal (a lower bound)</text>"));
    }
}
