//! Under injected faults every strategy finishes in bounded time and every failure is counted:
//! what the clients count equals what the server injected, kind by kind.

use std::path::Path;
use std::time::{Duration, Instant};

use concurrency_bench::config::Config;
use concurrency_bench::matrix::IoMatrix;
use concurrency_bench::strategy::Strategy;
use concurrency_bench::timeline::Probe;
use std::cell::RefCell;

use concurrency_bench::workload::faults::{FailureTally, FaultLedger, FAULT_KINDS};
use concurrency_bench::workload::io::{BlockingClient, BlockingClientKind, IoWorkload};
use mock_server::{page_body, FaultCounts, FaultKind, Faults, MockSite, ServerConfig};

use crate::util::{self, WORKER};

fn faulty(sites: &str, faults: &str, timeout_ms: &str) -> Config {
    util::config(&[
        ("CB_SITES", sites),
        ("CB_LATENCY_MS", "2"),
        ("CB_WORKERS", "4"),
        ("CB_PROCESSES", "2"),
        ("CB_TIMEOUT_MS", timeout_ms),
        ("CB_FAULTS", faults),
    ])
}

#[test]
fn every_strategy_counts_exactly_the_faults_the_server_injected() {
    // The timeout must separate stalls (60 s) from answers slowed by a busy machine: a 500 that
    // arrives after the timeout is counted as a timeout, not a status failure.
    let timeout = Duration::from_millis(1500);
    let config = faulty("40", "error:0.1,reset:0.1,stall:0.05", "1500");
    let matrix = IoMatrix::new(&config, Path::new(WORKER)).unwrap();
    let workload = matrix.workload();
    for strategy in Strategy::IO {
        let before = matrix.server().fault_counts().unwrap().unwrap();
        let mut tally = FailureTally::default();
        let start = Instant::now();
        let bytes = matrix
            .run_counted(strategy, &workload, &Probe::OFF, &mut tally)
            .unwrap_or_else(|error| panic!("{error}"));
        let elapsed = start.elapsed();
        let after = matrix.server().fault_counts().unwrap().unwrap();
        let name = strategy.name();
        let injected = after.since(&before);
        tally
            .matches_injected(&injected)
            .unwrap_or_else(|mismatch| panic!("{name}: {mismatch}"));
        assert!(
            tally.total_failed() > 0,
            "{name}: no faults drawn in 40 requests"
        );
        println!(
            "{name:<26} injected error {:>2} reset {:>2} stall {:>2} | counted status {:>2} connection {:>2} timeout {:>2} | {elapsed:>9.1?}",
            injected.error,
            injected.reset,
            injected.stall,
            tally.count("status"),
            tally.count("connection"),
            tally.count("timeout"),
        );
        assert_eq!(
            injected.ok + tally.total_failed(),
            40,
            "{name}: every download accounted for"
        );
        assert!(bytes > 0);
        // Bounded: a stall costs at most the timeout, never the server's 60 s; the rest of the
        // run is milliseconds. Generous: the machine may be busy.
        let bound = timeout * (tally.count("timeout") as u32) + Duration::from_secs(10);
        assert!(
            elapsed < bound,
            "{name}: {elapsed:?} under faults, bound {bound:?}"
        );
    }
}

#[test]
fn without_cb_faults_a_failure_fails_the_run() {
    // A server with faults but a configuration that does not expect them: the matrix would
    // never build one, so ask it to run against a faulty child server it did not configure.
    let config = faulty("20", "none", "250");
    let expecting = faulty("20", "error:0.5", "250");
    let exe = Path::new(util::MOCK_SERVER);
    let child = concurrency_bench::server::ChildServer::start(
        exe,
        &concurrency_bench::server::server_config(&expecting),
    )
    .unwrap();
    let matrix = IoMatrix::with_server(
        &config,
        Path::new(WORKER),
        concurrency_bench::server::Server::Child(child),
    )
    .unwrap();
    let workload = matrix.workload();
    let mut tally = FailureTally::default();
    let error = matrix
        .run_counted(Strategy::Sequential, &workload, &Probe::OFF, &mut tally)
        .unwrap_err()
        .to_string();
    assert!(error.contains("downloads failed"), "{error}");
    assert!(tally.count("status") > 0, "the failures were still counted");
    let counts = matrix.server().fault_counts().unwrap().unwrap();
    assert_eq!(counts.error, tally.count("status"));
}

