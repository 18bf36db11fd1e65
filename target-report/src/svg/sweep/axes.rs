//! The sweep chart's axes: how parameter values (x) and times (y) map to the plot, where the
//! ticks go, and how their labels read.

use super::super::nice_ticks;
use super::{PAD_X, PLOT_H, TOP, ZERO_GAP};
use crate::format::{time_unit, trim_decimals};

/// How x values map to the plot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum XScale {
    /// Evenly spaced positions `0..n`.
    Categorical(usize),
    /// Linear from `lo` to `hi`.
    Linear {
        /// Smallest value.
        lo: f64,
        /// Largest value.
        hi: f64,
    },
    /// Logarithmic from `lo` to `hi` (both positive); `zero` reserves the left edge for 0.
    Log {
        /// Smallest positive value.
        lo: f64,
        /// Largest value.
        hi: f64,
        /// Whether 0 is among the values.
        zero: bool,
    },
}

impl XScale {
    /// The scale for `values`: log when the largest is 100× the smallest or more (a minimum of
    /// 0 counts as infinitely far, given two distinct positive values) and none is negative,
    /// linear otherwise; categorical when asked.
    pub fn choose(values: &[f64], categorical: bool) -> XScale {
        if categorical {
            return XScale::Categorical(values.len());
        }
        let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let min_pos = finite
            .iter()
            .copied()
            .filter(|v| *v > 0.0)
            .fold(f64::INFINITY, f64::min);
        let spread = if lo == 0.0 && hi > min_pos {
            f64::INFINITY
        } else {
            hi / min_pos
        };
        if lo >= 0.0 && min_pos.is_finite() && spread >= 100.0 {
            XScale::Log {
                lo: min_pos,
                hi,
                zero: finite.contains(&0.0),
            }
        } else if lo.is_finite() {
            XScale::Linear { lo, hi }
        } else {
            XScale::Linear { lo: 0.0, hi: 1.0 }
        }
    }

    /// Whether the axis is logarithmic.
    pub fn is_log(&self) -> bool {
        matches!(self, XScale::Log { .. })
    }

    /// The x coordinate of `v` in a plot from `x0` to `x1`.
    pub(super) fn map(&self, v: f64, x0: f64, x1: f64) -> f64 {
        let (a, b) = (x0 + PAD_X, x1 - PAD_X);
        let mid = (a + b) / 2.0;
        match *self {
            XScale::Categorical(n) if n <= 1 => mid,
            XScale::Categorical(n) => a + v / (n - 1) as f64 * (b - a),
            XScale::Linear { lo, hi } if hi > lo => a + (v - lo) / (hi - lo) * (b - a),
            XScale::Linear { .. } => mid,
            XScale::Log { lo, hi, zero } => {
                let start = if zero { a + ZERO_GAP } else { a };
                if v <= 0.0 {
                    a
                } else if hi > lo {
                    start + (v.ln() - lo.ln()) / (hi.ln() - lo.ln()) * (b - start)
                } else {
                    (start + b) / 2.0
                }
            }
        }
    }
}

/// How y values (ns) map to the plot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum YScale {
    Linear { hi: f64 },
    Log { lo: f64, hi: f64 },
}

impl YScale {
    pub(super) fn choose(values: &[f64]) -> YScale {
        let pos: Vec<f64> = values
            .iter()
            .copied()
            .filter(|v| v.is_finite() && *v > 0.0)
            .collect();
        let lo = pos.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = pos.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !lo.is_finite() {
            return YScale::Linear { hi: 1.0 };
        }
        if hi / lo >= 100.0 {
            // A little room above and below, in log space.
            YScale::Log {
                lo: lo / 1.3,
                hi: hi * 1.3,
            }
        } else {
            YScale::Linear { hi: hi * 1.08 }
        }
    }

    pub(super) fn map(&self, ns: f64) -> f64 {
        let bottom = TOP + PLOT_H;
        match *self {
            YScale::Linear { hi } => bottom - (ns / hi).clamp(0.0, 1.0) * PLOT_H,
            YScale::Log { lo, hi } => {
                let f = (ns.max(lo).ln() - lo.ln()) / (hi.ln() - lo.ln());
                bottom - f.clamp(0.0, 1.0) * PLOT_H
            }
        }
    }

