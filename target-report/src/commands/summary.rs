//! `summary`: the summary page's files from one baseline, or the measured strategies as one
//! document for a benchmark-tracking tool.

use std::path::PathBuf;

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
        None => write_page(&s, &args.out),
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

/// The page's files (index.html, summary.md, summary.json, one chart per sweep) and the trace
/// files, then one line saying what was written.
fn write_page(s: &summary::Summary, out: &std::path::Path) -> Result<i32> {
    let files = export::pages::summary_files(s);
    // The traces first: the pages link to them.
    let traces = trace::files(&trace::from_summary(s));
    if !traces.is_empty() {
        atomic_write::write_files(&out.join(trace::TRACES_DIR), &traces)?;
    }
    atomic_write::write_files(out, &files)?;
    warn_defects(s);
    let rows: usize = s.tables.iter().map(|t| t.rows.len()).sum();
    let unmeasured: usize = s.tables.iter().map(|t| t.unmeasured.len()).sum();
    print(&format!(
        "wrote index.html, summary.md and summary.json{} to {} ({} trace files in {}/): {} workloads, {rows} measured strategies{}\n",
        if s.sweeps.is_empty() {
            String::new()
        } else {
            format!(" and {} sweep charts", s.sweeps.len())
        },
        out.display(),
        traces.len(),
        trace::TRACES_DIR,
        s.tables.len(),
        if unmeasured + s.missing.len() > 0 {
            format!(", {} gaps listed under Missing", unmeasured + s.missing.len())
        } else {
            String::new()
        }
    ))?;
    Ok(0)
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
    for line in plain::defect_lines(s) {
        eprintln!("target-report: warning: {line}");
    }
}