#[test]
fn faults_need_the_embedded_server() {
    let mut config = faulty("10", "error:0.1", "1000");
    config.target_url = Some("http://127.0.0.1:9".to_owned());
    let error = IoMatrix::new(&config, Path::new(WORKER))
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("CB_FAULTS=error:0.1 needs the embedded server"),
        "{error}"
    );
}

#[test]
fn a_failure_the_server_did_not_inject_stops_the_measurement_with_both_counts() {
    // Every request outlasts the client's timeout: four timeouts, while the server (stalls
    // enabled, so a timeout is a kind CB_FAULTS can cause) injects at most a few stalls.
    let config = util::config(&[
        ("CB_SITES", "4"),
        ("CB_LATENCY_MS", "400"),
        ("CB_TIMEOUT_MS", "50"),
        ("CB_FAULTS", "stall:0.01"),
    ]);
    let matrix = IoMatrix::new(&config, Path::new(WORKER)).unwrap();
    let workload = matrix.workload();
    let ledger = RefCell::new(FaultLedger::default());
    let mut measure = matrix.measure_counted(Strategy::Sequential, &workload, None, &ledger);
    let error = measure(1).unwrap_err();
    assert_eq!(error.exit_code(), 1, "a failed run");
    let error = error.to_string();
    assert!(
        error.contains("io/download / sequential: the clients' failures do not match"),
        "{error}"
    );
    assert!(
        error.contains("4 downloads with 4 failed (status 0, connection 0, timeout 4)"),
        "{error}"
    );
    assert!(error.contains("4 page requests with 0 faulted"), "{error}");
}

/// The kind of client failure `FAULT_KINDS` says `fault` produces.
fn client_kind_of(fault: FaultKind) -> &'static str {
    FAULT_KINDS
        .iter()
        .find(|(kind, _)| *kind == fault)
        .map(|(_, client_kind)| *client_kind)
        .unwrap_or_else(|| panic!("{fault:?} is not a fault the server injects"))
}

/// Request by request, against the server's own prediction: a 500 is a `status` failure, a
/// connection closed without a response a `connection` failure, a stall a `timeout` — with
/// either blocking client. And one server index per download: neither client retried a reset
/// (a retry would take an extra index, and shift every later prediction) or anything else.
#[test]
fn each_injected_fault_is_one_failure_of_its_kind_with_either_blocking_client() {
    const REQUESTS: u64 = 60;
    let config = ServerConfig {
        latency: Duration::ZERO,
        seed: 11,
        faults: Faults {
            error_rate: 0.15,
            reset_rate: 0.15,
            stall_rate: 0.05,
            // Far past the client's timeout, so a stall can only end in a timeout.
            stall: Duration::from_secs(30),
            ..Faults::none()
        },
        ..ServerConfig::default()
    };
    let mut predicted = FaultCounts::default();
    for index in 0..REQUESTS {
        predicted.add(config.fault_for(index));
    }
    // Otherwise this seed would not test every kind.
    assert!(
        predicted.error >= 2 && predicted.reset >= 2 && predicted.stall >= 1,
        "{predicted:?}"
    );
    // The timeout separates stalls (30 s) from answers a busy machine slowed down.
    let timeout = Duration::from_millis(1500);
    for kind in BlockingClientKind::ALL {
        let site = MockSite::start_blocking(config.clone()).unwrap();
        let body = |page| page_body(page, config.body_len(page)).into();
        let workload = IoWorkload::new(site.base_url(), REQUESTS as usize, Some(&body));
        let client = BlockingClient::new(kind, timeout, 1).unwrap();
        for (index, job) in workload.jobs.iter().enumerate() {
            let outcome = job.fetch_blocking(&client);
            let name = kind.name();
            match config.fault_for(index as u64) {
                None => assert_eq!(
                    outcome,
                    Ok(config.body_len(job.page)),
                    "{name}: request {index}"
                ),
                Some(fault) => {
                    let error = outcome.expect_err("a fault must fail the download");
                    assert_eq!(
                        error.kind(),
                        client_kind_of(fault),
                        "{name}: request {index} ({fault:?}): {error}"
                    );
                }
            }
        }
        assert_eq!(site.fault_counts(), predicted, "{}", kind.name());
        assert_eq!(site.requests_served(), REQUESTS, "{}", kind.name());
    }
}