    /// Tick values in ns.
    pub(super) fn ticks(&self) -> Vec<f64> {
        match *self {
            YScale::Linear { hi } => {
                let div = time_unit(hi).0;
                nice_ticks(0.0, hi / div, 6)
                    .into_iter()
                    .map(|t| t * div)
                    .collect()
            }
            YScale::Log { lo, hi } => {
                let decades = (hi / lo).log10();
                let mults: &[f64] = if decades > 3.5 {
                    &[1.0]
                } else if decades > 2.2 {
                    &[1.0, 3.0]
                } else {
                    &[1.0, 2.0, 5.0]
                };
                let mut out = Vec::new();
                let mut k = lo.log10().floor() as i32;
                while 10f64.powi(k) <= hi {
                    for m in mults {
                        let v = m * 10f64.powi(k);
                        if v >= lo && v <= hi {
                            out.push(v);
                        }
                    }
                    k += 1;
                }
                out
            }
        }
    }
}

/// A time tick label with its own unit, e.g. `200 ms`, `1.5 s`.
pub(super) fn time_label(ns: f64) -> String {
    if ns == 0.0 {
        return "0".into();
    }
    let (div, unit) = time_unit(ns);
    format!("{} {unit}", trim_decimals(ns / div))
}

/// A parameter value in few characters: `10k`, `1M`, `0.5`.
pub fn compact_number(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 && (v / 1e6).fract() == 0.0 {
        format!("{}M", trim_decimals(v / 1e6))
    } else if a >= 1e4 && (v / 1e3).fract() == 0.0 {
        format!("{}k", trim_decimals(v / 1e3))
    } else {
        trim_decimals(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_axis_is_log_only_across_two_decades_and_keeps_zero_at_the_edge() {
        assert!(XScale::choose(&[1.0, 2.0, 160.0], false).is_log());
        assert!(!XScale::choose(&[1.0, 2.0, 4.0, 8.0], false).is_log());
        assert!(XScale::choose(&[0.0, 1.0, 5.0, 50.0], false).is_log());
        assert!(!XScale::choose(&[0.0, 1.0], false).is_log());
        assert!(!XScale::choose(&[2.0, 50.0], false).is_log());
        let s = XScale::choose(&[0.0, 1.0, 10.0, 100.0], false);
        assert_eq!(
            s,
            XScale::Log {
                lo: 1.0,
                hi: 100.0,
                zero: true
            }
        );
        // 0 at the left edge, 1 a gap to its right, 100 at the right edge.
        assert_eq!(s.map(0.0, 0.0, 200.0), PAD_X);
        assert_eq!(s.map(1.0, 0.0, 200.0), PAD_X + ZERO_GAP);
        assert!((s.map(100.0, 0.0, 200.0) - (200.0 - PAD_X)).abs() < 1e-9);
        // A single value sits in the middle instead of dividing by zero.
        let one = XScale::choose(&[4.0], false);
        assert_eq!(one.map(4.0, 0.0, 200.0), 100.0);
    }

    #[test]
    fn y_axis_is_log_across_two_decades() {
        assert!(matches!(YScale::choose(&[1e6, 2e8]), YScale::Log { .. }));
        assert!(matches!(YScale::choose(&[1e6, 9e7]), YScale::Linear { .. }));
        let ticks = YScale::choose(&[1e6, 1e9]).ticks();
        assert!(ticks.contains(&1e7) && ticks.contains(&1e8), "{ticks:?}");
    }

    #[test]
    fn numbers_are_compact() {
        assert_eq!(compact_number(10_000.0), "10k");
        assert_eq!(compact_number(10_000_000.0), "10M");
        assert_eq!(compact_number(160.0), "160");
        assert_eq!(time_label(2e8), "200 ms");
        assert_eq!(time_label(1.5e9), "1.5 s");
    }
}
