//! Paired A/B rounds (`ab`): K rounds, each one short Criterion run per side saved as its own
//! baseline (`ab-old-<r>`, `ab-new-<r>`). Round r gives one log change d_r ([`PerRound`]); the
//! verdict comes from their spread: d̄ ± t_{K−1}·s/√K. Drift that hits both sides of a round
//! alike cancels in d_r, and the round-to-round spread s is exactly the noise the verdict must
//! beat, so no noise floor is assumed.
//!
//! # Runs one after the other: the fastest sample, not the median
//! Interference on a shared machine only adds time, and it comes in episodes of a second or
//! more: half a run's samples 20% slow, or a parallel strategy at one core's speed. The median
//! moves with every such episode that covers half a run; the minimum moves only when it covers
//! the whole run. Over the same 4 `ab` rounds of 2026-12-06 the per-round SD fell from 1.1% to
//! 0.1% (`cpu/sum_of_squares/sequential`), 2.2% to 0.3% (`tokio_current_thread`), 4.3% to 0.5%
//! (`process_pool`) and 28% to 5.6% (`spawn_blocking`). What it cannot see: a change that slows
//! only some iterations (a slow path taken one time in ten) moves the median, not the minimum.
//!
//! # Runs in lock step: the median of the paired samples
//! In lock step the two runs of a round take turns sample by sample, so sample i of the old side
//! and sample i of the new one are taken a turn (about 0.1 s) apart, in the same episode of the
//! machine. Their ratio cancels the episode; the minimum does not, when an episode starts or ends
//! within the run and one side's fastest sample falls in it. Over the same lock-step rounds of
//! 2026-12-06 (two `CB_CPU_START` +10% runs and four A/A runs, 150 benchmark runs of 4–12
//! rounds), the median of the ln ratios of the paired samples had the smaller worst-case spread
//! per round, 2.8% against 14.5% (90th percentile 1.6% against 2.4%), at a typical spread a
//! little above the minimum's (median 0.55% against 0.34% in the A/A runs).
//! `cpu/sum_of_squares/thread_pool`, whose work grows 10% but its time only 7% (a pool of more
//! threads than cores ends on the scheduler's tail), had 1.0% and 1.6% against 1.9% and 14.5%.
//! Without lock step the pairing means nothing (the samples are seconds apart): a median of 4.8%
//! against 1.3%.

use std::path::Path;

use super::model::Comparison;
use crate::compare;
use crate::criterion::{self, BenchDir, Measured};
use crate::error::{Error, Result};
use crate::noise::layout::layout_sentence;
use crate::noise::{LayoutNoise, LayoutTerm, Noise, Source};
use crate::stats;
use crate::verdict;
use crate::verdict::Entry;

/// What one round's two runs say about the change: d_r, and each side's value for the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PerRound {
    /// d_r = ln(min(new_r)/min(old_r)), each side's fastest per-iteration sample: for runs one
    /// after the other, where interference only adds time.
    Fastest,
    /// d_r = the median over i of ln(new_r,i/old_r,i), sample i of each side paired (as many
    /// pairs as the shorter run has): for runs in lock step, where the two samples of a pair are
    /// taken a turn apart and share the machine's episode. Each side's value is its median.
    PairedSamples,
}

impl PerRound {
    /// d_r from the two runs' per-iteration samples, in the order they were taken (neither empty).
    pub fn change(self, old: &[f64], new: &[f64]) -> f64 {
        match self {
            PerRound::Fastest => (fastest(new) / fastest(old)).ln(),
            PerRound::PairedSamples => {
                let ratios: Vec<f64> = old.iter().zip(new).map(|(o, n)| (n / o).ln()).collect();
                stats::median(&ratios)
            }
        }
    }

    /// The value one run shows for its side (the report's old and new times).
    pub fn side(self, samples: &[f64]) -> f64 {
        match self {
            PerRound::Fastest => fastest(samples),
            PerRound::PairedSamples => stats::median(samples),
        }
    }

    /// How d_r is made, for the method sentence.
    fn describe(self) -> &'static str {
        match self {
            PerRound::Fastest => "d_r = ln(min(new_r)/min(old_r)) per round, each side's fastest per-iteration sample of its run (interference only adds time)",
            PerRound::PairedSamples => "d_r = the median over i of ln(new_r,i/old_r,i) per round, sample i of each side paired (the runs took turns sample by sample, so the two of a pair share the machine's state)",
        }
    }
}

