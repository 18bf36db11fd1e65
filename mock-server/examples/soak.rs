//! Soak test: does the server's memory stay bounded over many requests?
//!
//! Starts a `MockSite` in this process (zero latency by default), sends `--requests` GETs over
//! `--concurrency` keep-alive connections, alternating /jython and /dice, checks every
//! response (status 200 and the exact expected bytes), and prints requests/s and the growth
//! of this process's resident memory. `--no-recycle` shows what happens without recycling.
//!
//! ```text
//! cargo run --release -p mock-server --example soak -- --requests 1000000 --concurrency 64
//! cargo run --release -p mock-server --example soak -- --requests 100000 --no-recycle
//! ```
//!
//! Exit status 0 only if every request succeeded, every recycle was clean and the run ended
//! before `--max-seconds`.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use mock_server::{page_body, proc_stats, MockSite, Page, ServerConfig, DEFAULT_RECYCLE_EVERY};

#[derive(Parser, Debug)]
#[command(about = "Soak test of mock-server's memory and throughput")]
struct Args {
    /// Requests to send (1 to 10 000 000).
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    requests: u64,
    /// Requests in flight at once, one keep-alive connection each (1 to 512).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=512))]
    concurrency: u64,
    /// Server latency in whole milliseconds (0 to 1000).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=1000))]
    latency_ms: u64,
    /// Requests between memory recycles.
    #[arg(long, default_value_t = DEFAULT_RECYCLE_EVERY, value_parser = clap::value_parser!(u64).range(1..))]
    recycle_every: u64,
    /// Never recycle: shows the growth recycling prevents.
    #[arg(long)]
    no_recycle: bool,
    /// Give up (and fail) after this many seconds (1 to 3600).
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=3600))]
    max_seconds: u64,
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn rss() -> u64 {
    proc_stats::rss_bytes().expect("reading /proc/self/status (Linux only)")
}

struct Load {
    total: u64,
    next: AtomicU64,
    ok: AtomicU64,
    failed: AtomicU64,
    timed_out: AtomicBool,
    deadline: Instant,
    first_errors: Mutex<Vec<String>>,
    expected: [Vec<u8>; 2],
    rss_start: u64,
}

impl Load {
    /// Nothing sent yet; the deadline `--max-seconds` from now.
    fn new(args: &Args, config: &ServerConfig, rss_start: u64) -> Load {
        Load {
            total: args.requests,
            next: AtomicU64::new(0),
            ok: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            timed_out: AtomicBool::new(false),
            deadline: Instant::now() + Duration::from_secs(args.max_seconds),
            first_errors: Mutex::new(Vec::new()),
            expected: Page::ALL.map(|p| page_body(p, config.body_len(p))),
            rss_start,
        }
    }

    fn fail(&self, message: String) {
        self.failed.fetch_add(1, Relaxed);
        let mut errors = self.first_errors.lock().unwrap();
        if errors.len() < 5 {
            errors.push(message);
        }
    }
}

async fn worker(load: Arc<Load>, client: reqwest::Client, urls: [String; 2]) {
    let progress_step = (load.total / 10).max(1);
    loop {
        if Instant::now() >= load.deadline {
            load.timed_out.store(true, Relaxed);
            return;
        }
        let i = load.next.fetch_add(1, Relaxed);
        if i >= load.total {
            return;
        }
        let which = (i % 2) as usize;
        match client.get(&urls[which]).send().await {
            Ok(response) if response.status() == 200 => match response.bytes().await {
                Ok(body) if body[..] == load.expected[which][..] => {
                    load.ok.fetch_add(1, Relaxed);
                }
                Ok(body) => load.fail(format!(
                    "request {i}: wrong body ({} bytes, expected {})",
                    body.len(),
                    load.expected[which].len()
                )),
                Err(e) => load.fail(format!("request {i}: reading body: {e}")),
            },
            Ok(response) => load.fail(format!("request {i}: status {}", response.status())),
            Err(e) => load.fail(format!("request {i}: {e}")),
        }
        if (i + 1) % progress_step == 0 {
            let now = rss();
            println!(
                "  {:>9} requests  RSS {:7.1} MiB ({:+.1} MiB)",
                i + 1,
                mib(now),
                mib(now) - mib(load.rss_start)
            );
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let config = server_config(&args);
    let site = match MockSite::start(config.clone()).await {
        Ok(site) => site,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(args.concurrency as usize)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("building the HTTP client");
    let urls = [site.url(Page::Jython), site.url(Page::Dice)];
    let rss_start = rss();
    print_plan(&args, &config);
    let load = Arc::new(Load::new(&args, &config, rss_start));
    let elapsed = run(&load, args.concurrency, &client, &urls).await;
    let done = report(&load, &site, elapsed);
    let timed_out = load.timed_out.load(Relaxed);
    if timed_out {
        println!("stopped at --max-seconds {}", args.max_seconds);
    }
    let failed = load.failed.load(Relaxed);
    if failed == 0 && !timed_out && done == args.requests && site.recycle_faults() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The server the options ask for: their latency, and their recycling (none with
/// `--no-recycle`).
fn server_config(args: &Args) -> ServerConfig {
    ServerConfig {
        latency: Duration::from_millis(args.latency_ms),
        recycle_every: if args.no_recycle {
            0
        } else {
            args.recycle_every
        },
        ..ServerConfig::default()
    }
}

/// The run's settings, in one line.
fn print_plan(args: &Args, config: &ServerConfig) {
    println!(
        "soak: {} requests, concurrency {}, latency {} ms, bodies {}+{} bytes, recycle every {}",
        args.requests,
        args.concurrency,
        args.latency_ms,
        config.jython_bytes,
        config.dice_bytes,
        if args.no_recycle {
            "never".to_owned()
        } else {
            format!("{} requests", args.recycle_every)
        }
    );
}

/// Sends the load from `concurrency` workers until it is all sent or the deadline passes;
/// returns how long that took.
async fn run(
    load: &Arc<Load>,
    concurrency: u64,
    client: &reqwest::Client,
    urls: &[String; 2],
) -> Duration {
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| tokio::spawn(worker(load.clone(), client.clone(), urls.clone())))
        .collect();
    for w in workers {
        w.await.expect("a load worker panicked");
    }
    started.elapsed()
}

/// Prints the requests done and their rate, the memory's growth, the server's counts and the
/// first errors; returns how many requests were done.
fn report(load: &Load, site: &MockSite, elapsed: Duration) -> u64 {
    let rss_end = rss();
    let peak = proc_stats::peak_rss_bytes().unwrap_or(0);
    let rss_start = load.rss_start;
    let (ok, failed) = (load.ok.load(Relaxed), load.failed.load(Relaxed));
    let done = ok + failed;
    println!(
        "requests: {done} done, {failed} failed, {:.2} s, {:.0} requests/s",
        elapsed.as_secs_f64(),
        done as f64 / elapsed.as_secs_f64()
    );
    println!(
        "RSS: start {:.1} MiB, end {:.1} MiB, growth {:+.1} MiB ({:.0} bytes/request); peak {:.1} MiB",
        mib(rss_start),
        mib(rss_end),
        mib(rss_end) - mib(rss_start),
        (rss_end as f64 - rss_start as f64) / done.max(1) as f64,
        mib(peak)
    );
    println!(
        "server: {} page responses, {} recycles, {} recycle faults",
        site.requests_served(),
        site.recycles(),
        site.recycle_faults()
    );
    for e in load.first_errors.lock().unwrap().iter() {
        println!("  error: {e}");
    }
    done
}
