//! The run-to-run noise floor of `compare`: how much the median of one benchmark moves between
//! two runs of the same code on the same machine, as σ_run, the standard deviation of
//! ln(median) across runs.
//!
//! One run's samples say nothing about the next process (other load, frequency, placement,
//! memory layout), so `compare` takes σ_run, per benchmark, from the first of:
//! 1. **calibration** — [`CALIBRATION_FILE`] beside Criterion's output, written by
//!    `target-report calibrate` from K runs of one build ([`calibration_from_runs`]); K − 1 df.
//! 2. **history** — at least [`MIN_HISTORY_RUNS`] records in the history file of one commit
//!    (clean tree) on one machine; the variances of all such groups are pooled, Σ(nᵢ − 1) df.
//! 3. **these two runs** ([`pair`]) — the spread of the changes of all the benchmarks compared,
//!    each standardised by its own within-run SE, robustly (real changes set aside): se of a
//!    benchmark = λ × its within-run SE, λ ≥ 1 learned from the pair, Student-t with finite df.
//!    Needs at least [`pair::MIN_BENCHMARKS`] decidable benchmarks; `--noise-default PCT`
//!    replaces it with a fixed σ_run.
//! 4. **default** — [`DEFAULT_SD_LOG`] = 0.10 (10% per run), infinite df: too few benchmarks to
//!    learn from (or `--noise-default`). The run-to-run differences measured on 2-core shared
//!    machines were 10–20% for single benchmarks, so a floor below that would turn ordinary
//!    noise into findings.
//!
//! Every [`Noise`] says which source it came from, and the outputs print it.
//!
//! A fourth, independent component is **code placement** ([`layout`]): σ_layout from
//! `cb-layout.json` (`target-report layout`, M link orders of one commit), added in quadrature
//! where it is above zero, i.e. where the link orders differ more than runs of one binary do.
//! The formulas — `compare`: se² = 2σ²_run + 2σ²_layout; `ab` with one build per side:
//! se² = s²/K + 2σ²_layout; `ab --layouts`: s²/K alone; history: the step detector's scale at
//! least √(σ²_run + σ²_layout) — are in [`layout`]'s documentation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::criterion;
use crate::error::{Error, Result};
use crate::machine::{self, Machine};
use crate::stats;

mod history;
pub mod layout;
pub mod pair;

pub use history::history_noise;

pub use layout::{LayoutNoise, LayoutTerm, LAYOUT_FILE};
pub use pair::{Inflation, PairSpread};

/// File name of the calibration, in the Criterion directory.
pub const CALIBRATION_FILE: &str = "cb-calibration.json";

/// The conservative default σ_run (SD of ln(median) between runs): 10% per run.
pub const DEFAULT_SD_LOG: f64 = 0.10;

/// Records of one commit on one machine that the history needs before it counts as a source.
pub const MIN_HISTORY_RUNS: usize = 3;

/// `cb-calibration.json` (schema 1): each benchmark's run-to-run noise from K runs of one build.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Format version; this tool writes and reads 1.
    pub schema: u32,
    /// Runs K of the calibration.
    pub runs: usize,
    /// When it was made (RFC 3339 UTC).
    pub created_at: String,
    /// The commit that was calibrated, when known.
    #[serde(default)]
    pub commit: Option<String>,
    /// The machine it ran on.
    #[serde(default)]
    pub machine: Option<Machine>,
    /// Per benchmark (Criterion's full id).
    pub benchmarks: BTreeMap<String, CalibratedBenchmark>,
}

/// One benchmark's calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibratedBenchmark {
    /// SD of ln(median per-iteration time) across the runs (n − 1 denominator).
    pub sd_log: f64,
    /// Runs behind it (K − 1 degrees of freedom).
    pub runs: usize,
    /// The median per-iteration time of each run, ns.
    #[serde(default)]
    pub medians_ns: Vec<f64>,
}

