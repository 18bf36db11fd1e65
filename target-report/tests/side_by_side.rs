//! `ab`'s side-by-side runs, with the fake bench of [`crate::fake_bench`] recording its CPU
//! time and when each run started and ended: which runs overlap, that Ctrl-C ends them all,
//! and the capacity's bad input.

use crate::fake_bench::*;
use crate::util::*;
use target_report::runner::session;

#[test]
fn latency_bound_benchmarks_run_their_later_rounds_side_by_side() {
    // Each fake run records its CPU time and lasts `sleep` more. At 0.05 cores (latency-bound)
    // round 0 runs alone and round 1 of both benchmarks, both sides, starts together (2 s
    // each: they overlap unless starting them took longer than that); at 0.5 cores, or with
    // --side-by-side-cores 0, every run is alone (one after another whatever their length).
    for (cpu_ns, cap, sleep, together) in [
        ("50000000", "0.5", "2", true),
        ("500000000", "0.5", "0.2", false),
        ("50000000", "0", "0.2", false),
    ] {
        let fx = Fixture::new("ab-side-by-side");
        let out = fx
            .ab_two_rounds(&["--side-by-side-cores", cap])
            .env("FAKE_CPU_NS", cpu_ns)
            .env("FAKE_SLEEP", sleep)
            .output()
            .unwrap();
        let err = stderr(&out);
        // Two rounds (df = 1) decide nothing: inconclusive.
        assert_eq!(out.status.code(), Some(3), "{err}");
        let times = fx.times();
        assert_eq!(times.len(), 8, "{err}");
        let overlap = |a: &(String, String, u128, u128), b: &(String, String, u128, u128)| {
            a.2 < b.3 && b.2 < a.3
        };
        let round = |t: &(String, String, u128, u128), r: &str| t.0.ends_with(r);
        let overlapping = |r: &str| {
            times.iter().enumerate().any(|(i, a)| {
                times
                    .iter()
                    .skip(i + 1)
                    .any(|b| (round(a, r) || round(b, r)) && overlap(a, b))
            })
        };
        assert!(
            !overlapping("-0"),
            "{cpu_ns} {cap}: round 0 runs alone: {times:?}"
        );
        assert_eq!(
            overlapping("-1"),
            together,
            "{cpu_ns} {cap}: {times:?}\n{err}"
        );
        assert_eq!(
            err.contains("side by side: 4 runs of 2 latency-bound benchmarks"),
            together,
            "{err}"
        );
        // Every run's baseline is in place, and nothing is left staged.
        for name in ["ab-old-0", "ab-new-0", "ab-old-1", "ab-new-1"] {
            assert_eq!(dirs_named(&fx.criterion(), name).len(), 3, "{name}: {err}");
        }
        assert!(!session::staging_root(&fx.criterion()).exists());
    }
}

#[test]
fn a_negative_side_by_side_capacity_is_refused() {
    let fx = Fixture::new("ab-side-by-side-bad");
    assert_bad(
        &fx.run(&["ab", "HEAD", "--side-by-side-cores", "-1"]),
        "--side-by-side-cores must be 0",
    );
}

#[test]
fn sigint_while_runs_are_side_by_side_ends_them_all_and_removes_their_runs() {
    // Round 1 of both latency-bound benchmarks runs at once; both new-side runs hang.
    let fx = Fixture::new("ab-side-by-side-sigint");
    let mut cmd = fx.command(&["ab", "HEAD", "--min-rounds", "2", "--max-rounds", "2"]);
    cmd.env("FAKE_CPU_NS", "50000000");
    let out = interrupted_command(&fx, cmd, ("FAKE_HANG", "ab-new-1"));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("side by side: 4 runs"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let crit = fx.criterion();
    assert_eq!(dirs_named(&crit, "ab-new-0").len(), 3, "{err}");
    assert!(dirs_named(&crit, "ab-new-1").is_empty(), "{err}");
    assert!(!session::staging_root(&crit).exists());
}
