//! The `mock-server` command line: the benchmarks' latency-controlled server, on its own.
//!
//! Shared by the `mock-server` binary and the suite's `cb-mock-server` (which the benches start
//! as a child process when one process cannot hold enough sockets).
//!
//! Prints its base URL as the first line of stdout, serves `/jython` and `/dice` (faulting the
//! requests `--faults` or the `--*-rate` flags ask for) and `/__stats` until SIGINT or SIGTERM,
//! then prints the counts on stderr in one line and exits 0. Bad arguments: one line on stderr,
//! exit 2. Cannot start (port in use...): one line on stderr, exit 1.

use std::ffi::OsString;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use crate::config::TRUNCATE_UNSUPPORTED;
use crate::faults::parse_rate;
use crate::{
    Faults, MockSite, ServerConfig, DEFAULT_RECYCLE_EVERY, MAX_BODY_BYTES, MAX_DELAY, MAX_STALL,
    STATS_PATH,
};
use clap::Parser;

/// Serves the tutorial's two pages (/jython and /dice) from a local port, each response
/// delayed by a chosen latency, for benchmarking HTTP clients; optionally, a chosen share of
/// the page requests fail (HTTP 500, connection closed, or a stalled response). GET /__stats
/// returns the counts as JSON ({"ok":N,"error":N,"reset":N,"stall":N,"truncate":0}). Any
/// other path gets 404.
///
/// Each response's timer is set shorter than the latency by a correction (at most 1 ms, shown
/// on the start-up line on stderr) measured at start-up, because tokio's timer wakes about
/// 1.1 ms late: so the median request takes the latency plus 0.1-0.5 ms, round trip included.
///
/// The first line of stdout is the base URL (e.g. http://127.0.0.1:40123); the server then
/// runs until SIGINT or SIGTERM, prints the counts on stderr in one line and exits 0. Exit
/// status 2: bad arguments; 1: the server could not start (e.g. the port is in use).
#[derive(Parser, Debug)]
#[command(name = "mock-server", version)]
struct Cli {
    /// TCP port to listen on; 0 picks a free one (read it from the first line of stdout).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    port: u16,

    /// Delay of every response in milliseconds, fractions allowed (0 to 60000).
    #[arg(long, value_name = "MS", default_value = "20", value_parser = parse_ms, allow_negative_numbers = true)]
    latency_ms: f64,

    /// Each delay is drawn uniformly from latency ± jitter, clamped at 0 (milliseconds, 0 to
    /// 60000).
    #[arg(long, value_name = "MS", default_value = "0", value_parser = parse_ms, allow_negative_numbers = true)]
    jitter_ms: f64,

    /// Length of the /jython body in bytes (1 to 4194304).
    #[arg(long, value_name = "BYTES", default_value = "50000", value_parser = parse_body_bytes, allow_negative_numbers = true)]
    jython_bytes: usize,

    /// Length of the /dice body in bytes (1 to 4194304).
    #[arg(long, value_name = "BYTES", default_value = "2000", value_parser = parse_body_bytes, allow_negative_numbers = true)]
    dice_bytes: usize,

    /// Seed of the jitter and fault RNGs, decimal or 0x-prefixed hex: the same seed repeats
    /// the same sequence of delays and faults.
    #[arg(long, default_value = "0x5eed", value_parser = parse_seed, allow_negative_numbers = true)]
    seed: u64,

    /// Requests between two frees of the memory wiremock keeps per request (about 8 KB
    /// each); 0 never frees it.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_RECYCLE_EVERY, allow_negative_numbers = true)]
    recycle_every: u64,

    /// Address to listen on instead of 127.0.0.1; a non-loopback address also needs
    /// --allow-remote.
    #[arg(long, value_name = "ADDR")]
    bind: Option<IpAddr>,

    /// Allow --bind to a non-loopback address, which lets other machines reach the server.
    #[arg(long)]
    allow_remote: bool,

