//! The suite's integration tests, in one test binary (one link instead of one per file, as
//! ripgrep keeps its tests): a module per concern, and `util` for what they share.
//!
//! All tests run in one process, in parallel. Those that look at the whole process (its
//! threads: `io_threads`; its CPU time: `cpu_time`) run in a process of their own
//! ([`util::run_alone`]). The optimized ones are ignored in debug builds: CI runs `cargo test
//! --release -p concurrency-bench --test main kernel_cost::` and `… kernel_layout::`.

mod util;

// What every bench's `main` shares (its error line, its summary page at the end), tested where
// it is more than printing.
#[path = "../benches/common/mod.rs"]
#[allow(dead_code)]
mod bench_common;

mod config_errors;
mod cpu_strategies;
mod cpu_time;
mod criterion_args;
mod faults;
mod io_strategies;
mod io_threads;
mod kernel_cost;
mod kernel_layout;
mod layers;
mod load;
mod process_pool;
mod python;
mod readme_config;
mod readme_numbers;
mod rounds;
mod summary_page;
mod sweeps;
