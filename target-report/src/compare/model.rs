//! The comparison model shared by `compare` and `ab`: every benchmark's [`Entry`] (decided by
//! the rules of [`crate::verdict`]) and the whole [`Comparison`]. The exporters render it.

use serde::Serialize;

use super::config::Configs;
use crate::verdict::{Entry, Verdict, FEW_SAMPLES};

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Old side (a baseline name, or a label for rounds).
    pub old: String,
    /// New side.
    pub new: String,
    /// The threshold, percent.
    pub threshold_pct: f64,
    /// How the verdicts were decided, one paragraph.
    pub method: String,
    /// Benchmarks on both sides, sorted by id.
    pub entries: Vec<Entry>,
    /// Ids only on the new side.
    pub added: Vec<String>,
    /// Ids only on the old side.
    pub removed: Vec<String>,
    /// Ids on both sides that could not be compared, with the reason.
    pub incomplete: Vec<String>,
    /// Where the noise estimates came from, one sentence per source.
    pub noise: Vec<String>,
    /// The two sides' configurations (`cb-meta.json`) side by side.
    pub config: Configs,
    /// Other things the reader should know, one line each.
    pub warnings: Vec<String>,
}

impl Comparison {
    /// Number of regressed benchmarks.
    pub fn regressions(&self) -> usize {
        self.count(Verdict::Regressed)
    }

    /// Number of entries with `verdict`.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.entries.iter().filter(|e| e.verdict == verdict).count()
    }

    /// Entries with fewer than [`FEW_SAMPLES`] samples on either side.
    pub fn few_samples(&self) -> Vec<&Entry> {
        self.entries
            .iter()
            .filter(|e| e.samples.0.min(e.samples.1) < FEW_SAMPLES)
            .collect()
    }

    /// The exit status for CI: 1 when something regressed, else 3 when something is
    /// inconclusive, else 0 (nothing regressed and every benchmark decided).
    pub fn exit_code(&self) -> i32 {
        if self.regressions() > 0 {
            1
        } else if self.count(Verdict::Inconclusive) > 0 {
            3
        } else {
            0
        }
    }

    /// `1 regressed, 0 improved, 20 unchanged, 9 inconclusive (threshold 5%, Holm over 30
    /// benchmarks)`.
    pub fn counts_line(&self) -> String {
        let counts: Vec<String> = Verdict::ALL
            .iter()
            .map(|v| format!("{} {}", self.count(*v), v.as_str()))
            .collect();
        format!(
            "{} (threshold {}%, Holm over {} benchmarks)",
            counts.join(", "),
            self.threshold_pct,
            self.entries.len()
        )
    }
}