    /// Share of page requests answered with HTTP 500 (0 to 1). The rates of all kinds sum to
    /// at most 1: at most one fault per request, drawn from the seed and the request's index.
    #[arg(long, value_name = "RATE", value_parser = parse_rate, allow_negative_numbers = true)]
    error_rate: Option<f64>,

    /// Share of page requests whose connection is closed before any response (0 to 1).
    #[arg(long, value_name = "RATE", value_parser = parse_rate, allow_negative_numbers = true)]
    reset_rate: Option<f64>,

    /// Share of page requests whose response waits --stall-ms instead of the latency (0 to 1).
    #[arg(long, value_name = "RATE", value_parser = parse_rate, allow_negative_numbers = true)]
    stall_rate: Option<f64>,

    /// Truncated bodies are not supported (hyper will not send a Content-Length longer than
    /// the body): only 0 is accepted.
    #[arg(long, value_name = "RATE", value_parser = parse_truncate_rate, allow_negative_numbers = true)]
    truncate_rate: Option<f64>,

    /// How long a stalled response waits, in milliseconds (above 0, at most 3600000).
    #[arg(long, value_name = "MS", default_value = "60000", value_parser = parse_stall_ms, allow_negative_numbers = true)]
    stall_ms: f64,

    /// All the fault rates in one spec, instead of the --*-rate flags: e.g.
    /// error:0.05,reset:0.02,stall:0.01 (kinds error, reset, stall; truncate only at 0).
    #[arg(long, value_name = "SPEC", value_parser = parse_faults,
          conflicts_with_all = ["error_rate", "reset_rate", "stall_rate", "truncate_rate"])]
    faults: Option<Faults>,
}

fn parse_ms(s: &str) -> Result<f64, String> {
    let max_ms = MAX_DELAY.as_secs_f64() * 1e3;
    match s.trim().parse::<f64>() {
        Ok(ms) if ms.is_finite() && (0.0..=max_ms).contains(&ms) => Ok(ms),
        Ok(_) => Err(format!(
            "must be a number of milliseconds from 0 to {max_ms}"
        )),
        Err(_) => Err("not a number".to_owned()),
    }
}

fn parse_body_bytes(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_BODY_BYTES).contains(&n) => Ok(n),
        _ => Err(format!(
            "must be a whole number of bytes from 1 to {MAX_BODY_BYTES}"
        )),
    }
}

fn parse_seed(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    };
    parsed.map_err(|_| "must be an unsigned 64-bit integer (decimal or 0x hex)".to_owned())
}

fn parse_truncate_rate(s: &str) -> Result<f64, String> {
    let rate = parse_rate(s)?;
    if rate == 0.0 {
        Ok(rate)
    } else {
        Err(format!("{TRUNCATE_UNSUPPORTED}; only 0 is accepted"))
    }
}

fn parse_stall_ms(s: &str) -> Result<f64, String> {
    let max_ms = MAX_STALL.as_secs_f64() * 1e3;
    match s.trim().parse::<f64>() {
        Ok(ms) if ms.is_finite() && ms > 0.0 && ms <= max_ms => Ok(ms),
        _ => Err(format!(
            "must be a number of milliseconds above 0, at most {max_ms}"
        )),
    }
}

fn parse_faults(s: &str) -> Result<Faults, String> {
    let faults = Faults::parse(s)?;
    if faults.truncate_rate != 0.0 {
        return Err(TRUNCATE_UNSUPPORTED.to_owned());
    }
    Ok(faults)
}