impl Calibration {
    /// Reads and checks a calibration file; every failure names the file.
    pub fn load(path: &Path) -> Result<Calibration> {
        let cal: Calibration = criterion::load_json(path)?;
        cal.check().map_err(|why| Error::at(path, why))?;
        Ok(cal)
    }

    fn check(&self) -> std::result::Result<(), String> {
        if self.schema != 1 {
            return Err(format!(
                "unsupported schema {} (this tool reads 1)",
                self.schema
            ));
        }
        for (id, b) in &self.benchmarks {
            if !(b.sd_log.is_finite() && b.sd_log >= 0.0) {
                return Err(format!(
                    "corrupt calibration: {id}: sd_log must be a non-negative number"
                ));
            }
            if b.runs < 2 {
                return Err(format!(
                    "corrupt calibration: {id}: needs at least 2 runs, has {}",
                    b.runs
                ));
            }
            if !b.medians_ns.is_empty() && b.medians_ns.len() != b.runs {
                return Err(format!(
                    "corrupt calibration: {id}: {} medians for {} runs",
                    b.medians_ns.len(),
                    b.runs
                ));
            }
            if !b.medians_ns.iter().all(|m| m.is_finite() && *m > 0.0) {
                return Err(format!(
                    "corrupt calibration: {id}: medians must be positive numbers"
                ));
            }
        }
        Ok(())
    }

    /// Writes `<criterion_dir>/cb-calibration.json` (all or nothing: a temporary file renamed
    /// into place) and returns its path.
    pub fn write(&self, criterion_dir: &Path) -> Result<PathBuf> {
        let path = criterion_dir.join(CALIBRATION_FILE);
        let mut text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::at(&path, format!("cannot encode: {e}")))?;
        text.push('\n');
        crate::atomic_write::write_files(
            criterion_dir,
            &[(CALIBRATION_FILE.to_string(), text.into_bytes())],
        )?;
        Ok(path)
    }
}

/// Builds a calibration from the baselines `runs` (e.g. `cal-1` … `cal-K`) under
/// `criterion_dir`: for every benchmark present with a `sample.json` in all of them, the median
/// per-iteration time of each run and the SD of their logarithms. Benchmarks missing from some
/// run are left out. `commit` is left empty for the caller to fill; the machine is this one.
///
/// Fails with fewer than two runs, or when no benchmark is in all of them.
pub fn calibration_from_runs(criterion_dir: &Path, runs: &[String]) -> Result<Calibration> {
    if runs.len() < 2 {
        return Err(Error::at(
            criterion_dir,
            format!("a calibration needs at least 2 runs, got {}", runs.len()),
        ));
    }
    let mut benchmarks = BTreeMap::new();
    for dir in &criterion::discover(criterion_dir)? {
        let mut medians = Vec::with_capacity(runs.len());
        let mut id = None;
        for run in runs {
            match criterion::load_measured(dir, run)? {
                Some(criterion::Measured {
                    id: b,
                    sample: Some(s),
                    ..
                }) => {
                    medians.push(stats::median(&s.per_iteration()));
                    id = Some(b.full_id);
                }
                _ => break,
            }
        }
        if let (Some(id), true) = (id, medians.len() == runs.len()) {
            let logs: Vec<f64> = medians.iter().map(|m| m.ln()).collect();
            benchmarks.insert(
                id,
                CalibratedBenchmark {
                    sd_log: stats::sd(&logs),
                    runs: runs.len(),
                    medians_ns: medians,
                },
            );
        }
    }
    if benchmarks.is_empty() {
        return Err(Error::at(
            criterion_dir,
            format!(
                "no benchmark has a sample.json in all of the baselines {}",
                runs.join(", ")
            ),
        ));
    }
    Ok(Calibration {
        schema: 1,
        runs: runs.len(),
        created_at: machine::utc_now(),
        commit: None,
        machine: Some(machine::machine()),
        benchmarks,
    })
}

