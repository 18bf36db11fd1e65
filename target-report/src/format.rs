//! Every number the reports print, formatted in one place: times (nanoseconds, latencies,
//! elapsed durations), rates, speed-up factors, percentages, confidence intervals and
//! parameter values. Exporters, sweep findings and the summary's advice all use these, so the
//! same quantity reads the same everywhere.

use std::time::Duration;

use crate::stats::Interval;

/// Formats nanoseconds with a readable unit (ns, µs, ms, s), 3 significant digits.
pub fn fmt_ns(ns: f64) -> String {
    let (div, unit) = time_unit(ns);
    format!("{} {unit}", sig3(ns / div))
}

/// The divisor and unit for a time in ns: the largest of s, ms, µs and ns that keeps it ≥ 1.
pub fn time_unit(ns: f64) -> (f64, &'static str) {
    if ns >= 1e9 {
        (1e9, "s")
    } else if ns >= 1e6 {
        (1e6, "ms")
    } else if ns >= 1e3 {
        (1e3, "µs")
    } else {
        (1.0, "ns")
    }
}

/// `v` to at most three decimals without trailing zeros (`1.5`, `200`): chart tick labels.
pub fn trim_decimals(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Formats a speed-up factor, e.g. `4.21×`.
pub fn fmt_x(x: f64) -> String {
    format!("{}×", sig3(x))
}

/// Formats a rate per second with an SI prefix, e.g. `2.31 Gelem/s`.
pub fn fmt_rate(per_second: f64, unit: &str) -> String {
    let (v, prefix) = if per_second >= 1e9 {
        (per_second / 1e9, "G")
    } else if per_second >= 1e6 {
        (per_second / 1e6, "M")
    } else if per_second >= 1e3 {
        (per_second / 1e3, "k")
    } else {
        (per_second, "")
    };
    format!("{} {prefix}{unit}/s", sig3(v))
}

/// Three significant digits without a trailing exponent.
pub fn sig3(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let a = v.abs();
    let decimals = if a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 1.0 {
        2
    } else {
        3
    };
    format!("{v:.decimals$}")
}

/// A parameter value for prose: integers from 1,000 up get thousands separators.
pub fn fmt_value(v: &str) -> String {
    match v.parse::<u64>() {
        Ok(n) if n >= 1_000 => {
            let digits = n.to_string();
            let mut out = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 {
                    out.push(',');
                }
                out.push(c);
            }
            out
        }
        _ => v.to_string(),
    }
}

/// `95% CI 1.23 ms–1.45 ms`: a time interval for prose.
pub fn fmt_ci(m: &Interval) -> String {
    format!("95% CI {}–{}", fmt_ns(m.lower), fmt_ns(m.upper))
}

/// `42%` from a fraction: a whole percentage (shares, efficiencies, utilisation).
pub fn fmt_pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// `1.9`: cores kept busy on average (CPU time ÷ wall time), to a tenth of a core; below a
/// tenth to a hundredth (`0.04`), so that a strategy that mostly waits does not read as 0.
pub fn fmt_cores(x: f64) -> String {
    if x.abs() < 0.095 {
        format!("{x:.2}")
    } else {
        format!("{x:.1}")
    }
}

/// `1.9 (1.8–2.0)`: cores kept busy with their interval.
pub fn fmt_cores_interval(i: &Interval) -> String {
    format!(
        "{} ({}–{})",
        fmt_cores(i.point),
        fmt_cores(i.lower),
        fmt_cores(i.upper)
    )
}

/// `3.6 s (3.5 s–3.7 s)`: a time with its interval (medians in tables).
pub fn fmt_ns_interval(i: &Interval) -> String {
    format!(
        "{} ({}–{})",
        fmt_ns(i.point),
        fmt_ns(i.lower),
        fmt_ns(i.upper)
    )
}

/// `41.2× (40.1×–42.5×)`: a factor with its interval (speed-ups, ratios).
pub fn fmt_x_interval(i: &Interval) -> String {
    format!("{} ({}–{})", fmt_x(i.point), fmt_x(i.lower), fmt_x(i.upper))
}

/// `42% (40–44%)` from fractions: a whole percentage with its interval (efficiencies).
pub fn fmt_pct_interval(i: &Interval) -> String {
    format!(
        "{:.0}% ({:.0}–{:.0}%)",
        i.point * 100.0,
        i.lower * 100.0,
        i.upper * 100.0
    )
}

/// A latency in ms: whole as given (`20`), measured ones to 0.01 ms (`20.18`).
pub fn fmt_latency(ms: f64) -> String {
    if ms.fract() == 0.0 {
        format!("{ms}")
    } else {
        format!("{ms:.2}")
    }
}

/// `12.3%` from a fraction: a percentage to one decimal (extra time, detectable changes).
pub fn fmt_pct1(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// `+12.3%` from a fraction: a signed change between two measurements.
pub fn fmt_change(x: f64) -> String {
    format!("{:+.1}%", x * 100.0)
}

/// `12s`, `3m05s`, `1h02m`: elapsed and remaining times in progress lines and reports.
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

/// `about`-precision durations for estimates: `40 s`, `25 min`, `2.5 h`.
pub fn format_duration_rough(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 90.0 {
        format!("{:.0} s", s)
    } else if s < 90.0 * 60.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{} h", trim_decimals((s / 360.0).round() / 10.0))
    }
}

/// `1 value`, `5 values`: a count with its noun.
pub fn fmt_count(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats_keep_three_significant_digits() {
        assert_eq!(fmt_ns(694_728_707.25), "695 ms");
        assert_eq!(fmt_ns(1_234.0), "1.23 µs");
        assert_eq!(fmt_ns(3_430_448_374.0), "3.43 s");
        assert_eq!(fmt_x(4.2149), "4.21×");
        assert_eq!(fmt_rate(230.3, "elem"), "230 elem/s");
        assert_eq!(fmt_rate(2.31e9, "elem"), "2.31 Gelem/s");
    }

    #[test]
    fn percentages_whole_one_decimal_and_signed() {
        assert_eq!(fmt_pct(0.423), "42%");
        assert_eq!(fmt_pct1(0.1234), "12.3%");
        assert_eq!(fmt_change(0.1234), "+12.3%");
        assert_eq!(fmt_change(-0.05), "-5.0%");
        let i = Interval {
            point: 0.423,
            lower: 0.4,
            upper: 0.44,
        };
        assert_eq!(fmt_pct_interval(&i), "42% (40–44%)");
    }

    #[test]
    fn values_get_thousands_separators() {
        assert_eq!(fmt_value("10000"), "10,000");
        assert_eq!(fmt_value("10000000"), "10,000,000");
        assert_eq!(fmt_value("160"), "160");
        assert_eq!(fmt_value("1000"), "1,000");
        assert_eq!(fmt_value("abc"), "abc");
    }

    #[test]
    fn durations_in_seconds_minutes_hours() {
        assert_eq!(format_duration(Duration::from_millis(12_900)), "12s");
        assert_eq!(format_duration(Duration::from_secs(185)), "3m05s");
        assert_eq!(format_duration(Duration::from_secs(3720)), "1h02m");
    }
}
