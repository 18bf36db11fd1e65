//! The `mock-server` binary: URL on the first line, serving, faults, statistics, signals, and
//! argument errors.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mock_server::{fault_for, page_body, FaultCounts, FaultKind, Faults, Page};

use crate::util;

const BIN: &str = env!("CARGO_BIN_EXE_mock-server");
const TIMEOUT: Duration = Duration::from_secs(20);

/// Kills the child when dropped, so a failing test leaves no server behind.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl ChildGuard {
    fn spawn(args: &[&str]) -> ChildGuard {
        let child = Command::new(BIN)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning mock-server");
        ChildGuard(child)
    }

    /// Waits for the exit, killing the child (and failing) after `TIMEOUT`.
    fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "mock-server did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.0.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name} failed");
    }

    fn stderr(&mut self) -> String {
        let mut text = String::new();
        self.0
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    }
}

/// Reads the first line of stdout within `TIMEOUT`; returns it and the rest of the pipe.
fn first_line(stdout: ChildStdout) -> (String, BufReader<ChildStdout>) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let _ = tx.send((line, reader));
    });
    rx.recv_timeout(TIMEOUT)
        .expect("no first line on stdout in time")
}

fn get(url: &str) -> (u16, Vec<u8>) {
    let client = reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(TIMEOUT)
        .build()
        .unwrap();
    let response = client.get(url).send().unwrap();
    let status = response.status().as_u16();
    (status, response.bytes().unwrap().to_vec())
}

/// Runs the binary to completion and returns (exit code, stdout, stderr).
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let mut child = ChildGuard::spawn(args);
    let status = child.wait();
    let mut stdout = String::new();
    child
        .0
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    (status.code(), stdout, child.stderr())
}

fn serves_then_stops_on(signal: &str) {
    let mut child = ChildGuard::spawn(&["--latency-ms", "1.5", "--dice-bytes", "1234"]);
    let (line, _rest) = first_line(child.0.stdout.take().unwrap());
    let url = line.trim_end();
    let port: u16 = url
        .strip_prefix("http://127.0.0.1:")
        .unwrap_or_else(|| panic!("first line is not a loopback URL: {line:?}"))
        .parse()
        .unwrap();
    assert_ne!(port, 0);

    let (status, body) = get(&format!("{url}/dice"));
    assert_eq!(status, 200);
    assert_eq!(body, page_body(Page::Dice, 1234));
    let (status, body) = get(&format!("{url}/jython"));
    assert_eq!((status, body.len()), (200, 50_000));
    assert_eq!(get(&format!("{url}/elsewhere")).0, 404);

    child.signal(signal);
    let status = child.wait();
    assert_eq!(status.code(), Some(0), "exit after {signal}: {status:?}");
    let stderr = child.stderr();
    let first = stderr.lines().next().unwrap_or("");
    // The correction is printed so that users of curl or Python know of it; at most 1 ms.
    let correction = first
        .split("timers shortened by ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("no delay correction on the start-up line: {stderr}"));
    assert!(
        correction.ends_with('s'),
        "{correction:?} is not a duration"
    );
    let last = stderr.lines().last().unwrap_or("");
    let counts = FaultCounts {
        ok: 2,
        ..FaultCounts::default()
    };
    assert!(
        last.contains(&format!(
            "SIG{signal}: stopping after 2 page requests: {}",
            counts.to_json()
        )),
        "{stderr}"
    );
}

#[test]
fn prints_url_serves_pages_and_exits_0_on_sigterm() {
    serves_then_stops_on("TERM");
}

#[test]
fn exits_0_on_sigint() {
    serves_then_stops_on("INT");
}

#[test]
fn listens_on_the_requested_port_and_a_busy_port_fails_in_one_line() {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let port_arg = port.to_string();
    let mut first = ChildGuard::spawn(&["--port", &port_arg]);
    let (line, _rest) = first_line(first.0.stdout.take().unwrap());
    assert_eq!(line.trim_end(), format!("http://127.0.0.1:{port}"));

    let (code, stdout, stderr) = run(&["--port", &port_arg]);
    assert_eq!(code, Some(1), "stderr: {stderr}");
    assert_eq!(stdout, "");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(&port_arg), "{stderr}");
}

