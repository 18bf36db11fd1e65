//! The running server: a dedicated wiremock server, its mocks (faults included, in
//! [`mocks`]), and memory recycling.

mod mocks;

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use wiremock::MockServer;

use crate::config::{ConfigError, Page, ServerConfig};
use crate::faults::FaultCounts;
use crate::timer::delay_correction;
use mocks::Shared;
pub use mocks::{ERROR_BODY, STATS_PATH};

/// Length of the listening socket's queue of not-yet-accepted connections.
///
/// `std::net::TcpListener` uses 128; a burst of simultaneous connections (160 in the tutorial,
/// 10,000 in the request sweep) could overflow it, and a dropped SYN costs the client a 1 s
/// retransmission, which would falsify a benchmark. Linux caps it at `net.core.somaxconn`
/// (4096 by default).
pub const LISTEN_BACKLOG: u32 = 4096;

/// The name of the thread a site started with [`MockSite::start_blocking`] serves on, so that
/// the process's CPU time can be split into the server's and everybody else's (by the name in
/// `/proc/self/task/<tid>/comm`).
///
/// wiremock 0.6.5 serves on a thread of its own, which it starts with an unnamed
/// `std::thread::spawn` (`mock_server/bare_server.rs`): on Linux a new thread takes the name
/// of the thread that created it, here `start_blocking`'s start-up thread, named this. Nothing
/// else is started from that thread but tokio's blocking threads (named `tokio-runtime-w…`) of
/// the start-up runtime, which end with it. A site started with [`MockSite::start`] serves on a
/// thread named after the caller's thread instead.
pub const SERVER_THREAD: &str = "mock-site";

/// A running server for the two pages, dedicated to its owner.
///
/// It listens on `127.0.0.1` (or the address given to [`MockSite::start_at`]) and serves
/// until dropped. Dropping it is safe from sync code and from inside a tokio runtime: it owns
/// no runtime; wiremock's server runs on wiremock's own thread. Dropping it also drops the
/// connections still waiting out a delay or a stall.
///
/// # Faults
///
/// Each page request (`/jython` or `/dice`, any method) takes the next index from one counter,
/// from 0, in the order wiremock handles requests; [`ServerConfig::fault_for`] of that index
/// decides its fault (see [`fault_for`](crate::fault_for)), as [`ServerConfig::delay_for`]
/// decides its delay:
///
/// * no fault: the page, after the request's delay;
/// * [`FaultKind::Error`]: HTTP 500 with the body [`ERROR_BODY`], after the request's delay;
/// * [`FaultKind::Reset`]: the connection is closed at once, without a byte of response (the
///   client reads end-of-file: hyper's "connection closed before message completed");
/// * [`FaultKind::Stall`]: the page, after [`Faults::stall`](crate::Faults::stall) instead of
///   the request's delay.
///
/// [`FaultKind::Truncate`] cannot be produced (see its documentation): the configuration is
/// refused. [`MockSite::fault_counts`] counts the outcomes, and `GET` [`STATS_PATH`] serves
/// them.
///
/// How: a mock of the highest priority, mounted in front of the pages, matches a request only
/// if it is a page request to reset. Its matcher takes the request's index and decides the
/// request's fault, for every page request; when the request is not a reset, the page's mock
/// matches next and its responder answers with that decision. The decision passes from the
/// matcher to the responder in a one-request slot, which is safe because wiremock 0.6.5 runs
/// both back to back for each request: `MountedMockSet::handle_request` (`mock_set.rs`, lines
/// 63–72) sorts the mocks by priority (a stable sort) and, in one loop with no `.await`, calls
/// each mock's matchers until one matches and then that mock's responder, all on the server's
/// single thread while the request handler holds wiremock's state lock for writing
/// (`mock_server/hyper.rs`, lines 34–38). So no other request's matcher can run in between.
/// The responder also checks that the decision is for the very request it answers (wiremock
/// passes both the same `&Request`); a mismatch would be counted by
/// [`MockSite::decision_misses`], served as a good page, and never happens with wiremock 0.6.5.
///
/// # Bounded memory
///
/// wiremock keeps a copy of every request a mock matched (about 8 KB each, even with request
/// recording disabled) and frees them only in `MockServer::reset`, which also unmounts the
/// mocks. (Rotating scoped mocks would not help: dropping a `MockGuard` only marks its mock
/// out of scope; the mock and its copies stay in wiremock's list.) So every
/// [`ServerConfig::recycle_every`] page requests the fault matcher schedules a recycle:
/// `reset()`, then mount all the mocks again. No request can fall in between and get a 404:
/// the recycle runs as a task on wiremock's own current-thread runtime (the one calling the
/// matcher), and `reset` and the `register`s complete within one poll of that task.
/// wiremock's request handlers run on that same single thread and never hold its lock across
/// a yield, so none can run, or be queued for the lock, between the reset and the mounts.
/// Should a `register` ever yield (only possible if another thread held wiremock's lock),
/// [`MockSite::recycle_faults`] counts it. Responses already produced are not affected:
/// their delay and body no longer depend on the mocks, and the counts and the index live
/// outside wiremock, so a recycle changes neither.
pub struct MockSite {
    server: Arc<MockServer>,
    shared: Arc<Shared>,
    base_url: String,
}

