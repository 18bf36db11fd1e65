//! The configured latency is honoured, and concurrent requests wait it out together.

use std::time::{Duration, Instant};

use mock_server::{MockSite, Page, ServerConfig, MAX_DELAY_CORRECTION};

use crate::util;

const MS: Duration = Duration::from_millis(1);

/// Sequential requests take the latency, give or take the timer correction: none comes
/// before `latency − correction` (tokio never ends a sleep early, and a busy machine only makes
/// requests later), and their median is not far above the latency.
#[tokio::test]
async fn requests_take_the_latency_less_at_most_the_correction() {
    const REQUESTS: usize = 11;
    // A fractional number of milliseconds too, to check nothing rounds it; at 1 ms the timer
    // is the shortest one (see `mock_server::timer_delay`).
    for latency_us in [1_000, 5_000, 12_500, 50_000] {
        let latency = Duration::from_micros(latency_us);
        let config = ServerConfig {
            latency,
            ..ServerConfig::default()
        };
        let site = MockSite::start(config).await.unwrap();
        let correction = site.delay_correction();
        assert!(correction <= MAX_DELAY_CORRECTION, "{correction:?}");
        let client = util::client();
        let mut took = Vec::new();
        for i in 0..REQUESTS {
            let page = Page::ALL[i % 2];
            let (status, _, t) = util::get(&client, &site.url(page)).await;
            assert_eq!(status, 200);
            assert!(
                t + correction >= latency,
                "{latency:?}, request {i}: took {t:?}, less than the latency by more than the correction {correction:?}"
            );
            took.push(t);
        }
        took.sort();
        let median = took[REQUESTS / 2];
        // A few tenths of a millisecond above the latency on an idle machine; the margin is for a
        // busy one.
        assert!(
            median < latency + 25 * MS,
            "{latency:?}: median {median:?} of {took:?}"
        );
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
    let client = util::client();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..N {
        let (client, page) = (client.clone(), Page::ALL[i % 2]);
        let url = site.url(page);
        tasks.spawn(async move { (page, util::get(&client, &url).await) });
    }
    while let Some(joined) = tasks.join_next().await {
        let (page, (status, body, took)) = joined.unwrap();
        assert_eq!(status, 200);
        assert_eq!(body.len(), config.body_len(page));
        assert!(
            took + site.delay_correction() >= latency,
            "{took:?} < {latency:?} − {:?}",
            site.delay_correction()
        );
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