/// Where a benchmark's noise estimate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `cb-calibration.json`.
    Calibration,
    /// Repeated runs of one commit on one machine in the history file.
    History,
    /// [`DEFAULT_SD_LOG`] (or `--noise-default`).
    Default,
    /// The spread of K paired A/B rounds (`ab`).
    PairedRounds,
    /// The spread of the compared benchmarks' changes in these two runs ([`pair`]).
    PairSpread,
}

/// One benchmark's noise estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Noise {
    /// Where it came from.
    pub source: Source,
    /// For plain runs: σ_run, the SD of ln(median) between runs of the same code. For paired
    /// rounds: the SD of the per-round log ratios ln(median(new)/median(old)).
    pub sd_log: f64,
    /// Runs (or rounds) behind it; `None` for the default, 2 for the pair spread.
    pub runs: Option<usize>,
    /// Degrees of freedom of `sd_log`; `None` for infinitely many (the default). For the pair
    /// spread, those of λ·w ([`pair::combined_df`]).
    pub df: Option<f64>,
    /// The code-placement term added to it, where `cb-layout.json` knows one above zero.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layout: Option<LayoutTerm>,
}

impl Noise {
    /// A short label for tables: `calibration (5 runs)`, `history (4 runs)`, `default 10%`,
    /// `paired rounds (5)`, `these 2 runs`.
    pub fn describe(&self) -> String {
        let runs = self.runs.map_or(String::new(), |k| k.to_string());
        let base = match self.source {
            Source::Calibration => format!("calibration ({runs} runs)"),
            Source::History => format!("history ({runs} runs)"),
            Source::PairedRounds => format!("paired rounds ({runs})"),
            Source::Default => format!("default {}%", pct_text(self.sd_log)),
            Source::PairSpread => "these 2 runs".to_string(),
        };
        match &self.layout {
            Some(l) => format!("{base} + layout ({} link orders)", l.builds),
            None => base,
        }
    }
}