/// A run's least-disturbed sample: interference on a shared machine only ever adds time (another
/// process's turn on the core, a lost vCPU, a cold cache).
fn fastest(samples: &[f64]) -> f64 {
    samples.iter().copied().fold(f64::INFINITY, f64::min)
}

/// One sentence on how `ab` decides, printed with every comparison, for `per_round`.
pub fn rounds_method(per_round: PerRound) -> String {
    format!(
        "K paired rounds, each one short Criterion run per side; {}; {METHOD_RULE}",
        per_round.describe()
    )
}

/// The rule applied to the rounds' d_r, for the method sentence.
const METHOD_RULE: &str = "d̄ ± t(K−1)·s/√K with s the SD of the d_r; regressed (improved) = the one-sided t-test that the change exceeds +T (−T) rejects at α = 0.05 after Holm's correction over all benchmarks; unchanged = the 95% interval lies within ±T; otherwise inconclusive. The interval shown with regressed (improved) is the one-sided bound at the Holm level that decided it, else the 95% interval. Regressed at 80% = the true change called regressed with at least 80% probability (one-sided at α/m, Holm's worst case over the m benchmarks; the uncertainty of se integrated over its degrees of freedom); unchanged at 80% = the true changes within ± which it is called unchanged with 80% probability (or, when not even no change is, the se that would take). Rounds for T = the K at which both a true change of 2T is called regressed and no change is called unchanged, each with 80% probability.";

/// The per-round data of one benchmark, or why it is not complete.
enum Rounds {
    /// In none of the baselines.
    Absent,
    /// Every baseline has a sample: (id, per-round per-iteration samples).
    Complete(String, Vec<Vec<f64>>),
    /// Some baselines have it, others do not: (id, the baselines without a sample).
    Partial(String, Vec<String>),
}

/// One side's rounds of one benchmark as found: its id (if any baseline has it) and per
/// baseline its per-iteration samples, `None` where the baseline has none.
struct Found {
    id: Option<String>,
    rounds: Vec<Option<Vec<f64>>>,
}

fn find_rounds(dir: &BenchDir, names: &[String]) -> Result<Found> {
    let mut id = None;
    let mut rounds = Vec::new();
    for name in names {
        match criterion::load_measured(dir, name)? {
            Some(Measured {
                id: b,
                sample: Some(s),
                ..
            }) if !s.times.is_empty() => {
                rounds.push(Some(s.per_iteration()));
                id = Some(b.full_id);
            }
            Some(m) => {
                id = Some(m.id.full_id);
                rounds.push(None);
            }
            None => rounds.push(None),
        }
    }
    Ok(Found { id, rounds })
}

impl Found {
    /// Keeps the first `k` rounds.
    fn truncated(mut self, k: usize) -> Found {
        self.rounds.truncate(k);
        self
    }

    /// How many rounds from the first are present: `ab`'s sequential rounds stop a benchmark
    /// after any batch, so its rounds are a prefix of the names.
    fn prefix(&self) -> usize {
        self.rounds.iter().take_while(|r| r.is_some()).count()
    }

    fn classify(self, names: &[String]) -> Rounds {
        let Some(id) = self.id else {
            return Rounds::Absent;
        };
        let missing: Vec<String> = names
            .iter()
            .zip(&self.rounds)
            .filter(|(_, r)| r.is_none())
            .map(|(n, _)| n.clone())
            .collect();
        if !missing.is_empty() {
            return Rounds::Partial(id, missing);
        }
        Rounds::Complete(id, self.rounds.into_iter().flatten().collect())
    }
}

/// Loads one benchmark's rounds on both sides. With `sequential`, its rounds are the first k
/// of the names present on *both* sides (k ≥ 2, nothing present after them), as `ab` leaves
/// them when it stops a benchmark early; otherwise every name must be present.
fn load_pair(
    dir: &BenchDir,
    old: &[String],
    new: &[String],
    sequential: bool,
) -> Result<(Rounds, Rounds)> {
    let (a, b) = (find_rounds(dir, old)?, find_rounds(dir, new)?);
    if !sequential {
        return Ok((a.classify(old), b.classify(new)));
    }
    let k = a.prefix().min(b.prefix());
    let present_after = |f: &Found| f.rounds[k..].iter().any(Option::is_some);
    if k >= 2 && !present_after(&a) && !present_after(&b) {
        return Ok((
            a.truncated(k).classify(&old[..k]),
            b.truncated(k).classify(&new[..k]),
        ));
    }
    Ok((a.classify(old), b.classify(new)))
}

