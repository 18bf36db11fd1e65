//! `target-report`: turns Criterion's output for this suite into one summary page, compares
//! baselines with an exit code for CI, and keeps a history across commits.
//!
//! It reads `target/criterion/` (Criterion 0.8's files, pinned in the workspace) and the
//! `cb-meta.json` / `cb-timeline.json` files the benches write beside them. It does not run
//! benchmarks. Its commands are being built; until then it says so and exits with status 2.

fn main() {
    eprintln!("target-report: no commands yet (summary, compare, record and history are coming)");
    std::process::exit(2);
}
