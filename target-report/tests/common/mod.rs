//! Helpers shared by the integration tests: temporary copies of the fixture run, running the
//! binary, and reading JSON.

#![allow(dead_code)] // each test file uses a different subset

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The real Criterion run committed under tests/fixtures (baselines `base`, `other`, and `new`
/// = the second run), with Criterion's HTML/SVG reports pruned.
pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/criterion")
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "target-report-test-{tag}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

pub fn copy_dir(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).unwrap();
    for e in fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            fs::copy(e.path(), &to).unwrap();
        }
    }
}

/// Benchmark directories of the fixture, relative (`io_download/thread_pool`).
pub fn bench_dirs(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for g in fs::read_dir(root).unwrap() {
        let g = g.unwrap();
        if !g.file_type().unwrap().is_dir() {
            continue;
        }
        for b in fs::read_dir(g.path()).unwrap() {
            let b = b.unwrap();
            if b.path().join("new/benchmark.json").is_file() {
                out.push(format!(
                    "{}/{}",
                    g.file_name().to_string_lossy(),
                    b.file_name().to_string_lossy()
                ));
            }
        }
    }
    out.sort();
    out
}

/// A temporary copy of the fixture, with stand-ins for the Criterion report files that the
/// summary links to (the real ones were pruned to keep the fixture small).
pub fn fixture_copy(tag: &str) -> (TempDir, PathBuf) {
    let tmp = TempDir::new(tag);
    let crit = tmp.path().join("criterion");
    copy_dir(&fixture(), &crit);
    for b in bench_dirs(&crit) {
        let report = crit.join(&b).join("report");
        fs::create_dir_all(&report).unwrap();
        fs::write(report.join("index.html"), "<html></html>").unwrap();
        let group_report = crit.join(b.split('/').next().unwrap()).join("report");
        fs::create_dir_all(&group_report).unwrap();
        fs::write(group_report.join("violin.svg"), "<svg/>").unwrap();
    }
    (tmp, crit)
}

pub fn run(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_target-report"))
        .args(args)
        .output()
        .expect("run target-report")
}

pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_target-report"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run target-report")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Parses a generated page with a strict XML parser (the pages are well-formed XHTML; the
/// `<!DOCTYPE html>` line is a DTD to roxmltree, hence `allow_dtd`).
pub fn parse_html(text: &str) -> roxmltree::Document<'_> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(text, opts).expect("the page is well-formed")
}