/// `first … last` for a list of baseline names.
fn label(names: &[String]) -> String {
    match names {
        [one] => one.clone(),
        [first, .., last] => format!("{first} … {last}"),
        [] => String::new(),
    }
}

/// Compares paired rounds: baselines `old[r]` and `new[r]` under `criterion_dir` form round r.
/// Every benchmark present in all those baselines gets d_r per round, a t-interval with K − 1
/// degrees of freedom, the verdict rules of [`crate::verdict`] with Holm over all of them, its
/// power and the rounds each verdict would need ([`crate::verdict::power`]). Benchmarks in
/// some of the baselines only are listed as incomplete (or added/removed when a whole side
/// lacks them). The sides are labelled `first … last` baseline; callers may relabel them
/// (e.g. with the git revisions).
///
/// Fails with fewer than two rounds, unequal sides, a missing or empty Criterion directory, a
/// baseline no benchmark has, or a corrupt file.
pub fn from_rounds(
    criterion_dir: &Path,
    old: &[String],
    new: &[String],
    threshold_pct: f64,
) -> Result<Comparison> {
    from_rounds_with_layout(criterion_dir, old, new, threshold_pct, None)
}

/// [`from_rounds`] for two commits built once each, with the layout noise `layout` (its file
/// and contents): the rounds reuse one binary per side, so their spread does not see code
/// placement, and each benchmark's variance of the mean change gets 2σ²_layout added
/// (se² = s²/K + 2σ²_layout, Welch–Satterthwaite df) where `cb-layout.json` knows one above 0.
pub fn from_rounds_with_layout(
    criterion_dir: &Path,
    old: &[String],
    new: &[String],
    threshold_pct: f64,
    layout: Option<(&Path, &LayoutNoise)>,
) -> Result<Comparison> {
    from_paired_rounds(
        criterion_dir,
        (old, new),
        threshold_pct,
        layout,
        (PerRound::Fastest, None),
    )
}

/// [`from_rounds_with_layout`] for `ab`'s sequential rounds: `old` and `new` name the most
/// rounds any benchmark may have (`--max-rounds`), each benchmark's rounds are the first k of
/// them (k ≥ 2: it stopped when decided), each was looked at up to `looks` times
/// ([`Entry::looks`]: α is split over them), and `per_round` makes each round's d_r.
pub fn from_sequential_rounds(
    criterion_dir: &Path,
    (old, new): (&[String], &[String]),
    threshold_pct: f64,
    layout: Option<(&Path, &LayoutNoise)>,
    (per_round, looks): (PerRound, usize),
) -> Result<Comparison> {
    from_paired_rounds(
        criterion_dir,
        (old, new),
        threshold_pct,
        layout,
        (per_round, Some(looks)),
    )
}

/// Both: `looks` is `Some` for sequential rounds (prefixes allowed, α split over the looks).
fn from_paired_rounds(
    criterion_dir: &Path,
    (old, new): (&[String], &[String]),
    threshold_pct: f64,
    layout: Option<(&Path, &LayoutNoise)>,
    (per_round, looks): (PerRound, Option<usize>),
) -> Result<Comparison> {
    compare::check_threshold(threshold_pct)?;
    let (old, new, found) = rounds_to_compare(criterion_dir, (old, new), looks.is_some())?;
    let names: Vec<&str> = old.iter().chain(new).map(String::as_str).collect();
    let dirs = compare::require_baselines(criterion_dir, found, &names)?;
    let mut entries = Vec::new();
    let (mut added, mut removed, mut incomplete) = (Vec::new(), Vec::new(), Vec::new());
    let mut compared: Vec<(&BenchDir, String)> = Vec::new();
    for dir in &dirs {
        match load_pair(dir, old, new, looks.is_some())? {
            (Rounds::Absent, Rounds::Absent) => {}
            (Rounds::Absent, Rounds::Complete(id, ..)) => added.push(id),
            (Rounds::Complete(id, ..), Rounds::Absent) => removed.push(id),
            (Rounds::Complete(id, mo), Rounds::Complete(_, mn)) => {
                let term = layout.and_then(|(_, l)| l.term(&id));
                let mut e = round_entry(id.clone(), per_round, (&mo, &mn), term);
                e.looks = looks.unwrap_or(1);
                entries.push(e);
                compared.push((dir, id));
            }
            (a, b) => incomplete.push(lacking_rounds([(a, old), (b, new)])),
        }
    }
    verdict::decide(&mut entries, threshold_pct);
    entries.sort_by(|x, y| x.id.cmp(&y.id));
    added.sort();
    removed.sort();
    incomplete.sort();
    let config = compare::side_by_side(&compared, &old[0], &new[0])?;
    Ok(Comparison {
        old: label(old),
        new: label(new),
        threshold_pct,
        method: rounds_method(per_round),
        noise: noise_sentences(&entries, layout),
        entries,
        added,
        removed,
        incomplete,
        config,
        warnings: Vec::new(),
    })
}