/// Binds `addr` with a listen queue of [`LISTEN_BACKLOG`]. Needs a tokio runtime context.
fn listen(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    // Lets a restarted server take its port back while old connections sit in TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)?.into_std()
}

impl MockSite {
    /// Starts a server on a free port of `127.0.0.1`.
    ///
    /// Call it from a tokio runtime with the IO and time drivers enabled (`enable_all`, as
    /// `#[tokio::main]` and `#[tokio::test]` do): the socket is created through tokio, and
    /// wiremock's start-up waits with `tokio::time::sleep`. From sync code, use
    /// [`MockSite::start_blocking`].
    pub async fn start(config: ServerConfig) -> Result<MockSite, StartError> {
        Self::start_at(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config).await
    }

    /// Starts a server listening on `addr` (port 0: any free port).
    ///
    /// It serves whoever can reach `addr`: binding anything but loopback is the caller's
    /// decision to make. Same runtime requirement as [`MockSite::start`].
    pub async fn start_at(addr: SocketAddr, config: ServerConfig) -> Result<MockSite, StartError> {
        config.validate().map_err(StartError::Config)?;
        let listener = listen(addr).map_err(|source| StartError::Bind { addr, source })?;
        // Measured (the first time in a process) while wiremock starts: it blocks a thread
        // for about 80 ms, which must not be the caller's runtime thread.
        let correction = tokio::task::spawn_blocking(delay_correction);
        let server = Arc::new(
            MockServer::builder()
                .listener(listener)
                .disable_request_recording()
                .start()
                .await,
        );
        let delay_correction = correction
            .await
            .map_err(|e| StartError::Panicked(format!("measuring the timer's lateness: {e}")))?;
        let shared = Arc::new(Shared::new(config, delay_correction));
        // Set before mounting: no responder can run before this.
        let _ = shared.server.set(Arc::downgrade(&server));
        for mock in shared.mocks() {
            server.register(mock).await;
        }
        Ok(MockSite {
            base_url: format!("http://{}", server.address()),
            server,
            shared,
        })
    }

