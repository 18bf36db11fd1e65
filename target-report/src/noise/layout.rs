//! Layout noise: how much a benchmark's median moves when the same objects are linked in
//! another order (`target-report layout`), as σ_layout, the SD of ln(median) between link
//! orders once the run-to-run part is taken out, stored in [`LAYOUT_FILE`] beside the
//! calibration.
//!
//! # The estimate
//! M builds (link orders) × K runs each give y_bk = ln(median) of build b, run k. One-way
//! random effects: y_bk = μ + L_b + e_bk with Var L = σ²_layout and Var e = σ²_run. The mean
//! squares MS_between = K·Σ(ȳ_b − ȳ)²/(M − 1) and MS_within = ΣΣ(y_bk − ȳ_b)²/(M(K − 1))
//! estimate K·σ²_layout + σ²_run and σ²_run, so σ²_layout = max(0, (MS_between − MS_within)/K)
//! ([`layout_component`]): the spread of the per-layout means minus what the runs' own noise
//! would put there. It is 0 where the link orders differ no more than runs of one binary do —
//! that is where the layout term is *not* larger than the run-to-run noise, and then nothing is
//! added. Its degrees of freedom are Satterthwaite's for the difference of two mean squares,
//! (MS_b − MS_w)² / (MS_b²/(M − 1) + MS_w²/(M(K − 1))), at least 1: below that a t quantile
//! is infinite for practical purposes, and one degree of freedom already says "barely
//! measured" (t.975 = 12.7). A few link orders give few df; more builds, not more runs, add them.
//!
//! # How the comparisons use it
//! A plain binary is one draw of a layout. So:
//! * `compare` of two builds: se² = 2σ²_run + 2σ²_layout (each side's run and each side's
//!   layout), df by Welch–Satterthwaite over the two terms ([`LayoutTerm::add_to`]).
//! * `ab` of two commits, one build each: the paired rounds' spread s sees the runs but not the
//!   placement (every round reuses the same two binaries), so se² = s²/K + 2σ²_layout.
//! * `ab --layouts M`: each side's rounds rotate over M link orders, so s already contains the
//!   layout variance: nothing is added.
//! * `history`/`backfill`: the step detector's noise scale is at least
//!   √(σ²_run + σ²_layout), so a level change within the layout noise is not a step.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::criterion;
use crate::error::{Error, Result};
use crate::machine::Machine;
use crate::stats;

/// File name of the layout noise, in the Criterion directory.
pub const LAYOUT_FILE: &str = "cb-layout.json";

/// `cb-layout.json` (schema 1): each benchmark's spread across M link orders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayoutNoise {
    /// Format version; this tool writes and reads 1.
    pub schema: u32,
    /// Builds M (link orders).
    pub builds: usize,
    /// Runs K of every benchmark on every build.
    pub rounds: usize,
    /// The `--shuffle-sections` seed of each build, in build order.
    pub seeds: Vec<u64>,
    /// rustc's flags of the builds (the pinned placement flags, or the user's variable).
    #[serde(default)]
    pub rustflags: String,
    /// When it was made (RFC 3339 UTC).
    pub created_at: String,
    /// The commit that was measured, when known.
    #[serde(default)]
    pub commit: Option<String>,
    /// Whether the working tree had uncommitted changes (then `commit` is only its base).
    #[serde(default)]
    pub dirty: Option<bool>,
    /// The machine it ran on.
    #[serde(default)]
    pub machine: Option<Machine>,
    /// Per benchmark (Criterion's full id).
    pub benchmarks: BTreeMap<String, LayoutBenchmark>,
}

/// One benchmark's layout noise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayoutBenchmark {
    /// The median per-iteration time of every run, ns: `medians_ns[build][run]`.
    pub medians_ns: Vec<Vec<f64>>,
    /// Each build's median of its runs' medians, ns.
    pub layout_medians_ns: Vec<f64>,
    /// The smallest and largest of `layout_medians_ns`.
    pub min_ns: f64,
    /// See `min_ns`.
    pub max_ns: f64,
    /// SD of the per-build mean ln(median) across builds, run-to-run part included.
    pub sd_log_between: f64,
    /// The pooled within-build SD of ln(median): the run-to-run noise, M(K − 1) df.
    pub sd_log_run: f64,
    /// σ_layout: the layout component, floored at 0 (see the module doc).
    pub sd_log: f64,
    /// Satterthwaite's degrees of freedom of `sd_log` (0 when it is 0).
    pub df: f64,
}

