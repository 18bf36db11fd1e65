//! `summary`: the summary page's files from one baseline, or the measured strategies as one
//! document for a benchmark-tracking tool.

use std::path::{Path, PathBuf};

use super::print;
use crate::error::Result;
use crate::export::{self, plain, trace, SummaryFormat};
use crate::{atomic_write, summary};

/// `summary`'s options.
#[derive(clap::Args)]
pub struct Args {
    /// Criterion's output directory.
    #[arg(long, default_value = "target/criterion")]
    pub criterion_dir: PathBuf,
    /// Where to write the three files (created if needed).
    #[arg(long, default_value = "target/criterion/summary")]
    pub out: PathBuf,
    /// The baseline to summarise (`new` is the latest run).
    #[arg(long, default_value = "new")]
    pub baseline: String,
    /// What to produce: the page's files in --out, or one JSON document on stdout for a tracking tool.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Page)]
    pub format: SummaryFormat,
}

/// Builds the summary and writes the page, or prints the document of `--format`.
pub fn run(args: Args) -> Result<i32> {
    let s = summary::build(&args.criterion_dir, &args.baseline, &args.out)?;
    match args.format.exporter() {
        None => {
            let page = write_page(&s, &args.out)?;
            warn(&page.warnings);
            print(&wrote_line(&s, &args.out, page.trace_files))?;
            Ok(0)
        }
        Some(exporter) => {
            // One document on stdout (nothing else there, so a tracking tool can read it
            // whole); nothing is written.
            warn_set_apart(&s);
            warn_defects(&s);
            print(&exporter.render(&s))?;
            Ok(0)
        }
    }
}

/// The page a browser opens, among the files [`write_page`] writes.
const INDEX: &str = "index.html";

/// The summary page as written: where to open it, and what to warn about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// `index.html` in the directory written to.
    pub index: PathBuf,
    /// The summary's measurement defects (CPU speed-ups the hardware cannot deliver), one
    /// plain-text line each, which `target-report summary` prints on stderr as warnings.
    pub warnings: Vec<String>,
    /// How many trace files were written beside the page.
    pub trace_files: usize,
}

/// Writes the summary page of every group's latest run in `criterion_dir` (baseline `new`)
/// into `<criterion_dir>/summary`, exactly as `target-report summary --criterion-dir
/// <criterion_dir>` does with its default `--baseline` and `--out` (the page's files and the
/// trace files), but prints nothing: the caller says what it wants about the returned
/// [`Page`]. This is what a bench executable calls at the end of a run that saved results.
///
/// Fails as `target-report summary` does: on a missing Criterion directory, no benchmark with
/// a `new` baseline, any corrupt file, or a file that cannot be written (nothing is then
/// replaced: the files are written all or nothing).
pub fn write_latest(criterion_dir: &Path) -> Result<Page> {
    let out = criterion_dir.join("summary");
    let s = summary::build(criterion_dir, "new", &out)?;
    write_page(&s, &out)
}

/// The page's files (index.html, summary.md, summary.json, one chart per sweep) and the trace
/// files; nothing printed.
fn write_page(s: &summary::Summary, out: &Path) -> Result<Page> {
    let files = export::pages::summary_files(s);
    debug_assert!(files.iter().any(|(name, _)| name == INDEX));
    // The traces first: the pages link to them.
    let traces = trace::files(&trace::from_summary(s));
    if !traces.is_empty() {
        atomic_write::write_files(&out.join(trace::TRACES_DIR), &traces)?;
    }
    atomic_write::write_files(out, &files)?;
    Ok(Page {
        index: out.join(INDEX),
        warnings: plain::defect_lines(s),
        trace_files: traces.len(),
    })
}

/// `summary`'s one line on stdout after writing the page to `out`.
fn wrote_line(s: &summary::Summary, out: &Path, trace_files: usize) -> String {
    let rows: usize = s.tables.iter().map(|t| t.rows.len()).sum();
    let unmeasured: usize = s.tables.iter().map(|t| t.unmeasured.len()).sum();
    format!(
        "wrote index.html, summary.md and summary.json{} to {} ({} trace files in {}/): {} workloads, {rows} measured strategies{}\n",
        if s.sweeps.is_empty() {
            String::new()
        } else {
            format!(" and {} sweep charts", s.sweeps.len())
        },
        out.display(),
        trace_files,
        trace::TRACES_DIR,
        s.tables.len(),
        if unmeasured + s.missing.len() > 0 {
            format!(", {} gaps listed under Missing", unmeasured + s.missing.len())
        } else {
            String::new()
        }
    )
}

/// Rows a tracking tool's document leaves out, on stderr.
fn warn_set_apart(s: &summary::Summary) {
    for t in s.tables.iter().filter(|t| !t.set_apart.is_empty()) {
        let names: Vec<&str> = t.set_apart.iter().map(|a| a.function.as_str()).collect();
        eprintln!(
            "target-report: warning: {}: {} left out, measured with other settings than the rest of the table",
            t.title(),
            names.join(", ")
        );
    }
}

/// The summary's measurement defects on stderr, whatever the format: impossible speed-ups are
/// named wherever the numbers go (BMF has no place for a sentence).
fn warn_defects(s: &summary::Summary) {
    warn(&plain::defect_lines(s));
}

/// Each line on stderr as a warning.
fn warn(lines: &[String]) {
    for line in lines {
        eprintln!("target-report: warning: {line}");
    }
}
