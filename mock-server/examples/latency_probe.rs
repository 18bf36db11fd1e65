//! How long does one request to the `mock-server` binary take, for a few latencies?
//!
//! For each latency, starts the binary (another process, as curl or Python would see it), sends
//! `--requests` sequential GETs of `/dice` over one keep-alive connection (after two unmeasured
//! warm-up requests), and prints min / median / p90 / max of the request times, with the delay
//! correction the server printed on its start-up line (`-` if it prints none).
//!
//! ```text
//! cargo build --release -p mock-server --bins --examples && target/release/examples/latency_probe
//! target/release/examples/latency_probe --server path/to/mock-server --latencies 0,1,5 --runs 3
//! ```
//!
//! The client is a bare HTTP/1.1 exchange on a `std::net::TcpStream`, so that the times include
//! as little client overhead as possible: a loopback round trip costs about 0.1–0.2 ms.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;

#[derive(Parser, Debug)]
#[command(about = "Request times of the mock-server binary, seen from another process")]
struct Args {
    /// The server binary; default: `mock-server` beside this example's directory (the same
    /// target profile).
    #[arg(long)]
    server: Option<PathBuf>,
    /// Latencies to probe, in milliseconds, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "0,1,5,20,50")]
    latencies: Vec<f64>,
    /// Measured requests per latency (1 to 100 000).
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    requests: u64,
    /// Times to repeat the whole measurement (1 to 100).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=100))]
    runs: u64,
}

/// A running server, killed when dropped.
struct Server {
    child: Child,
    /// `host:port` to connect to.
    address: String,
    /// The delay correction from the start-up line on stderr, or `-`.
    correction: String,
}

impl Server {
    fn start(binary: &PathBuf, latency_ms: f64) -> Result<Server, String> {
        let mut child = Command::new(binary)
            .args(["--latency-ms", &latency_ms.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
        let first_line = |stream: Box<dyn Read>| {
            let mut line = String::new();
            let _ = BufReader::new(stream).read_line(&mut line);
            line.trim_end().to_owned()
        };
        let url = first_line(Box::new(child.stdout.take().expect("piped stdout")));
        let banner = first_line(Box::new(child.stderr.take().expect("piped stderr")));
        let mut server = Server {
            child,
            address: String::new(),
            correction: "-".to_owned(),
        };
        server.address = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("the server printed {url:?} instead of its URL"))?
            .to_owned();
        // The start-up line says "... timers shortened by 1ms ..." since the correction exists.
        if let Some(rest) = banner.split("shortened by ").nth(1) {
            server.correction = rest.split([' ', ',', ')']).next().unwrap_or("-").to_owned();
        }
        Ok(server)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One GET of `/dice` on a keep-alive connection: returns how long it took until the last
/// byte of the body.
fn get_dice(stream: &mut BufReader<TcpStream>, host: &str) -> Result<Duration, String> {
    let started = Instant::now();
    let request = format!("GET /dice HTTP/1.1\r\nHost: {host}\r\n\r\n");
    stream
        .get_mut()
        .write_all(request.as_bytes())
        .map_err(|e| format!("sending the request: {e}"))?;
    let mut content_length = None;
    let mut status_line = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        match stream.read_line(&mut line) {
            Ok(0) => return Err("the server closed the connection".to_owned()),
            Ok(_) => {}
            Err(e) => return Err(format!("reading the response: {e}")),
        }
        if status_line.is_empty() {
            status_line = line.trim_end().to_owned();
        } else if line == "\r\n" {
            break;
        } else if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value.trim().parse::<usize>().ok();
            }
        }
    }
    if !status_line.starts_with("HTTP/1.1 200") {
        return Err(format!("unexpected status: {status_line}"));
    }
    let length = content_length.ok_or("the response has no Content-Length")?;
    let mut body = vec![0; length];
    stream
        .read_exact(&mut body)
        .map_err(|e| format!("reading the body: {e}"))?;
    Ok(started.elapsed())
}

/// The request times, sorted, of `requests` GETs (after two warm-up ones) on one connection.
fn probe(server: &Server, requests: u64) -> Result<Vec<Duration>, String> {
    let stream = TcpStream::connect(&server.address)
        .map_err(|e| format!("cannot connect to {}: {e}", server.address))?;
    stream
        .set_nodelay(true)
        .map_err(|e| format!("TCP_NODELAY: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| format!("read timeout: {e}"))?;
    let mut stream = BufReader::new(stream);
    for _ in 0..2 {
        get_dice(&mut stream, &server.address)?;
    }
    let mut times = (0..requests)
        .map(|_| get_dice(&mut stream, &server.address))
        .collect::<Result<Vec<_>, _>>()?;
    times.sort();
    Ok(times)
}

/// The `q`-quantile (0 to 1) of sorted `times`, nearest rank.
fn quantile(times: &[Duration], q: f64) -> Duration {
    let rank = (q * times.len() as f64).ceil() as usize;
    times[rank.clamp(1, times.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

fn main() -> ExitCode {
    let args = Args::parse();
    let server = args.server.clone().unwrap_or_else(|| {
        // target/<profile>/examples/latency_probe → target/<profile>/mock-server
        let exe = std::env::current_exe().unwrap_or_default();
        let profile_dir = exe.parent().and_then(|p| p.parent());
        profile_dir
            .unwrap_or(std::path::Path::new("."))
            .join("mock-server")
    });
    if let Some(bad) = args
        .latencies
        .iter()
        .find(|l| !(0.0..=60_000.0).contains(*l))
    {
        eprintln!("error: --latencies: {bad} is not a number of milliseconds from 0 to 60000");
        return ExitCode::from(2);
    }
    for run in 1..=args.runs {
        println!(
            "run {run}: {} sequential GET /dice on one connection, times in ms",
            args.requests
        );
        println!("latency  correction     min  median     p90     max");
        for &latency in &args.latencies {
            let measured = Server::start(&server, latency)
                .and_then(|s| probe(&s, args.requests).map(|times| (s.correction.clone(), times)));
            match measured {
                Ok((correction, times)) => println!(
                    "{latency:>7}  {correction:>10}  {:>6}  {:>6}  {:>6}  {:>6}",
                    ms(times[0]),
                    ms(quantile(&times, 0.5)),
                    ms(quantile(&times, 0.9)),
                    ms(times[times.len() - 1]),
                ),
                Err(message) => {
                    eprintln!("error: latency {latency} ms: {message}");
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    ExitCode::SUCCESS
}
