//! HTML: the summary page (`index.html`); the history index is `html_history.rs`, with the
//! same page shell.
//!
//! Pages are self-contained (inline CSS and SVG, no scripts, fonts or network), readable at
//! phone width (viewport meta, tables in horizontally scrolling wrappers, charts scaled by
//! `viewBox`), and written as well-formed XHTML-compatible markup — every element closed, every
//! character escaped — so the test suite can parse them with a strict XML parser.

use std::fmt::Write;

use super::plain::{
    gil_sentence, rust_vs_python_cells, rust_vs_python_pairing, RUST_VS_PYTHON_HEAD,
};
use super::{trace, Exporter};
use crate::format::{fmt_cores, fmt_ns, fmt_pct, fmt_rate, fmt_value, fmt_x};
use crate::summary::cpu;
use crate::summary::physics::MARK;
use crate::summary::sweeps::Sweep;
use crate::summary::RustVsPython;
use crate::summary::{Efficiency, Row, Summary, Table, SEQUENTIAL};
use crate::svg::{escape, gantt, sweep as sweep_chart};

/// The HTML format.
pub struct Html;

const CSS: &str = "\
:root{color-scheme:light}\
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;max-width:1100px;padding:12px;color:#222;background:#fff}\
h1{font-size:1.45em;margin:.4em 0}\
h2{font-size:1.2em;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:1.8em}\
h3{font-size:1.02em;margin:1.2em 0 .4em}\
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:8px 0;border:1px solid #eee}\
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}\
th,td{padding:5px 8px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap;vertical-align:top}\
th.name,td.name{text-align:left}\
thead th{background:#f5f5f5;font-weight:600;white-space:normal;min-width:4em}\
tr.fastest td{background:#eef7ee}\
.ci{display:block;color:#666;font-size:.82em}\
.muted{color:#666}\
.note{color:#8a5a00}\
figure{margin:0;border:1px solid #eee;padding:6px;background:#fff}\
figcaption{font-size:.88em;margin-bottom:4px}\
figure svg,figure img{width:100%;height:auto;display:block}\
figure.sweep-chart{max-width:820px;margin:10px 0}\
details.per-value{margin:10px 0}\
details.per-value>summary{cursor:pointer;font-weight:600}\
ul.findings li{margin:.25em 0}\
.timelines{display:grid;align-items:start;grid-template-columns:repeat(auto-fill,minmax(min(100%,520px),1fr));gap:10px}\
code{background:#f3f3f3;padding:0 3px;border-radius:3px;font-size:.92em}\
nav a{margin-right:.8em;white-space:nowrap}\
ul{padding-left:1.2em}\
@media (max-width:600px){body{font-size:14px;padding:8px}th,td{padding:4px 6px}}";

/// A whole page: `body` in the shared head and style.
pub(super) fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

/// Escapes a generated sentence and turns its `backtick` spans into `<code>`.
fn sentence(s: &str) -> String {
    s.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{}</code>", escape(part))
            } else {
                escape(part)
            }
        })
        .collect()
}

/// An id attribute value from free text.
pub(super) fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

fn link(href: &Option<String>, text: &str) -> String {
    match href {
        Some(h) => format!("<a href=\"{}\">{}</a>", escape(h), escape(text)),
        None => escape(text),
    }
}

fn interval_cell(class: &str, main: String, lower: String, upper: String) -> String {
    format!("<td class=\"{class}\">{main}<span class=\"ci\">{lower} – {upper}</span></td>")
}

fn efficiency_cell(class: &str, e: &Option<Efficiency>) -> String {
    match e {
        Some(e) => interval_cell(
            class,
            fmt_pct(e.ratio.point),
            fmt_pct(e.ratio.lower),
            fmt_pct(e.ratio.upper),
        ),
        None => format!("<td class=\"{class}\">—</td>"),
    }
}

/// The speed-up with its interval, marked when it is a measurement defect (whose sentence is
/// under "Which to use") and when it is not paired by round (whose note is under the table).
fn speedup_cell(r: &Row) -> String {
    let Some(sp) = r.speedup else {
        return match r.function == SEQUENTIAL {
            true => "<td class=\"speedup\">1×<span class=\"ci\">reference</span></td>".into(),
            false => "<td class=\"speedup\">—</td>".into(),
        };
    };
    let mut cell = interval_cell("speedup", fmt_x(sp.point), fmt_x(sp.lower), fmt_x(sp.upper));
    let mut marks = String::new();
    if r.measurement_defect.is_some() {
        marks.push_str(&format!("<span class=\"ci note defect\">{MARK}</span>"));
    }
    if let Some(mark) = r.pairing.and_then(|p| p.mark()) {
        marks.push_str(&format!("<span class=\"ci note unpaired\">{mark}</span>"));
    }
    cell.insert_str(cell.len() - "</td>".len(), &marks);
    cell
}

