//! Helpers shared by the integration tests.

// Each test file compiles its own copy and uses only some of these.
#![allow(dead_code)]

use std::time::{Duration, Instant};

/// An async client for loopback tests: no proxy from the environment, and a timeout so a
/// broken server fails a test instead of hanging it.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("building the HTTP client")
}

/// GETs `url`; returns the status, the whole body and how long it all took.
pub async fn get(client: &reqwest::Client, url: &str) -> (u16, Vec<u8>, Duration) {
    let started = Instant::now();
    let response = client.get(url).send().await.expect("request failed");
    let status = response.status().as_u16();
    let body = response.bytes().await.expect("reading the body failed");
    (status, body.to_vec(), started.elapsed())
}

/// Sends `requests` GETs alternating /jython and /dice over `concurrency` keep-alive
/// connections, checking each response (status 200 and the exact bytes of `page_body`).
/// Returns how many failed; gives up after `time_limit` (the unsent requests then show up
/// as missing from `site.requests_served()`).
pub async fn hammer(
    site: &mock_server::MockSite,
    requests: u64,
    concurrency: u64,
    time_limit: Duration,
) -> u64 {
    use mock_server::{page_body, Page};
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    use std::sync::Arc;

    let urls = Arc::new(Page::ALL.map(|p| site.url(p)));
    let expected = Arc::new(Page::ALL.map(|p| page_body(p, site.config().body_len(p))));
    let (next, failures) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let deadline = Instant::now() + time_limit;
    let client = client();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (client, urls, expected) = (client.clone(), urls.clone(), expected.clone());
        let (next, failures) = (next.clone(), failures.clone());
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Relaxed);
                if i >= requests || Instant::now() > deadline {
                    return;
                }
                let which = (i % 2) as usize;
                let ok = match client.get(&urls[which]).send().await {
                    Ok(r) if r.status() == 200 => {
                        matches!(r.bytes().await, Ok(b) if b[..] == expected[which][..])
                    }
                    _ => false,
                };
                if !ok {
                    failures.fetch_add(1, Relaxed);
                }
            }
        });
    }
    while let Some(joined) = workers.join_next().await {
        joined.expect("a load worker panicked");
    }
    failures.load(Relaxed)
}
