//! Load: 10,000 concurrent downloads at 50 ms against the embedded server, zero failures.
//!
//! With client and server in one process every connection costs two file descriptors, more
//! than the usual hard limit of 20,000 allows; the suite then runs the server in a child
//! process (or says which limit to raise). Bounded: one run of 10,000 requests on loopback, each
//! with a 5-minute timeout. What is checked is that every download succeeds, not how fast: on
//! a busy machine the run took 41 s, and with the default 30 s timeout 898 requests timed out.

use std::path::Path;
use std::time::Instant;

use concurrency_bench::limits::raise_fd_limit;
use concurrency_bench::matrix::IoMatrix;
use concurrency_bench::strategy::Strategy;
use concurrency_bench::timeline::Probe;

use crate::util::{self, WORKER};

#[test]
fn ten_thousand_concurrent_downloads_complete_without_a_failure() {
    let config = util::config(&[
        ("CB_SITES", "10000"),
        ("CB_LATENCY_MS", "50"),
        ("CB_PROCESSES", "1"),
        ("CB_WORKERS", "1"),
        // Generous: a timeout here would mean a lost response, never a slow machine.
        ("CB_TIMEOUT_MS", "300000"),
    ]);
    let limit = raise_fd_limit().unwrap();
    let matrix = match IoMatrix::new(&config, Path::new(WORKER)) {
        Ok(matrix) => matrix,
        Err(error) => {
            // Only acceptable failure: the machine's limit is below what even a child-process
            // server needs, and the message says which limit to raise.
            assert!(
                limit < 10_512,
                "limit {limit} should have sufficed: {error}"
            );
            assert!(error.to_string().contains("ulimit -Hn"), "{error}");
            return;
        }
    };
    println!(
        "open-file limit {limit}: server {}",
        matrix.server().placement()
    );
    let workload = matrix.workload();
    let start = Instant::now();
    let bytes = matrix
        .run_verified(Strategy::AsyncTokio, &workload, &Probe::OFF)
        .unwrap_or_else(|error| panic!("{error}"));
    let elapsed = start.elapsed();
    println!("10,000 downloads ({bytes} bytes) in {elapsed:?}");
    assert_eq!(bytes, 5_000 * (50_000 + 2_000));
}
