//! Which ratios of a table come from rounds paired within one run. A group's `cb-rounds.json`
//! is rewritten by every run that measures it in rounds, with the strategies that run measured:
//! after a filtered run (`cargo bench -- fib/rayon`) it holds `rayon` alone, while `sequential`'s
//! `sample.json` is an older run's. So each ratio's two sides are checked against the rounds
//! ([`crate::rounds::Rounds::describes`]): only when both sides' samples are the same rounds'
//! is the ratio [`Pairing::Paired`], with an interval that resamples whole rounds; otherwise its
//! [`Pairing`] says why not, the tables mark it, and a note under the table explains the mark.

use std::collections::BTreeSet;

use super::table::{Pairing, PairingNote, Row};
use crate::rounds::{self, Rounds, MIN_PAIRED_ROUNDS};
use crate::stats::{self, Interval};

/// A table's rounds and the rows whose samples they hold: the [`Pairing`] and the interval of
/// any ratio of two rows.
pub(super) struct Pairer<'a> {
    rounds: Option<&'a Rounds>,
    /// The functions whose `sample.json` holds exactly their samples in the rounds.
    described: BTreeSet<String>,
    /// Rows in the table.
    rows: usize,
}

impl<'a> Pairer<'a> {
    /// Checks each of `rows` against the group's `rounds`, if any.
    pub(super) fn new(rounds: Option<&'a Rounds>, rows: &[Row]) -> Self {
        let described = rows
            .iter()
            .filter(|r| rounds.is_some_and(|x| x.describes(&r.function, &r.per_iteration)))
            .map(|r| r.function.clone())
            .collect();
        Pairer {
            rounds,
            described,
            rows: rows.len(),
        }
    }

    /// Whether the rounds hold `function`'s samples.
    pub(super) fn describes(&self, function: &str) -> bool {
        self.described.contains(function)
    }

    /// Whether the rounds hold every row's samples: the whole table was measured in the same
    /// rounds of one run.
    pub(super) fn describes_all(&self) -> bool {
        self.rounds.is_some() && self.described.len() == self.rows
    }

    /// The rounds, when they hold their reference's samples: then its drift is the table's.
    pub(super) fn rounds_with_reference(&self) -> Option<&'a Rounds> {
        self.rounds
            .filter(|r| r.reference.as_deref().is_some_and(|f| self.describes(f)))
    }

    /// Where the ratio of `a` and `b` comes from.
    pub(super) fn pairing(&self, a: &Row, b: &Row) -> Pairing {
        let Some(rounds) = self.rounds else {
            return Pairing::NoRounds;
        };
        let live = |f: &str| rounds.fallback.iter().any(|x| x == f);
        let in_run = |f: &str| self.describes(f) || live(f);
        match (in_run(&a.function), in_run(&b.function)) {
            (true, true) if live(&a.function) || live(&b.function) => Pairing::Fallback,
            (true, true) if rounds.paired(&a.function, &b.function).len() < MIN_PAIRED_ROUNDS => {
                Pairing::FewRounds
            }
            (true, true) => Pairing::Paired,
            (false, false) => Pairing::OutsideRounds,
            _ => Pairing::SeparateRuns,
        }
    }

    /// `median(a) / median(b)` — the point from Criterion's medians (the same as the samples'),
    /// with a 95% interval resampling whole rounds when paired, else each side's samples
    /// independently — and where it comes from.
    pub(super) fn ratio(&self, a: &Row, b: &Row, seed: u64) -> (Interval, Pairing) {
        let pairing = self.pairing(a, b);
        let paired = match (pairing, self.rounds) {
            (Pairing::Paired, Some(r)) => {
                rounds::paired_ratio_of_medians(&r.paired(&a.function, &b.function), seed)
            }
            _ => None,
        };
        let ci = paired.unwrap_or_else(|| {
            stats::ratio_of_medians(
                &a.per_iteration,
                &b.per_iteration,
                stats::BOOTSTRAP_RESAMPLES,
                seed,
            )
        });
        let point = a.median_ns.point / b.median_ns.point;
        (Interval { point, ..ci }, pairing)
    }
}

