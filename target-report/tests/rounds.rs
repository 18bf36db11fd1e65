//! `compare::from_rounds` over synthetic paired A/B rounds: the model `ab` renders.

use std::fs;
use std::path::Path;

use crate::util::*;
use serde_json::Value;
use target_report::compare::{self, Verdict};
use target_report::export::{Exporter, Json, Markdown, PlainTable};
use target_report::stats::SplitMix64;

/// K paired rounds of two benchmarks, `slow` truly `factor` slower on the new side and `same`
/// unchanged, each round's medians moved by noise of `sd` per side (log scale).
fn rounds(crit: &Path, k: usize, factor: f64, sd: f64, seed: u64) -> (Vec<String>, Vec<String>) {
    let mut rng = SplitMix64::new(seed);
    let (mut old, mut new) = (Vec::new(), Vec::new());
    for r in 1..=k {
        let (o, n) = (format!("ab-old-{r}"), format!("ab-new-{r}"));
        for (function, f) in [("slow", factor), ("same", 1.0)] {
            write_baseline(crit, function, &o, 1e6 * (sd * rng.normal()).exp());
            write_baseline(crit, function, &n, 1e6 * f * (sd * rng.normal()).exp());
        }
        old.push(o);
        new.push(n);
    }
    (old, new)
}

#[test]
fn paired_rounds_detect_a_ten_percent_change() {
    let tmp = TempDir::new("cmp-rounds");
    let crit = tmp.path().join("criterion");
    // 2% noise in the per-round log ratio: √2 · 1.414% per side.
    let (old, new) = rounds(&crit, 5, 1.10, 0.02 / 2f64.sqrt(), 5);
    let c = compare::from_rounds(&crit, &old, &new, 5.0).unwrap();
    assert_eq!(c.entries.len(), 2);
    let slow = c.entries.iter().find(|e| e.id == "g/slow").unwrap();
    assert_eq!(slow.verdict, Verdict::Regressed, "{slow:?}");
    assert_eq!(slow.df, Some(4.0));
    assert_eq!(slow.noise.describe(), "paired rounds (5)");
    assert!((slow.change.point - 0.10).abs() < 0.03, "{slow:?}");
    assert!(slow.rounds_needed.unwrap() <= 5, "{slow:?}");
    let same = c.entries.iter().find(|e| e.id == "g/same").unwrap();
    assert_ne!(same.verdict, Verdict::Regressed);
    assert_eq!(c.exit_code(), 1);
    assert_eq!(c.old, "ab-old-1 … ab-old-5");
    assert!(c.method.contains("paired rounds"));
    assert_eq!(c.noise, ["2 benchmarks: the spread of 5 paired rounds"]);
    // The exporters show the rounds that would detect the threshold.
    let text = PlainTable.render(&c);
    let head = text.lines().next().unwrap();
    assert!(head.ends_with("rounds for 5%"), "{head}");
    let row = text.lines().find(|l| l.starts_with("g/slow ")).unwrap();
    assert!(
        row.contains("paired rounds (5)") && row.contains("REGRESSED"),
        "{row}"
    );
    // The interval beside "regressed" is the one-sided bound that decided it: beyond +5%.
    let bound = slow.decision.lower.unwrap();
    assert!(bound >= 0.05 && slow.decision.upper.is_none(), "{slow:?}");
    assert!(row.contains("(one-sided)"), "{row}");
    let md = Markdown.render(&c);
    let sep = md.lines().find(|l| l.starts_with("|---")).unwrap();
    assert_eq!(sep.matches('|').count(), 11, "{sep}");
    let json: Value = serde_json::from_str(&Json.render(&c)).unwrap();
    assert_eq!(json["exit_code"], 1);
    let e = &json["entries"][0];
    assert!(e["rounds_needed"].as_u64().is_some());
    let (kr, ku) = (
        e["rounds_for_regressed"].as_u64(),
        e["rounds_for_unchanged"].as_u64(),
    );
    assert_eq!(
        e["rounds_needed"].as_u64(),
        Some(kr.unwrap().max(ku.unwrap()))
    );
    assert!(e["decision"]["confidence"].as_f64().unwrap() >= 0.95);
}

#[test]
fn noisy_rounds_are_inconclusive_and_say_how_many_rounds_would_do() {
    let tmp = TempDir::new("cmp-rounds-noisy");
    let crit = tmp.path().join("criterion");
    let (old, new) = rounds(&crit, 5, 1.0, 0.08, 8);
    let c = compare::from_rounds(&crit, &old, &new, 5.0).unwrap();
    for e in &c.entries {
        assert_eq!(e.verdict, Verdict::Inconclusive, "{e:?}");
        assert!(e.mdc > 0.05);
        assert!(e.rounds_needed.unwrap() > 5, "{e:?}");
    }
    assert_eq!(c.exit_code(), 3);
}

