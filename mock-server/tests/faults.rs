//! Fault injection: the draws, and what clients see on the wire.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mock_server::{
    fault_for, page_body, response_delay, FaultCounts, FaultKind, Faults, MockSite, Page,
    ServerConfig, StartError, STATS_PATH,
};

use crate::util;

const MS: Duration = Duration::from_millis(1);

fn faults(error: f64, reset: f64, stall: f64, truncate: f64) -> Faults {
    Faults {
        error_rate: error,
        reset_rate: reset,
        stall_rate: stall,
        truncate_rate: truncate,
        ..Faults::none()
    }
}

/// The counts `fault_for` predicts for indices `0..n`.
fn predicted_counts(config: &ServerConfig, n: u64) -> FaultCounts {
    let mut counts = FaultCounts::default();
    for index in 0..n {
        counts.add(config.fault_for(index));
    }
    counts
}

#[test]
fn fault_for_repeats_with_the_seed_and_differs_across_seeds() {
    let f = faults(0.1, 0.2, 0.05, 0.05);
    let sequence =
        |seed| -> Vec<Option<FaultKind>> { (0..2_000).map(|i| fault_for(&f, seed, i)).collect() };
    assert_eq!(sequence(0x5eed), sequence(0x5eed));
    let (a, b) = (sequence(0x5eed), sequence(0x5eee));
    // Two independent sequences agree where both are None (0.6²) or the same kind
    // (0.1² + 0.2² + 2·0.05²): 0.415 of the time.
    let same = a.iter().zip(&b).filter(|(x, y)| x == y).count();
    assert!(
        (700..960).contains(&same),
        "{same} of 2000 equal across seeds"
    );
    // Order of evaluation does not matter: a pure function of (seed, index).
    let backwards: Vec<_> = (0..2_000).rev().map(|i| fault_for(&f, 0x5eed, i)).collect();
    assert!(backwards.into_iter().rev().eq(sequence(0x5eed)));
}

#[test]
fn fault_frequencies_match_the_rates() {
    const N: u64 = 20_000;
    let f = faults(0.1, 0.2, 0.05, 0.05);
    for seed in [0x5eed, 0, 42, u64::MAX] {
        let mut counts = FaultCounts::default();
        for i in 0..N {
            counts.add(fault_for(&f, seed, i));
        }
        let expected = [
            (counts.error, 0.1),
            (counts.reset, 0.2),
            (counts.stall, 0.05),
            (counts.truncate, 0.05),
            (counts.ok, 0.6),
        ];
        for (observed, p) in expected {
            let mean = N as f64 * p;
            let standard_error = (N as f64 * p * (1.0 - p)).sqrt();
            assert!(
                (observed as f64 - mean).abs() < 4.0 * standard_error,
                "seed {seed:#x}: {observed} where {mean} ± {standard_error:.0} expected ({counts:?})"
            );
        }
    }
}

#[test]
fn fault_draws_are_independent_of_the_jitter_draws() {
    // Same seed for both streams: if the fault draw reused the jitter's, the requests with a
    // delay below the latency would be exactly those with an error (u < 0.5 in both).
    const N: u64 = 20_000;
    let (latency, jitter, seed) = (20 * MS, 10 * MS, 7);
    let f = faults(0.5, 0.0, 0.0, 0.0);
    let (mut short, mut short_errors, mut long_errors) = (0u64, 0u64, 0u64);
    for i in 0..N {
        let error = fault_for(&f, seed, i) == Some(FaultKind::Error);
        if response_delay(latency, jitter, seed, i) < latency {
            short += 1;
            short_errors += u64::from(error);
        } else {
            long_errors += u64::from(error);
        }
    }
    let long = N - short;
    for (errors, of) in [(short_errors, short), (long_errors, long)] {
        let rate = errors as f64 / of as f64;
        let standard_error = (0.25 / of as f64).sqrt();
        assert!(
            (rate - 0.5).abs() < 4.0 * standard_error,
            "{errors} errors among {of} requests: the streams are correlated"
        );
    }
}

