//! # concurrency-bench
//!
//! Which concurrency strategy — sequential, a thread pool, async, a process pool, rayon — is
//! fastest for I/O-bound work and for CPU-bound work, by how much, and why? The question of the
//! tutorial "Speed Up Your Python Program With Concurrency", answered with Criterion statistics.
//!
//! The suite is a matrix: [`workload`] says *what* is computed — the tutorial's CPU kernels and
//! its downloads, each job with a way to check its result exactly; [`strategy`] says *how* the
//! jobs are spread — one short file per strategy, reading like the tutorial's program, and
//! [`strategy::Strategy`], the one list of strategies; [`matrix`] pairs them. The bench files in
//! `benches/` are thin: configuration, then the matrix, then each group's rounds, handed to
//! Criterion; a failure comes back to their `main` as an [`error::Error`].
//!
//! ## Layers
//!
//! The modules stand in layers, lowest first. A module imports (`use crate::…`, or a
//! `crate::…` path) only from its own layer and those below it; no modules import each other
//! around a loop, nor do the files of one folder. The `layers` test reads this list and checks
//! all three.
//!
//! 1. ground: `crate`, [`error`], `join`, [`limits`] — the root's lock helper; why a bench
//!    stops, as a value its `main` gets; joining threads and tasks, re-raising their panics;
//!    enough file descriptors for thousands of sockets;
//! 2. settings: [`config`], [`criterion_args`], [`timeline`], [`cpu_time`], [`turns`] — every
//!    `CB_*` environment variable; what Criterion will run and save, read from the bench's
//!    command line; who ran which job when, recorded from a real run; the CPU time each sample
//!    consumed, by who spent it (the suite, the server, worker processes); waiting for this
//!    process's turn to measure when `target-report ab` runs two at once;
//! 3. work: [`workload`], [`server`] — what is computed, and checked; where the downloads go
//!    (the embedded mock server, in or out of process);
//! 4. workers: [`process`] — the worker processes of the process-pool strategies;
//! 5. strategies: [`strategy`] — how the jobs are spread;
//! 6. side files: [`output`] — the small JSON files the benches write beside Criterion's output;
//! 7. rounds: [`rounds`] — a group's strategies measured in interleaved rounds, handed to
//!    Criterion;
//! 8. pairing: [`matrix`], [`bench_group`] — workloads paired with strategies, owning what
//!    lives across runs (runtimes, clients, a warm process pool); a bench's group from rounds
//!    to side files, for `benches/cpu.rs` and `io.rs`;
//! 9. optional benches: [`extra_benches`] — what only one of the benches a plain `cargo bench`
//!    skips needs: [`extra_benches::sweep`], the scaling sweeps (`--bench sweeps`);
//!    [`extra_benches::blocking_hop`], ureq against reqwest's blocking client in the thread
//!    strategies (`--bench blocking_hop`, a one-off comparison); [`extra_benches::python`], the
//!    tutorial's CPython programs beside their Rust counterparts (`--bench python`).

pub mod bench_group;
pub mod config;
pub mod cpu_time;
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
pub mod turns;
pub mod workload;

/// Locks a mutex even if a thread panicked while holding it: the data guarded here (recorded
/// spans, free slots, a warm pool) stays usable, and the panic itself is re-raised elsewhere.
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