#[test]
fn rounds_missing_from_some_baselines_are_listed_and_bad_input_refused() {
    let tmp = TempDir::new("cmp-rounds-partial");
    let crit = tmp.path().join("criterion");
    let (old, new) = rounds(&crit, 3, 1.0, 0.01, 1);
    fs::remove_dir_all(crit.join("g/same/ab-new-2")).unwrap();
    let c = compare::from_rounds(&crit, &old, &new, 5.0).unwrap();
    assert_eq!(c.entries.len(), 1);
    assert_eq!(c.incomplete, ["g/same: no sample.json in ab-new-2"]);
    let err = compare::from_rounds(&crit, &old[..1], &new[..1], 5.0).unwrap_err();
    assert!(err.to_string().contains("at least 2"), "{err}");
    let err = compare::from_rounds(&crit, &old, &new[..2], 5.0).unwrap_err();
    assert!(err.to_string().contains("3 and 2"), "{err}");
    let err = compare::from_rounds(&crit, &old, &new, -1.0).unwrap_err();
    assert!(err.to_string().contains("--threshold"), "{err}");
}

/// Four rounds of `g/f`, round r's old and new samples (in the order taken) from `runs(r)`.
fn four_rounds(
    crit: &Path,
    runs: impl Fn(usize) -> (Vec<f64>, Vec<f64>),
) -> (Vec<String>, Vec<String>) {
    let (mut old, mut new) = (Vec::new(), Vec::new());
    for r in 0..4 {
        let (o, n) = (format!("ab-old-{r}"), format!("ab-new-{r}"));
        let (old_times, new_times) = runs(r);
        write_samples(crit, "f", &o, &old_times);
        write_samples(crit, "f", &n, &new_times);
        old.push(o);
        new.push(n);
    }
    (old, new)
}

/// Four A/A rounds in which the machine is 40% faster during the first turn only: in even rounds
/// that turn is the old side's first sample, in odd rounds the new side's. `jitter` moves each
/// sample by at most 0.2%, alike on no two samples of a pair.
fn rounds_with_a_fast_first_turn(crit: &Path) -> (Vec<String>, Vec<String>) {
    four_rounds(crit, |r| {
        let jitter = |side: usize, i: usize| 1.0 + 0.001 * (((r + i + side) % 3) as f64 - 1.0);
        let run = |side: usize, fast_first: bool| -> Vec<f64> {
            (0..10)
                .map(|i| {
                    let episode = if i == 0 && fast_first { 0.6 } else { 1.0 };
                    1e6 * episode * jitter(side, i)
                })
                .collect()
        };
        (run(0, r % 2 == 0), run(1, r % 2 == 1))
    })
}

#[test]
fn in_lock_step_the_paired_samples_cancel_an_episode_that_moves_one_sides_fastest_sample() {
    let tmp = TempDir::new("cmp-rounds-paired");
    let crit = tmp.path().join("criterion");
    let (old, new) = rounds_with_a_fast_first_turn(&crit);
    let judge = |per_round| {
        let c = compare::from_sequential_rounds(&crit, (&old, &new), 5.0, None, (per_round, 1));
        c.unwrap()
    };

    // Paired sample by sample, every round says "no change" within the jitter.
    let paired = judge(compare::PerRound::PairedSamples);
    let e = &paired.entries[0];
    assert_eq!(e.verdict, Verdict::Unchanged, "{e:?}");
    assert!(
        e.log_change.abs() < 0.002 && e.noise.sd_log < 0.003,
        "{e:?}"
    );
    assert!(paired
        .method
        .contains("median over i of ln(new_r,i/old_r,i)"));
    // Each side shows its median, not the episode's sample.
    assert!((e.old_median_ns / 1e6 - 1.0).abs() < 0.002, "{e:?}");

    // By the fastest samples, the rounds swing by ±51% (ln 0.6) and decide nothing.
    let fastest = judge(compare::PerRound::Fastest);
    let e = &fastest.entries[0];
    assert_eq!(e.verdict, Verdict::Inconclusive, "{e:?}");
    assert!(e.noise.sd_log > 0.5, "{e:?}");
    assert!(fastest.method.contains("ln(min(new_r)/min(old_r))"));
    assert_eq!(
        fastest.method,
        compare::rounds_method(compare::PerRound::Fastest)
    );
}

#[test]
fn paired_samples_pair_as_many_as_the_shorter_run_has() {
    let tmp = TempDir::new("cmp-rounds-unequal");
    let crit = tmp.path().join("criterion");
    let (old, new) = four_rounds(&crit, |_| {
        let base: Vec<f64> = (0..10).map(|i| 1e6 * (1.0 + 0.01 * i as f64)).collect();
        // The new side is 10% slower sample by sample, and has five more samples of ten times
        // the time: unpaired, they would move the median of the ratios.
        let slower: Vec<f64> = base.iter().map(|t| t * 1.1).chain([1e7; 5]).collect();
        (base, slower)
    });
    let per_round = (compare::PerRound::PairedSamples, 1);
    let c = compare::from_sequential_rounds(&crit, (&old, &new), 5.0, None, per_round).unwrap();
    let e = &c.entries[0];
    assert!((e.log_change - 1.1f64.ln()).abs() < 1e-9, "{e:?}");
    assert_eq!(e.samples, (10, 15));
}