/// A list of generated sentences in `open` (a `<ul …>` tag).
fn sentence_list(s: &mut String, open: &str, lines: &[String]) {
    s.push_str(open);
    for line in lines {
        let _ = writeln!(s, "<li>{}</li>", sentence(line));
    }
    s.push_str("</ul>\n");
}

/// The row's CPU per iteration (who spent it under the total) and the cores it kept busy, or
/// two dashes without CPU time.
fn cpu_cells(r: &Row) -> String {
    let Some(c) = &r.cpu else {
        return "<td class=\"cpu\">—</td><td class=\"cores\">—</td>".into();
    };
    let total = c.total.per_iteration_ns;
    let cores = c.total.cores;
    format!(
        "<td class=\"cpu\">{}<span class=\"ci\">{} – {}</span><span class=\"ci parts\">{}</span></td>{}",
        fmt_ns(total.point),
        fmt_ns(total.lower),
        fmt_ns(total.upper),
        escape(&cpu::parts_text(c)),
        interval_cell(
            "cores",
            fmt_cores(cores.point),
            fmt_cores(cores.lower),
            fmt_cores(cores.upper)
        )
    )
}

fn row_html(i: usize, r: &Row, columns: &Columns) -> String {
    let mut s = format!(
        "<tr data-function=\"{}\"{}{}><td>{}</td><td class=\"name\">{}</td>",
        escape(&r.function),
        r.pairing.map_or(String::new(), |p| format!(
            " data-pairing=\"{}\"",
            p.as_str()
        )),
        if i == 0 { " class=\"fastest\"" } else { "" },
        i + 1,
        link(&r.report, &r.function)
    );
    s.push_str(&interval_cell(
        "median",
        fmt_ns(r.median_ns.point),
        fmt_ns(r.median_ns.lower),
        fmt_ns(r.median_ns.upper),
    ));
    match &r.throughput {
        Some(t) => s.push_str(&interval_cell(
            "throughput",
            fmt_rate(t.per_second.point, &t.unit),
            fmt_rate(t.per_second.lower, &t.unit),
            fmt_rate(t.per_second.upper, &t.unit),
        )),
        None => s.push_str("<td class=\"throughput\">—</td>"),
    }
    s.push_str(&speedup_cell(r));
    if columns.io {
        s.push_str(&efficiency_cell("efficiency", &r.efficiency));
    }
    if columns.measured_latency {
        s.push_str(&efficiency_cell(
            "efficiency-measured",
            &r.efficiency_measured_latency,
        ));
    }
    if columns.cpu {
        s.push_str(&cpu_cells(r));
    }
    let c = r
        .meta
        .as_ref()
        .map_or("—".into(), |m| m.concurrency.to_string());
    let _ = writeln!(
        s,
        "<td class=\"concurrency\">{c}</td><td class=\"rows\">{}</td></tr>",
        r.timeline_summary
            .as_ref()
            .map_or("—".into(), |t| t.workers.to_string())
    );
    s
}

/// A workload's section; `nested` inside a sweep's section (an `h3`, with its "which to use"
/// sentences, which the page's "Which to use" replaces by the sweep's findings).
fn table_section(t: &Table, nested: bool) -> String {
    let title = t.title();
    let h = if nested { "h3" } else { "h2" };
    let mut s = format!(
        "<section class=\"workload\" id=\"w-{}\" data-group=\"{}\"{}>\n<{h}>{}</{h}>\n",
        slug(&title),
        escape(&t.group),
        t.value
            .as_ref()
            .map_or(String::new(), |v| format!(" data-value=\"{}\"", escape(v))),
        escape(&title)
    );
    if nested {
        sentence_list(&mut s, "<ul class=\"advice\">\n", &t.advice.sentences);
    }
    workload_description(&mut s, t);
    results_table(&mut s, t);
    if let Some(r) = &t.rust_vs_python {
        rust_vs_python_table(&mut s, r);
    }
    notes_list(&mut s, t);
    // Parameter sweeps record no timelines: then the Missing section says so once, and no
    // block of empty figures is drawn.
    if t.rows.iter().any(|r| r.timeline.is_some()) {
        timelines(&mut s, t, &title);
    }
    s.push_str("</section>\n");
    s
}

