//! `layout`'s report: a plain-text table of each benchmark's spread across link orders, and
//! one summary line.

use super::plain::pad;
use super::Exporter;
use super::PlainTable;
use crate::format::{fmt_ns, fmt_pct1};
use crate::noise::LayoutNoise;

impl Exporter<LayoutNoise> for PlainTable {
    fn render(&self, l: &LayoutNoise) -> String {
        let head: Vec<String> = [
            "benchmark",
            "fastest layout",
            "slowest layout",
            "spread",
            "SD ln across layouts",
            "σ_layout (df)",
            "σ_run (df)",
        ]
        .map(String::from)
        .to_vec();
        let df_run = l.builds * (l.rounds - 1);
        let rows: Vec<Vec<String>> = l
            .benchmarks
            .iter()
            .map(|(id, b)| {
                vec![
                    id.clone(),
                    fmt_ns(b.min_ns),
                    fmt_ns(b.max_ns),
                    fmt_pct1(b.max_ns / b.min_ns - 1.0),
                    fmt_pct1(b.sd_log_between),
                    if b.sd_log > 0.0 {
                        format!("{} ({:.1})", fmt_pct1(b.sd_log), b.df)
                    } else {
                        "0 (within run noise)".to_string()
                    },
                    format!("{} ({df_run})", fmt_pct1(b.sd_log_run)),
                ]
            })
            .collect();
        let mut widths: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
        for r in &rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let mut out = pad(&head, &widths) + "\n";
        for r in &rows {
            out += &pad(r, &widths);
            out.push('\n');
        }
        out
    }
}

/// One line: how many benchmarks on how many link orders, for how many the layout term is
/// above the run-to-run noise, and the largest.
pub fn summary_line(l: &LayoutNoise) -> String {
    let above: Vec<(&String, f64)> = l
        .benchmarks
        .iter()
        .filter(|(_, b)| b.sd_log > 0.0)
        .map(|(id, b)| (id, b.sd_log))
        .collect();
    let largest = above
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(String::new(), |(id, s)| {
            format!("; largest σ_layout {} ({id})", fmt_pct1(*s))
        });
    format!(
        "{} benchmarks × {} link orders (seeds {}) × {} runs: σ_layout above the run-to-run noise for {}{largest}",
        l.benchmarks.len(),
        l.builds,
        l.seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        l.rounds,
        above.len()
    )
}