/// The one-way random-effects decomposition of `y[build][run]` (ln medians).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Components {
    /// σ_layout, floored at 0.
    pub sd_layout: f64,
    /// Satterthwaite df of σ²_layout, at least 1 (0 when σ_layout is floored at 0).
    pub df_layout: f64,
    /// σ_run, the pooled within-build SD.
    pub sd_run: f64,
    /// M(K − 1).
    pub df_run: f64,
    /// SD of the per-build means.
    pub sd_between: f64,
}

/// σ_layout and σ_run from `y[build][run]`, every build with the same K ≥ 2 runs and M ≥ 2.
///
/// # Panics
/// With fewer than 2 builds or 2 runs, or builds of different lengths.
pub fn layout_component(y: &[Vec<f64>]) -> Components {
    let m = y.len();
    let k = y[0].len();
    assert!(m >= 2 && k >= 2 && y.iter().all(|r| r.len() == k));
    let means: Vec<f64> = y.iter().map(|r| stats::mean(r)).collect();
    let grand = stats::mean(&means);
    let ss_between: f64 = means.iter().map(|b| (b - grand).powi(2)).sum::<f64>() * k as f64;
    let ss_within: f64 = y
        .iter()
        .zip(&means)
        .flat_map(|(r, b)| r.iter().map(move |v| (v - b).powi(2)))
        .sum();
    let (df_b, df_w) = ((m - 1) as f64, (m * (k - 1)) as f64);
    let (ms_b, ms_w) = (ss_between / df_b, ss_within / df_w);
    let var_layout = ((ms_b - ms_w) / k as f64).max(0.0);
    let df_layout = if var_layout > 0.0 {
        ((ms_b - ms_w).powi(2) / (ms_b.powi(2) / df_b + ms_w.powi(2) / df_w)).max(1.0)
    } else {
        0.0
    };
    Components {
        sd_layout: var_layout.sqrt(),
        df_layout,
        sd_run: ms_w.sqrt(),
        df_run: df_w,
        sd_between: stats::sd(&means),
    }
}

/// The layout term one comparison adds to a benchmark's noise.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LayoutTerm {
    /// σ_layout.
    pub sd_log: f64,
    /// Link orders behind it.
    pub builds: usize,
    /// Its degrees of freedom.
    pub df: f64,
}

impl LayoutTerm {
    /// Adds `copies`·σ²_layout to a variance `var` with `df` degrees of freedom (`None` =
    /// infinite): the combined standard error and its Welch–Satterthwaite df,
    /// (Σ vᵢ)² / Σ (vᵢ²/dfᵢ), an infinite df contributing nothing to the denominator.
    pub fn add_to(&self, var: f64, df: Option<f64>, copies: f64) -> (f64, Option<f64>) {
        let v_layout = copies * self.sd_log.powi(2);
        let total = var + v_layout;
        let denom = df.map_or(0.0, |d| var.powi(2) / d) + v_layout.powi(2) / self.df;
        let df = if denom > 0.0 {
            Some(total.powi(2) / denom)
        } else {
            df
        };
        (total.sqrt(), df)
    }
}

impl LayoutNoise {
    /// Reads and checks a layout file; every failure names the file.
    pub fn load(path: &Path) -> Result<LayoutNoise> {
        let l: LayoutNoise = criterion::load_json(path)?;
        l.check().map_err(|why| Error::at(path, why))?;
        Ok(l)
    }

    fn check(&self) -> std::result::Result<(), String> {
        if self.schema != 1 {
            return Err(format!(
                "unsupported schema {} (this tool reads 1)",
                self.schema
            ));
        }
        if self.seeds.len() != self.builds || self.builds < 2 || self.rounds < 2 {
            return Err(format!(
                "corrupt layout noise: {} seeds for {} builds of {} runs (needs ≥ 2 builds and runs, a seed each)",
                self.seeds.len(),
                self.builds,
                self.rounds
            ));
        }
        for (id, b) in &self.benchmarks {
            let numbers = [b.sd_log, b.df, b.sd_log_run, b.sd_log_between];
            if !numbers.iter().all(|x| x.is_finite() && *x >= 0.0) {
                return Err(format!(
                    "corrupt layout noise: {id}: sd_log, df, sd_log_run and sd_log_between must be non-negative numbers"
                ));
            }
            if b.sd_log > 0.0 && b.df <= 0.0 {
                return Err(format!(
                    "corrupt layout noise: {id}: a positive sd_log needs positive df"
                ));
            }
        }
        Ok(())
    }

    /// The term `id` adds, when the layout component is above zero.
    pub fn term(&self, id: &str) -> Option<LayoutTerm> {
        let b = self.benchmarks.get(id).filter(|b| b.sd_log > 0.0)?;
        Some(LayoutTerm {
            sd_log: b.sd_log,
            builds: self.builds,
            df: b.df,
        })
    }

