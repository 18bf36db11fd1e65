//! The `history` command's model: the history file's records turned into one series per
//! benchmark, each with its step changes fitted on the measured run-to-run noise where there is
//! one ([`measured_noise`]) and on the series' own scale elsewhere ([`crate::steps`]), the
//! machine changes and the records that hold no results ([`HistoryReport`]).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::history::{Loaded, Record, Status};
use crate::machine::Machine;
use crate::noise::{self, Calibration, LayoutNoise, Noise};
use crate::steps::{self, Fit};

/// One point of a benchmark's history.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    /// Index of the record in the history (0-based, valid records only).
    pub record: usize,
    /// Line number in the history file.
    pub line: usize,
    /// Commit hash, if recorded in a git checkout.
    pub commit: Option<String>,
    /// Whether the tree was dirty.
    pub dirty: bool,
    /// Median, ns.
    pub median_ns: f64,
    /// 95% interval, ns.
    pub lower_ns: f64,
    /// 95% interval, ns.
    pub upper_ns: f64,
}

impl Point {
    /// A short label: 7 characters of the commit (`*` when dirty), or `#record`.
    pub fn label(&self) -> String {
        commit_label(self.commit.as_deref(), self.dirty, self.record)
    }
}

/// A benchmark's history and its step fit.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    /// Criterion's full id.
    pub id: String,
    /// Points in record order.
    pub points: Vec<Point>,
    /// The piecewise-constant fit of the log-medians.
    pub fit: Fit,
    /// The measured run-to-run noise used as the fit's scale; `None` when the scale came from
    /// the series itself (successive differences, see [`steps`]).
    pub noise: Option<Noise>,
}

/// Builds one series per benchmark id (sorted by id), in record order, with step detection
/// on the noise scale of the series itself.
pub fn series(records: &[(usize, Record)]) -> Vec<Series> {
    series_with_noise(records, &BTreeMap::new(), None)
}

/// Builds one series per benchmark id, as [`series`], fitting each benchmark that `measured`
/// knows with its measured run-to-run σ (SD of ln(median)) as the noise scale instead of the
/// scale estimated from the series: repeated runs of one build see the same noise the
/// history's steps must rise above, and do not take the steps themselves for noise.
///
/// Where `layout` knows a benchmark's code-placement noise σ_layout, every record is another
/// binary, one draw of a placement: the scale is √(σ²_run + σ²_layout) on a measured σ_run
/// (the noise carries the term, see [`measured_noise`]), and at least σ_layout on the series'
/// own scale, so the detector does not report changes within the layout noise.
pub fn series_with_noise(
    records: &[(usize, Record)],
    measured: &BTreeMap<String, Noise>,
    layout: Option<&LayoutNoise>,
) -> Vec<Series> {
    let mut by_id: BTreeMap<String, Vec<Point>> = BTreeMap::new();
    for (index, (line, r)) in records.iter().enumerate() {
        for b in &r.benchmarks {
            by_id.entry(b.id.clone()).or_default().push(Point {
                record: index,
                line: *line,
                commit: r.git.commit.clone(),
                dirty: r.git.dirty.unwrap_or(false),
                median_ns: b.median_ns,
                lower_ns: b.lower_ns,
                upper_ns: b.upper_ns,
            });
        }
    }
    by_id
        .into_iter()
        .map(|(id, points)| {
            let med: Vec<f64> = points.iter().map(|p| p.median_ns).collect();
            let lo: Vec<f64> = points.iter().map(|p| p.lower_ns).collect();
            let hi: Vec<f64> = points.iter().map(|p| p.upper_ns).collect();
            let noise = measured.get(&id).cloned();
            let fit = match &noise {
                Some(n) => {
                    let scale = n.layout.map_or(n.sd_log, |l| n.sd_log.hypot(l.sd_log));
                    steps::fit(&med.iter().map(|m| m.ln()).collect::<Vec<_>>(), scale)
                }
                None => {
                    let floor = layout.and_then(|l| l.term(&id)).map_or(0.0, |t| t.sd_log);
                    steps::detect_floored(&med, &lo, &hi, floor)
                }
            };
            Series {
                id,
                points,
                fit,
                noise,
            }
        })
        .collect()
}

/// Where the machine description changes between consecutive records: (record index, new
/// description). A step at the same record may be the machine, not the code.
pub fn machine_changes(records: &[(usize, Record)]) -> Vec<(usize, String)> {
    let describe = |m: &Machine| format!("{} ({} cores, {})", m.cpu_model, m.cores, m.os);
    records
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w[0].1.machine != w[1].1.machine)
        .map(|(i, w)| (i + 1, describe(&w[1].1.machine)))
        .collect()
}

/// What the `history` command renders.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryReport {
    /// The history file, as given.
    pub source: String,
    /// Valid records read.
    pub records: usize,
    /// Corrupt lines skipped: (line number, reason).
    pub corrupt: Vec<(usize, String)>,
    /// Machine changes: (record index, new machine).
    pub machine_changes: Vec<(usize, String)>,
    /// One chart per benchmark: the series and its SVG file name.
    pub charts: Vec<(Series, String)>,
    /// Records of commits that could not be measured (gaps in every series): (record index,
    /// commit label, status, reason).
    pub unmeasured: Vec<(usize, String, Status, String)>,
    /// Where each series' noise scale came from, one sentence per source.
    pub noise_sources: Vec<String>,
}

