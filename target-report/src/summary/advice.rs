//! The "which to use" verdict of one workload, computed from its rows sorted fastest first:
//! the fastest strategy, how far the next one is behind (a bootstrap or paired-rounds interval),
//! which strategies are tied with the fastest, and which are no better than `sequential` — with
//! the sentences the summary page shows — and the sentence on a machine that changed speed.

use super::pairing::Pairer;
use super::table::{Advice, Lead, Row, SEQUENTIAL};
use crate::format::{fmt_change, fmt_ns, fmt_pct, fmt_pct1, fmt_x};
use crate::rounds::Drift;
use crate::stats::{self, Interval};

/// The machine changed speed during the group, in one sentence: what it did to the medians, and
/// that the paired speed-ups cancel it (naming the rows' speed-ups that are not paired).
pub(super) fn drift_sentence(title: &str, d: &Drift, rows: &[Row]) -> String {
    let unpaired: Vec<String> = rows
        .iter()
        .filter(|r| r.pairing.is_some_and(|p| !p.is_paired()))
        .map(|r| format!("`{}`", r.function))
        .collect();
    let except = match unpaired.as_slice() {
        [] => String::new(),
        names => format!(
            "; it is in the speed-ups that are not paired: {}",
            names.join(", ")
        ),
    };
    format!(
        "The machine changed speed during {title}: `{}` took {} per iteration in the first half of the rounds and {} in the second ({}, 95% CI {} to {}). The medians mix both speeds; the speed-ups and leads are paired by round, which cancels a change that hits both sides of a round alike{except}.",
        d.reference,
        fmt_ns(d.first_half_ns),
        fmt_ns(d.second_half_ns),
        fmt_change(d.change.point),
        fmt_change(d.change.lower),
        fmt_change(d.change.upper),
    )
}

/// Computes the "which to use" verdict from rows sorted fastest first. Rows whose speed-up is
/// a measurement defect ([`Row::measurement_defect`]) are named, not ranked: the fastest, the
/// runner-up, the ties and the comparisons with `sequential` come from the other rows.
pub(super) fn advise(title: &str, kind: Option<&str>, rows: &[Row], pairer: &Pairer) -> Advice {
    let mut advice = Advice::default();
    let plausible: Vec<&Row> = rows
        .iter()
        .filter(|r| r.measurement_defect.is_none())
        .collect();
    let Some(&fastest) = plausible.first() else {
        advice
            .sentences
            .push(format!("Nothing in {title} was measured."));
        return advice;
    };
    advice.fastest = Some(fastest.function.clone());
    // The defects that look faster than the fastest: the headline says it passed them over.
    let passed_over: Vec<&str> = rows
        .iter()
        .take_while(|r| r.function != fastest.function)
        .map(|r| r.function.as_str())
        .collect();
    advice
        .sentences
        .push(fastest_sentence(title, kind, fastest, &passed_over));

    // Everyone whose gap to the fastest is not significant is tied with it.
    let leads: Vec<Lead> = plausible[1..]
        .iter()
        .map(|r| lead(fastest, r, pairer))
        .collect();
    advice.tied_with_fastest = leads
        .iter()
        .filter(|l| !l.significant)
        .map(|l| l.function.clone())
        .collect();
    if let Some(next) = leads.first() {
        let sentence = runner_up_sentence(next, &advice.tied_with_fastest);
        advice.sentences.push(sentence);
    }
    // Named after the ranking they were left out of, before what is said of `sequential`.
    let defects = defect_sentences(rows);
    let any_defect = !defects.is_empty();
    advice.sentences.extend(defects);

    if rows.iter().any(|r| r.function == SEQUENTIAL) {
        advice.no_better_than_sequential = no_better_than_sequential(&plausible);
        let others = plausible.len() - 1;
        let sentences = sequential_sentences(&advice.no_better_than_sequential, others, any_defect);
        advice.sentences.extend(sentences);
    } else {
        advice.sentences.push(format!(
            "No `{SEQUENTIAL}` run in {title}: which strategies are no better than it cannot be judged."
        ));
    }
    advice
}

/// The sentences of the rows whose speed-up is a measurement defect, fastest first.
fn defect_sentences(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .filter_map(|r| r.measurement_defect.as_ref())
        .map(|d| d.sentence.clone())
        .collect()
}

