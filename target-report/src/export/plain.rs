//! A plain-text table for the terminal and CI logs, and the summary's measurement defects as
//! plain text.

use super::Exporter;
use crate::compare::{self, Comparison, Entry, Verdict};
use crate::format::{fmt_change, fmt_ns, fmt_ns_interval, fmt_pct1, fmt_x_interval};
use crate::summary::{GilCheck, RustVsPython};
use crate::summary::{Pairing, Summary};

/// The plain-text table format.
pub struct PlainTable;

pub(crate) fn pad(cells: &[String], widths: &[usize]) -> String {
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

/// The column heads of a comparison table (the rounds column only when there are rounds).
pub(crate) fn compare_head(c: &Comparison) -> Vec<String> {
    let mut head: Vec<String> = vec![
        "benchmark".into(),
        c.old.clone(),
        c.new.clone(),
        "change".into(),
        "decision interval".into(),
        "regressed at 80%".into(),
        "unchanged at 80%".into(),
        "noise".into(),
        "verdict".into(),
    ];
    if has_rounds(c) {
        head.push(format!("rounds for {}%", c.threshold_pct));
    }
    head
}

/// The index of the verdict in [`compare_cells`].
pub(crate) const VERDICT_CELL: usize = 8;
/// The index of the noise source in [`compare_cells`].
pub(crate) const NOISE_CELL: usize = 7;

fn has_rounds(c: &Comparison) -> bool {
    c.entries.iter().any(|e| e.rounds_needed.is_some())
}

/// The interval that decided the verdict: `≥ +7.1% (one-sided)` for a regression (never
/// below +T), `≤ −7.1% (one-sided)` for an improvement, otherwise the 95% interval with its
/// bounds joined by `to` (`[−1.0%, +2.0%]` or `−1.0% to +2.0%`).
pub(crate) fn decision_cell(e: &Entry, to: (&str, &str, &str)) -> String {
    match (e.decision.lower, e.decision.upper) {
        (Some(lo), None) => format!("≥ {} (one-sided)", fmt_change(lo)),
        (None, Some(hi)) => format!("≤ {} (one-sided)", fmt_change(hi)),
        (lo, hi) => format!(
            "{}{}{}{}{}",
            to.0,
            fmt_change(lo.unwrap_or(e.change.lower)),
            to.1,
            fmt_change(hi.unwrap_or(e.change.upper)),
            to.2
        ),
    }
}

/// `±1.5%`: the true changes called unchanged with 80% probability, or the se that would take.
fn unchanged_cell(e: &Entry) -> String {
    match (e.unchanged_within, e.se_for_unchanged) {
        (Some(u), _) => format!("±{}", fmt_pct1(u)),
        (None, Some(se)) => format!("no: needs se {}", fmt_pct1(se)),
        (None, None) => "no".into(),
    }
}

/// One benchmark's cells, in the order of [`compare_head`]; the verdict as its word.
pub(crate) fn compare_cells(c: &Comparison, e: &Entry) -> Vec<String> {
    let mut cells = vec![
        e.id.clone(),
        fmt_ns(e.old_median_ns),
        fmt_ns(e.new_median_ns),
        fmt_change(e.change.point),
        decision_cell(e, ("[", ", ", "]")),
        fmt_change(e.mdc),
        unchanged_cell(e),
        format!(
            "{}{}",
            e.noise.describe(),
            if e.within_run_floor { " *" } else { "" }
        ),
        e.verdict.as_str().into(),
    ];
    if has_rounds(c) {
        cells.push(e.rounds_needed.map_or("—".into(), |k| k.to_string()));
    }
    cells
}

/// The lines under a comparison table, shared by the text formats: what was not compared,
/// the configurations, warnings, the noise sources, the counts and the method. `code` marks
/// up inline code (backticks in Markdown).
pub(crate) fn compare_notes(c: &Comparison, code: impl Fn(&str) -> String) -> Vec<String> {
    let mut out = Vec::new();
    if !c.added.is_empty() {
        out.push(format!(
            "added (only in {}): {}",
            code(&c.new),
            c.added.join(", ")
        ));
    }
    if !c.removed.is_empty() {
        out.push(format!(
            "removed (only in {}): {}",
            code(&c.old),
            c.removed.join(", ")
        ));
    }
    for i in &c.incomplete {
        out.push(format!("not compared: {i}"));
    }
    if !c.entries.is_empty() {
        // Sequential rounds (`ab`) judge "unchanged" by the 1 − α/L interval of L looks.
        let looks = c.entries.iter().map(|e| e.looks).max().unwrap_or(1);
        let level = match looks {
            0 | 1 => "95%".to_string(),
            l => format!(
                "{:.1}% (1 − α/{l}: up to {l} looks)",
                100.0 * (1.0 - 0.05 / l as f64)
            ),
        };
        out.push(format!(
            "decision interval: for regressed (improved) the one-sided bound at the Holm level that decided it, always beyond +{t}% (−{t}%); otherwise the {level} interval, which unchanged must lie within ±{t}%",
            t = c.threshold_pct
        ));
        out.push(format!(
            "regressed at 80%: the true change called regressed with at least 80% probability among these {} benchmarks (the same change downwards is called improved as often); unchanged at 80%: the true changes called unchanged with 80% probability",
            c.entries.len()
        ));
    }
    if c.entries.iter().any(|e| e.within_run_floor) {
        out.push("* the runs' own samples were noisier than the noise floor: their bootstrap SE was used".into());
    }
    let few = c.few_samples();
    if !few.is_empty() {
        out.push(format!(
            "note: {} benchmarks have fewer than {} samples on a side ({} keeps as few as 2): too few to decide, so they are inconclusive",
            few.len(),
            compare::FEW_SAMPLES,
            code("--quick")
        ));
    }
    for m in &c.config.missing {
        out.push(format!("note: {m}"));
    }
    for w in c.config.differences.iter().chain(&c.warnings) {
        out.push(format!("warning: {w}"));
    }
    for n in &c.noise {
        out.push(format!("noise: {n}"));
    }
    out
}

/// A generated sentence as plain text: its `code` spans unmarked.
pub(crate) fn plain_sentence(s: &str) -> String {
    s.replace('`', "")
}

/// The summary's measurement defects ([`crate::summary::physics`]), one plain-text sentence
/// each, for the terminal (every summary format warns with them on stderr).
pub fn defect_lines(s: &Summary) -> Vec<String> {
    s.tables
        .iter()
        .flat_map(|t| &t.rows)
        .filter_map(|r| r.measurement_defect.as_ref())
        .map(|d| plain_sentence(&d.sentence))
        .collect()
}

/// The notes on speed-ups that compare separate or earlier runs (a filtered run left the group's
/// rounds without one side), one plain-text sentence each, for the terminal: the numbers look
/// like those of one run, so the summary should say so wherever it is read.
pub fn cross_run_lines(s: &Summary) -> Vec<String> {
    s.tables
        .iter()
        .flat_map(|t| &t.unpaired)
        .filter(|n| matches!(n.pairing, Pairing::SeparateRuns | Pairing::OutsideRounds))
        .map(|n| plain_sentence(&n.sentence))
        .collect()
}

impl Exporter<Comparison> for PlainTable {
    fn render(&self, c: &Comparison) -> String {
        let mut rows: Vec<Vec<String>> = vec![compare_head(c)];
        for e in &c.entries {
            let mut cells = compare_cells(c, e);
            if e.verdict == Verdict::Regressed {
                cells[VERDICT_CELL] = "REGRESSED".into();
            }
            rows.push(cells);
        }
        let mut out = table(&rows);
        if !c.config.rows.is_empty() {
            out.push_str("\nconfiguration:\n");
            let mut cfg = vec![vec!["setting".to_string(), c.old.clone(), c.new.clone()]];
            for r in &c.config.rows {
                cfg.push(vec![
                    format!("{}{}", r.key, if r.differs { " (differs)" } else { "" }),
                    r.old.clone(),
                    r.new.clone(),
                ]);
            }
            out.push_str(&table(&cfg));
            out.push('\n');
        }
        for line in compare_notes(c, |s| s.to_string()) {
            out.push_str(&line);
            out.push('\n');
        }
        out.push_str(&format!("{}\n{}\n", c.counts_line(), c.method));
        out
    }
}

/// Aligned rows, the first row being the head.
fn table(rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in rows {
        out.push_str(&pad(r, &widths));
        out.push('\n');
    }
    out
}

/// The "Rust vs Python" table's header, shared by the Markdown and HTML exporters.
pub(crate) const RUST_VS_PYTHON_HEAD: [&str; 5] = [
    "CPython program",
    "median (95% CI)",
    "Rust counterpart",
    "median (95% CI)",
    "CPython ÷ Rust (95% CI)",
];

/// One row of cells per pair, names as `code` renders them (Markdown's backticks, HTML's
/// `<code>`).
pub(crate) fn rust_vs_python_cells(
    r: &RustVsPython,
    code: impl Fn(&str) -> String,
) -> Vec<Vec<String>> {
    r.pairs
        .iter()
        .map(|pair| {
            vec![
                code(&pair.program),
                fmt_ns_interval(&pair.python_ns),
                code(&pair.counterpart),
                fmt_ns_interval(&pair.rust_ns),
                match pair.pairing.mark() {
                    Some(mark) => format!("{}, {mark}", fmt_x_interval(&pair.python_over_rust)),
                    None => fmt_x_interval(&pair.python_over_rust),
                },
            ]
        })
        .collect()
}

/// How the "Rust vs Python" ratios were measured, said after the interpreter's name: in the
/// same rounds only when every pair was.
pub(crate) fn rust_vs_python_pairing(r: &RustVsPython) -> &'static str {
    if r.all_paired() {
        "measured in the same rounds as the Rust strategies"
    } else {
        "not all measured in the same rounds as their counterparts: a marked ratio is not paired (the notes say why)"
    }
}

