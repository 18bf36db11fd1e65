//! What the suite's tests share: the package's executables, one way to build a configuration,
//! and a way to run a test in a process of its own.

use std::process::Command;

use concurrency_bench::config::Config;

/// The process pool's worker, built with the tests.
pub const WORKER: &str = env!("CARGO_BIN_EXE_cb-worker");

/// The mock server's binary of this package (the child-process server).
pub const MOCK_SERVER: &str = env!("CARGO_BIN_EXE_cb-mock-server");

/// `cb-config`.
pub const CB_CONFIG: &str = env!("CARGO_BIN_EXE_cb-config");

/// The configuration these `CB_*` values give (the others at their defaults), as a bench would
/// read it from its environment; a test's values are always valid.
pub fn config(pairs: &[(&str, &str)]) -> Config {
    Config::from_pairs(pairs).unwrap_or_else(|error| panic!("{pairs:?}: {error}"))
}

/// Set in the process [`run_alone`] starts, so that the test it runs knows it is alone.
const ALONE: &str = "CB_TEST_ALONE";

/// Whether this process runs one test alone ([`run_alone`]); a test that needs the process to
/// itself returns at once otherwise (when `--include-ignored` runs it beside the others).
pub fn alone() -> bool {
    std::env::var_os(ALONE).is_some()
}

/// Runs the ignored test `name` (its whole path, e.g. `io_threads::alone::reads`) in a process
/// of its own — this test binary again, with that one test — for what looks at the whole
/// process (its threads, its memory). Passes on its output; fails unless it ran and passed.
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