/// 200 sequential requests, each kind of fault among them, checked one by one.
#[test]
fn clients_see_exactly_the_predicted_faults_and_the_server_counts_them() {
    const REQUESTS: u64 = 200;
    let config = ServerConfig {
        latency: Duration::ZERO,
        recycle_every: 3, // recycles among the faults must not disturb them
        seed: 11,
        faults: Faults {
            stall: Duration::from_secs(2),
            ..faults(0.1, 0.1, 0.03, 0.0)
        },
        ..ServerConfig::default()
    };
    let predicted = predicted_counts(&config, REQUESTS);
    // Otherwise this seed would not test every kind.
    assert!(
        predicted.error >= 10 && predicted.reset >= 10 && predicted.stall >= 3,
        "{predicted:?}"
    );
    let site = MockSite::start_blocking(config.clone()).unwrap();
    let client = util::blocking_client(300 * MS);
    let bodies = Page::ALL.map(|p| page_body(p, config.body_len(p)));
    let mut observed = FaultCounts::default();
    for index in 0..REQUESTS {
        let which = (index % 2) as usize;
        let outcome = util::classify(&client, &site.url(Page::ALL[which]), &bodies[which])
            .unwrap_or_else(|e| panic!("request {index}: {e}"));
        assert_eq!(outcome, config.fault_for(index), "request {index}");
        observed.add(outcome);
    }
    assert_eq!(observed, predicted);
    assert_eq!(site.fault_counts(), predicted);
    // One index per request sent: neither reqwest nor hyper retried a reset (a retry would
    // have taken an extra index and shifted every later prediction).
    assert_eq!(site.requests_served(), REQUESTS);
    assert_eq!(site.decision_misses(), 0);
    assert_eq!(site.recycle_faults(), 0);
    assert!(site.recycles() > 0);
}

/// Concurrent clients and a recycle after every request: the decision made by the matcher
/// must reach the responder of the same request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_faulted_requests_are_counted_exactly() {
    const REQUESTS: u64 = 2_000;
    let config = ServerConfig {
        latency: Duration::ZERO,
        recycle_every: 1,
        seed: 3,
        faults: faults(0.15, 0.15, 0.0, 0.0),
        ..ServerConfig::default()
    };
    let site = MockSite::start(config.clone()).await.unwrap();
    let urls = Arc::new(Page::ALL.map(|p| site.url(p)));
    let bodies = Arc::new(Page::ALL.map(|p| page_body(p, config.body_len(p))));
    let next = Arc::new(AtomicU64::new(0));
    let observed = Arc::new(Mutex::new(FaultCounts::default()));
    let client = util::client();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (client, urls, bodies) = (client.clone(), urls.clone(), bodies.clone());
        let (next, observed) = (next.clone(), observed.clone());
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Relaxed);
                if i >= REQUESTS {
                    return;
                }
                let which = (i % 2) as usize;
                let outcome = match client.get(&urls[which]).send().await {
                    Err(e) => {
                        let text = util::chain(&e);
                        assert!(
                            text.contains("connection closed before message completed"),
                            "{text}"
                        );
                        Some(FaultKind::Reset)
                    }
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let body = response.bytes().await.expect("reading a body");
                        match status {
                            200 => {
                                assert!(body[..] == bodies[which][..], "page body differs");
                                None
                            }
                            500 => {
                                assert_eq!(body, mock_server::ERROR_BODY.as_bytes());
                                Some(FaultKind::Error)
                            }
                            other => panic!("status {other}"),
                        }
                    }
                };
                observed.lock().unwrap().add(outcome);
            }
        });
    }
    while let Some(joined) = workers.join_next().await {
        joined.expect("a client worker panicked");
    }
    let observed = *observed.lock().unwrap();
    // Requests interleave, so which index each got is unknown; the totals are not.
    let predicted = predicted_counts(&config, REQUESTS);
    assert_eq!(observed, predicted);
    assert_eq!(site.fault_counts(), predicted);
    assert_eq!(site.requests_served(), REQUESTS);
    assert_eq!(site.decision_misses(), 0);
    assert_eq!(site.recycle_faults(), 0);
    assert!(site.recycles() >= REQUESTS / 2, "{}", site.recycles());
}

#[test]
fn stats_are_served_as_json_never_faulted_and_not_counted() {
    let config = ServerConfig {
        latency: Duration::ZERO,
        faults: faults(0.0, 1.0, 0.0, 0.0), // every page request is reset
        ..ServerConfig::default()
    };
    let site = MockSite::start_blocking(config).unwrap();
    let client = util::blocking_client(Duration::from_secs(10));
    let stats = |client: &reqwest::blocking::Client| {
        let response = client
            .get(format!("{}{STATS_PATH}", site.base_url()))
            .send();
        let response = response.expect("/__stats must never be faulted");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        response.text().unwrap()
    };
    assert_eq!(stats(&client), FaultCounts::default().to_json());
    for _ in 0..3 {
        let outcome = util::classify(&client, &site.url(Page::Dice), b"");
        assert_eq!(outcome, Ok(Some(FaultKind::Reset)));
    }
    let not_found = client.get(format!("{}/nope", site.base_url())).send();
    assert_eq!(not_found.unwrap().status(), 404);
    let expected = FaultCounts {
        reset: 3,
        ..FaultCounts::default()
    };
    assert_eq!(stats(&client), expected.to_json());
    assert_eq!(site.fault_counts(), expected);
    assert_eq!(site.requests_served(), 3);
}

