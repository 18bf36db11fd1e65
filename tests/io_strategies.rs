//! Every I/O strategy downloads every page, exactly, in order, from the embedded server and from
//! a server it did not start.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use concurrency_bench::config::Config;
use concurrency_bench::matrix::{IoMatrix, BLOCKING_STRATEGIES};
use concurrency_bench::server::{server_config, ChildServer, Server};
use concurrency_bench::strategy::Strategy;
use concurrency_bench::timeline::{Probe, Timeline};
use concurrency_bench::workload::io::{BlockingClientKind, Expect, Page};
use mock_server::{MockSite, ServerConfig};

use crate::util::WORKER;

use crate::util;
use crate::util::config;

fn small() -> Config {
    config(&[
        ("CB_SITES", "24"),
        ("CB_LATENCY_MS", "5"),
        ("CB_WORKERS", "3"),
        ("CB_PROCESSES", "2"),
    ])
}

#[test]
fn every_strategy_downloads_every_page_exactly_and_in_order() {
    let config = small();
    let matrix = IoMatrix::new(&config, Path::new(WORKER)).unwrap();
    let workload = matrix.workload();
    assert_eq!(workload.jobs.len(), 24);
    let settings = matrix.server().settings().expect("an embedded server");
    assert_eq!(matrix.server().placement(), "in-process");
    let lengths = [
        settings.body_len(Page::Jython),
        settings.body_len(Page::Dice),
    ];
    let expected_total: u64 = (0..24).map(|i| lengths[i % 2] as u64).sum();
    for strategy in Strategy::IO {
        let outcomes = matrix.run(strategy, &workload, &Probe::OFF).unwrap();
        let bytes: Vec<usize> = outcomes
            .iter()
            .map(|outcome| {
                *outcome
                    .as_ref()
                    .unwrap_or_else(|e| panic!("{}: {e}", strategy.name()))
            })
            .collect();
        let want: Vec<usize> = (0..24).map(|i| lengths[i % 2]).collect();
        assert_eq!(bytes, want, "{}", strategy.name());
        assert_eq!(
            matrix
                .run_verified(strategy, &workload, &Probe::OFF)
                .unwrap(),
            expected_total,
            "{}",
            strategy.name()
        );
    }
}

#[test]
fn reqwests_blocking_client_can_stand_in_for_ureq_in_threads_and_workers() {
    let config = small();
    let exe = Path::new(util::MOCK_SERVER);
    let server = Server::Child(ChildServer::start(exe, &server_config(&config)).unwrap());
    let matrix = IoMatrix::with_blocking_client(
        &config,
        Path::new(WORKER),
        server,
        BlockingClientKind::ReqwestBlocking,
    )
    .unwrap();
    assert_eq!(
        matrix.blocking_client_kind(),
        BlockingClientKind::ReqwestBlocking
    );
    let workload = matrix.workload();
    // The workers were started with `--blocking-client reqwest_blocking`.
    for strategy in BLOCKING_STRATEGIES
        .into_iter()
        .chain([Strategy::ProcessPool, Strategy::ProcessPoolWarm])
    {
        matrix
            .run_verified(strategy, &workload, &Probe::OFF)
            .unwrap_or_else(|error| panic!("{error}"));
    }
    // A second set of sessions, of the other kind, against the same server.
    let ureq = matrix.blocking_sessions(BlockingClientKind::Ureq).unwrap();
    assert_eq!(ureq.kind(), BlockingClientKind::Ureq);
    for strategy in BLOCKING_STRATEGIES {
        let outcomes = matrix
            .run_blocking(strategy, &ureq, &workload, &Probe::OFF)
            .unwrap();
        workload.verify(&outcomes).unwrap();
    }
    let error = matrix
        .run_blocking(Strategy::AsyncTokio, &ureq, &workload, &Probe::OFF)
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("does not run its downloads with a blocking client"),
        "{error}"
    );
}

#[test]
fn concurrent_strategies_overlap_their_waits() {
    let config = config(&[
        ("CB_SITES", "40"),
        ("CB_LATENCY_MS", "50"),
        ("CB_WORKERS", "4"),
    ]);
    let matrix = IoMatrix::new(&config, Path::new(WORKER)).unwrap();
    let workload = matrix.workload();
    // 40 downloads at 50 ms: 2 s one after another. Overlapped, far less; generous bounds.
    for (strategy, bound_ms) in [
        (Strategy::AsyncTokio, 1000),
        (Strategy::TokioCurrentThread, 1000),
        (Strategy::ThreadPerJob, 1000),
        (Strategy::ThreadPool, 1500),
        (Strategy::TokioBounded, 1500),
    ] {
        let start = Instant::now();
        matrix
            .run_verified(strategy, &workload, &Probe::OFF)
            .unwrap();
        let elapsed = start.elapsed().as_millis();
        assert!(elapsed < bound_ms, "{}: {elapsed} ms", strategy.name());
    }
    let start = Instant::now();
    matrix
        .run_verified(Strategy::Sequential, &workload, &Probe::OFF)
        .unwrap();
    assert!(
        start.elapsed().as_millis() >= 40 * 50,
        "sequential waited less than N·L"
    );
}

