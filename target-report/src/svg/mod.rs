//! Hand-written SVG charts: self-contained (no scripts, fonts or network), scalable through a
//! `viewBox` so they shrink to a phone's width, and well-formed XML so they can be inlined into
//! the XHTML-compatible pages.

pub mod gantt;
pub mod sweep;
pub mod trend;

/// Escapes text for XML/HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// About `target` "nice" tick values (1, 2 or 5 × 10ⁿ apart) covering `[lo, hi]`.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo || target == 0 {
        return vec![lo];
    }
    let raw = (hi - lo) / target as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() * step;
    let mut ticks = Vec::new();
    let mut t = first;
    while t <= hi + step * 1e-9 {
        // Snap to the step grid so labels print as 0.3, not 0.30000000000000004.
        ticks.push((t / step).round() * step);
        t += step;
    }
    ticks
}

/// A colour per job that keeps neighbouring jobs apart (golden-angle hue steps).
pub fn job_colour(job: u64) -> String {
    let hue = (job as f64 * 137.508) % 360.0;
    format!("hsl({hue:.0},62%,52%)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(
            nice_ticks(0.0, 10.0, 5),
            vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
        );
        assert_eq!(nice_ticks(0.0, 0.9, 3), vec![0.0, 0.5]);
        assert_eq!(nice_ticks(3.0, 3.0, 4), vec![3.0]);
    }

    #[test]
    fn escape_covers_markup_characters() {
        assert_eq!(
            escape(r#"a<b & "c">'"#),
            "a&lt;b &amp; &quot;c&quot;&gt;&#39;"
        );
    }
}
