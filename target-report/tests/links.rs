//! Every link and image in the summary and history pages resolves (issue 21).
//!
//! The pages are generated from the fixtures as a user makes them (default layout: the summary
//! in `target/criterion/summary`, the history in `target/criterion/history`), then every page
//! written there (`*.html`, `*.md`, `*.svg`) is read and each reference checked: a `#id` names
//! an element of the same page (ids are unique), a relative file exists beside the page, and
//! nothing names the local file system absolutely (`/abs`, `file:`, `C:`), so the pages keep
//! working when the whole directory moves — the test moves it and checks again. Links into
//! Criterion's own reports must point where Criterion writes them. http(s) links are listed,
//! never fetched: the pages must render offline, so none may be a resource (image, style).
//!
//! With `CB_KEEP_PAGES=<dir>` set, the generated trees are also copied to `<dir>/summary` and
//! `<dir>/history` (pages under `target/criterion/{summary,history}` there): `.ci/browser-check`
//! opens those in a real browser.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::util::*;
use target_report::history::{self, BenchRecord};
use target_report::paths::absolute;

/// One reference a page makes.
#[derive(Debug)]
struct Ref {
    /// Where it sits, for messages: `<img src>`, `url()`, `![md]`.
    origin: String,
    /// The value as written.
    target: String,
    /// Loaded to render the page (an image, a style), not only followed when clicked: such a
    /// reference must never need the network.
    resource: bool,
}

/// The ids a page defines, the ids it defines twice, and the references it makes.
#[derive(Default)]
struct Scan {
    ids: BTreeSet<String>,
    duplicate_ids: Vec<String>,
    refs: Vec<Ref>,
}

/// Attributes that hold a URL, per HTML and SVG; `href` is a resource on the elements that
/// load it (`<link>`, SVG `<use>` and `<image>`), a plain link elsewhere.
const URL_ATTRIBUTES: [&str; 7] = ["href", "src", "poster", "data", "action", "cite", "srcset"];

/// Scans an HTML page or an SVG file (both are well-formed XML here).
fn scan_markup(text: &str) -> Scan {
    let doc = parse_html(text);
    let mut scan = Scan::default();
    for node in doc.descendants().filter(|n| n.is_element()) {
        let tag = node.tag_name().name();
        for a in node.attributes() {
            let name = a.name();
            if name == "id" && !scan.ids.insert(a.value().to_string()) {
                scan.duplicate_ids.push(a.value().to_string());
            } else if name == "style" {
                css_urls(a.value(), &mut scan.refs);
            } else if URL_ATTRIBUTES.contains(&name) {
                let resource = !matches!(name, "href" | "action" | "cite")
                    || matches!(tag, "link" | "use" | "image" | "script");
                // srcset: comma-separated "url width" candidates.
                let values: Vec<&str> = match name {
                    "srcset" => a
                        .value()
                        .split(',')
                        .filter_map(|c| c.split_whitespace().next())
                        .collect(),
                    _ => vec![a.value().trim()],
                };
                for v in values {
                    scan.refs.push(Ref {
                        origin: format!("<{tag} {name}>"),
                        target: v.to_string(),
                        resource,
                    });
                }
            }
        }
        if tag == "style" {
            css_urls(node.text().unwrap_or_default(), &mut scan.refs);
        }
    }
    scan
}

/// The `url(...)` references of a style sheet or style attribute (images, fonts: resources).
fn css_urls(css: &str, refs: &mut Vec<Ref>) {
    for (i, _) in css.match_indices("url(") {
        let rest = &css[i + 4..];
        let end = rest.find(')').unwrap_or(rest.len());
        refs.push(Ref {
            origin: "url()".into(),
            target: rest[..end].trim().trim_matches(['"', '\'']).to_string(),
            resource: true,
        });
    }
}

