//! # concurrency-bench
//!
//! Which concurrency strategy — sequential, a thread pool, async, a process pool, rayon — is
//! fastest for I/O-bound work and for CPU-bound work, by how much, and why? The question of the
//! tutorial "Speed Up Your Python Program With Concurrency", answered with Criterion statistics.
//!
//! The suite is a matrix:
//! - [`workload`]: *what* is computed — the tutorial's CPU kernels and its downloads, each job
//!   with a way to check its result exactly;
//! - [`strategy`]: *how* the jobs are spread — one short file per strategy, reading like the
//!   tutorial's program, and [`strategy::Strategy`], the one list of strategies;
//! - [`matrix`]: pairs them, owning what lives across runs (runtimes, a warm process pool);
//! - [`process`]: the worker processes of the process-pool strategies;
//! - [`server`]: where the downloads go (the embedded mock server, in or out of process);
//! - [`timeline`]: who ran which job when, recorded from a real run;
//! - [`config`]: every `CB_*` environment variable;
//! - [`criterion_args`]: what Criterion will run and save, read from the bench's command line;
//! - [`rounds`]: a group's strategies measured in interleaved rounds, handed to Criterion;
//! - [`bench_group`]: a bench's group from rounds to side files, for `benches/cpu.rs` and `io.rs`;
//! - [`limits`]: enough file descriptors for thousands of sockets;
//! - [`output`]: the small JSON files the benches write beside Criterion's output;
//! - [`extra_benches`]: what only one of the benches a plain `cargo bench` skips needs —
//!   [`extra_benches::sweep`], the scaling sweeps (`--bench sweeps`);
//!   [`extra_benches::blocking_hop`], ureq against reqwest's blocking client in the thread
//!   strategies (`--bench blocking_hop`, a one-off comparison); [`extra_benches::python`], the
//!   tutorial's CPython programs beside their Rust counterparts (`--bench python`).
//!
//! The bench files in `benches/` are thin: configuration, then the matrix, then each group's
//! rounds, handed to Criterion.

pub mod bench_group;
pub mod config;
pub mod criterion_args;
pub mod error;
pub mod extra_benches;
mod join;
pub mod limits;
pub mod matrix;
pub mod output;
pub mod process;
pub mod rounds;
pub mod server;
pub mod strategy;
pub mod timeline;
pub mod workload;

/// Locks a mutex even if a thread panicked while holding it: the data guarded here (recorded
/// spans, free slots, a warm pool) stays usable, and the panic itself is re-raised elsewhere.
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
