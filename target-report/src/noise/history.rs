//! The noise the history file shows: repeated runs of one commit on one machine, pooled per
//! benchmark (the second source of [`super::NoiseFloor`], after a calibration).

use std::collections::BTreeMap;

use super::{Noise, Source, MIN_HISTORY_RUNS};
use crate::history::Record;
use crate::stats;

/// The noise the history file shows per benchmark: records of one commit (clean tree) on one
/// machine form a group; a group counts for a benchmark when it holds at least
/// [`MIN_HISTORY_RUNS`] distinct results of it (the same run recorded twice counts once); the
/// variances of ln(median) of all counting groups are pooled (Σ(nᵢ − 1)·sᵢ² / Σ(nᵢ − 1)), with
/// Σ(nᵢ − 1) degrees of freedom.
pub fn history_noise(records: &[(usize, Record)]) -> BTreeMap<String, Noise> {
    // (commit, machine) → id → (median, lower, upper) per record.
    type Results = Vec<(f64, f64, f64)>;
    let mut groups: BTreeMap<(String, String), BTreeMap<String, Results>> = BTreeMap::new();
    for (_, r) in records {
        let (Some(commit), Some(false)) = (&r.git.commit, r.git.dirty) else {
            continue;
        };
        let m = &r.machine;
        let key = (
            commit.clone(),
            format!("{}|{}|{}", m.cpu_model, m.cores, m.os),
        );
        let group = groups.entry(key).or_default();
        for b in &r.benchmarks {
            let results = group.entry(b.id.clone()).or_default();
            let result = (b.median_ns, b.lower_ns, b.upper_ns);
            // `record` twice after one `cargo bench` stores the same run twice: counting it
            // again would shrink the noise towards zero.
            if !results.contains(&result) {
                results.push(result);
            }
        }
    }
    // id → (Σ(nᵢ − 1)·sᵢ², Σ(nᵢ − 1), Σ nᵢ)
    let mut pooled: BTreeMap<String, (f64, usize, usize)> = BTreeMap::new();
    for by_id in groups.values() {
        for (id, results) in by_id {
            if results.len() >= MIN_HISTORY_RUNS {
                let logs: Vec<f64> = results.iter().map(|r| r.0.ln()).collect();
                let s = stats::sd(&logs);
                let p = pooled.entry(id.clone()).or_default();
                p.0 += (logs.len() - 1) as f64 * s * s;
                p.1 += logs.len() - 1;
                p.2 += logs.len();
            }
        }
    }
    pooled
        .into_iter()
        .map(|(id, (ss, df, runs))| {
            (
                id,
                Noise {
                    source: Source::History,
                    sd_log: (ss / df as f64).sqrt(),
                    runs: Some(runs),
                    df: Some(df as f64),
                    layout: None,
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::BenchRecord;
    use crate::machine::{GitInfo, Machine};

    fn record(commit: &str, dirty: bool, cores: usize, medians: &[(&str, f64)]) -> Record {
        Record {
            schema: 1,
            recorded_at: "2026-11-28T00:00:00Z".into(),
            git: GitInfo {
                commit: Some(commit.into()),
                commit_date: None,
                dirty: Some(dirty),
            },
            machine: Machine {
                cpu_model: "cpu".into(),
                cores,
                os: "linux/x86_64".into(),
            },
            benchmarks: medians
                .iter()
                .map(|(id, m)| BenchRecord {
                    id: id.to_string(),
                    median_ns: *m,
                    lower_ns: *m,
                    upper_ns: *m,
                    samples: 10,
                    sample_fingerprint: None,
                })
                .collect(),
            origin: None,
            status: None,
            reason: None,
        }
    }

    #[test]
    fn history_needs_three_clean_runs_of_one_commit_on_one_machine() {
        let recs: Vec<(usize, Record)> = vec![
            record("a", false, 2, &[("g/f", 100.0)]),
            record("a", false, 2, &[("g/f", 110.0)]),
            // Dirty, or another machine: not the same code on the same machine.
            record("a", true, 2, &[("g/f", 500.0)]),
            record("a", false, 4, &[("g/f", 500.0)]),
        ]
        .into_iter()
        .enumerate()
        .collect();
        assert!(history_noise(&recs).is_empty());
        // The same run recorded again is not a third run.
        let mut again = recs.clone();
        again.push((5, record("a", false, 2, &[("g/f", 110.0)])));
        assert!(history_noise(&again).is_empty());

        let mut recs = recs;
        recs.push((5, record("a", false, 2, &[("g/f", 121.0)])));
        let h = history_noise(&recs);
        let n = &h["g/f"];
        // ln 100, ln 110, ln 121 are equally spaced by ln 1.1: SD = ln 1.1.
        assert!((n.sd_log - 1.1f64.ln()).abs() < 1e-12, "{n:?}");
        assert_eq!(
            (n.runs, n.df, n.source),
            (Some(3), Some(2.0), Source::History)
        );
    }

    #[test]
    fn history_pools_commits() {
        let mut recs = Vec::new();
        for (c, ms) in [("a", [100.0, 110.0, 121.0]), ("b", [200.0, 200.0, 210.0])] {
            for m in ms {
                recs.push((recs.len() + 1, record(c, false, 2, &[("g/f", m)])));
            }
        }
        let n = &history_noise(&recs)["g/f"];
        // Commit b has two identical results (one run recorded twice), so only commit a
        // counts: s = ln 1.1 with 2 df.
        assert!((n.sd_log - 1.1f64.ln()).abs() < 1e-12);
        assert_eq!((n.runs, n.df), (Some(3), Some(2.0)));
        recs.push((7, record("b", false, 2, &[("g/f", 220.5)])));
        let n = &history_noise(&recs)["g/f"];
        // Now both (b is 200·1.05^k, s = ln 1.05): (2·ln²1.1 + 2·ln²1.05) / 4, 4 df.
        let want = ((1.1f64.ln().powi(2) + 1.05f64.ln().powi(2)) / 2.0).sqrt();
        assert!((n.sd_log - want).abs() < 1e-12, "{n:?}");
        assert_eq!((n.runs, n.df), (Some(6), Some(4.0)));
    }
}
