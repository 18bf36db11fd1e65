//! `cb-worker`: one process of the suite's process pool.
//!
//! Started by `ProcessPool` with pipes on stdin and stdout: it runs its initializer, says hello,
//! then answers each job frame with one result frame until stdin closes. It is not meant to be
//! run by hand. `--http-client` is the tutorial's `initializer=`: one blocking HTTP client per
//! process, built before the first job, whose requests run on the worker's own (only) thread;
//! `--timeout-ms N` sets its request timeout (default 30000); `--blocking-client NAME` picks it:
//! `ureq` (the default: the worker reads its own socket) or `reqwest_blocking` (each request
//! handed to that client's runtime thread; only for measuring that hop).

use std::collections::HashMap;
use std::io::{self, BufReader, BufWriter};
use std::sync::Arc;
use std::time::Duration;

use concurrency_bench::process::protocol::{read_frame, write_frame, WireJob, WireResult, HELLO};
use concurrency_bench::workload::io::{BlockingClient, BlockingClientKind, Download, Expect, Page};

fn main() {
    if let Err(error) = serve() {
        eprintln!("cb-worker: {error}");
        std::process::exit(1);
    }
}

/// The client the worker's initializer builds.
struct ClientSettings {
    kind: BlockingClientKind,
    timeout: Duration,
}

/// The worker's arguments: whether to build a client, and which; else a one-line error.
fn parse_args() -> io::Result<Option<ClientSettings>> {
    let mut http_client = false;
    let mut timeout = Duration::from_secs(30);
    let mut kind = BlockingClientKind::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--http-client" => http_client = true,
            "--blocking-client" => {
                let value = args.next().unwrap_or_default();
                kind = BlockingClientKind::from_name(&value).ok_or_else(|| {
                    let known: Vec<&str> = BlockingClientKind::ALL
                        .iter()
                        .map(|kind| kind.name())
                        .collect();
                    io::Error::other(format!(
                        "--blocking-client {value:?}: expected one of {}",
                        known.join(", ")
                    ))
                })?;
            }
            "--timeout-ms" => {
                let value = args.next().unwrap_or_default();
                let ms: u64 = value.parse().ok().filter(|&ms| ms > 0).ok_or_else(|| {
                    io::Error::other(format!("--timeout-ms {value:?}: expected milliseconds > 0"))
                })?;
                timeout = Duration::from_millis(ms);
            }
            other => {
                return Err(io::Error::other(format!(
                    "unknown argument {other:?} (expected --http-client, --blocking-client \
                     NAME, --timeout-ms N)"
                )))
            }
        }
    }
    Ok(http_client.then_some(ClientSettings { kind, timeout }))
}

fn serve() -> io::Result<()> {
    // One job at a time: the client never carries more than one request.
    let client = match parse_args()? {
        Some(settings) => Some(
            BlockingClient::new(settings.kind, settings.timeout, 1).map_err(io::Error::other)?,
        ),
        None => None,
    };
    let mut bodies: HashMap<(Page, u64), Arc<[u8]>> = HashMap::new();
    let mut from_pool = BufReader::new(io::stdin().lock());
    let mut to_pool = BufWriter::new(io::stdout().lock());
    write_frame(&mut to_pool, HELLO)?;
    while let Some(payload) = read_frame(&mut from_pool)? {
        let result = match WireJob::decode(&payload)? {
            WireJob::Cpu(job) => WireResult::Value(job.run()),
            WireJob::SelfSignal(signal) => {
                // SAFETY: kill(2) on our own pid has no memory effects.
                unsafe { libc::kill(libc::getpid(), signal) };
                WireResult::Failed(format!("resumed after signal {signal}"))
            }
            WireJob::Download {
                url,
                page,
                body_len,
            } => match &client {
                None => WireResult::Failed("started without --http-client".into()),
                Some(client) => {
                    let expect = match body_len {
                        Some(len) => Expect::Body {
                            page,
                            bytes: Arc::clone(bodies.entry((page, len)).or_insert_with(|| {
                                mock_server::page_body(page, len as usize).into()
                            })),
                        },
                        None => Expect::ContentLength,
                    };
                    let download = Download { page, url, expect };
                    match download.fetch_blocking(client) {
                        Ok(bytes) => WireResult::Value(bytes as u128),
                        Err(error) => WireResult::DownloadFailed(error),
                    }
                }
            },
        };
        write_frame(&mut to_pool, &result.encode())?;
    }
    Ok(())
}
