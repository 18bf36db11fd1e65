//! A test in a process of its own, for what looks at the whole process (its threads, its CPU
//! time, its memory): [`run_alone`] runs it, [`alone`] tells it that it is alone.
//!
//! Shared by two test binaries: the mock server's (`mock-server/tests/util.rs`, whose `alone`
//! module this is) and the suite's (`tests/util.rs`, which includes this file by path). By path,
//! because the packages share no test crate (a crate of test support would need a place at the
//! workspace's top level, which is fixed).

use std::process::Command;

/// Set in the process [`run_alone`] starts, so that the test it runs knows it is alone. One
/// name for both binaries: it is set only in the child, which runs nothing but that test.
const ALONE: &str = "CB_TEST_ALONE";

/// Whether this process runs one test alone ([`run_alone`]); a test that needs the process to
/// itself returns at once otherwise (when `--include-ignored` runs it beside the others).
pub fn alone() -> bool {
    std::env::var_os(ALONE).is_some()
}

/// Runs the ignored test `name` (its whole path, e.g. `memory::alone` or
/// `io_threads::download_threads_alone`) in a process of its own — this test binary again, with
/// that one test. Passes on its output; fails unless it ran and passed.
pub fn run_alone(name: &str) {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            name,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ALONE, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    assert!(
        output.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{name}, alone in its process: {}\n{stdout}\n{stderr}",
        output.status
    );
}