/// What the workload is (from `cb-meta.json` of any row), and the link to Criterion's violin plot.
fn workload_description(s: &mut String, t: &Table) {
    let io = t.kind.as_deref() == Some("io");
    if let Some(m) = t.rows.iter().find_map(|r| r.meta.as_ref()) {
        let _ = write!(
            s,
            "<p class=\"muted\">{} work <code>{}</code>: N = {} jobs per iteration{}; {} cores, {} pool threads, {} processes. ",
            if io { "I/O" } else { "CPU" },
            escape(&m.workload),
            m.jobs,
            m.latency_ms
                .map_or(String::new(), |l| format!(", server latency L = {l} ms")),
            m.cores,
            m.workers,
            m.processes
        );
        if io {
            s.push_str("Efficiency = ideal ⌈N/C⌉·L ÷ median, C = jobs in flight. ");
        }
        s.push_str("</p>\n");
    }
    let _ = writeln!(
        s,
        "<p>Criterion's {}.</p>",
        match &t.violin {
            Some(v) => format!(
                "<a class=\"violin\" href=\"{}\">violin plot of the {}</a>",
                escape(v),
                if t.value.is_some() { "value" } else { "group" }
            ),
            None => "violin plot is missing (no report/violin.svg)".to_string(),
        }
    );
}

/// The optional columns of a results table.
struct Columns {
    /// Efficiency against ⌈N/C⌉·L with the configured latency (I/O work).
    io: bool,
    /// Efficiency against the measured latency.
    measured_latency: bool,
    /// CPU per iteration and cores busy.
    cpu: bool,
}

/// The table of measured strategies, fastest first, when there are any.
fn results_table(s: &mut String, t: &Table) {
    if t.rows.is_empty() {
        return;
    }
    let columns = Columns {
        io: t.kind.as_deref() == Some("io"),
        measured_latency: t
            .rows
            .iter()
            .any(|r| r.efficiency_measured_latency.is_some()),
        cpu: t.rows.iter().any(|r| r.cpu.is_some()),
    };
    s.push_str("<div class=\"scroll\"><table class=\"results\">\n<thead><tr><th>#</th><th class=\"name\">strategy</th><th>median<span class=\"ci\">95% CI</span></th><th>throughput<span class=\"ci\">95% CI</span></th><th>speed-up vs sequential<span class=\"ci\">95% CI</span></th>");
    if columns.io {
        s.push_str("<th>efficiency vs ⌈N/C⌉·L<span class=\"ci\">95% CI</span></th>");
    }
    if columns.measured_latency {
        s.push_str("<th>efficiency vs measured L<span class=\"ci\">95% CI</span></th>");
    }
    if columns.cpu {
        s.push_str("<th>CPU per iteration<span class=\"ci\">95% CI; by whom</span></th><th>cores busy<span class=\"ci\">95% CI</span></th>");
    }
    s.push_str("<th>C</th><th>timeline rows</th></tr></thead>\n<tbody>\n");
    for (i, r) in t.rows.iter().enumerate() {
        s.push_str(&row_html(i, r, &columns));
    }
    s.push_str("</tbody></table></div>\n");
}