/// The rounds to compare, checked, and the benchmark directories found (walked once): for
/// sequential rounds (`prefixes`), the rounds no benchmark reached are not baselines at all, so up
/// to the last one any benchmark has (at least two, so that none is an error below).
fn rounds_to_compare<'a>(
    criterion_dir: &Path,
    (old, new): (&'a [String], &'a [String]),
    prefixes: bool,
) -> Result<(&'a [String], &'a [String], Vec<BenchDir>)> {
    if old.len() != new.len() || old.len() < 2 {
        return Err(Error::at(
            criterion_dir,
            format!(
                "paired rounds need the same number (at least 2) of old and new baselines, got {} and {}",
                old.len(),
                new.len()
            ),
        ));
    }
    let found = criterion::discover(criterion_dir)?;
    let (old, new) = if prefixes {
        let reached = (0..old.len())
            .take_while(|&r| found.iter().any(|d| d.has_baseline(&old[r])))
            .count()
            .max(2);
        (&old[..reached], &new[..reached])
    } else {
        (old, new)
    };
    Ok((old, new, found))
}

/// A benchmark some rounds lack: every baseline without a sample, named.
fn lacking_rounds(sides: [(Rounds, &[String]); 2]) -> String {
    let mut id = String::new();
    let mut lacking = Vec::new();
    for (r, names) in sides {
        match r {
            Rounds::Partial(i, missing) => {
                id = i;
                lacking.extend(missing);
            }
            Rounds::Complete(i, ..) => id = i,
            Rounds::Absent => lacking.extend(names.iter().cloned()),
        }
    }
    format!("{id}: no sample.json in {}", lacking.join(", "))
}

/// Where the noise came from: the rounds' spread, and the layout file where it added a term.
fn noise_sentences(entries: &[Entry], layout: Option<(&Path, &LayoutNoise)>) -> Vec<String> {
    let rounds: Vec<usize> = entries.iter().filter_map(|e| e.noise.runs).collect();
    let (Some(fewest), Some(most)) = (rounds.iter().min(), rounds.iter().max()) else {
        return Vec::new();
    };
    let k = if fewest == most {
        format!("{fewest}")
    } else {
        format!("{fewest}–{most}")
    };
    let mut out = vec![format!(
        "{} benchmarks: the spread of {k} paired rounds",
        entries.len()
    )];
    if let Some(looks) = entries.iter().map(|e| e.looks).max().filter(|&l| l > 1) {
        out.push(format!(
            "sequential rounds: each benchmark stopped once decided, after up to {looks} looks; α is split over the looks (Bonferroni: p-values × {looks}, the unchanged interval at 1 − α/{looks}), so a false regression anywhere stays at most 5%"
        ));
    }
    if let Some((path, l)) = layout {
        out.push(layout_sentence(
            entries.iter().map(|e| e.id.as_str()),
            path,
            l,
        ));
    }
    out
}

/// One benchmark from each round's samples on each side (in the order taken), with d_r made by
/// `per_round`, undecided; `layout` adds 2σ²_layout to the variance of the mean change. Its
/// sample counts are each side's fewest in a round.
fn round_entry(
    id: String,
    per_round: PerRound,
    (old, new): (&[Vec<f64>], &[Vec<f64>]),
    layout: Option<LayoutTerm>,
) -> Entry {
    let fewest = |runs: &[Vec<f64>]| runs.iter().map(Vec::len).min().unwrap_or(0);
    let samples = (fewest(old), fewest(new));
    let d: Vec<f64> = old
        .iter()
        .zip(new)
        .map(|(o, n)| per_round.change(o, n))
        .collect();
    let side = |runs: &[Vec<f64>]| -> Vec<f64> { runs.iter().map(|r| per_round.side(r)).collect() };
    entry_of_changes(id, &d, (&side(old), &side(new)), samples, layout)
}

