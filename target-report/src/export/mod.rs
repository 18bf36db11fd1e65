//! Output formats, one per file behind one trait (the layout of hyperfine's `src/export/`):
//! `html.rs` (its history page in `html_history.rs`), `markdown.rs`, `json.rs` and `plain.rs` (a
//! plain-text table) each implement [`Exporter`] for the reports they can show
//! ([`crate::summary::Summary`], [`crate::compare::Comparison`],
//! [`crate::trend::HistoryReport`]); `bmf.rs` (Bencher's
//! metric format) and `github_action.rs` (github-action-benchmark's `customSmallerIsBetter`)
//! for the summary; `trace.rs` turns each timeline into a Chrome trace-event file. [`Format`]
//! and [`SummaryFormat`] are the formats the command line offers; `pages.rs` lays out the files
//! of the summary and history pages.

pub mod bmf;
pub mod github_action;
pub mod html;
mod html_history;
pub mod json;
pub mod layout;
pub mod markdown;
pub mod pages;
pub mod plain;
pub mod trace;

pub use html::Html;
pub use json::Json;
pub use markdown::Markdown;
pub use plain::PlainTable;

use crate::compare::Comparison;
use crate::summary::Summary;

/// Renders a report of type `R` into one file's (or stdout's) text.
///
/// Rendering cannot fail: every number was checked when the report was built, so a failed
/// export can only be a failed write, which the caller handles (see [`crate::atomic_write`]).
pub trait Exporter<R: ?Sized> {
    /// The report as text in this format.
    fn render(&self, report: &R) -> String;
}

/// The formats of a comparison (`compare`'s and `ab`'s verdicts).
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Aligned plain text.
    Table,
    /// A Markdown table ready to paste into a pull request.
    Markdown,
    /// JSON for scripts.
    Json,
}

/// A comparison in the chosen format.
pub fn render_comparison(c: &Comparison, format: Format) -> String {
    match format {
        Format::Table => PlainTable.render(c),
        Format::Markdown => Markdown.render(c),
        Format::Json => Json.render(c),
    }
}

/// What `summary` produces.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum SummaryFormat {
    /// index.html, summary.md, summary.json and the sweep charts, written to --out.
    Page,
    /// Bencher Metric Format on stdout: each benchmark's `latency` in ns (`bencher run --adapter json`).
    Bmf,
    /// github-action-benchmark's customSmallerIsBetter JSON on stdout, in ns/iter.
    CustomSmallerIsBetter,
}

impl SummaryFormat {
    /// The exporter of a one-document format; `None` for the page ([`pages::summary_files`]).
    pub fn exporter(self) -> Option<&'static dyn Exporter<Summary>> {
        match self {
            SummaryFormat::Page => None,
            SummaryFormat::Bmf => Some(&bmf::Bmf),
            SummaryFormat::CustomSmallerIsBetter => Some(&github_action::CustomSmallerIsBetter),
        }
    }
}

/// Escapes text for Markdown table cells and prose: `|` would end a cell, and `*_` `` ` ``
/// `[` would start markup.
pub(crate) fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '|' | '*' | '_' | '`' | '[' | ']' | '\\' | '<' | '>') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escape_protects_table_cells() {
        assert_eq!(md_escape("io/a|b_c"), r"io/a\|b\_c");
    }
}
