//! The server's memory stays bounded: recycling frees wiremock's per-request copies.
//!
//! In a process of its own ([`util::run_alone`]), so that no other test shares (and inflates)
//! its RSS.

use std::time::Duration;

use mock_server::{proc_stats, MockSite, ServerConfig};

use crate::util;

const REQUESTS: u64 = 20_000;
const RECYCLE_EVERY: u64 = 500;

#[test]
fn memory_stays_bounded_and_no_request_fails_across_recycles() {
    util::run_alone("memory::recycled_alone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the process to itself: run by memory_stays_bounded_and_no_request_fails_across_recycles"]
async fn recycled_alone() {
    if !util::alone() {
        return;
    }
    let config = ServerConfig {
        latency: Duration::ZERO,
        recycle_every: RECYCLE_EVERY,
        ..ServerConfig::default()
    };
    let site = MockSite::start(config).await.unwrap();
    let rss_before = proc_stats::rss_bytes().unwrap();
    let failures = util::hammer(&site, REQUESTS, 16, Duration::from_secs(120)).await;
    let rss_after = proc_stats::rss_bytes().unwrap();
    let growth_mib = (rss_after as f64 - rss_before as f64) / (1024.0 * 1024.0);
    eprintln!(
        "{REQUESTS} requests: RSS growth {growth_mib:.1} MiB, {} recycles",
        site.recycles()
    );

    assert_eq!(failures, 0, "failed requests");
    assert_eq!(
        site.requests_served(),
        REQUESTS,
        "requests served (or time limit hit)"
    );
    assert_eq!(site.recycle_faults(), 0);
    // Each recycle is scheduled at a multiple of RECYCLE_EVERY; the last may still be queued.
    assert!(
        site.recycles() >= REQUESTS / RECYCLE_EVERY - 1,
        "{}",
        site.recycles()
    );
    // Measured in this debug build: about 8 MiB with recycling, 150 MiB without.
    assert!(growth_mib < 40.0, "RSS grew by {growth_mib:.1} MiB");
}