    /// Starts a server on a free port of `127.0.0.1`, from sync code.
    ///
    /// Start-up runs on a short-lived thread with its own runtime, so this works from anywhere,
    /// even from inside a tokio runtime (where `block_on` would panic), and that runtime is
    /// dropped on its own thread. That thread is named [`SERVER_THREAD`], and so is the thread
    /// wiremock then serves on (see there).
    pub fn start_blocking(config: ServerConfig) -> Result<MockSite, StartError> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        std::thread::Builder::new()
            .name(SERVER_THREAD.into())
            .spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(StartError::Runtime)?
                    .block_on(Self::start_at(addr, config))
            })
            .map_err(StartError::Runtime)?
            .join()
            .map_err(|panic| {
                let message = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("no message");
                StartError::Panicked(message.lines().next().unwrap_or("").to_owned())
            })?
    }

    /// The server's base URL, `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Full URL of `page`, e.g. `http://127.0.0.1:PORT/dice`.
    pub fn url(&self, page: Page) -> String {
        format!("{}{}", self.base_url, page.path())
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        *self.server.address()
    }

    /// The settings the site was started with.
    pub fn config(&self) -> &ServerConfig {
        &self.shared.config
    }

    /// How much shorter than its configured delay each response's timer is set, to make up
    /// for how late tokio's timer wakes (see [`delay_correction`](crate::delay_correction)
    /// and [`timer_delay`](crate::timer_delay)): at most
    /// [`MAX_DELAY_CORRECTION`](crate::MAX_DELAY_CORRECTION), 1 ms, and the same for every site
    /// of a process. Stalls are not shortened.
    ///
    /// So a response may come up to this much before its configured delay
    /// ([`ServerConfig::delay_for`]), never more; with tokio's 1 ms timer, sequential requests
    /// take a median of the delay plus 0.1–0.2 ms at 1–5 ms, 0.3–0.5 ms at 20–50 ms (measured
    /// from another process, round trip included).
    pub fn delay_correction(&self) -> Duration {
        self.shared.delay_correction
    }

    /// Page requests handled so far, answered or faulted: every request to `/jython` or
    /// `/dice` that reached wiremock's matching, including those answered with a 500, reset
    /// or stalled. 404s and [`STATS_PATH`] are not included. Also the index the next page
    /// request will get (see [`MockSite`]).
    ///
    /// Counted when the server decides the response, that is before the response's delay has
    /// elapsed: a request still waiting out its latency (or stall) is already counted.
    pub fn requests_served(&self) -> u64 {
        self.shared.next_index.load(Relaxed)
    }

    /// Page requests answered well and faulted, by kind, so far (see [`MockSite`]).
    ///
    /// Counted at the same moment as [`MockSite::requests_served`], and summing to it once
    /// the requests in progress have been answered. The fields are read one by one: under
    /// load, a snapshot may be a few requests out of step between fields.
    pub fn fault_counts(&self) -> FaultCounts {
        self.shared.counts.snapshot()
    }

    /// Page requests whose responder did not find the fault decision made for them (and were
    /// served as good pages). 0 with wiremock 0.6.5, which runs a request's matcher and
    /// responder back to back; the tests check it.
    pub fn decision_misses(&self) -> u64 {
        self.shared.decision_misses.load(Relaxed)
    }

    /// Memory recycles completed so far (see [`MockSite`]).
    pub fn recycles(&self) -> u64 {
        self.shared.recycles_done.load(Relaxed)
    }

    /// Recycles that were not clean: a request may have found no mocks mounted (and got a
    /// 404), or a due recycle could not be scheduled. 0 with wiremock 0.6.5; the tests and
    /// the soak example check it.
    pub fn recycle_faults(&self) -> u64 {
        self.shared.recycle_faults.load(Relaxed)
    }
}

impl fmt::Debug for MockSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockSite")
            .field("base_url", &self.base_url)
            .field("config", &self.shared.config)
            .field("delay_correction", &self.shared.delay_correction)
            .field("requests_served", &self.requests_served())
            .field("fault_counts", &self.fault_counts())
            .finish()
    }
}

/// Why a [`MockSite`] could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// The configuration is out of range.
    Config(ConfigError),
    /// The address could not be bound (in use, not local, no permission...).
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        source: io::Error,
    },
    /// No thread or runtime could be created for start-up.
    Runtime(io::Error),
    /// wiremock panicked while starting (its first message line).
    Panicked(String),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Config(e) => write!(f, "{e}"),
            StartError::Bind { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
            StartError::Runtime(e) => write!(f, "cannot start the server's start-up thread: {e}"),
            StartError::Panicked(m) => write!(f, "the mock server panicked while starting: {m}"),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StartError::Config(e) => Some(e),
            StartError::Bind { source, .. } | StartError::Runtime(source) => Some(source),
            StartError::Panicked(_) => None,
        }
    }
}

// Benchmarks share one site between threads; keep that possible.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<MockSite>();
};
