//! What every bench's `main` does with an [`Error`] the library returns.

use concurrency_bench::error::Error;

/// Prints `error` as the suite's one line and exits with its status (2: before anything was
/// measured; 1: a run failed or its results could not be written). A `main` calls it while its
/// matrix, servers and pools still live: exiting, not returning, leaves them to end with the
/// process (the child server on its parent-death signal, the workers on their closed stdin) as
/// they always have, instead of stopping each in turn before the line is printed.
pub fn exit(error: Error) -> ! {
    eprintln!("concurrency-bench: {error}");
    std::process::exit(error.exit_code().into())
}