/// Scans Markdown: `[text](target)` links and `![alt](target)` images (a resource). Markdown
/// defines no ids a test can see, so a `#fragment` there is reported as unresolved.
fn scan_markdown(text: &str) -> Scan {
    let mut scan = Scan::default();
    for (i, _) in text.match_indices("](") {
        let rest = &text[i + 2..];
        let Some(end) = rest.find(')') else { continue };
        // An optional title follows the target after a space: [a](x.svg "title").
        let target = rest[..end].split_whitespace().next().unwrap_or("");
        let image = text[..i]
            .rfind('[')
            .is_some_and(|open| text[..open].ends_with('!'));
        scan.refs.push(Ref {
            origin: if image { "![md]" } else { "[md]" }.into(),
            target: target.to_string(),
            resource: image,
        });
    }
    scan
}

/// What a reference is.
#[derive(Debug, PartialEq)]
enum Kind {
    /// `#id` in the same page.
    Fragment(String),
    /// A file relative to the page (query and fragment dropped, percent-decoded).
    File(String),
    /// http(s): listed, never fetched.
    External,
    /// `data:` is inside the page already.
    Inline,
    /// Breaks when the directory moves, or is no place a report may point: why.
    Forbidden(&'static str),
}

fn classify(target: &str) -> Kind {
    let lower = target.to_ascii_lowercase();
    if target.is_empty() {
        return Kind::Forbidden("empty reference");
    }
    if let Some(id) = target.strip_prefix('#') {
        return Kind::Fragment(percent_decode(id));
    }
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Kind::External;
    }
    if lower.starts_with("data:") {
        return Kind::Inline;
    }
    if target.starts_with('/') || target.starts_with('\\') {
        return Kind::Forbidden("absolute path (breaks when the directory moves)");
    }
    // A scheme (`file:`, `javascript:`) or a drive letter (`C:`) before any path separator.
    let head = target.split(['/', '?', '#']).next().unwrap_or("");
    if head.contains(':') {
        return Kind::Forbidden("a scheme or drive, not a relative path");
    }
    let path = target.split(['?', '#']).next().unwrap_or("");
    Kind::File(percent_decode(path))
}

/// `%20` and the like back to bytes (what a browser does before opening a relative file).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (b[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What checking the pages of one output directory found.
#[derive(Default, Debug)]
struct Findings {
    /// Broken or forbidden references and duplicate ids, one line each.
    problems: Vec<String>,
    /// Every local file linked, made absolute.
    files: BTreeSet<PathBuf>,
    /// `#id` links checked.
    fragments: usize,
    /// http(s) references, `page: <tag attr> url`.
    external: Vec<String>,
}

/// The pages written directly in `dir`: what a person or a Markdown viewer opens.
fn pages(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "html" || e == "md" || e == "svg")
        })
        .collect();
    out.sort();
    out
}

/// Checks every reference of every page in `dir`.
fn check_dir(dir: &Path) -> Findings {
    let mut f = Findings::default();
    for page in pages(dir) {
        let text = fs::read_to_string(&page).unwrap();
        let scan = match page.extension().unwrap().to_str() {
            Some("md") => scan_markdown(&text),
            _ => scan_markup(&text),
        };
        let name = page.file_name().unwrap().to_string_lossy().into_owned();
        for id in &scan.duplicate_ids {
            f.problems.push(format!("{name}: id {id:?} defined twice"));
        }
        for r in &scan.refs {
            let what = format!("{name}: {} {:?}", r.origin, r.target);
            match classify(&r.target) {
                Kind::Fragment(id) if scan.ids.contains(&id) => f.fragments += 1,
                Kind::Fragment(_) => f.problems.push(format!("{what}: no such id")),
                Kind::File(rel) => {
                    let file = absolute(&dir.join(&rel));
                    if file.exists() {
                        f.files.insert(file);
                    } else {
                        f.problems
                            .push(format!("{what}: no file {}", file.display()));
                    }
                }
                Kind::External if r.resource => f
                    .problems
                    .push(format!("{what}: a resource from the network")),
                Kind::External => f.external.push(what),
                Kind::Inline => {}
                Kind::Forbidden(why) => f.problems.push(format!("{what}: {why}")),
            }
        }
    }
    f
}

