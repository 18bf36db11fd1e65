//! Output formats, one per file behind one trait (the layout of hyperfine's `src/export/`):
//! `html.rs` (its history page in `html_history.rs`), `markdown.rs`, `json.rs` and `plain.rs` (a
//! plain-text table) each implement [`Exporter`] for the reports they can show
//! ([`crate::summary::Summary`], [`crate::compare::Comparison`],
//! [`crate::history::HistoryReport`]); `bmf.rs` (Bencher's
//! metric format) and `github_action.rs` (github-action-benchmark's `customSmallerIsBetter`)
//! for the summary; `trace.rs` turns each timeline into a Chrome trace-event file.

pub mod bmf;
pub mod github_action;
pub mod html;
mod html_history;
pub mod json;
pub mod layout;
pub mod markdown;
pub mod plain;
pub mod trace;

pub use html::Html;
pub use json::Json;
pub use markdown::Markdown;
pub use plain::PlainTable;

/// Renders a report of type `R` into one file's (or stdout's) text.
///
/// Rendering cannot fail: every number was checked when the report was built, so a failed
/// export can only be a failed write, which the caller handles (see [`crate::atomic_write`]).
pub trait Exporter<R: ?Sized> {
    /// The report as text in this format.
    fn render(&self, report: &R) -> String;
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