/// The faults the flags ask for, or a one-line message naming the flags at fault.
fn faults_from(cli: &Cli) -> Result<Faults, String> {
    let stall = ms_to_duration(cli.stall_ms);
    if let Some(faults) = cli.faults {
        return Ok(Faults { stall, ..faults });
    }
    let flags = [
        ("--error-rate", cli.error_rate),
        ("--reset-rate", cli.reset_rate),
        ("--stall-rate", cli.stall_rate),
        ("--truncate-rate", cli.truncate_rate),
    ];
    let faults = Faults {
        error_rate: cli.error_rate.unwrap_or(0.0),
        reset_rate: cli.reset_rate.unwrap_or(0.0),
        stall_rate: cli.stall_rate.unwrap_or(0.0),
        truncate_rate: cli.truncate_rate.unwrap_or(0.0),
        stall,
    };
    faults.validate().map_err(|problem| {
        let given: Vec<&str> = flags
            .iter()
            .filter(|(_, rate)| rate.is_some())
            .map(|(flag, _)| *flag)
            .collect();
        format!("{}: {problem}", given.join(", "))
    })?;
    Ok(faults)
}

fn ms_to_duration(ms: f64) -> Duration {
    // Rounded to the nanosecond; `parse_ms` already bounded it, so the cast cannot overflow.
    Duration::from_nanos((ms * 1e6).round() as u64)
}

/// What a command line asks for: where the server listens, and its settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Invocation {
    /// `--bind` (127.0.0.1 unless given) and `--port`.
    pub addr: SocketAddr,
    /// Every other flag.
    pub config: ServerConfig,
}

/// A command line that starts no server.
#[derive(Debug)]
pub enum Refusal {
    /// `--help` or `--version`: clap's text, for stdout; the binary then exits 0.
    Info(clap::Error),
    /// Bad arguments: the one line for stderr; the binary then exits 2.
    Usage(String),
}

impl ServerConfig {
    /// The flags that ask [`parse`] (and so the `mock-server` binary) for this configuration,
    /// without the program name: every field, so that `parse` gives it back exactly. The
    /// configuration must be one the command line accepts (no truncate rate, see
    /// [`FaultKind::Truncate`](crate::FaultKind::Truncate)).
    pub fn to_args(&self) -> Vec<String> {
        let ms = |duration: Duration| format!("{}", duration.as_secs_f64() * 1e3);
        [
            ("--latency-ms", ms(self.latency)),
            ("--jitter-ms", ms(self.jitter)),
            ("--jython-bytes", self.jython_bytes.to_string()),
            ("--dice-bytes", self.dice_bytes.to_string()),
            ("--seed", self.seed.to_string()),
            ("--recycle-every", self.recycle_every.to_string()),
            ("--faults", self.faults.to_string()),
            ("--stall-ms", ms(self.faults.stall)),
        ]
        .into_iter()
        .flat_map(|(flag, value)| [flag.to_owned(), value])
        .collect()
    }
}

/// Reads a command line (`args`, the program name first) as the binary does, or says why it
/// starts no server.
pub fn parse<I, T>(args: I) -> Result<Invocation, Refusal>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        // --help or --version, which go to stdout and succeed.
        Err(e) if !e.use_stderr() => return Err(Refusal::Info(e)),
        Err(e) => {
            // clap's first line names the flag and the problem; the rest is a usage hint.
            let text = e.to_string();
            let line = text.lines().next().unwrap_or("error: bad arguments");
            return Err(Refusal::Usage(line.to_owned()));
        }
    };
    let ip = cli.bind.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    if !ip.is_loopback() && !cli.allow_remote {
        return Err(Refusal::Usage(format!(
            "error: --bind {ip} is not a loopback address; add --allow-remote to let other machines reach the server"
        )));
    }
    let faults =
        faults_from(&cli).map_err(|message| Refusal::Usage(format!("error: {message}")))?;
    let config = ServerConfig {
        latency: ms_to_duration(cli.latency_ms),
        jitter: ms_to_duration(cli.jitter_ms),
        jython_bytes: cli.jython_bytes,
        dice_bytes: cli.dice_bytes,
        seed: cli.seed,
        recycle_every: cli.recycle_every,
        faults,
    };
    Ok(Invocation {
        addr: SocketAddr::new(ip, cli.port),
        config,
    })
}