/// The real GIL beside its emulation, in one sentence, with whether their intervals overlap.
pub(crate) fn gil_sentence(gil: &GilCheck, code: impl Fn(&str) -> String) -> String {
    let overlap = gil.cpython_threading.lower <= gil.gil_threads.upper
        && gil.gil_threads.lower <= gil.cpython_threading.upper;
    format!(
        "The GIL, measured: CPython's {} runs {} the speed of {}; the suite's {} emulation runs {} the speed of {}: {}.",
        code("threading"),
        fmt_x_interval(&gil.cpython_threading),
        code("synchronous"),
        code("gil_threads"),
        fmt_x_interval(&gil.gil_threads),
        code("sequential"),
        if overlap {
            "the intervals overlap, so the emulation is consistent with the real GIL"
        } else {
            "the intervals do not overlap, so the emulation differs from the real GIL"
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::fixtures::{row, summary_of};
    use crate::summary::PairingNote;

    #[test]
    fn only_speed_ups_across_runs_are_told_on_the_terminal() {
        let mut s = summary_of(vec![row("cpu/fib/rayon", 1.0, 1.0, 1.0)]);
        for (pairing, sentence) in [
            (Pairing::SeparateRuns, "From `separate` runs."),
            (Pairing::OutsideRounds, "From earlier runs."),
            (Pairing::NoRounds, "Quick run."),
        ] {
            s.tables[0].unpaired.push(PairingNote {
                pairing,
                functions: vec!["rayon".into()],
                sentence: sentence.into(),
            });
        }
        assert_eq!(
            cross_run_lines(&s),
            ["From separate runs.", "From earlier runs."]
        );
    }
}
