//! Jitter: delays spread over latency ± jitter, repeat with the seed, and the server uses them.

use std::time::Duration;

use mock_server::{response_delay, MockSite, Page, ServerConfig};

use crate::util;

const MS: Duration = Duration::from_millis(1);

#[test]
fn delays_are_uniform_within_latency_plus_or_minus_jitter() {
    let (latency, jitter) = (20 * MS, 8 * MS);
    let delays: Vec<Duration> = (0..20_000)
        .map(|i| response_delay(latency, jitter, 7, i))
        .collect();
    let (min, max) = (*delays.iter().min().unwrap(), *delays.iter().max().unwrap());
    assert!(
        min >= latency - jitter && max <= latency + jitter,
        "{min:?}..{max:?}"
    );
    // Uniform over 16 ms: 20 000 draws come within 0.1 ms of both ends.
    assert!(min < latency - jitter + MS / 10, "min {min:?}");
    assert!(max > latency + jitter - MS / 10, "max {max:?}");
    let mean = delays.iter().sum::<Duration>() / delays.len() as u32;
    let off = mean.abs_diff(latency);
    assert!(off < MS / 5, "mean {mean:?}");
    let below = delays.iter().filter(|d| **d < latency).count();
    assert!(
        (9_500..10_500).contains(&below),
        "{below} of 20000 below the latency"
    );
}

#[test]
fn delays_are_clamped_at_zero() {
    let (latency, jitter) = (5 * MS, 10 * MS);
    let delays: Vec<Duration> = (0..20_000)
        .map(|i| response_delay(latency, jitter, 1, i))
        .collect();
    assert!(delays.iter().all(|d| *d <= 15 * MS));
    // P(latency - jitter + U(0, 2 jitter) <= 0) = 5 / 20.
    let zeros = delays.iter().filter(|d| d.is_zero()).count();
    assert!((4_500..5_500).contains(&zeros), "{zeros} zeros of 20000");
}

#[test]
fn same_seed_same_sequence_other_seed_other_sequence() {
    let sequence = |seed| -> Vec<Duration> {
        (0..1_000)
            .map(|i| response_delay(30 * MS, 10 * MS, seed, i))
            .collect()
    };
    assert_eq!(sequence(0x5eed), sequence(0x5eed));
    let (a, b) = (sequence(0x5eed), sequence(0x5eee));
    let same = a.iter().zip(&b).filter(|(x, y)| x == y).count();
    assert!(same < 10, "{same} of 1000 delays equal across seeds");
}

/// Sends `n` sequential requests and returns how long each took.
async fn timed_requests(site: &MockSite, n: usize) -> Vec<Duration> {
    let client = util::client();
    let mut took = Vec::new();
    for i in 0..n {
        let (status, _, t) = util::get(&client, &site.url(Page::ALL[i % 2])).await;
        assert_eq!(status, 200);
        took.push(t);
    }
    took
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_with_the_same_seed_follow_the_same_delays() {
    const N: usize = 6;
    let config = ServerConfig {
        latency: 400 * MS,
        jitter: 400 * MS,
        seed: 42,
        ..ServerConfig::default()
    };
    let expected: Vec<Duration> = (0..N as u64).map(|i| config.delay_for(i)).collect();
    let spread = *expected.iter().max().unwrap() - *expected.iter().min().unwrap();
    // Otherwise the timing check below could not tell this sequence from another.
    assert!(
        spread >= 400 * MS,
        "seed 42 gives too narrow a sequence: {expected:?}"
    );

    let a = MockSite::start(config.clone()).await.unwrap();
    let b = MockSite::start(config).await.unwrap();
    let (took_a, took_b) = tokio::join!(timed_requests(&a, N), timed_requests(&b, N));
    for (name, site, took) in [("a", &a, took_a), ("b", &b, took_b)] {
        let correction = site.delay_correction();
        for (i, (t, e)) in took.iter().zip(&expected).enumerate() {
            // Lower bound exact (tokio never ends a timer early, and the server sets it
            // `correction` short); the upper one leaves 250 ms for a busy machine.
            assert!(
                *t + correction >= *e && *t < *e + 250 * MS,
                "server {name}, request {i}: took {t:?}, delay {e:?}, correction {correction:?}"
            );
        }
    }
}
