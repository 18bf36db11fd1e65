//! target-report's integration tests, in one test binary (one link instead of one per file, as
//! ripgrep keeps its tests): a module per concern, and `util` for what they share (the fixture
//! run, temporary directories, running the binary, reading JSON).
//!
//! Run one concern with its module's path, e.g. `cargo test -p target-report --test main
//! compare::`.

mod util;

mod ab;
mod backfill;
mod bad_input;
mod baselines;
mod calibrate;
mod compare;
mod exports;
mod fake_bench;
mod history;
mod layers;
mod layout;
mod links;
mod lock_step;
mod noise_sources;
mod physics;
mod python;
mod rounds;
mod side_by_side;
mod summary;
mod sweeps;
mod trace;