#[test]
fn bounded_strategies_never_exceed_their_limit() {
    let config = small();
    let matrix = IoMatrix::new(&config, Path::new(WORKER)).unwrap();
    let workload = matrix.workload();
    for strategy in [
        Strategy::ThreadPool,
        Strategy::TokioBounded,
        Strategy::ProcessPool,
    ] {
        let timeline = Arc::new(Timeline::new());
        matrix
            .run_verified(strategy, &workload, &timeline.probe())
            .unwrap();
        let spans = timeline.spans();
        assert_eq!(spans.len(), workload.jobs.len());
        let limit = if strategy == Strategy::ProcessPool {
            config.processes
        } else {
            config.workers
        };
        assert!(
            spans.iter().all(|span| (span.worker as usize) < limit),
            "{}",
            strategy.name()
        );
        // At any job's start, at most `limit` jobs are running.
        for span in &spans {
            let running = spans
                .iter()
                .filter(|other| other.start_ns <= span.start_ns && span.start_ns < other.end_ns)
                .count();
            assert!(running <= limit, "{}: {running} in flight", strategy.name());
        }
    }
}

#[test]
fn another_server_is_checked_by_content_length() {
    let other = MockSite::start_blocking(ServerConfig {
        latency: std::time::Duration::from_millis(1),
        ..ServerConfig::default()
    })
    .unwrap();
    let config = config(&[
        ("CB_SITES", "6"),
        ("CB_TARGET_URL", other.base_url()),
        ("CB_PROCESSES", "1"),
    ]);
    let matrix = IoMatrix::new(&config, Path::new(WORKER)).unwrap();
    assert_eq!(matrix.server().placement(), "external");
    assert_eq!(matrix.latency_ms(), None);
    let workload = matrix.workload();
    assert!(workload
        .jobs
        .iter()
        .all(|job| job.expect == Expect::ContentLength));
    for strategy in [
        Strategy::Sequential,
        Strategy::AsyncTokio,
        Strategy::ProcessPool,
    ] {
        let bytes = matrix
            .run_verified(strategy, &workload, &Probe::OFF)
            .unwrap();
        assert_eq!(bytes, 3 * (50_000 + 2_000), "{}", strategy.name());
    }
}

#[test]
fn the_server_can_run_in_a_child_process_and_is_stopped_with_the_matrix() {
    let config = small();
    let exe = Path::new(util::MOCK_SERVER);
    let child = ChildServer::start(exe, &server_config(&config)).unwrap();
    let matrix = IoMatrix::with_server(&config, Path::new(WORKER), Server::Child(child)).unwrap();
    assert_eq!(matrix.server().placement(), "child process");
    let url = matrix.base_url().to_owned();
    let workload = matrix.workload();
    assert!(
        matches!(workload.jobs[0].expect, Expect::Body { .. }),
        "bytes are still checked"
    );
    for strategy in [Strategy::AsyncTokio, Strategy::ThreadPool] {
        matrix
            .run_verified(strategy, &workload, &Probe::OFF)
            .unwrap();
    }
    drop(matrix);
    let address = url.trim_start_matches("http://");
    assert!(
        std::net::TcpStream::connect(address).is_err(),
        "the child server still listens at {address}"
    );
}

#[test]
fn a_child_server_dies_with_its_parent_even_without_a_drop() {
    // A benchmark that fails exits at once, running no destructors: the server must still go.
    let exe = Path::new(util::MOCK_SERVER);
    let url = std::thread::spawn(move || {
        let child = ChildServer::start(exe, &server_config(&small())).unwrap();
        let server = Server::Child(child);
        let url = server.base_url().to_owned();
        // Leak it: no drop, no SIGTERM from us. The thread that started it ends here.
        std::mem::forget(server);
        url
    })
    .join()
    .unwrap();
    let address = url.trim_start_matches("http://").to_owned();
    let deadline = Instant::now() + std::time::Duration::from_secs(5);
    while std::net::TcpStream::connect(&address).is_ok() {
        assert!(
            Instant::now() < deadline,
            "the orphaned server still listens at {address}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn an_unreachable_target_is_an_error_naming_it() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let config = config(&[("CB_TARGET_URL", &url), ("CB_PROCESSES", "1")]);
    let error = IoMatrix::new(&config, Path::new(WORKER))
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with(&format!("CB_TARGET_URL={url}")),
        "{error}"
    );
    assert!(!error.contains('\n'), "{error}");
}

#[test]
fn blocking_hop_measures_every_thread_strategy_with_both_clients() {
    use concurrency_bench::extra_benches::blocking_hop::{function_name, HopGroup};
    let base = config(&[
        ("CB_SITES", "6"),
        ("CB_WORKERS", "2"),
        ("CB_PROCESSES", "1"),
    ]);
    let hop = HopGroup::new(&base, 1, Path::new(WORKER)).unwrap();
    assert_eq!(hop.name(), "blocking_hop/L=1ms");
    assert_eq!(hop.downloads(), 6);
    let benchmarks = hop.benchmarks();
    assert_eq!(benchmarks.len(), BLOCKING_STRATEGIES.len() * 2);
    let names: Vec<String> = hop.jobs().into_iter().map(|job| job.name).collect();
    let expected: Vec<String> = benchmarks
        .iter()
        .map(|&(strategy, kind)| function_name(strategy, kind))
        .collect();
    assert_eq!(names, expected);
    assert!(names.contains(&HopGroup::reference()));
    for mut job in hop.jobs() {
        (job.measure)(2).unwrap_or_else(|error| panic!("{}: {error}", job.name));
    }
    let bytes = hop
        .run_verified(
            Strategy::ThreadPool,
            BlockingClientKind::ReqwestBlocking,
            &Probe::OFF,
        )
        .unwrap();
    assert_eq!(bytes, 3 * (50_000 + 2_000));
}
