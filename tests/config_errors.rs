//! Bad `CB_*` values end the run with one line naming the variable, and exit status 2.
//!
//! `cb-config` reads the configuration with the same call the bench binaries make first
//! (`Config::from_env`); `.ci/run` also runs the real bench binaries with bad values and
//! checks that nothing under target/criterion changed. An unreachable `CB_TARGET_URL` is caught
//! when the I/O matrix is built (tests/io_strategies.rs).

use std::process::Command;

use crate::util::CB_CONFIG as CONFIG;

fn run_with(name: &str, value: &str) -> std::process::Output {
    Command::new(CONFIG)
        .env_remove("RUST_BACKTRACE")
        .env(name, value)
        .output()
        .unwrap()
}

#[test]
fn garbage_values_give_one_line_and_exit_2() {
    let cases = [
        ("CB_CPU_START", "abc"),
        ("CB_CPU_START", "-3"),
        ("CB_CPU_START", "0"),
        ("CB_CPU_START", "18446744073709551616"),
        ("CB_CPU_COUNT", "0"),
        ("CB_CPU_COUNT", "twenty"),
        ("CB_FIB_N", "1000"),
        ("CB_WORKERS", "0"),
        ("CB_WORKERS", "-1"),
        ("CB_WORKERS", "5.5"),
        ("CB_PROCESSES", "0"),
        ("CB_PROCESSES", "99999999999999999999"),
        ("CB_SITES", "0"),
        ("CB_SITES", "many"),
        ("CB_LATENCY_MS", "-5"),
        ("CB_LATENCY_MS", "NaN"),
        ("CB_JITTER_MS", "fast"),
        ("CB_JITTER_MS", "1e12"),
        ("CB_TARGET_URL", "ftp://127.0.0.1:21"),
        ("CB_TARGET_URL", "http://127.0.0.1"),
        ("CB_TARGET_URL", "http://127.0.0.1:70000"),
        ("CB_TIMEOUT_MS", "0"),
        ("CB_TIMEOUT_MS", "soon"),
        ("CB_TIMEOUT_MS", "99999999999"),
        ("CB_FAULTS", "explode:0.1"),
        ("CB_FAULTS", "error:1.5"),
        ("CB_FAULTS", "reset:-0.1"),
        ("CB_FAULTS", "error:NaN"),
        ("CB_FAULTS", "error:0.6,stall:0.6"),
        ("CB_FAULTS", "truncate:0.1"),
        ("CB_TEST_SLOWDOWN", "cpu/fib/rayon"),
        ("CB_TEST_SLOWDOWN", "cpu/fib/rayon:-1"),
        ("CB_SAMPLES", "5"),
        ("CB_SAMPLES", "many"),
        ("CB_SAMPLE_MS", "0"),
        ("CB_SAMPLE_MS", "1000000"),
        ("CB_ORDER_SEED", "-7"),
        ("CB_ORDER_SEED", "0x10"),
    ];
    for (name, value) in cases {
        let output = run_with(name, value);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}={value}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{name}={value}: {stderr}");
        assert!(stderr.contains(name) && stderr.contains(value), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            output.stdout.is_empty(),
            "{name}={value}: printed a config anyway"
        );
    }
}

#[test]
fn good_values_are_shown_with_their_source() {
    let output = run_with("CB_WORKERS", "7");
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("CB_WORKERS=7\t(from the environment"),
        "{stdout}"
    );
    assert!(stdout.contains("CB_FIB_N=35\t(default;"), "{stdout}");
    // A default the value does not show is said in words, from its declaration.
    assert!(
        stdout.contains("CB_ORDER_SEED=\t(default: from the clock;"),
        "{stdout}"
    );
}
