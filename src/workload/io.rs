//! The tutorial's I/O workload: `CB_SITES` downloads alternating between a full home page
//! (`/jython`) and a small page (`/dice`), every one checked.
//!
//! A download counts only if the status is 200, the whole body was read, and the body is right:
//! byte for byte against the embedded server's known page, or, against another server
//! (`CB_TARGET_URL`), its length against the `Content-Length` header. Anything else is a
//! [`DownloadError`] — reported, never timed as a success.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use mock_server::Page;

pub use super::client::{BlockingClient, BlockingClientKind, ClientError, MAX_BODY_BYTES};

/// How a downloaded body is checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Exactly these bytes (the embedded server's page).
    Body {
        /// The page the bytes are of.
        page: Page,
        /// The page's content.
        bytes: Arc<[u8]>,
    },
    /// As many bytes as the response's `Content-Length` says (a server we did not start).
    ContentLength,
}

/// One download job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Download {
    /// The page.
    pub page: Page,
    /// Its full URL.
    pub url: String,
    /// How its body is checked.
    pub expect: Expect,
}

/// Why a download does not count.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DownloadError {
    /// No response within the request timeout (`CB_TIMEOUT_MS`).
    Timeout {
        /// The URL.
        url: String,
        /// The client's message.
        message: String,
    },
    /// The request failed before a response arrived: refused, reset or closed connection.
    Connection {
        /// The URL.
        url: String,
        /// The client's message.
        message: String,
    },
    /// The response started, but its body could not be read whole (cut short, reset, or longer
    /// than [`MAX_BODY_BYTES`]).
    Body {
        /// The URL.
        url: String,
        /// The client's message.
        message: String,
    },
    /// The worker process that held the download died or did not answer.
    Worker {
        /// The URL.
        url: String,
        /// The pool's message.
        message: String,
    },
    /// The status was not 200.
    Status {
        /// The URL.
        url: String,
        /// The status received.
        status: u16,
    },
    /// The body's length was wrong.
    Length {
        /// The URL.
        url: String,
        /// The length expected.
        expected: usize,
        /// The length received.
        got: usize,
    },
    /// The body had the right length but other bytes.
    Content {
        /// The URL.
        url: String,
        /// The first differing byte.
        offset: usize,
    },
    /// A server we did not start sent no `Content-Length` to check the body against.
    NoContentLength {
        /// The URL.
        url: String,
    },
}

impl DownloadError {
    /// A short name of the failure's kind: `timeout`, `connection`, `body`, `worker`, `status`,
    /// `length`, `content`, `no_content_length`.
    pub fn kind(&self) -> &'static str {
        match self {
            DownloadError::Timeout { .. } => "timeout",
            DownloadError::Connection { .. } => "connection",
            DownloadError::Body { .. } => "body",
            DownloadError::Worker { .. } => "worker",
            DownloadError::Status { .. } => "status",
            DownloadError::Length { .. } => "length",
            DownloadError::Content { .. } => "content",
            DownloadError::NoContentLength { .. } => "no_content_length",
        }
    }
}

impl fmt::Display for DownloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownloadError::Timeout { url, message } => write!(f, "GET {url}: timed out: {message}"),
            DownloadError::Connection { url, message } => write!(f, "GET {url}: {message}"),
            DownloadError::Body { url, message } => {
                write!(f, "GET {url}: reading the body: {message}")
            }
            DownloadError::Worker { url, message } => write!(f, "GET {url}: {message}"),
            DownloadError::Status { url, status } => {
                write!(f, "GET {url}: status {status}, expected 200")
            }
            DownloadError::Length { url, expected, got } => {
                write!(f, "GET {url}: {got} bytes, expected {expected}")
            }
            DownloadError::Content { url, offset } => {
                write!(f, "GET {url}: wrong content from byte {offset}")
            }
            DownloadError::NoContentLength { url } => {
                write!(f, "GET {url}: no Content-Length to check the body against")
            }
        }
    }
}

impl std::error::Error for DownloadError {}

/// A download's outcome: the number of bytes received and checked, or why not.
pub type Fetched = Result<usize, DownloadError>;

impl Download {
    /// Checks a finished response: status, then body against [`Expect`].
    pub fn check(&self, status: u16, content_length: Option<u64>, body: &[u8]) -> Fetched {
        let url = || self.url.clone();
        if status != 200 {
            return Err(DownloadError::Status { url: url(), status });
        }
        match &self.expect {
            Expect::Body { bytes, .. } => {
                if body.len() != bytes.len() {
                    return Err(DownloadError::Length {
                        url: url(),
                        expected: bytes.len(),
                        got: body.len(),
                    });
                }
                // One comparison of the whole body (a memcmp); the first differing byte is
                // looked for only when there is one to report.
                if body != &bytes[..] {
                    let offset = body
                        .iter()
                        .zip(bytes.iter())
                        .position(|(got, expected)| got != expected)
                        .unwrap_or(body.len());
                    return Err(DownloadError::Content { url: url(), offset });
                }
            }
            Expect::ContentLength => {
                let expected =
                    content_length.ok_or_else(|| DownloadError::NoContentLength { url: url() })?;
                if body.len() as u64 != expected {
                    return Err(DownloadError::Length {
                        url: url(),
                        expected: usize::try_from(expected).unwrap_or(usize::MAX),
                        got: body.len(),
                    });
                }
            }
        }
        Ok(body.len())
    }