#[test]
fn without_faults_every_page_request_counts_as_ok() {
    let config = ServerConfig {
        latency: Duration::ZERO,
        ..ServerConfig::default()
    };
    assert!(config.faults.is_none());
    let site = MockSite::start_blocking(config.clone()).unwrap();
    let client = util::blocking_client(Duration::from_secs(10));
    for page in Page::ALL {
        let body = page_body(page, config.body_len(page));
        assert_eq!(util::classify(&client, &site.url(page), &body), Ok(None));
    }
    let expected = FaultCounts {
        ok: 2,
        ..FaultCounts::default()
    };
    assert_eq!(site.fault_counts(), expected);
}

/// Sends a GET on a raw socket; returns the bytes received and whether the server closed the
/// connection (end of file) rather than leaving it open past `wait`.
fn raw_get(addr: SocketAddr, path: &str, wait: Duration) -> (Vec<u8>, bool) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(wait)).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut received = Vec::new();
    let mut buffer = [0u8; 8192];
    let closed = loop {
        match stream.read(&mut buffer) {
            Ok(0) => break true,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::ConnectionReset) => break true,
            Err(_) => break false, // timed out: still open
        }
    };
    (received, closed)
}

#[test]
fn a_reset_closes_the_connection_without_a_byte_and_an_error_is_a_500() {
    let config = ServerConfig {
        latency: Duration::ZERO,
        faults: faults(0.5, 0.5, 0.0, 0.0),
        ..ServerConfig::default()
    };
    let site = MockSite::start_blocking(config.clone()).unwrap();
    for index in 0..6 {
        let started = Instant::now();
        let (bytes, closed) = raw_get(site.address(), "/dice", Duration::from_secs(2));
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(40)]).into_owned();
        match config.fault_for(index) {
            Some(FaultKind::Reset) => {
                assert!(bytes.is_empty() && closed, "request {index}: {head:?}");
                assert!(started.elapsed() < Duration::from_secs(1));
            }
            Some(FaultKind::Error) => {
                assert!(
                    head.starts_with("HTTP/1.1 500 "),
                    "request {index}: {head:?}"
                );
            }
            other => panic!("rates sum to 1, yet {other:?}"),
        }
    }
}

/// Why there is no truncation: hyper will not send a `Content-Length` that disagrees with a
/// body whose length it knows, and wiremock's bodies always have a known length (`Full`).
/// Debug builds of hyper assert it (the connection task panics before writing anything);
/// release builds write the header as given and send the short body, but that relies on an
/// unchecked assumption hyper documents it may assert, so the site refuses the configuration.
#[tokio::test]
async fn truncation_cannot_be_expressed_through_wiremock() {
    use wiremock::{matchers::path, Mock, MockServer, ResponseTemplate};
    let server = MockServer::builder().start().await;
    let short = ResponseTemplate::new(200)
        .set_body_raw(vec![b'x'; 100], "text/plain")
        .insert_header("content-length", "1000")
        .insert_header("connection", "close");
    Mock::given(path("/short"))
        .respond_with(short)
        .mount(&server)
        .await;
    let addr = *server.address();
    let (bytes, closed) =
        tokio::task::spawn_blocking(move || raw_get(addr, "/short", Duration::from_secs(5)))
            .await
            .unwrap();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    assert!(closed, "{text:?}");
    if cfg!(debug_assertions) {
        // "payload claims content-length of 100, custom content-length header claims 1000"
        assert!(bytes.is_empty(), "{text:?}");
    } else {
        assert!(text.contains("content-length: 1000\r\n"), "{text:?}");
        assert!(text.ends_with(&"x".repeat(100)), "{text:?}");
    }

    let config = ServerConfig {
        faults: faults(0.0, 0.0, 0.0, 0.01),
        ..ServerConfig::default()
    };
    match MockSite::start(config).await {
        Err(StartError::Config(e)) => assert_eq!(e.field, "faults", "{e}"),
        other => panic!("truncation accepted: {other:?}"),
    }
}