    /// Writes `<criterion_dir>/cb-layout.json` (all or nothing) and returns its path.
    pub fn write(&self, criterion_dir: &Path) -> Result<PathBuf> {
        let path = criterion_dir.join(LAYOUT_FILE);
        let mut text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::at(&path, format!("cannot encode: {e}")))?;
        text.push('\n');
        crate::atomic_write::write_files(
            criterion_dir,
            &[(LAYOUT_FILE.to_string(), text.into_bytes())],
        )?;
        Ok(path)
    }
}

impl super::NoiseFloor {
    /// Adds the layout noise at `path` (`None`: none), warning when it was measured on another
    /// machine.
    pub fn with_layout(mut self, path: Option<&Path>) -> Result<Self> {
        if let Some(path) = path {
            let layout = LayoutNoise::load(path)?;
            let here = crate::machine::machine();
            if let Some(m) = layout.machine.as_ref().filter(|m| **m != here) {
                self.warnings.push(format!(
                    "{} was measured on another machine ({}, {} cores); its layout noise may not be this machine's",
                    path.display(),
                    m.cpu_model,
                    m.cores
                ));
            }
            self.layout = Some((path.to_path_buf(), layout));
        }
        Ok(self)
    }

    /// The sentence on the layout noise for the compared benchmarks `ids`, when a layout
    /// file was read.
    pub fn layout_source<'a>(&self, ids: impl Iterator<Item = &'a str>) -> Option<String> {
        let (path, l) = self.layout.as_ref()?;
        Some(layout_sentence(ids, path, l))
    }
}

/// `layout: <path> (M link orders × K runs, commit c) knows N of these benchmarks: σ_layout
/// added in quadrature for A, 0 for B (…)`.
pub fn layout_sentence<'a>(
    ids: impl Iterator<Item = &'a str>,
    path: &Path,
    l: &LayoutNoise,
) -> String {
    let (mut known, mut added) = (0, 0);
    for id in ids {
        known += usize::from(l.benchmarks.contains_key(id));
        added += usize::from(l.term(id).is_some());
    }
    format!(
        "layout: {} ({} link orders × {} runs{}) knows {known} of these benchmarks: σ_layout added in quadrature for {added}, 0 for {} (their link orders differ no more than runs of one binary)",
        path.display(),
        l.builds,
        l.rounds,
        l.commit.as_deref().map_or(String::new(), |c| format!(
            ", commit {}",
            c.chars().take(12).collect::<String>()
        )),
        known - added
    )
}

/// `history`'s sentence on the layout floor for the charted benchmarks `ids`.
pub fn floor_sentence<'a>(
    ids: impl Iterator<Item = &'a str>,
    path: &Path,
    l: &LayoutNoise,
) -> Option<String> {
    let n = ids.filter(|id| l.term(id).is_some()).count();
    Some(format!(
        "{n} benchmarks: step scale at least √(σ²_run + σ²_layout), σ_layout from {} ({} link orders; a step that a relink alone reproduces is not a step in the code)",
        path.display(),
        l.builds
    ))
}

/// One benchmark's entry from its run medians `medians[build][run]` (ns).
pub fn benchmark_from_medians(medians: Vec<Vec<f64>>) -> LayoutBenchmark {
    let logs: Vec<Vec<f64>> = medians
        .iter()
        .map(|r| r.iter().map(|m| m.ln()).collect())
        .collect();
    let c = layout_component(&logs);
    let layout_medians_ns: Vec<f64> = medians.iter().map(|r| stats::median(r)).collect();
    let min_ns = layout_medians_ns
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min);
    let max_ns = layout_medians_ns.iter().copied().fold(0.0, f64::max);
    LayoutBenchmark {
        medians_ns: medians,
        layout_medians_ns,
        min_ns,
        max_ns,
        sd_log_between: c.sd_between,
        sd_log_run: c.sd_run,
        sd_log: c.sd_layout,
        df: c.df_layout,
    }
}

