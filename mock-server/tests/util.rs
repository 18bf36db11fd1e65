//! What the mock server's tests share: a client, a timed GET, a load of checked requests, and a
//! way to run a test in a process of its own.

use std::time::{Duration, Instant};

// A test in a process of its own (util/alone.rs, which the suite's tests include too).
mod alone;
pub use alone::{alone, run_alone};

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

/// A blocking client for fault tests: no proxy, no retries beyond hyper's own (see
/// `classify`), and a short `timeout` that a stall outlasts.
pub fn blocking_client(timeout: Duration) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(timeout)
        .build()
        .expect("building the blocking HTTP client")
}

/// GETs `url` and says which fault, if any, the client saw:
///
/// * `Ok(None)`: status 200 and exactly `expected` as the body;
/// * `Error`: status 500 and exactly `mock_server::ERROR_BODY`;
/// * `Reset`: the request failed before any response, and not by the timeout;
/// * `Stall`: the client's timeout expired before any response;
/// * `Truncate`: the body failed, or came shorter than its Content-Length.
///
/// Anything else (a 200 with other bytes, a 404...) is `Err` with a description.
pub fn classify(
    client: &reqwest::blocking::Client,
    url: &str,
    expected: &[u8],
) -> Result<Option<mock_server::FaultKind>, String> {
    use mock_server::FaultKind;
    let response = match client.get(url).send() {
        Err(e) if e.is_timeout() => return Ok(Some(FaultKind::Stall)),
        Err(e) if e.is_connect() => return Err(format!("cannot connect: {}", chain(&e))),
        Err(e) => {
            let text = chain(&e);
            // hyper's words when the server closes the connection before a response.
            return if text.contains("connection closed before message completed") {
                Ok(Some(FaultKind::Reset))
            } else {
                Err(format!("request failed: {text}"))
            };
        }
        Ok(response) => response,
    };
    let status = response.status().as_u16();
    let declared = response.content_length();
    match response.bytes() {
        Err(e) if e.is_timeout() => Err(format!("body timed out: {}", chain(&e))),
        Err(_) => Ok(Some(FaultKind::Truncate)),
        Ok(body) if declared.is_some_and(|len| (body.len() as u64) < len) => {
            Ok(Some(FaultKind::Truncate))
        }
        Ok(body) => match status {
            200 if body[..] == expected[..] => Ok(None),
            500 if body[..] == *mock_server::ERROR_BODY.as_bytes() => Ok(Some(FaultKind::Error)),
            _ => Err(format!(
                "unexpected response: status {status}, {} bytes",
                body.len()
            )),
        },
    }
}

/// An error and its sources, in one line.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}