/// 7 characters of a commit (`*` when dirty), or `#<record number>` without one.
fn commit_label(commit: Option<&str>, dirty: bool, record: usize) -> String {
    let base = match commit {
        Some(c) => c.chars().take(7).collect(),
        None => format!("#{}", record + 1),
    };
    if dirty {
        format!("{base}*")
    } else {
        base
    }
}

/// The measured run-to-run noise per benchmark for step detection: the calibration's, else
/// the history's own repeated runs of one commit on one machine ([`noise::history_noise`]);
/// each with the layout term where `layout` knows one above zero.
pub fn measured_noise(
    records: &[(usize, Record)],
    calibration: Option<&Calibration>,
    layout: Option<&LayoutNoise>,
) -> BTreeMap<String, Noise> {
    let mut out = noise::history_noise(records);
    if let Some(cal) = calibration {
        for (id, b) in &cal.benchmarks {
            out.insert(
                id.clone(),
                Noise {
                    source: noise::Source::Calibration,
                    sd_log: b.sd_log,
                    runs: Some(b.runs),
                    df: Some((b.runs - 1) as f64),
                    layout: None,
                },
            );
        }
    }
    if let Some(l) = layout {
        for (id, n) in out.iter_mut() {
            n.layout = l.term(id);
        }
    }
    out
}

impl HistoryReport {
    /// Builds the report from a loaded history, fitting steps on the calibration's run-to-run
    /// noise (given with its path) or the history's repeated runs where they exist
    /// ([`measured_noise`]), and on each series' own scale elsewhere; fails when the history
    /// holds no valid record.
    /// `layout` (the file and its contents) floors each benchmark's scale at its layout noise.
    pub fn build(
        path: &Path,
        loaded: Loaded,
        calibration: Option<(&Path, &Calibration)>,
        layout: Option<(&Path, &LayoutNoise)>,
    ) -> Result<Self> {
        if loaded.records.is_empty() {
            return Err(Error::at(
                path,
                format!(
                    "no valid record ({} corrupt lines); run `target-report record` after `cargo bench`",
                    loaded.corrupt.len()
                ),
            ));
        }
        let layout_noise = layout.map(|(_, l)| l);
        let measured = measured_noise(&loaded.records, calibration.map(|(_, c)| c), layout_noise);
        let mut used = std::collections::HashSet::new();
        let charts: Vec<(Series, String)> =
            series_with_noise(&loaded.records, &measured, layout_noise)
                .into_iter()
                .map(|s| {
                    let stem: String =
                        s.id.chars()
                            .map(|c| {
                                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                                    c
                                } else {
                                    '_'
                                }
                            })
                            .collect();
                    // Distinct ids can sanitise to the same name (`a/b` and `a_b`): number them.
                    let mut name = format!("{stem}.svg");
                    let mut k = 2;
                    while !used.insert(name.clone()) {
                        name = format!("{stem}-{k}.svg");
                        k += 1;
                    }
                    (s, name)
                })
                .collect();
        let mut noise_sources = describe_noise_sources(&charts, calibration.map(|(p, _)| p), path);
        noise_sources.extend(layout.and_then(|(p, l)| {
            crate::noise::layout::floor_sentence(charts.iter().map(|(s, _)| s.id.as_str()), p, l)
        }));
        let unmeasured = loaded
            .records
            .iter()
            .enumerate()
            .filter_map(|(i, (_, r))| {
                let status = r.status?;
                Some((
                    i,
                    commit_label(r.git.commit.as_deref(), r.git.dirty == Some(true), i),
                    status,
                    r.reason.clone().unwrap_or_default(),
                ))
            })
            .collect();
        Ok(HistoryReport {
            source: path.display().to_string(),
            unmeasured,
            noise_sources,
            records: loaded.records.len(),
            machine_changes: machine_changes(&loaded.records),
            corrupt: loaded.corrupt,
            charts,
        })
    }
}

/// One sentence per noise source the series used, with how many benchmarks used it.
fn describe_noise_sources(
    charts: &[(Series, String)],
    calibration: Option<&Path>,
    history: &Path,
) -> Vec<String> {
    let count =
        |f: &dyn Fn(&Option<Noise>) -> bool| charts.iter().filter(|(s, _)| f(&s.noise)).count();
    let of =
        |src: noise::Source| move |n: &Option<Noise>| n.as_ref().is_some_and(|n| n.source == src);
    let mut out = Vec::new();
    let cal = count(&of(noise::Source::Calibration));
    if cal > 0 {
        out.push(format!(
            "{cal} benchmarks: the run-to-run σ measured by `target-report calibrate` ({})",
            calibration.map_or(String::new(), |p| p.display().to_string())
        ));
    }
    let hist = count(&of(noise::Source::History));
    if hist > 0 {
        out.push(format!(
            "{hist} benchmarks: the run-to-run σ of repeated runs of one commit on one machine in {}",
            history.display()
        ));
    }
    let own = count(&|n: &Option<Noise>| n.is_none());
    if own > 0 {
        out.push(format!(
            "{own} benchmarks: the series' own successive differences (no calibration or repeated runs for them)"
        ));
    }
    out
}