/// Fails with every problem at once, and prints the external links (expected: none).
fn assert_clean(f: &Findings, dir: &Path) {
    assert!(
        f.problems.is_empty(),
        "{} broken references in {}:\n{}",
        f.problems.len(),
        dir.display(),
        f.problems.join("\n")
    );
    eprintln!(
        "{}: {} files and {} #ids linked; external links: {:?}",
        dir.display(),
        f.files.len(),
        f.fragments,
        f.external
    );
    // The pages say they are self-contained; a link to the web would need saying why.
    assert!(f.external.is_empty(), "{:?}", f.external);
}

#[test]
fn the_scanner_finds_what_it_must_reject() {
    let page = r##"<!DOCTYPE html><html><head><style>b{background:url("x.png")}</style></head>
<body id="top"><a href="#top">ok</a><a href="#nowhere">bad</a><img src="/abs/a.png"/>
<img src="file:///tmp/a.png"/><img src="https://cdn.example/a.png"/><a href="https://example.org">x</a>
<img srcset="a.png 1x, b%20c.png 2x"/><p id="top"/></body></html>"##;
    let s = scan_markup(page);
    assert_eq!(s.duplicate_ids, ["top"]);
    let kinds: Vec<(Kind, bool)> = s
        .refs
        .iter()
        .map(|r| (classify(&r.target), r.resource))
        .collect();
    assert_eq!(
        kinds,
        [
            (Kind::File("x.png".into()), true),
            (Kind::Fragment("top".into()), false),
            (Kind::Fragment("nowhere".into()), false),
            (
                Kind::Forbidden("absolute path (breaks when the directory moves)"),
                true
            ),
            (
                Kind::Forbidden("a scheme or drive, not a relative path"),
                true
            ),
            (Kind::External, true),
            (Kind::External, false),
            (Kind::File("a.png".into()), true),
            (Kind::File("b c.png".into()), true),
        ]
    );
    let md = scan_markdown("[a](x/y.html) ![chart](c.svg \"t\") [`f`](#frag)");
    let got: Vec<(&str, bool)> = md
        .refs
        .iter()
        .map(|r| (r.target.as_str(), r.resource))
        .collect();
    assert_eq!(
        got,
        [("x/y.html", false), ("c.svg", true), ("#frag", false)]
    );
}

/// Copies the tree at `root` to `$CB_KEEP_PAGES/<name>` when that variable is set.
fn keep(root: &Path, name: &str) {
    if let Some(dir) = std::env::var_os("CB_KEEP_PAGES") {
        let to = Path::new(&dir).join(name);
        let _ = fs::remove_dir_all(&to);
        copy_dir(root, &to);
    }
}

/// The `new/benchmark.json` of every benchmark under `crit`, however deep (sweep points sit a
/// level below their function).
fn benchmark_ids(dir: &Path, out: &mut Vec<serde_json::Value>) {
    let id = dir.join("new/benchmark.json");
    if id.is_file() {
        out.push(read_json(&id));
    }
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            benchmark_ids(&e.path(), out);
        }
    }
}

/// Where Criterion (0.5 to 0.8, `html` module) writes its report files, relative to its output
/// directory, for the benchmarks under `crit`: each benchmark's page
/// `<directory_name>/report/index.html`; each group's summary `<group>/report/` (`index.html`,
/// `violin.svg`); for a benchmark with a value, the summaries across functions at that value,
/// `<group>/<value>/report/`, and across values of that function, `<group>/<function>/report/`;
/// and the index of everything, `report/index.html`.
fn criterion_report_files(crit: &Path) -> BTreeSet<String> {
    let mut ids = Vec::new();
    benchmark_ids(crit, &mut ids);
    let mut files = BTreeSet::from(["report/index.html".to_string()]);
    for id in ids {
        let dir = id["directory_name"].as_str().unwrap();
        files.insert(format!("{dir}/report/index.html"));
        let parts: Vec<&str> = dir.split('/').collect();
        let mut summaries = vec![parts[0].to_string()];
        if id["value_str"].is_string() && parts.len() == 3 {
            summaries.push(format!("{}/{}", parts[0], parts[2]));
            summaries.push(format!("{}/{}", parts[0], parts[1]));
        }
        for s in summaries {
            files.insert(format!("{s}/report/index.html"));
            files.insert(format!("{s}/report/violin.svg"));
        }
    }
    files
}