#[test]
fn non_loopback_bind_needs_allow_remote() {
    for addr in ["0.0.0.0", "::", "192.0.2.1"] {
        let (code, stdout, stderr) = run(&["--bind", addr]);
        assert_eq!(code, Some(2), "--bind {addr}: {stderr}");
        assert_eq!(stdout, "");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("--allow-remote") && stderr.contains(addr),
            "{stderr}"
        );
    }
}

#[test]
fn loopback_bind_is_accepted() {
    let mut child = ChildGuard::spawn(&["--bind", "127.0.0.1", "--latency-ms", "0"]);
    let (line, _rest) = first_line(child.0.stdout.take().unwrap());
    assert!(line.starts_with("http://127.0.0.1:"), "{line}");
    assert_eq!(get(&format!("{}/dice", line.trim_end())).0, 200);
}

#[test]
fn bad_values_exit_2_with_one_line_naming_the_flag() {
    let cases: &[&[&str]] = &[
        &["--latency-ms", "abc"],
        &["--latency-ms", "-1"],
        &["--latency-ms=-0.5"],
        &["--latency-ms", "NaN"],
        &["--latency-ms", "inf"],
        &["--latency-ms", "60001"],
        &["--jitter-ms", "-3"],
        &["--jitter-ms", "1e400"],
        &["--jython-bytes", "0"],
        &["--jython-bytes", "4194305"],
        &["--dice-bytes", "99999999999999999999999"],
        &["--dice-bytes", "1.5"],
        &["--port", "70000"],
        &["--port", "-1"],
        &["--seed", "x"],
        &["--seed", "-4"],
        &["--recycle-every", "-3"],
        &["--bind", "not-an-address"],
        &["--port"],
        &["--frobnicate"],
    ];
    for args in cases {
        let (code, stdout, stderr) = run(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert_eq!(stdout, "", "{args:?}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        let flag = args[0].split('=').next().unwrap();
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn help_documents_every_flag() {
    let (code, stdout, _) = run(&["--help"]);
    assert_eq!(code, Some(0));
    for flag in [
        "--port",
        "--latency-ms",
        "--jitter-ms",
        "--jython-bytes",
        "--dice-bytes",
        "--seed",
        "--recycle-every",
        "--bind",
        "--allow-remote",
        "--error-rate",
        "--reset-rate",
        "--stall-rate",
        "--truncate-rate",
        "--stall-ms",
        "--faults",
        "/__stats",
        "SIGTERM",
    ] {
        assert!(stdout.contains(flag), "--help does not mention {flag}");
    }
    assert!(stdout.contains(&mock_server::MAX_BODY_BYTES.to_string()));
}

/// Runs the binary with `args` (which must select `faults` and `seed`, no latency and default
/// page sizes), sends `requests` sequential page requests and checks each against
/// `fault_for`, then `/__stats`, then the counts in the exit line after SIGTERM.
fn faulted_run(args: &[&str], faults: Faults, seed: u64, requests: u64) -> FaultCounts {
    let mut child = ChildGuard::spawn(args);
    let (line, _rest) = first_line(child.0.stdout.take().unwrap());
    let url = line.trim_end();
    let client = util::blocking_client(Duration::from_millis(300));
    let bodies = [
        page_body(Page::Jython, 50_000),
        page_body(Page::Dice, 2_000),
    ];
    let mut observed = FaultCounts::default();
    for index in 0..requests {
        let which = (index % 2) as usize;
        let page_url = format!("{url}{}", Page::ALL[which].path());
        let outcome = util::classify(&client, &page_url, &bodies[which])
            .unwrap_or_else(|e| panic!("{args:?}, request {index}: {e}"));
        assert_eq!(
            outcome,
            fault_for(&faults, seed, index),
            "{args:?}, request {index}"
        );
        observed.add(outcome);
    }
    let (status, stats) = get(&format!("{url}/__stats"));
    assert_eq!(status, 200);
    assert_eq!(String::from_utf8(stats).unwrap(), observed.to_json());

    child.signal("TERM");
    let status = child.wait();
    assert_eq!(status.code(), Some(0), "{status:?}");
    let stderr = child.stderr();
    let last = stderr.lines().last().unwrap_or("");
    let expected = format!(
        "stopping after {requests} page requests: {}",
        observed.to_json()
    );
    assert!(last.contains(&expected), "{stderr}");
    observed
}

#[test]
fn rate_flags_inject_the_predicted_faults_and_report_them() {
    let args = [
        "--latency-ms",
        "0",
        "--seed",
        "5",
        "--error-rate",
        "0.2",
        "--reset-rate",
        "0.2",
        "--stall-rate",
        "0.05",
        "--stall-ms",
        "1500",
    ];
    let faults = Faults {
        error_rate: 0.2,
        reset_rate: 0.2,
        stall_rate: 0.05,
        stall: Duration::from_millis(1500),
        ..Faults::none()
    };
    let counts = faulted_run(&args, faults, 5, 60);
    for kind in [FaultKind::Error, FaultKind::Reset, FaultKind::Stall] {
        assert!(counts.get(kind) > 0, "seed 5 gives no {kind}: {counts:?}");
    }
    assert!(counts.ok > 0);
}

#[test]
fn faults_spec_is_an_alternative_to_the_rate_flags() {
    let args = [
        "--latency-ms",
        "0",
        "--seed",
        "9",
        "--faults",
        "reset:0.2, error:0.3",
    ];
    let faults = Faults::parse("error:0.3,reset:0.2").unwrap();
    let counts = faulted_run(&args, faults, 9, 40);
    assert!(
        counts.error > 0 && counts.reset > 0 && counts.ok > 0,
        "{counts:?}"
    );
}

#[test]
fn bad_fault_values_exit_2_with_one_line_naming_flag_and_problem() {
    let cases: &[(&[&str], &[&str])] = &[
        (&["--error-rate", "1.5"], &["--error-rate", "1.5", "0 to 1"]),
        (
            &["--reset-rate", "-0.1"],
            &["--reset-rate", "-0.1", "0 to 1"],
        ),
        (&["--stall-rate", "NaN"], &["--stall-rate", "NaN"]),
        (&["--error-rate", "x"], &["--error-rate", "not a number"]),
        (
            &[
                "--error-rate",
                "0.6",
                "--reset-rate",
                "0.3",
                "--stall-rate",
                "0.2",
            ],
            &["--error-rate", "--reset-rate", "--stall-rate", "sum to 1.1"],
        ),
        (
            &["--truncate-rate", "0.01"],
            &["--truncate-rate", "not supported"],
        ),
        (&["--stall-ms", "0"], &["--stall-ms"]),
        (&["--stall-ms", "-5"], &["--stall-ms"]),
        (&["--stall-ms", "3600001"], &["--stall-ms"]),
        (
            &["--faults", "error:0.1,bogus:0.2"],
            &["--faults", "unknown fault kind `bogus`"],
        ),
        (&["--faults", "error:1.5"], &["--faults", "rate 1.5"]),
        (&["--faults", "stall:NaN"], &["--faults", "rate NaN"]),
        (
            &["--faults", "error:0.6,stall:0.6"],
            &["--faults", "sum to 1.2"],
        ),
        (&["--faults", "error:0.1,error:0.2"], &["--faults", "twice"]),
        (
            &["--faults", "truncate:0.1"],
            &["--faults", "not supported"],
        ),
        (
            &["--faults", "error:0.1", "--reset-rate", "0.1"],
            &["--faults", "--reset-rate", "cannot be used with"],
        ),
    ];
    for (args, expected) in cases {
        let (code, stdout, stderr) = run(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert_eq!(stdout, "", "{args:?}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        for part in *expected {
            assert!(stderr.contains(part), "{args:?}: {part:?} not in {stderr}");
        }
    }
}