/// Runs the command line: parses `std::env::args`, serves until a signal, returns the exit code.
pub fn main() -> ExitCode {
    let invocation = match parse(std::env::args_os()) {
        Ok(invocation) => invocation,
        Err(Refusal::Info(e)) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(Refusal::Usage(line)) => {
            eprintln!("{line}");
            return ExitCode::from(2);
        }
    };
    // Our own thread only waits for signals: wiremock serves on a thread of its own.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot build the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(invocation.addr, invocation.config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Serves until SIGINT or SIGTERM.
async fn serve(addr: SocketAddr, config: ServerConfig) -> Result<(), String> {
    // Handlers first: a script may signal us as soon as it has read the URL.
    let stop = stop_signal().map_err(|e| format!("cannot install signal handlers: {e}"))?;
    let site = MockSite::start_at(addr, config)
        .await
        .map_err(|e| e.to_string())?;
    {
        let mut stdout = std::io::stdout().lock();
        // Nothing useful to do if stdout is closed: keep serving whoever has the URL.
        let _ = writeln!(stdout, "{}", site.base_url());
        let _ = stdout.flush();
    }
    let c = site.config();
    let faults = if c.faults.is_none() {
        "no faults".to_owned()
    } else {
        format!("faults {} (stall {:?})", c.faults, c.faults.stall)
    };
    eprintln!(
        "mock-server: /jython ({} bytes), /dice ({} bytes), delay {:?} ± {:?} (timers shortened by {:?} for tokio's late wake-ups), {faults}, seed {:#x}, counts at {STATS_PATH}; stop with SIGINT or SIGTERM",
        c.jython_bytes, c.dice_bytes, c.latency, c.jitter, site.delay_correction(), c.seed
    );
    let signal = stop.await;
    eprintln!(
        "mock-server: {signal}: stopping after {} page requests: {}",
        site.requests_served(),
        site.fault_counts().to_json()
    );
    Ok(())
}

/// Resolves with the signal's name on the first SIGINT or SIGTERM.
#[cfg(unix)]
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = &'static str>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        }
    })
}

/// Resolves on the first Ctrl-C.
#[cfg(not(unix))]
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = &'static str>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(config: &ServerConfig) -> Invocation {
        let args = std::iter::once("mock-server".to_owned()).chain(config.to_args());
        parse(args).unwrap_or_else(|refusal| panic!("{config:?}: {refusal:?}"))
    }

    #[test]
    fn to_args_is_what_parse_reads_back() {
        let faults = Faults {
            stall: Duration::from_micros(1_500_250),
            ..Faults::parse("error:0.05,reset:0.02,stall:0.01").unwrap()
        };
        let configs = [
            ServerConfig::default(),
            ServerConfig {
                latency: Duration::from_nanos(1_234_567),
                jitter: Duration::from_micros(2_500),
                jython_bytes: 1,
                dice_bytes: MAX_BODY_BYTES,
                seed: u64::MAX,
                recycle_every: 0,
                faults,
            },
            ServerConfig {
                latency: MAX_DELAY,
                jitter: MAX_DELAY,
                faults: Faults {
                    stall: MAX_STALL,
                    ..Faults::none()
                },
                ..ServerConfig::default()
            },
            ServerConfig {
                latency: Duration::ZERO,
                ..ServerConfig::default()
            },
        ];
        for config in configs {
            let invocation = round_trip(&config);
            assert_eq!(invocation.config, config);
            assert_eq!(invocation.addr, SocketAddr::from(([127, 0, 0, 1], 0)));
        }
    }

    #[test]
    fn refusals_are_one_line_or_help() {
        match parse(["mock-server", "--latency-ms", "-1"]) {
            Err(Refusal::Usage(line)) => {
                assert!(
                    line.starts_with("error:") && line.contains("--latency-ms"),
                    "{line}"
                )
            }
            other => panic!("{other:?}"),
        }
        match parse(["mock-server", "--bind", "0.0.0.0"]) {
            Err(Refusal::Usage(line)) => assert!(line.contains("--allow-remote"), "{line}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse(["mock-server", "--help"]),
            Err(Refusal::Info(_))
        ));
    }
}
