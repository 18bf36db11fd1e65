//! `ab`'s lock-step rounds, with the fake bench of [`crate::fake_bench`] taking turns from the
//! real coordinator (three turns of 50 ms a run) and a fake `cb-config` that says its suite
//! reads `CB_TURNS`: the two sides of a round alternate and never hold a turn at once, rounds
//! follow one another, a suite that does not take turns is refused or run without lock step,
//! and Ctrl-C ends both runs of a round.

use crate::fake_bench::*;
use crate::util::*;
use target_report::runner::session;

#[test]
fn the_two_sides_of_a_round_take_turns_and_rounds_follow_one_another() {
    let fx = Fixture::new("ab-lock-step");
    let out = fx
        .ab_two_rounds(&[])
        .env("FAKE_CONFIG", fx.config_with_turns())
        .output()
        .unwrap();
    let err = stderr(&out);
    // Two rounds (df = 1) decide nothing: inconclusive.
    assert_eq!(out.status.code(), Some(3), "{err}");
    // Taken a turn apart, the two sides' samples are paired.
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("median over i of ln(new_r,i/old_r,i)"),
        "{report}"
    );
    // Each benchmark's round 0, then its round 1 (alpha's, then beta's): four pairs of runs,
    // six turns each.
    assert_eq!(err.matches("lock step: 2 runs done").count(), 4, "{err}");
    assert_eq!(err.matches(", 6 turns").count(), 4, "{err}");

    let mut turns = fx.turns();
    turns.sort_by_key(|t| t.1);
    assert_eq!(turns.len(), 24, "{turns:?}");
    for pair in turns.windows(2) {
        assert!(pair[0].2 <= pair[1].1, "two turns at once: {pair:?}");
    }
    // The pairs follow one another, so each six turns in time are one round's two sides; from
    // the later side's first turn to the earlier side's last, they alternate.
    for chunk in turns.chunks(6) {
        let round = &chunk[0].0[chunk[0].0.len() - 2..];
        let count = |side: &str| {
            let name = format!("ab-{side}{round}");
            chunk.iter().filter(|t| t.0 == name).count()
        };
        assert_eq!((count("old"), count("new")), (3, 3), "{chunk:?}");
        let first = |name: &str| chunk.iter().position(|t| t.0 == name).unwrap();
        let last = |name: &str| chunk.iter().rposition(|t| t.0 == name).unwrap();
        let (a, b) = (&chunk[0].0, &chunk[5].0);
        for pair in chunk[first(b).max(first(a))..=last(a).min(last(b))].windows(2) {
            assert_ne!(pair[0].0, pair[1].0, "one side twice in a row: {chunk:?}");
        }
    }
    // No run of a later pair starts before both runs of the earlier pair ended.
    let mut times = fx.times();
    times.sort_by_key(|t| t.2);
    for (i, pair) in times.chunks(2).enumerate().skip(1) {
        let before = &times[..2 * i];
        let ended = before.iter().map(|t| t.3).max().unwrap();
        assert!(pair.iter().all(|t| t.2 >= ended), "{times:?}");
    }
    for name in ["ab-old-0", "ab-new-0", "ab-old-1", "ab-new-1"] {
        // Each benchmark's and the group's (`cb-rounds.json`).
        assert_eq!(dirs_named(&fx.criterion(), name).len(), 3, "{name}: {err}");
    }
    assert!(!session::staging_root(&fx.criterion()).exists());
}

#[test]
fn without_a_suite_that_takes_turns_under_quick_or_with_no_lock_step_the_sides_run_one_after_the_other(
) {
    let no_turns = "lock step off: the old and new side's suite does not read CB_TURNS";
    let quick = "lock step off: under --quick the suite measures live";
    for (config, more, says) in [
        (false, &[][..], Some(no_turns)),
        (true, &["--", "--quick"][..], Some(quick)),
        (true, &["--no-lock-step"][..], None),
    ] {
        let fx = Fixture::new("ab-lock-step-off");
        let mut cmd = fx.ab_two_rounds(more);
        if config {
            cmd.env("FAKE_CONFIG", fx.config_with_turns());
        }
        let out = cmd.output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{err}");
        match says {
            Some(line) => assert!(err.contains(line), "{err}"),
            None => assert!(!err.contains("lock step off"), "{err}"),
        }
        assert!(!err.contains("lock step: "), "{err}");
        assert!(fx.turns().is_empty());
        // Seconds apart, the samples are not paired: each side's fastest.
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(report.contains("ln(min(new_r)/min(old_r))"), "{report}");
        // One after the other: no two runs overlap.
        let mut times = fx.times();
        times.sort_by_key(|t| t.2);
        assert_eq!(times.len(), 8, "{err}");
        for pair in times.windows(2) {
            assert!(pair[0].3 <= pair[1].2, "{times:?}");
        }
    }
}

#[test]
fn a_run_that_took_no_turn_in_lock_step_is_an_error_and_saves_nothing() {
    let fx = Fixture::new("ab-lock-step-no-turns");
    let out = fx
        .ab_two_rounds(&[])
        .env("FAKE_CONFIG", fx.config_with_turns())
        .env("FAKE_NO_TURNS", "1")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("took no turn in lock step"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for name in ["ab-old-0", "ab-new-0"] {
        assert!(
            dirs_named(&fx.criterion(), name).is_empty(),
            "{name}: {err}"
        );
    }
}

#[test]
fn sigint_in_lock_step_ends_both_runs_of_the_round_and_removes_them() {
    // alpha's round-1 new run hangs holding its second turn, so its old run waits for a turn
    // that does not come until the hanging run is ended: Ctrl-C must end both (the old one may
    // take its last turns in between, so how many it took is not checked).
    let fx = Fixture::new("ab-lock-step-sigint");
    let mut cmd = fx.ab_two_rounds(&[]);
    cmd.env("FAKE_CONFIG", fx.config_with_turns());
    let out = interrupted_command(&fx, cmd, ("FAKE_HANG", "ab-new-1"));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let turns = fx.turns();
    let taken = |name: &str| turns.iter().filter(|t| t.0 == name).count();
    assert_eq!(
        taken("ab-new-1"),
        1,
        "it hung in its second turn: {turns:?}"
    );
    let crit = fx.criterion();
    // alpha's round 0 (and its group's record) stays; both round-1 runs are gone.
    assert_eq!(dirs_named(&crit, "ab-new-0").len(), 2, "{err}");
    assert!(dirs_named(&crit, "ab-new-1").is_empty(), "{err}");
    assert!(dirs_named(&crit, "ab-old-1").is_empty(), "{err}");
    assert!(!session::staging_root(&crit).exists());
}