/// One benchmark from its per-round values on each side, d_r = ln(new_r/old_r), undecided;
/// `layout` adds 2σ²_layout to the variance of the mean change. (The tests' way in.)
#[cfg(test)]
pub(crate) fn entry(
    id: String,
    old: &[f64],
    new: &[f64],
    samples: (usize, usize),
    layout: Option<LayoutTerm>,
) -> Entry {
    let d: Vec<f64> = old.iter().zip(new).map(|(o, n)| (n / o).ln()).collect();
    entry_of_changes(id, &d, (old, new), samples, layout)
}

/// One benchmark from its per-round changes `d` and each side's per-round values (shown as
/// their geometric means), undecided.
fn entry_of_changes(
    id: String,
    d: &[f64],
    (old, new): (&[f64], &[f64]),
    samples: (usize, usize),
    layout: Option<LayoutTerm>,
) -> Entry {
    let k = d.len();
    let s = stats::sd(d);
    let df = Some((k - 1) as f64);
    let log_mean = |xs: &[f64]| stats::mean(&xs.iter().map(|x| x.ln()).collect::<Vec<_>>());
    let se_rounds = s / (k as f64).sqrt();
    let (se, se_df) = match &layout {
        Some(t) => t.add_to(se_rounds.powi(2), df, 2.0),
        None => (se_rounds, df),
    };
    Entry::new(
        id,
        log_mean(old).exp(),
        log_mean(new).exp(),
        stats::mean(d),
        se,
        se_df,
        Noise {
            source: Source::PairedRounds,
            sd_log: s,
            runs: Some(k),
            df,
            layout,
        },
        samples,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::criterion::SavedSample;

    #[test]
    fn the_fastest_sample_is_the_least_per_iteration_time() {
        let s = SavedSample {
            sampling_mode: "Flat".into(),
            iters: vec![2.0, 1.0, 4.0],
            times: vec![30.0, 14.0, 80.0],
        };
        assert_eq!(PerRound::Fastest.side(&s.per_iteration()), 14.0);
    }

    #[test]
    fn one_build_per_side_adds_twice_the_layout_variance() {
        let old = [100.0, 101.0, 99.0, 100.5];
        let new = [103.0, 104.5, 101.0, 103.0];
        let plain = entry("g/f".into(), &old, &new, (10, 10), None);
        let t = LayoutTerm {
            sd_log: 0.02,
            builds: 4,
            df: 5.0,
        };
        let with = entry("g/f".into(), &old, &new, (10, 10), Some(t));
        // se² = s²/K + 2σ²_layout; the mean change and the rounds' own spread are unchanged.
        let want = (plain.se.powi(2) + 2.0 * 0.0004).sqrt();
        assert!((with.se - want).abs() < 1e-15, "{} vs {want}", with.se);
        assert_eq!(with.log_change, plain.log_change);
        assert_eq!(with.noise.sd_log, plain.noise.sd_log);
        assert_eq!(
            with.noise.describe(),
            "paired rounds (4) + layout (4 link orders)"
        );
        let (v1, v2) = (plain.se.powi(2), 2.0 * 0.0004);
        let df = (v1 + v2).powi(2) / (v1.powi(2) / 3.0 + v2.powi(2) / 5.0);
        assert!((with.df.unwrap() - df).abs() < 1e-9);
    }

    #[test]
    fn no_number_of_rounds_beats_a_large_layout_term() {
        let old = [100.0, 101.0, 99.0, 100.5];
        let new = [103.0, 104.5, 101.0, 103.0];
        let term = |sd_log| LayoutTerm {
            sd_log,
            builds: 4,
            df: 5.0,
        };
        let decided = |sd_log| {
            let mut e = [entry(
                "g/f".into(),
                &old,
                &new,
                (10, 10),
                Some(term(sd_log)),
            )];
            crate::verdict::decide(&mut e, 5.0);
            e[0].rounds_for_unchanged
        };
        // √2·0.005 = 0.7% of se that rounds cannot remove: "unchanged" at ±5% is still reachable.
        assert!(decided(0.005).is_some());
        // √2·0.02 = 2.8% of se alone: the 95% interval never fits within ±5%, whatever K.
        assert_eq!(decided(0.02), None);
    }
}
