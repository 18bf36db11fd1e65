//! Markdown: `summary.md` beside the HTML page, and `compare --format markdown` ready to paste
//! into a pull request.

use super::plain::{
    compare_cells, compare_head, compare_notes, decision_cell, gil_sentence, rust_vs_python_cells,
    rust_vs_python_pairing, NOISE_CELL, RUST_VS_PYTHON_HEAD, VERDICT_CELL,
};
use super::{md_escape, trace, Exporter};
use crate::compare::{Comparison, Verdict};
use crate::format::{
    fmt_cores_interval, fmt_ns, fmt_ns_interval, fmt_pct_interval, fmt_rate, fmt_value,
    fmt_x_interval,
};
use crate::summary::cpu;
use crate::summary::physics::MARK;
use crate::summary::sweeps::Sweep;
use crate::summary::RustVsPython;
use crate::summary::{Row, Summary, Table, SEQUENTIAL};

/// The Markdown format.
pub struct Markdown;

/// Turns the `backtick` spans of generated sentences into Markdown code spans and escapes the
/// rest.
fn sentence(s: &str) -> String {
    s.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("`{part}`")
            } else {
                md_escape(part)
            }
        })
        .collect()
}

/// The speed-up with its interval, marked when it is a measurement defect and when it is not
/// paired by round.
fn speedup_cell(r: &Row) -> String {
    let Some(s) = r.speedup else {
        return match r.function == SEQUENTIAL {
            true => "1× (reference)".into(),
            false => "—".into(),
        };
    };
    let mut cell = fmt_x_interval(&s);
    if r.measurement_defect.is_some() {
        cell.push_str(&format!(", {MARK}"));
    }
    if let Some(mark) = r.pairing.and_then(|p| p.mark()) {
        cell.push_str(&format!(", {mark}"));
    }
    cell
}