/// "Rust vs Python": each CPython program beside its Rust counterpart, and the GIL sentence.
fn rust_vs_python_table(s: &mut String, r: &RustVsPython) {
    let code = |name: &str| format!("<code>{}</code>", escape(name));
    let _ = writeln!(
        s,
        "<h4>Rust vs Python</h4>\n<p class=\"muted\">{}, {}.</p>",
        escape(&r.python),
        rust_vs_python_pairing(r)
    );
    s.push_str("<div class=\"scroll\"><table class=\"results rust-vs-python\">\n<thead><tr>");
    for head in RUST_VS_PYTHON_HEAD {
        let _ = write!(s, "<th>{}</th>", escape(head));
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for cells in rust_vs_python_cells(r, code) {
        let _ = writeln!(s, "<tr><td>{}</td></tr>", cells.join("</td><td>"));
    }
    s.push_str("</tbody></table></div>\n");
    if let Some(gil) = &r.gil {
        let _ = writeln!(s, "<p class=\"gil\">{}</p>", gil_sentence(gil, code));
    }
}

/// The table's notes, why its unpaired speed-ups are not paired, and the strategies not
/// measured, with why.
fn notes_list(s: &mut String, t: &Table) {
    if t.notes.is_empty() && t.unpaired.is_empty() && t.unmeasured.is_empty() {
        return;
    }
    s.push_str("<ul class=\"notes\">\n");
    for n in &t.notes {
        let _ = writeln!(s, "<li class=\"note\">{}</li>", sentence(n));
    }
    for n in &t.unpaired {
        let _ = writeln!(
            s,
            "<li class=\"note unpaired\" data-pairing=\"{}\">{}</li>",
            n.pairing.as_str(),
            sentence(&n.sentence)
        );
    }
    for u in &t.unmeasured {
        let why = match &u.skipped {
            Some(reason) => format!("skipped by the bench: {}", escape(reason)),
            None => format!("not measured: missing {}", escape(&u.missing.join(", "))),
        };
        let _ = writeln!(
            s,
            "<li class=\"note unmeasured\" data-function=\"{}\"><code>{}</code> {why}</li>",
            escape(&u.function),
            escape(&u.function)
        );
    }
    s.push_str("</ul>\n");
}

/// One Gantt chart per strategy, from its `cb-timeline.json` run.
fn timelines(s: &mut String, t: &Table, title: &str) {
    let _ = writeln!(
        s,
        "<h3>Timelines</h3>\n<p class=\"muted\">One untimed run per strategy (cb-timeline.json): a row per worker, a bar per job from start to end, on the same scale within each chart.</p>"
    );
    // Every row of a table shares the workload's trace; the first with a timeline names it.
    if let Some(r) = t.rows.iter().find(|r| r.timeline.is_some()) {
        let _ = writeln!(
            s,
            "<p class=\"traces\">Zoomable in Perfetto (ui.perfetto.dev) or chrome://tracing: <a class=\"trace\" href=\"{}\">every strategy in one trace</a>, or each strategy's trace under its chart.</p>",
            escape(&trace::group_href(&r.dir))
        );
    }
    s.push_str("<div class=\"timelines\">\n");
    for r in &t.rows {
        let _ = write!(
            s,
            "<figure class=\"timeline\" data-function=\"{}\">",
            escape(&r.function)
        );
        match (&r.timeline, &r.timeline_summary) {
            (Some(tl), Some(ts)) => {
                let _ = write!(
                    s,
                    "<figcaption><code>{}</code>: {} jobs on {} worker{}, {} wall, workers busy {} of it (<a class=\"trace\" href=\"{}\">trace</a>)</figcaption>{}",
                    escape(&r.function),
                    ts.jobs,
                    ts.workers,
                    if ts.workers == 1 { "" } else { "s" },
                    fmt_ns(ts.wall_ns as f64),
                    fmt_pct(ts.utilisation),
                    escape(&trace::href(&r.dir)),
                    gantt::render(tl, &format!("{title} / {}", r.function))
                );
            }
            _ => {
                let _ = write!(
                    s,
                    "<figcaption><code>{}</code>: no cb-timeline.json</figcaption>",
                    escape(&r.function)
                );
            }
        }
        s.push_str("</figure>\n");
    }
    s.push_str("</div>\n");
}

/// A sweep's section: what was swept, the findings, the chart, the points not measured, and the
/// per-value tables folded away under a `<details>`.
fn sweep_section(sw: &Sweep, tables: &[&Table]) -> String {
    let mut s = format!(
        "<section class=\"sweep\" id=\"s-{}\" data-group=\"{}\">\n<h2>{}</h2>\n<p class=\"muted\">{}{}</p>\n",
        slug(&sw.group),
        escape(&sw.group),
        escape(&sw.group),
        escape(&sw.describe()),
        match &sw.report {
            Some(r) => format!(
                " <a class=\"criterion-report\" href=\"{}\">Criterion's report of the group</a>.",
                escape(r)
            ),
            None => String::new(),
        }
    );
    let open = format!(
        "<ul class=\"findings\" data-group=\"{}\">\n",
        escape(&sw.group)
    );
    sentence_list(&mut s, &open, &sw.sentences);
    let io = sw.kind.as_deref() == Some("io");
    let _ = writeln!(
        s,
        "<figure class=\"sweep-chart\" data-group=\"{}\"><figcaption>Median time per iteration against {}, one line per strategy; whiskers are the 95% CI of each median{}.</figcaption>{}</figure>",
        escape(&sw.group),
        escape(&sw.parameter_name),
        match (io, sw.points.iter().any(|p| p.latency_ms == Some(0.0))) {
            (true, true) => "; dashed lines are each strategy's ideal ⌈N/C⌉·L (none where L = 0)",
            (true, false) => "; dashed lines are each strategy's ideal ⌈N/C⌉·L",
            _ => "",
        },
        sweep_chart::render(&sweep_chart::from_sweep(sw))
    );
    if !sw.findings.not_measured.is_empty() {
        s.push_str("<ul class=\"notes not-measured\">\n");
        for n in &sw.findings.not_measured {
            let _ = writeln!(
                s,
                "<li class=\"note\" data-strategy=\"{}\" data-parameter=\"{}\"><code>{}</code> at {} {}: {}</li>",
                escape(&n.strategy),
                escape(&n.parameter),
                escape(&n.strategy),
                escape(&fmt_value(&n.parameter)),
                escape(&sw.parameter_name),
                escape(&n.reason)
            );
        }
        s.push_str("</ul>\n");
    }
    let _ = writeln!(
        s,
        "<details class=\"per-value\"><summary>One table per value ({}): every strategy with throughput, speed-up and efficiency</summary>",
        tables.len()
    );
    for t in tables {
        s.push_str(&table_section(t, true));
    }
    s.push_str("</details>\n</section>\n");
    s
}

impl Exporter<Summary> for Html {
    fn render(&self, sm: &Summary) -> String {
        let measured: usize = sm.tables.iter().map(|t| t.rows.len()).sum();
        let mut body = format!(
            "<header>\n<h1>Which concurrency strategy is fastest?</h1>\n<p class=\"muted\">{} workloads, {measured} measured strategies, from <code>{}</code> (baseline <code>{}</code>). Times are Criterion's medians per iteration with their 95% confidence intervals; speed-ups and leads carry 95% bootstrap intervals computed from <code>sample.json</code>.</p>\n<nav>",
            sm.tables.len(),
            escape(&sm.criterion_dir),
            escape(&sm.baseline)
        );
        body.push_str("<a href=\"#which-to-use\">Which to use</a>\n");
        // A sweep's per-value tables live in its section: one link per sweep.
        let is_sweep = |t: &Table| sm.sweeps.iter().any(|sw| sw.group == t.group);
        let links = sm.sweeps.iter().map(|sw| ("s", sw.group.clone())).chain(
            sm.tables
                .iter()
                .filter(|t| !is_sweep(t))
                .map(|t| ("w", t.title())),
        );
        for (prefix, name) in links {
            let (id, name) = (slug(&name), escape(&name));
            let _ = writeln!(body, "<a href=\"#{prefix}-{id}\">{name}</a>");
        }
        if !sm.missing.is_empty() {
            body.push_str("<a href=\"#missing\">Missing</a>\n");
        }
        body.push_str("</nav>\n</header>\n<section id=\"which-to-use\">\n<h2>Which to use</h2>\n");
        for t in sm.tables.iter().filter(|t| !is_sweep(t)) {
            let open = format!(
                "<h3>{}</h3>\n<ul class=\"advice\" data-group=\"{}\">\n",
                escape(&t.title()),
                escape(&t.group)
            );
            sentence_list(&mut body, &open, &t.advice.sentences);
        }
        for sw in &sm.sweeps {
            let open = format!(
                "<h3><a href=\"#s-{}\">{}</a></h3>\n<ul class=\"advice findings\" data-group=\"{}\">\n",
                slug(&sw.group),
                escape(&sw.group),
                escape(&sw.group)
            );
            sentence_list(&mut body, &open, &sw.sentences);
        }
        body.push_str("</section>\n");
        // Sweeps first: their charts are compact answers, the groups below carry long timelines.
        for sw in &sm.sweeps {
            let tables: Vec<&Table> = sm.tables.iter().filter(|t| t.group == sw.group).collect();
            body.push_str(&sweep_section(sw, &tables));
        }
        for t in sm.tables.iter().filter(|t| !is_sweep(t)) {
            body.push_str(&table_section(t, false));
        }
        if !sm.missing.is_empty() {
            body.push_str("<section id=\"missing\">\n<h2>Missing</h2>\n<ul>\n");
            for m in &sm.missing {
                let _ = writeln!(body, "<li class=\"note\">{}</li>", sentence(m));
            }
            body.push_str("</ul>\n</section>\n");
        }
        page("concurrency-bench summary", &body)
    }
}