/// The medians of every benchmark present in all the baselines `names[build][run]` under
/// `criterion_dir`, as `medians[build][run]` per benchmark id; benchmarks missing from some
/// run are left out.
pub fn medians_from_runs(
    criterion_dir: &Path,
    names: &[Vec<String>],
) -> Result<BTreeMap<String, Vec<Vec<f64>>>> {
    let mut out = BTreeMap::new();
    'dirs: for dir in &criterion::discover(criterion_dir)? {
        let mut id = None;
        let mut medians = Vec::new();
        for build in names {
            let mut row = Vec::new();
            for run in build {
                match criterion::load_measured(dir, run)? {
                    Some(criterion::Measured {
                        id: b,
                        sample: Some(s),
                        ..
                    }) => {
                        row.push(stats::median(&s.per_iteration()));
                        id = Some(b.full_id);
                    }
                    _ => continue 'dirs,
                }
            }
            medians.push(row);
        }
        if let Some(id) = id {
            out.insert(id, medians);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_component_is_between_minus_within() {
        // Two builds 10% apart in ln, runs ±1% around each.
        let y = vec![vec![0.01, -0.01, 0.0], vec![0.11, 0.09, 0.10]];
        let c = layout_component(&y);
        // MS_w = (2·0.0001·2)/4 = 0.0001; MS_b = 3·(0.05² + 0.05²)/1 = 0.015;
        // σ²_layout = (0.015 − 0.0001)/3.
        assert!((c.sd_run - 0.01).abs() < 1e-12, "{c:?}");
        let want = ((0.015f64 - 0.0001) / 3.0).sqrt();
        assert!((c.sd_layout - want).abs() < 1e-12, "{c:?}");
        let df = (0.015f64 - 0.0001).powi(2) / (0.015f64.powi(2) / 1.0 + 0.0001f64.powi(2) / 4.0);
        assert!(df < 1.0 && c.df_layout == 1.0, "{df}: at least 1");
        // Four builds far apart, tight runs: Satterthwaite's df near M − 1 = 3.
        let y: Vec<Vec<f64>> = (0..4)
            .map(|b| vec![b as f64 * 0.1, b as f64 * 0.1 + 0.001])
            .collect();
        let c4 = layout_component(&y);
        assert!(c4.df_layout > 2.9 && c4.df_layout <= 3.0, "{c4:?}");
        assert_eq!(c.df_run, 4.0);
        assert!((c.sd_between - 0.1 / 2f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn builds_that_differ_less_than_runs_give_no_layout_term() {
        // The build means differ by less than the runs' spread predicts: floored at 0.
        let y = vec![vec![0.05, -0.05], vec![-0.05, 0.051]];
        let c = layout_component(&y);
        assert_eq!((c.sd_layout, c.df_layout), (0.0, 0.0));
        assert!(c.sd_run > 0.05);
    }

    #[test]
    fn the_term_adds_in_quadrature_with_satterthwaite_df() {
        let t = LayoutTerm {
            sd_log: 0.03,
            builds: 4,
            df: 3.0,
        };
        // compare: 2σ²_run + 2σ²_layout, σ_run = 0.04 with 4 df.
        let var = 2.0 * 0.04f64.powi(2);
        let (se, df) = t.add_to(var, Some(4.0), 2.0);
        let v_l = 2.0 * 0.0009;
        assert!((se - (var + v_l).sqrt()).abs() < 1e-15);
        let want = (var + v_l).powi(2) / (var.powi(2) / 4.0 + v_l.powi(2) / 3.0);
        assert!((df.unwrap() - want).abs() < 1e-9);
        // The default's infinite df: only the layout term limits df.
        let (_, df) = t.add_to(var, None, 2.0);
        assert!((df.unwrap() - (var + v_l).powi(2) / (v_l.powi(2) / 3.0)).abs() < 1e-9);
    }

    #[test]
    fn a_benchmark_entry_reports_the_spread() {
        let b = benchmark_from_medians(vec![vec![100.0, 101.0], vec![116.0, 117.0]]);
        assert_eq!((b.min_ns, b.max_ns), (100.5, 116.5));
        assert!(b.sd_log > 0.1 && b.df > 0.0, "{b:?}");
        assert_eq!(b.layout_medians_ns.len(), 2);
    }

    #[test]
    fn the_file_checks_its_numbers() {
        let ok = r#"{"schema":1,"builds":2,"rounds":2,"seeds":[1,2],"created_at":"x","benchmarks":
            {"g/f":{"medians_ns":[[1,1],[2,2]],"layout_medians_ns":[1,2],"min_ns":1,"max_ns":2,
            "sd_log_between":0.5,"sd_log_run":0.0,"sd_log":0.5,"df":1}}}"#;
        let l: LayoutNoise = serde_json::from_str(ok).unwrap();
        l.check().unwrap();
        assert_eq!(l.term("g/f").unwrap().builds, 2);
        assert!(l.term("g/h").is_none());
        let bad = ok.replace("\"seeds\":[1,2]", "\"seeds\":[1]");
        let l: LayoutNoise = serde_json::from_str(&bad).unwrap();
        assert!(l.check().unwrap_err().contains("1 seeds for 2 builds"));
        let bad = ok.replace("\"sd_log\":0.5", "\"sd_log\":-1");
        let l: LayoutNoise = serde_json::from_str(&bad).unwrap();
        assert!(l.check().unwrap_err().contains("g/f"));
    }
}