/// The richest summary input the fixtures make, at `<root>/target/criterion`: the real run (CPU
/// and I/O groups), the Python group beside it, a worker sweep with one point skipped, a strategy
/// without its timeline (a "Missing" entry), and a stand-in for each report file Criterion would
/// have written (the fixtures' real ones were pruned).
fn rich_criterion_dir(root: &Path) -> PathBuf {
    let crit = root.join("target/criterion");
    copy_dir(&fixture(), &crit);
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/python/criterion");
    copy_dir(&python.join("py_fib"), &crit.join("py_fib"));
    for value in [1u64, 4, 16] {
        for function in ["sequential", "thread_pool"] {
            let src = format!("cpu_fib/{function}");
            add_sweep_point(&crit, &src, "sweep/workers", function, value);
        }
    }
    skip_point(&crit.join("sweep_workers/thread_pool/16"), "needs 16 cores");
    fs::remove_file(crit.join("cpu_sum_of_squares/thread_pool/new/cb-timeline.json")).unwrap();
    for rel in criterion_report_files(&crit) {
        let file = crit.join(&rel);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        let stand_in = match rel.ends_with(".svg") {
            true => "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            false => "<html></html>",
        };
        fs::write(file, stand_in).unwrap();
    }
    crit
}

/// The references of `out` (the summary's directory) that lead into Criterion's output,
/// relative to `crit`; fails on one that leads anywhere else or where Criterion writes nothing.
fn criterion_links(f: &Findings, out: &Path, crit: &Path) -> BTreeSet<String> {
    let expected = criterion_report_files(crit);
    let mut linked = BTreeSet::new();
    for file in f.files.iter().filter(|p| !p.starts_with(out)) {
        let rel = file
            .strip_prefix(crit)
            .unwrap_or_else(|_| panic!("{} is outside the Criterion directory", file.display()));
        let rel = rel.to_string_lossy().into_owned();
        assert!(expected.contains(&rel), "Criterion writes no {rel}");
        linked.insert(rel);
    }
    linked
}

#[test]
fn every_reference_in_the_summary_pages_resolves_and_survives_a_move() {
    let tmp = TempDir::new("links-summary");
    let crit = rich_criterion_dir(tmp.path());
    // As a user runs it: from the workspace root, default directories, relative paths.
    let o = run_in(tmp.path(), &["summary"]);
    assert!(o.status.success(), "{}", stderr(&o));
    keep(tmp.path(), "summary");
    let out = crit.join("summary");
    let names: Vec<String> = pages(&out)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["index.html", "summary.md", "sweep_workers.svg"]);
    let f = check_dir(&out);
    assert_clean(&f, &out);
    assert!(f.fragments > 0);

    // Links into Criterion's output go where Criterion writes its reports, of every kind.
    let linked = criterion_links(&f, &out, &crit);
    for want in [
        "cpu_fib/thread_pool/report/index.html",
        "io_download/report/violin.svg",
        "py_fib/sequential/report/index.html",
        "sweep_workers/report/index.html",
        "sweep_workers/4/report/violin.svg",
        "sweep_workers/thread_pool/4/report/index.html",
    ] {
        assert!(linked.contains(want), "{want} not linked: {linked:#?}");
    }
    // Every trace written beside the pages is linked.
    let traces: BTreeSet<PathBuf> = fs::read_dir(out.join("traces"))
        .unwrap()
        .map(|e| absolute(&e.unwrap().path()))
        .collect();
    assert!(traces.len() > 30 && traces.is_subset(&f.files));

    // Move the whole target directory: the same pages resolve the same files there.
    let moved = tmp.path().join("elsewhere/target-moved");
    fs::create_dir_all(moved.parent().unwrap()).unwrap();
    fs::rename(tmp.path().join("target"), &moved).unwrap();
    let out = moved.join("criterion/summary");
    let g = check_dir(&out);
    assert_clean(&g, &out);
    assert_eq!((g.files.len(), g.fragments), (f.files.len(), f.fragments));
}

