//! A plain-text table for the terminal and CI logs.

use super::Exporter;
use crate::compare::{self, Comparison, Verdict};
use crate::summary::fmt_ns;

/// The plain-text table format.
pub struct Table;

/// `+12.3%` from a fraction.
pub(crate) fn pct(x: f64) -> String {
    format!("{:+.1}%", x * 100.0)
}

fn pad(cells: &[String], widths: &[usize]) -> String {
    let mut line = String::new();
    for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
        let len = c.chars().count();
        // Numbers read best right-aligned; the first column (names) left-aligned.
        if i == 0 {
            line.push_str(c);
            line.push_str(&" ".repeat(w - len));
        } else {
            line.push_str(&" ".repeat(w - len));
            line.push_str(c);
        }
        line.push_str("  ");
    }
    line.trim_end().to_string()
}

impl Exporter<Comparison> for Table {
    fn render(&self, c: &Comparison) -> String {
        let mut rows: Vec<Vec<String>> = vec![vec![
            "benchmark".into(),
            c.old.clone(),
            c.new.clone(),
            "change".into(),
            "95% CI".into(),
            "verdict".into(),
        ]];
        for e in &c.entries {
            rows.push(vec![
                e.id.clone(),
                fmt_ns(e.old_median_ns),
                fmt_ns(e.new_median_ns),
                pct(e.change.point),
                format!("[{}, {}]", pct(e.change.lower), pct(e.change.upper)),
                match e.verdict {
                    Verdict::Regressed => "REGRESSED".into(),
                    v => v.as_str().into(),
                },
            ]);
        }
        let widths: Vec<usize> = (0..rows[0].len())
            .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for r in &rows {
            out.push_str(&pad(r, &widths));
            out.push('\n');
        }
        for (label, list) in [
            ("added (only in ", &c.added),
            ("removed (only in ", &c.removed),
        ] {
            if !list.is_empty() {
                let side = if label.starts_with("added") {
                    &c.new
                } else {
                    &c.old
                };
                out.push_str(&format!("{label}{side}): {}\n", list.join(", ")));
            }
        }
        for i in &c.incomplete {
            out.push_str(&format!("not compared: {i}\n"));
        }
        let few = c.few_samples();
        if !few.is_empty() {
            out.push_str(&format!(
                "note: {} benchmarks have fewer than {} samples on a side (`--quick` keeps as few as 2): their intervals reflect little run-to-run noise; re-run without --quick before trusting a verdict\n",
                few.len(),
                compare::FEW_SAMPLES
            ));
        }
        out.push_str(&format!(
            "{} regressed, {} improved, {} unchanged (threshold {}%)\n{}\n",
            c.count(Verdict::Regressed),
            c.count(Verdict::Improved),
            c.count(Verdict::Unchanged),
            c.threshold_pct,
            compare::METHOD
        ));
        out
    }
}
