//! What the suite's tests share: the package's executables, one way to build a configuration,
//! and a way to run a test in a process of its own.

use concurrency_bench::config::Config;

// A test in a process of its own: the mock server's tests' code, included by path (the
// packages share no test crate).
#[path = "../mock-server/tests/util/alone.rs"]
mod alone;
pub use alone::{alone, run_alone};

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
