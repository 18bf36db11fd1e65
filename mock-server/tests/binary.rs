//! The `mock-server` binary: URL on the first line, serving, signals, and argument errors.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mock_server::{page_body, Page};

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
        "SIGTERM",
    ] {
        assert!(stdout.contains(flag), "--help does not mention {flag}");
    }
    assert!(stdout.contains(&mock_server::MAX_BODY_BYTES.to_string()));
}