    /// Downloads with a blocking client (the tutorial's `session.get(url)`), reading the whole
    /// body. With ureq (the suite's client) every read and write happens on the calling thread.
    pub fn fetch_blocking(&self, client: &BlockingClient) -> Fetched {
        match client {
            BlockingClient::Ureq(agent) => self.fetch_ureq(agent),
            BlockingClient::ReqwestBlocking(client) => self.fetch_reqwest_blocking(client),
        }
    }

    /// [`Download::fetch_blocking`] with ureq: the status line and headers are read by `call`,
    /// the body by `read_to_vec`, so a failure is placed by the call that returned it.
    fn fetch_ureq(&self, agent: &ureq::Agent) -> Fetched {
        let mut response = agent
            .get(&self.url)
            .call()
            .map_err(|error| self.failed_ureq(error, Stage::Request))?;
        let status = response.status().as_u16();
        let content_length = response.body().content_length();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_vec()
            .map_err(|error| self.failed_ureq(error, Stage::Body))?;
        self.check(status, content_length, &body)
    }

    /// [`Download::fetch_blocking`] with reqwest's blocking client (only to measure its hop).
    fn fetch_reqwest_blocking(&self, client: &reqwest::blocking::Client) -> Fetched {
        let response = client
            .get(&self.url)
            .send()
            .map_err(|error| self.failed(error, Stage::Request))?;
        let status = response.status().as_u16();
        let content_length = response.content_length();
        let body = response
            .bytes()
            .map_err(|error| self.failed(error, Stage::Body))?;
        self.check(status, content_length, &body)
    }

    /// Downloads with an async client (the tutorial's `async with session.get(url)`), reading
    /// the whole body — unlike the 2018 asyncio program, which printed `Content-Length` and
    /// never read it.
    pub async fn fetch_async(&self, client: &reqwest::Client) -> Fetched {
        let response = client
            .get(&self.url)
            .send()
            .await
            .map_err(|error| self.failed(error, Stage::Request))?;
        let status = response.status().as_u16();
        let content_length = response.content_length();
        let body = response
            .bytes()
            .await
            .map_err(|error| self.failed(error, Stage::Body))?;
        self.check(status, content_length, &body)
    }

    /// Classifies a reqwest error by kind ([`Download::failure`]).
    fn failed(&self, error: reqwest::Error, stage: Stage) -> DownloadError {
        self.failure(stage, error.is_timeout(), error_chain(&error))
    }

    /// Classifies a ureq error by kind ([`Download::failure`]); ureq reports each of its
    /// timeouts as [`ureq::Error::Timeout`], naming the phase.
    fn failed_ureq(&self, error: ureq::Error, stage: Stage) -> DownloadError {
        let timed_out = matches!(error, ureq::Error::Timeout(_));
        self.failure(stage, timed_out, error_chain(&error))
    }

    /// A client's failure by kind, whichever client: a timeout, else a failure before the
    /// status line (refused, reset, closed) or while reading the body.
    fn failure(&self, stage: Stage, timed_out: bool, message: String) -> DownloadError {
        let url = self.url.clone();
        match stage {
            _ if timed_out => DownloadError::Timeout { url, message },
            Stage::Request => DownloadError::Connection { url, message },
            Stage::Body => DownloadError::Body { url, message },
        }
    }
}

/// Where a download failed.
#[derive(Clone, Copy)]
enum Stage {
    Request,
    Body,
}

/// An error and its causes on one line: reqwest's top-level message alone rarely says why.
/// (ureq's errors have no sources; their message already names the cause, e.g. `io: Peer
/// disconnected`.)
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// An async client, like one `aiohttp.ClientSession`, with the settings of
/// [`BlockingClient::new`]: no proxy from the environment (loopback only), keep-alive
/// connections, and `timeout` for every request (reqwest's async client has none unless given
/// one).
pub fn async_client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(timeout)
        .build()
}

/// The I/O workload: the download jobs, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IoWorkload {
    /// The jobs: `/jython` and `/dice` alternating.
    pub jobs: Vec<Download>,
}