/// `Fastest for io/download: `async` at 21.3 ms (median), 7.51× the speed of …; it reaches …`,
/// and the faster-looking measurement defects it was chosen over, if any.
fn fastest_sentence(
    title: &str,
    kind: Option<&str>,
    fastest: &Row,
    passed_over: &[&str],
) -> String {
    let mut first = format!(
        "Fastest for {title}: `{}` at {} (median)",
        fastest.function,
        fmt_ns(fastest.median_ns.point)
    );
    if let Some(s) = fastest.speedup.filter(|_| fastest.function != SEQUENTIAL) {
        first.push_str(&format!(
            ", {} the speed of `{SEQUENTIAL}` (95% CI {}–{})",
            fmt_x(s.point),
            fmt_x(s.lower),
            fmt_x(s.upper)
        ));
    }
    if let (Some("io"), Some(e), Some(m)) = (kind, &fastest.efficiency, &fastest.meta) {
        first.push_str(&format!(
            "; it reaches {} of the ideal ⌈{}/{}⌉ × {} ms = {}",
            fmt_pct(e.ratio.point),
            m.jobs,
            m.concurrency,
            e.latency_ms,
            fmt_ns(e.ideal_ns)
        ));
    }
    if !passed_over.is_empty() {
        let names: Vec<String> = passed_over.iter().map(|f| format!("`{f}`")).collect();
        first.push_str(&format!(
            " — ahead of it only {}, whose {} measurement {} (below)",
            names.join(", "),
            if names.len() == 1 {
                "speed-up is a"
            } else {
                "speed-ups are"
            },
            if names.len() == 1 {
                "defect"
            } else {
                "defects"
            }
        ));
    }
    first.push('.');
    first
}

/// How much longer `r` takes than `fastest`: from rounds paired with it when both were measured
/// in the same rounds, else from the two samples resampled independently.
fn lead(fastest: &Row, r: &Row, pairer: &Pairer) -> Lead {
    let seed = stats::seed_for(&format!("lead {} {}", fastest.id, r.id));
    let (ratio, _) = pairer.ratio(r, fastest, seed);
    Lead {
        function: r.function.clone(),
        extra: ratio.map(|x| x - 1.0),
        significant: ratio.lower > 1.0,
    }
}

/// Whether the fastest is ahead of the next strategy, or tied with it (and who else).
fn runner_up_sentence(next: &Lead, tied_with_fastest: &[String]) -> String {
    if next.significant {
        format!(
            "It is ahead of the next, `{}`, which takes {} longer (95% CI {} to {}).",
            next.function,
            fmt_pct1(next.extra.point),
            fmt_pct1(next.extra.lower),
            fmt_pct1(next.extra.upper)
        )
    } else {
        format!(
            "It is not measurably ahead of `{}` ({} longer, but the 95% CI {} to {} includes no difference); tied with the fastest: {}.",
            next.function,
            fmt_pct1(next.extra.point),
            fmt_pct1(next.extra.lower),
            fmt_pct1(next.extra.upper),
            tied_with_fastest
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// Strategies whose speed-up interval reaches 1× or below, with that interval.
fn no_better_than_sequential(rows: &[&Row]) -> Vec<(String, Interval)> {
    rows.iter()
        .filter(|r| r.function != SEQUENTIAL)
        .filter_map(|r| r.speedup.map(|s| (r.function.clone(), s)))
        .filter(|(_, s)| s.lower <= 1.0)
        .collect()
}

/// The sentences on strategies slower than, or no faster than, `sequential`, among `others`
/// strategies besides it; `defects`: measurement defects were left out of them.
fn sequential_sentences(
    no_better: &[(String, Interval)],
    others: usize,
    defects: bool,
) -> Vec<String> {
    let list = |slower: bool| {
        no_better
            .iter()
            .filter(|(_, s)| (s.upper < 1.0) == slower)
            .map(|(f, s)| {
                format!(
                    "`{f}` ({}, CI {}–{})",
                    fmt_x(s.point),
                    fmt_x(s.lower),
                    fmt_x(s.upper)
                )
            })
            .collect::<Vec<_>>()
    };
    let (slower, same) = (list(true), list(false));
    let mut sentences = Vec::new();
    // A table of `sequential` alone always said so; with every other row a defect it says
    // nothing.
    if slower.is_empty() && same.is_empty() && (others > 0 || !defects) {
        sentences.push(format!(
            "Every other strategy{} is faster than `{SEQUENTIAL}` (speed-up CI above 1×).",
            if defects {
                " not named as a measurement defect"
            } else {
                ""
            }
        ));
    }
    if !slower.is_empty() {
        sentences.push(format!(
            "Slower than `{SEQUENTIAL}` (whole speed-up CI below 1×): {}.",
            slower.join(", ")
        ));
    }
    if !same.is_empty() {
        sentences.push(format!(
            "No measurable gain over `{SEQUENTIAL}` (speed-up CI includes 1×): {}.",
            same.join(", ")
        ));
    }
    sentences
}