fn summary_table(t: &Table) -> String {
    let io = t.kind.as_deref() == Some("io");
    let measured_latency = t
        .rows
        .iter()
        .any(|r| r.efficiency_measured_latency.is_some());
    let mut head = vec![
        "#",
        "strategy",
        "median (95% CI)",
        "throughput",
        "speed-up vs sequential (95% CI)",
    ];
    if io {
        head.push("efficiency vs ⌈N/C⌉·L");
    }
    if measured_latency {
        head.push("efficiency vs measured L");
    }
    let cpu = t.rows.iter().any(|r| r.cpu.is_some());
    if cpu {
        head.extend(["CPU per iteration (by whom)", "cores busy (95% CI)"]);
    }
    head.push("C");
    let mut out = format!("| {} |\n|{}\n", head.join(" | "), "---|".repeat(head.len()));
    for (i, r) in t.rows.iter().enumerate() {
        let name = match &r.report {
            Some(href) => format!("[{}]({href})", md_escape(&r.function)),
            None => md_escape(&r.function),
        };
        let mut cells = vec![
            (i + 1).to_string(),
            name,
            fmt_ns_interval(&r.median_ns),
            r.throughput
                .as_ref()
                .map_or("—".into(), |t| fmt_rate(t.per_second.point, &t.unit)),
            speedup_cell(r),
        ];
        let eff = |e: &Option<crate::summary::Efficiency>| {
            e.as_ref()
                .map_or("—".into(), |e| fmt_pct_interval(&e.ratio))
        };
        if io {
            cells.push(eff(&r.efficiency));
        }
        if measured_latency {
            cells.push(eff(&r.efficiency_measured_latency));
        }
        if cpu {
            cells.extend(match &r.cpu {
                Some(c) => [
                    format!(
                        "{} ({})",
                        fmt_ns(c.total.per_iteration_ns.point),
                        cpu::parts_text(c)
                    ),
                    fmt_cores_interval(&c.total.cores),
                ],
                None => ["—".into(), "—".into()],
            });
        }
        cells.push(
            r.meta
                .as_ref()
                .map_or("—".into(), |m| m.concurrency.to_string()),
        );
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

/// One workload: its table, notes and unmeasured strategies; `nested` under a sweep (a `###`
/// heading, with its "which to use" sentences, which the top section replaces by the sweep's
/// findings).
fn table_block(t: &Table, nested: bool) -> String {
    let mut out = format!(
        "{} {}\n\n",
        if nested { "###" } else { "##" },
        md_escape(&t.title())
    );
    if nested {
        for line in &t.advice.sentences {
            out.push_str(&format!("- {}\n", sentence(line)));
        }
        out.push('\n');
    }
    if let Some(v) = &t.violin {
        out.push_str(&format!("[Violin plot]({v})\n\n"));
    }
    if !t.rows.is_empty() {
        out.push_str(&summary_table(t));
        out.push('\n');
    }
    out.push_str(&trace_links(t));
    for n in t.notes.iter().chain(t.unpaired.iter().map(|n| &n.sentence)) {
        out.push_str(&format!("- {}\n", sentence(n)));
    }
    if let Some(r) = &t.rust_vs_python {
        out.push_str(&rust_vs_python_block(r));
    }
    for u in &t.unmeasured {
        let why = match &u.skipped {
            Some(reason) => format!("skipped by the bench: {}", md_escape(reason)),
            None => format!("not measured: missing {}", u.missing.join(", ")),
        };
        out.push_str(&format!("- `{}` {why}\n", u.function));
    }
    if !t.notes.is_empty() || !t.unpaired.is_empty() || !t.unmeasured.is_empty() {
        out.push('\n');
    }
    out
}

/// "Rust vs Python": each CPython program beside its Rust counterpart, and the GIL sentence.
fn rust_vs_python_block(r: &RustVsPython) -> String {
    let code = |name: &str| format!("`{name}`");
    let mut out = format!(
        "**Rust vs Python** ({}), {}:\n\n| {} |\n|{}\n",
        md_escape(&r.python),
        rust_vs_python_pairing(r),
        RUST_VS_PYTHON_HEAD.join(" | "),
        "---|".repeat(RUST_VS_PYTHON_HEAD.len())
    );
    for cells in rust_vs_python_cells(r, code) {
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out.push('\n');
    if let Some(gil) = &r.gil {
        out.push_str(&format!("{}\n\n", gil_sentence(gil, code)));
    }
    out
}

/// One line linking the workload's Chrome trace-event files (written by `summary` into
/// `traces/`), when its strategies have timelines: all strategies in one, then each one's.
fn trace_links(t: &Table) -> String {
    let traced: Vec<&Row> = t.rows.iter().filter(|r| r.timeline.is_some()).collect();
    let Some(first) = traced.first() else {
        return String::new();
    };
    let each: Vec<String> = traced
        .iter()
        .map(|r| format!("[`{}`]({})", r.function, trace::href(&r.dir)))
        .collect();
    format!(
        "Traces for Perfetto or chrome://tracing: [all strategies]({}) · {}\n\n",
        trace::group_href(&first.dir),
        each.join(" · ")
    )
}

/// A sweep's head: what was swept, the findings, the chart (an SVG file written beside
/// `summary.md`, see [`Sweep::chart_file`]) and the points not measured with their reasons.
fn sweep_head(sw: &Sweep) -> String {
    let mut out = format!(
        "## {}\n\n{}\n\n",
        md_escape(&sw.group),
        md_escape(&sw.describe())
    );
    for line in &sw.sentences {
        out.push_str(&format!("- {}\n", sentence(line)));
    }
    out.push_str(&format!(
        "\n![{}: median time per iteration against {}]({})\n\n",
        md_escape(&sw.group),
        md_escape(&sw.parameter_name),
        sw.chart_file()
    ));
    for n in &sw.findings.not_measured {
        out.push_str(&format!(
            "- `{}` at {} {} not measured: {}\n",
            n.strategy,
            md_escape(&fmt_value(&n.parameter)),
            md_escape(&sw.parameter_name),
            md_escape(&n.reason)
        ));
    }
    if !sw.findings.not_measured.is_empty() {
        out.push('\n');
    }
    out
}

impl Exporter<Summary> for Markdown {
    fn render(&self, s: &Summary) -> String {
        let mut out = format!(
            "# Which concurrency strategy is fastest?\n\nMeasured by Criterion in `{}` (baseline `{}`). Times are medians per iteration with 95% confidence intervals; speed-ups and leads have 95% bootstrap intervals.\n\n## Which to use\n\n",
            s.criterion_dir, s.baseline
        );
        // Sweeps first, each with its findings and chart and then its per-value tables; the
        // plain groups follow.
        let is_sweep = |t: &Table| s.sweeps.iter().any(|sw| sw.group == t.group);
        for t in s.tables.iter().filter(|t| !is_sweep(t)) {
            out.push_str(&format!("**{}**\n\n", md_escape(&t.title())));
            for line in &t.advice.sentences {
                out.push_str(&format!("- {}\n", sentence(line)));
            }
            out.push('\n');
        }
        for sw in &s.sweeps {
            out.push_str(&format!("**{}**\n\n", md_escape(&sw.group)));
            for line in &sw.sentences {
                out.push_str(&format!("- {}\n", sentence(line)));
            }
            out.push('\n');
        }
        for sw in &s.sweeps {
            out.push_str(&sweep_head(sw));
            for t in s.tables.iter().filter(|t| t.group == sw.group) {
                out.push_str(&table_block(t, true));
            }
        }
        for t in s.tables.iter().filter(|t| !is_sweep(t)) {
            out.push_str(&table_block(t, false));
        }
        if !s.missing.is_empty() {
            out.push_str("## Missing\n\n");
            for m in &s.missing {
                out.push_str(&format!("- {}\n", sentence(m)));
            }
            out.push('\n');
        }
        out.push_str("Timelines of each strategy are in `index.html`.\n");
        out
    }
}

impl Exporter<Comparison> for Markdown {
    fn render(&self, c: &Comparison) -> String {
        let counts: Vec<String> = Verdict::ALL
            .iter()
            .map(|v| {
                let n = format!("{} {}", c.count(*v), v.as_str());
                if *v == Verdict::Regressed {
                    format!("**{n}**")
                } else {
                    n
                }
            })
            .collect();
        let mut out = format!(
            "### Benchmarks: `{}` → `{}`\n\n{} (threshold {}%, Holm over {} benchmarks).\n\n",
            c.old,
            c.new,
            counts.join(", "),
            c.threshold_pct,
            c.entries.len()
        );
        let head = compare_head(c);
        out.push_str(&format!(
            "| {} |\n|---|---:|---:|---:|---|---:|---:|---|---|{}\n",
            head.iter()
                .enumerate()
                .map(|(i, h)| if (1..=2).contains(&i) {
                    format!("`{h}`")
                } else {
                    md_escape(h)
                })
                .collect::<Vec<_>>()
                .join(" | "),
            if head.len() > VERDICT_CELL + 1 {
                "---:|"
            } else {
                ""
            }
        ));
        // Regressions first, then what could not be decided, so a reviewer sees them without
        // scrolling.
        let mut entries: Vec<_> = c.entries.iter().collect();
        entries.sort_by_key(|e| match e.verdict {
            Verdict::Regressed => 0,
            Verdict::Inconclusive => 1,
            Verdict::Improved => 2,
            Verdict::Unchanged => 3,
        });
        for e in entries {
            let mut cells = compare_cells(c, e);
            cells[0] = md_escape(&cells[0]);
            cells[4] = decision_cell(e, ("", " to ", ""));
            cells[NOISE_CELL] = md_escape(&cells[NOISE_CELL]);
            if e.verdict == Verdict::Regressed {
                cells[VERDICT_CELL] = "**regressed**".into();
            }
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out.push('\n');
        if !c.config.rows.is_empty() {
            out.push_str(&format!(
                "| setting | `{}` | `{}` |\n|---|---|---|\n",
                c.old, c.new
            ));
            for r in &c.config.rows {
                out.push_str(&format!(
                    "| {}{} | {} | {} |\n",
                    md_escape(&r.key),
                    if r.differs { " **(differs)**" } else { "" },
                    md_escape(&r.old),
                    md_escape(&r.new)
                ));
            }
            out.push('\n');
        }
        for line in compare_notes(c, |s| format!("`{s}`")) {
            out.push_str(&format!("- {}\n", sentence(&line)));
        }
        out.push_str(&format!("\n<sub>{}</sub>\n", md_escape(&c.method)));
        out
    }
}