/// A fraction as a short percentage: 0.1 → `10`, 0.125 → `12.5`.
fn pct_text(x: f64) -> String {
    let s = format!("{:.1}", x * 100.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The per-benchmark noise sources available to one `compare`.
#[derive(Debug, Clone)]
pub struct NoiseFloor {
    /// The calibration file and its contents, if any.
    pub calibration: Option<(PathBuf, Calibration)>,
    /// The history file, if one was read, and the noise it gives per benchmark id.
    pub history: Option<(PathBuf, BTreeMap<String, Noise>)>,
    /// σ_run when neither knows the benchmark and the pair's own spread is not used.
    pub default_sd_log: f64,
    /// Whether `default_sd_log` was asked for (`--noise-default`): then it replaces the pair's
    /// own spread.
    pub default_set: bool,
    /// The layout noise file and its contents, if any: σ_layout added in quadrature.
    pub layout: Option<(PathBuf, LayoutNoise)>,
    /// Things the reader should know (a calibration from another machine, corrupt history
    /// lines), one line each.
    pub warnings: Vec<String>,
}

impl NoiseFloor {
    /// Only the default σ_run, as if set by `--noise-default` (the pair's spread unused).
    pub fn default_only(default_sd_log: f64) -> NoiseFloor {
        NoiseFloor {
            calibration: None,
            history: None,
            default_sd_log,
            default_set: true,
            layout: None,
            warnings: Vec::new(),
        }
    }

    /// Reads the calibration file and the history file, if given. `noise_default` is the
    /// σ_run of `--noise-default` (a fraction): it replaces the pair's own spread; `None`
    /// learns from the pair where it can, with [`DEFAULT_SD_LOG`] behind it.
    pub fn load(
        calibration: Option<&Path>,
        history: Option<&Path>,
        noise_default: Option<f64>,
    ) -> Result<NoiseFloor> {
        if let Some(sd) = noise_default.filter(|sd| !(sd.is_finite() && *sd > 0.0)) {
            return Err(Error::msg(format!(
                "--noise-default must be a positive percentage, got {}",
                sd * 100.0
            )));
        }
        let mut floor = NoiseFloor::default_only(noise_default.unwrap_or(DEFAULT_SD_LOG));
        floor.default_set = noise_default.is_some();
        if let Some(path) = calibration {
            let cal = Calibration::load(path)?;
            let here = machine::machine();
            if let Some(m) = cal.machine.as_ref().filter(|m| **m != here) {
                floor.warnings.push(format!(
                    "{} was measured on another machine ({}, {} cores); its noise may not be this machine's",
                    path.display(),
                    m.cpu_model,
                    m.cores
                ));
            }
            floor.calibration = Some((path.to_path_buf(), cal));
        }
        if let Some(path) = history {
            let loaded = crate::history::load(path)?;
            if !loaded.corrupt.is_empty() {
                floor.warnings.push(format!(
                    "{}: {} corrupt lines skipped",
                    path.display(),
                    loaded.corrupt.len()
                ));
            }
            floor.history = Some((path.to_path_buf(), history_noise(&loaded.records)));
        }
        Ok(floor)
    }

    /// The noise of benchmark `id`: calibration, else history, else the default; with the
    /// layout term where `cb-layout.json` knows one above zero.
    pub fn for_benchmark(&self, id: &str) -> Noise {
        Noise {
            layout: self.layout_term(id),
            ..self.known(id).unwrap_or_else(|| self.default_noise())
        }
    }

    /// The noise of benchmark `id` in a comparison whose pair spread is `inflation`: the
    /// calibration, else the history, else (unless `--noise-default` was given) λ times the
    /// benchmark's within-run SE `within_se` of the change, from `samples` per side, else the
    /// default; with the layout term where `cb-layout.json` knows one above zero.
    pub fn for_measured(
        &self,
        id: &str,
        within_se: f64,
        samples: (usize, usize),
        inflation: Option<&Inflation>,
    ) -> Noise {
        let learned = inflation.filter(|_| !self.default_set).map(|i| Noise {
            source: Source::PairSpread,
            sd_log: i.factor * within_se / std::f64::consts::SQRT_2,
            runs: Some(2),
            df: Some(pair::combined_df(i.df, pair::within_run_df(samples))),
            layout: None,
        });
        Noise {
            layout: self.layout_term(id),
            ..self
                .known(id)
                .or(learned)
                .unwrap_or_else(|| self.default_noise())
        }
    }

    fn layout_term(&self, id: &str) -> Option<LayoutTerm> {
        self.layout.as_ref().and_then(|(_, l)| l.term(id))
    }

    fn default_noise(&self) -> Noise {
        Noise {
            source: Source::Default,
            sd_log: self.default_sd_log,
            runs: None,
            df: None,
            layout: None,
        }
    }

    /// σ_run of benchmark `id` from a calibration or the history, when either knows it.
    fn known(&self, id: &str) -> Option<Noise> {
        if let Some(b) = self
            .calibration
            .as_ref()
            .and_then(|(_, c)| c.benchmarks.get(id))
        {
            return Some(Noise {
                source: Source::Calibration,
                sd_log: b.sd_log,
                runs: Some(b.runs),
                df: Some((b.runs - 1) as f64),
                layout: None,
            });
        }
        self.history.as_ref().and_then(|(_, h)| h.get(id)).cloned()
    }

    /// One sentence per source used by `noises`, saying where it came from and for how many
    /// benchmarks; `pair` is what the comparison's own spread gave (for the pair-spread and
    /// default sentences).
    pub fn describe_sources<'a>(
        &self,
        noises: impl IntoIterator<Item = &'a Noise>,
        pair: &PairSpread,
    ) -> Vec<String> {
        let mut counts: BTreeMap<Source, usize> = BTreeMap::new();
        for n in noises {
            *counts.entry(n.source).or_default() += 1;
        }
        counts
            .into_iter()
            .map(|(source, n)| match source {
                Source::Calibration => match &self.calibration {
                    Some((path, cal)) => format!(
                        "{n} benchmarks: σ_run from {} ({} runs, {}{})",
                        path.display(),
                        cal.runs,
                        cal.created_at,
                        cal.commit.as_deref().map_or(String::new(), |c| format!(
                            ", commit {}",
                            c.chars().take(12).collect::<String>()
                        ))
                    ),
                    None => format!("{n} benchmarks: σ_run from a calibration"),
                },
                Source::History => format!(
                    "{n} benchmarks: σ_run from repeated runs of one commit on one machine in {}",
                    self.history
                        .as_ref()
                        .map_or(String::new(), |(p, _)| p.display().to_string())
                ),
                Source::Default if self.default_set => format!(
                    "{n} benchmarks: σ_run = {}% per run, set by --noise-default (no calibration or history for them)",
                    pct_text(self.default_sd_log)
                ),
                Source::Default => format!(
                    "{n} benchmarks: the conservative default σ_run = {}% per run: no calibration or history for them, and {} decidable benchmarks are too few (under {}) to learn the noise from these two runs; run `target-report calibrate` to measure it",
                    pct_text(self.default_sd_log),
                    pair.usable,
                    pair::MIN_BENCHMARKS
                ),
                Source::PairedRounds => format!("{n} benchmarks: the spread of the paired rounds"),
                Source::PairSpread => pair.sentence(n),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_in_order_calibration_history_default() {
        let mut floor = NoiseFloor::default_only(0.1);
        let mut h = BTreeMap::new();
        h.insert(
            "a".to_string(),
            Noise {
                source: Source::History,
                sd_log: 0.02,
                runs: Some(3),
                df: Some(2.0),
                layout: None,
            },
        );
        h.insert("b".to_string(), h["a"].clone());
        floor.history = Some((PathBuf::from("h.jsonl"), h));
        let mut benchmarks = BTreeMap::new();
        benchmarks.insert(
            "a".to_string(),
            CalibratedBenchmark {
                sd_log: 0.03,
                runs: 5,
                medians_ns: vec![],
            },
        );
        floor.calibration = Some((
            PathBuf::from("cb-calibration.json"),
            Calibration {
                schema: 1,
                runs: 5,
                created_at: "now".into(),
                commit: None,
                machine: None,
                benchmarks,
            },
        ));
        assert_eq!(floor.for_benchmark("a").source, Source::Calibration);
        assert_eq!(floor.for_benchmark("a").df, Some(4.0));
        assert_eq!(floor.for_benchmark("b").source, Source::History);
        let c = floor.for_benchmark("c");
        assert_eq!((c.source, c.sd_log, c.df), (Source::Default, 0.1, None));
        assert_eq!(c.describe(), "default 10%");
        let noises = ["a", "b", "c"].map(|id| floor.for_benchmark(id));
        let pair = PairSpread::estimate(&[], &[]);
        assert_eq!(floor.describe_sources(&noises, &pair).len(), 3);
    }

    #[test]
    fn calibration_checks_its_numbers() {
        let text = r#"{"schema":1,"runs":3,"created_at":"x","benchmarks":
            {"g/f":{"sd_log":-0.1,"runs":3,"medians_ns":[1,2,3]}}}"#;
        let cal: Calibration = serde_json::from_str(text).unwrap();
        assert!(cal.check().unwrap_err().contains("sd_log"));
        let text = r#"{"schema":1,"runs":3,"created_at":"x","benchmarks":
            {"g/f":{"sd_log":0.1,"runs":3,"medians_ns":[1,2]}}}"#;
        let cal: Calibration = serde_json::from_str(text).unwrap();
        assert!(cal.check().unwrap_err().contains("2 medians for 3 runs"));
    }
}