impl IoWorkload {
    /// `sites` downloads from `base_url` (`http://host:port`), alternating the two pages. With
    /// `bodies` (the embedded server's), bodies are checked byte for byte; without, against
    /// their `Content-Length`.
    pub fn new(
        base_url: &str,
        sites: usize,
        bodies: Option<&dyn Fn(Page) -> Arc<[u8]>>,
    ) -> IoWorkload {
        let expects: Vec<Expect> = Page::ALL
            .iter()
            .map(|&page| match bodies {
                Some(body) => Expect::Body {
                    page,
                    bytes: body(page),
                },
                None => Expect::ContentLength,
            })
            .collect();
        let jobs = (0..sites)
            .map(|index| {
                let which = index % Page::ALL.len();
                let page = Page::ALL[which];
                Download {
                    page,
                    url: format!("{base_url}{}", page.path()),
                    expect: expects[which].clone(),
                }
            })
            .collect();
        IoWorkload { jobs }
    }

    /// Checks every outcome: all succeeded, and there is one per job. Returns the total bytes.
    pub fn verify(&self, results: &[Fetched]) -> Result<u64, FailedDownloads> {
        if results.len() != self.jobs.len() {
            return Err(FailedDownloads::Count {
                expected: self.jobs.len(),
                got: results.len(),
            });
        }
        let failures: Vec<(usize, &DownloadError)> = results
            .iter()
            .enumerate()
            .filter_map(|(index, result)| result.as_ref().err().map(|error| (index, error)))
            .collect();
        if let Some(&(index, first)) = failures.first() {
            return Err(FailedDownloads::Failed {
                failed: failures.len(),
                total: results.len(),
                index,
                first: first.clone(),
            });
        }
        Ok(results.iter().flatten().map(|&bytes| bytes as u64).sum())
    }
}

/// Downloads that did not all succeed: the first failure, or a wrong count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailedDownloads {
    /// Not one outcome per job.
    Count {
        /// The jobs.
        expected: usize,
        /// The outcomes.
        got: usize,
    },
    /// Some downloads failed.
    Failed {
        /// How many.
        failed: usize,
        /// Of how many.
        total: usize,
        /// The first failed job's index.
        index: usize,
        /// Its failure.
        first: DownloadError,
    },
}

impl fmt::Display for FailedDownloads {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailedDownloads::Count { expected, got } => {
                write!(f, "expected {expected} downloads, got {got}")
            }
            FailedDownloads::Failed {
                failed,
                total,
                index,
                first,
            } => write!(
                f,
                "{failed} of {total} downloads failed; the first, job {index}: {first}"
            ),
        }
    }
}

impl std::error::Error for FailedDownloads {}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(expect: Expect) -> Download {
        Download {
            page: Page::Dice,
            url: "http://127.0.0.1:1/dice".into(),
            expect,
        }
    }

    #[test]
    fn bodies_are_checked_byte_for_byte() {
        let bytes: Arc<[u8]> = Arc::from(&b"hello world"[..]);
        let download = job(Expect::Body {
            page: Page::Dice,
            bytes,
        });
        assert_eq!(download.check(200, None, b"hello world"), Ok(11));
        assert_eq!(
            download
                .check(500, None, b"hello world")
                .unwrap_err()
                .kind(),
            "status"
        );
        assert_eq!(
            download.check(200, None, b"hello").unwrap_err().kind(),
            "length"
        );
        let error = download.check(200, None, b"hello_world").unwrap_err();
        assert_eq!(error.kind(), "content");
        assert!(error.to_string().contains("byte 5"), "{error}");
    }

    #[test]
    fn other_servers_are_checked_against_content_length() {
        let download = job(Expect::ContentLength);
        assert_eq!(download.check(200, Some(3), b"abc"), Ok(3));
        assert_eq!(
            download.check(200, Some(4), b"abc").unwrap_err().kind(),
            "length"
        );
        assert_eq!(
            download.check(200, None, b"abc").unwrap_err().kind(),
            "no_content_length"
        );
    }

    #[test]
    fn jobs_alternate_and_verify_counts_failures() {
        let workload = IoWorkload::new("http://127.0.0.1:9", 5, None);
        let pages: Vec<Page> = workload.jobs.iter().map(|job| job.page).collect();
        assert_eq!(
            pages,
            [
                Page::Jython,
                Page::Dice,
                Page::Jython,
                Page::Dice,
                Page::Jython
            ]
        );
        assert_eq!(workload.jobs[1].url, "http://127.0.0.1:9/dice");
        let ok: Vec<Fetched> = vec![Ok(10); 5];
        assert_eq!(workload.verify(&ok), Ok(50));
        let mut bad = ok.clone();
        bad[3] = Err(DownloadError::Status {
            url: "u".into(),
            status: 503,
        });
        let message = workload.verify(&bad).unwrap_err().to_string();
        assert!(
            message.starts_with("1 of 5 downloads failed; the first, job 3"),
            "{message}"
        );
        assert!(workload.verify(&ok[..4]).is_err());
    }
}