fn bench(id: &str, median: f64) -> BenchRecord {
    BenchRecord {
        id: id.into(),
        median_ns: median,
        lower_ns: median * 0.995,
        upper_ns: median * 1.005,
        samples: 10,
        sample_fingerprint: None,
    }
}

/// Ids whose chart files sanitise alike or nearly (`g_a.b.svg`, `g_a_b.svg`, `g_a_b-2.svg`).
const LOOKALIKE_IDS: [&str; 3] = ["g/a.b", "g/a_b", "g/a/b"];

/// A history with every section of the page: a step, a machine change, a commit that did not
/// build, a corrupt line, and benchmarks whose chart names look alike.
fn rich_history(path: &Path) {
    for i in 0..12u32 {
        let wobble = 1.0 + 0.004 * f64::from((i * 7) % 5);
        let step = if i >= 6 { 1.3 } else { 1.0 };
        let mut benches = vec![
            bench("io/download/thread_pool", 2e6 * step * wobble),
            bench("cpu/fib/rayon", 5e5 * wobble),
        ];
        benches.extend(LOOKALIKE_IDS.iter().map(|id| bench(id, 1e5 * wobble)));
        let cores = if i < 9 { 2 } else { 4 };
        history::append(
            path,
            &history_record(&format!("{i:07x}c0ffee"), cores, benches),
        )
        .unwrap();
        if i == 4 {
            let mut failed = history_record("badbad1", cores, vec![]);
            failed.status = Some(history::Status::BuildFailed);
            failed.reason = Some("`cargo bench --no-run` failed".into());
            history::append(path, &failed).unwrap();
        }
        if i == 7 {
            let mut file = fs::OpenOptions::new().append(true).open(path).unwrap();
            file.write_all(b"{\"schema\":1,\"torn\n").unwrap();
        }
    }
}

/// Each benchmark row's `#id` link leads to the figure of that benchmark's chart.
fn assert_rows_link_their_own_chart(page: &Path) {
    let html = fs::read_to_string(page).unwrap();
    let doc = parse_html(&html);
    let rows: Vec<_> = doc
        .descendants()
        .filter(|n| n.attribute("data-benchmark").is_some())
        .collect();
    assert_eq!(rows.len(), 2 + LOOKALIKE_IDS.len());
    for row in rows {
        let id = row.attribute("data-benchmark").unwrap();
        let href = row.descendants().find_map(|n| n.attribute("href")).unwrap();
        let figure = doc
            .descendants()
            .find(|n| Some(n.attribute("id")) == Some(href.strip_prefix('#')))
            .unwrap_or_else(|| panic!("{id}: no element {href}"));
        let caption: String = figure
            .descendants()
            .find(|n| n.has_tag_name("code"))
            .and_then(|c| c.text())
            .unwrap_or_default()
            .to_string();
        assert_eq!(caption, id, "{href} leads to another benchmark's chart");
    }
}

#[test]
fn every_reference_in_the_history_page_resolves_and_survives_a_move() {
    let tmp = TempDir::new("links-history");
    rich_history(&tmp.path().join("bench-history.jsonl"));
    let o = run_in(tmp.path(), &["history", "--history", "bench-history.jsonl"]);
    assert!(o.status.success(), "{}", stderr(&o));
    keep(tmp.path(), "history");
    let out = tmp.path().join("target/criterion/history");
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    for section in [
        "noise",
        "unmeasured",
        "machines",
        "corrupt",
        "steps",
        "charts",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{section}\">")),
            "{section}"
        );
    }
    let f = check_dir(&out);
    assert_clean(&f, &out);
    // One chart per benchmark, each shown, each reachable from its row.
    assert_eq!(pages(&out).len(), 1 + 2 + LOOKALIKE_IDS.len());
    assert_eq!(f.files.len(), 2 + LOOKALIKE_IDS.len());
    assert_eq!(f.fragments, 2 + LOOKALIKE_IDS.len());
    assert_rows_link_their_own_chart(&out.join("index.html"));

    let moved = tmp.path().join("elsewhere");
    fs::rename(tmp.path().join("target"), &moved).unwrap();
    let out = moved.join("criterion/history");
    assert_clean(&check_dir(&out), &out);
}
