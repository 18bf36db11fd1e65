//! The configured latency is honoured, and concurrent requests wait it out together.

mod common;

use std::time::{Duration, Instant};

use mock_server::{MockSite, Page, ServerConfig};

#[tokio::test]
async fn every_request_takes_at_least_the_latency() {
    // A fractional number of milliseconds, to check nothing rounds it down.
    for latency in [Duration::from_millis(50), Duration::from_micros(12_500)] {
        let config = ServerConfig {
            latency,
            ..ServerConfig::default()
        };
        let site = MockSite::start(config).await.unwrap();
        let client = common::client();
        for i in 0..6 {
            let page = Page::ALL[i % 2];
            let (status, _, took) = common::get(&client, &site.url(page)).await;
            assert_eq!(status, 200);
            assert!(took >= latency, "request {i} took {took:?} < {latency:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_overlap_their_delays() {
    const N: usize = 160;
    let latency = Duration::from_millis(50);
    let config = ServerConfig {
        latency,
        ..ServerConfig::default()
    };
    let site = MockSite::start(config.clone()).await.unwrap();
    let client = common::client();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..N {
        let (client, page) = (client.clone(), Page::ALL[i % 2]);
        let url = site.url(page);
        tasks.spawn(async move { (page, common::get(&client, &url).await) });
    }
    while let Some(joined) = tasks.join_next().await {
        let (page, (status, body, took)) = joined.unwrap();
        assert_eq!(status, 200);
        assert_eq!(body.len(), config.body_len(page));
        assert!(took >= latency, "{took:?} < {latency:?}");
    }
    let total = started.elapsed();
    // Sequential would be 160 × 50 ms = 8 s; overlapping delays take about one latency plus
    // connection set-up. 40 × L leaves plenty of room for a busy machine.
    assert!(
        total < latency * 40,
        "{N} concurrent requests took {total:?}"
    );
    assert_eq!(site.requests_served(), N as u64);
}