/// `` `a`, `b` `` (the names in code spans).
fn names<'a>(functions: impl IntoIterator<Item = &'a str>) -> String {
    functions
        .into_iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The notes explaining the marks of the speed-ups not paired with `reference`: one per reason,
/// naming its rows; none when every speed-up is paired.
pub(super) fn notes(
    title: &str,
    reference: &str,
    rows: &[Row],
    pairer: &Pairer,
) -> Vec<PairingNote> {
    let mut reasons: Vec<(Pairing, Vec<&str>)> = Vec::new();
    for row in rows {
        let Some(p) = row.pairing.filter(|p| !p.is_paired()) else {
            continue;
        };
        match reasons.iter_mut().find(|(q, _)| *q == p) {
            Some((_, functions)) => functions.push(&row.function),
            None => reasons.push((p, vec![&row.function])),
        }
    }
    reasons.sort();
    reasons
        .into_iter()
        .map(|(pairing, functions)| PairingNote {
            pairing,
            sentence: sentence(title, reference, pairing, &functions, pairer),
            functions: functions.iter().map(|f| f.to_string()).collect(),
        })
        .collect()
}

/// Why the speed-ups of `functions` are not paired with `reference`'s, in one sentence.
fn sentence(
    title: &str,
    reference: &str,
    pairing: Pairing,
    functions: &[&str],
    pairer: &Pairer,
) -> String {
    let independent = "their intervals resample each side's samples independently";
    let listed = names(functions.iter().copied());
    let sides = || std::iter::once(reference).chain(functions.iter().copied());
    match pairing {
        // Never asked for: a paired speed-up has no note.
        Pairing::Paired => String::new(),
        Pairing::FewRounds => format!(
            "Speed-ups not paired in {title}: {listed} — fewer than {MIN_PAIRED_ROUNDS} rounds hold both them and `{reference}`, too few to resample rounds, so {independent}."
        ),
        Pairing::Fallback => {
            let live: Vec<&str> = sides()
                .filter(|f| pairer.rounds.is_some_and(|r| r.fallback.iter().any(|x| x == f)))
                .collect();
            format!(
                "Speed-ups not paired in {title}: {listed} — measured in one run, but {} could not be replayed into Criterion and {} measured live after the rounds (`fallback` in `cb-rounds.json`), so these compare samples taken at different times, and {independent}.",
                names(live.iter().copied()),
                if live.len() == 1 { "was" } else { "were" }
            )
        }
        Pairing::SeparateRuns => format!(
            "Speed-ups from separate runs in {title}: {listed} — the group's latest rounds (`cb-rounds.json`) hold the samples of {} but not of {} (a filtered run rewrites them with the strategies it measured), so each of these compares two runs: a machine that ran at another speed in one of them is in the ratio, and {independent}.",
            names(sides().filter(|f| pairer.describes(f))),
            names(sides().filter(|f| !pairer.describes(f)))
        ),
        Pairing::OutsideRounds => format!(
            "Speed-ups not paired in {title}: {listed} — neither they nor `{reference}` are in the group's latest rounds (`cb-rounds.json`, rewritten by a later run that measured other strategies), so they come from earlier runs, one or several, and {independent}."
        ),
        Pairing::NoRounds => format!(
            "No speed-up in {title} is paired: the group has no interleaved rounds (`cb-rounds.json`) — a `--quick` or `--profile-time` run, a sweep point or a run from before rounds measures each strategy live, one after another, and filtered runs may have measured them separately — so load that came and went between them is in the speed-ups, and {independent}."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rounds::{Round, RoundSample};
    use crate::summary::fixtures::row;

    /// `n` rounds of `functions`, the sample of round i taking 100 + i ns.
    fn rounds(functions: &[&str], n: usize, fallback: &[&str]) -> Rounds {
        let round = |i: usize| Round {
            order: functions.iter().map(|f| f.to_string()).collect(),
            samples: functions
                .iter()
                .map(|f| RoundSample {
                    function: f.to_string(),
                    iters: 1,
                    ns: 100.0 + i as f64,
                    cpu: None,
                })
                .collect(),
        };
        Rounds(cb_schema::Rounds {
            schema: 1,
            group: "g".into(),
            reference: Some("sequential".into()),
            seed: Some(1),
            rounds: (0..n).map(round).collect(),
            fallback: fallback.iter().map(|f| f.to_string()).collect(),
        })
    }

    /// A row of `function` whose samples are `start`, `start + 1`, … (`n` of them).
    fn measured(function: &str, n: usize, start: f64) -> Row {
        let mut r = row(&format!("g/{function}"), start, start, start + n as f64);
        r.per_iteration = (0..n).map(|i| start + i as f64).collect();
        r
    }

    #[test]
    fn each_ratio_says_whether_one_run_paired_its_sides() {
        let r = rounds(
            &["sequential", "rayon", "thread_pool", "process_pool"],
            6,
            &["process_pool"],
        );
        let rows = [
            measured("sequential", 6, 100.0),
            measured("rayon", 6, 100.0),
            // Measured again since, by a run that left the rounds.
            measured("thread_pool", 6, 90.0),
            measured("process_pool", 6, 110.0),
            // Not in this run at all.
            measured("tokio_bounded", 6, 80.0),
        ];
        let pairer = Pairer::new(Some(&r), &rows);
        let with_reference: Vec<Pairing> = rows[1..]
            .iter()
            .map(|x| pairer.pairing(&rows[0], x))
            .collect();
        assert_eq!(
            with_reference,
            [
                Pairing::Paired,
                Pairing::SeparateRuns,
                Pairing::Fallback,
                Pairing::SeparateRuns
            ]
        );
        assert_eq!(pairer.pairing(&rows[2], &rows[4]), Pairing::OutsideRounds);
        assert!(!pairer.describes_all());
        assert!(pairer.rounds_with_reference().is_some());
        // Only a paired ratio resamples rounds: here every round gives exactly 1.
        let (paired, _) = pairer.ratio(&rows[0], &rows[1], 1);
        assert_eq!((paired.lower, paired.upper), (1.0, 1.0));
        let few = rounds(&["sequential", "rayon"], 4, &[]);
        let rows = [
            measured("sequential", 4, 100.0),
            measured("rayon", 4, 100.0),
        ];
        let pairer = Pairer::new(Some(&few), &rows);
        assert_eq!(pairer.pairing(&rows[0], &rows[1]), Pairing::FewRounds);
        assert!(pairer.describes_all());
        let none = Pairer::new(None, &rows);
        assert_eq!(none.pairing(&rows[0], &rows[1]), Pairing::NoRounds);
        assert!(!none.describes_all());
    }
}
