//! The running server: a dedicated wiremock server, its mocks (faults included), and memory
//! recycling.

use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::Duration;

use tokio::runtime::{Handle, RuntimeFlavor};
use wiremock::matchers::path;
use wiremock::{Match, Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::config::{page_body, ConfigError, Page, ServerConfig};
use crate::faults::{FaultCounts, FaultKind};
use crate::timer::{delay_correction, timer_delay};

/// Length of the listening socket's queue of not-yet-accepted connections.
///
/// `std::net::TcpListener` uses 128; a burst of simultaneous connections (160 in the tutorial,
/// 10,000 in the request sweep) could overflow it, and a dropped SYN costs the client a 1 s
/// retransmission, which would falsify a benchmark. Linux caps it at `net.core.somaxconn`
/// (4096 by default).
pub const LISTEN_BACKLOG: u32 = 4096;

/// Recycles after which a debug build stops recycling.
///
/// wiremock counts its resets in a `u16` (`MountedMockSet::generation`); with overflow checks
/// (debug builds) the 65 536th reset would panic inside wiremock and leave the server without
/// mocks. Release builds wrap around harmlessly, since we keep no `MockId`.
const DEBUG_RECYCLE_LIMIT: u64 = 65_000;

/// Path of the statistics endpoint: `GET /__stats` returns [`MockSite::fault_counts`] as
/// [`FaultCounts::to_json`] (`application/json`). It is never faulted, has no delay and is not
/// a page request.
pub const STATS_PATH: &str = "/__stats";

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

/// Body of an injected HTTP 500 ([`FaultKind::Error`]), sent as `text/plain`.
pub const ERROR_BODY: &str = "mock-server: injected error\n";

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

/// The fault decided for one page request, on its way from the matcher to the responder.
#[derive(Clone, Copy)]
struct Decision {
    /// Address of the `Request` it was decided for, to check it reaches the same request.
    request: usize,
    index: u64,
    fault: Option<FaultKind>,
}

fn address_of(request: &Request) -> usize {
    request as *const Request as usize
}

/// [`FaultCounts`], shared by the responders.
#[derive(Default)]
struct AtomicCounts {
    ok: AtomicU64,
    error: AtomicU64,
    reset: AtomicU64,
    stall: AtomicU64,
    truncate: AtomicU64,
}

impl AtomicCounts {
    fn add(&self, fault: Option<FaultKind>) {
        let count = match fault {
            None => &self.ok,
            Some(FaultKind::Error) => &self.error,
            Some(FaultKind::Reset) => &self.reset,
            Some(FaultKind::Stall) => &self.stall,
            Some(FaultKind::Truncate) => &self.truncate,
        };
        count.fetch_add(1, Relaxed);
    }

    fn snapshot(&self) -> FaultCounts {
        FaultCounts {
            ok: self.ok.load(Relaxed),
            error: self.error.load(Relaxed),
            reset: self.reset.load(Relaxed),
            stall: self.stall.load(Relaxed),
            truncate: self.truncate.load(Relaxed),
        }
    }
}

/// State shared by the site and the matchers and responders of its mocks.
struct Shared {
    config: ServerConfig,
    /// Subtracted from every response's delay, not from stalls (see [`response_timer`]).
    delay_correction: Duration,
    jython_body: Vec<u8>,
    dice_body: Vec<u8>,
    /// Page requests so far; also the index of the next one.
    next_index: AtomicU64,
    counts: AtomicCounts,
    /// Set by [`FaultMatcher`] for the request being matched, taken by that request's
    /// responder right after (see [`MockSite`] for why nothing can come in between).
    pending: Mutex<Option<Decision>>,
    decision_misses: AtomicU64,
    recycles_scheduled: AtomicU64,
    recycles_done: AtomicU64,
    recycle_faults: AtomicU64,
    /// Weak, because the server owns the mocks, which own this: a strong reference would be a
    /// cycle and the server would never shut down.
    server: OnceLock<Weak<MockServer>>,
}

impl Shared {
    fn body(&self, page: Page) -> &[u8] {
        match page {
            Page::Jython => &self.jython_body,
            Page::Dice => &self.dice_body,
        }
    }

    /// Every mock of the site, in mounting order.
    fn mocks(self: &Arc<Self>) -> [Mock; 4] {
        let page = |page: Page| {
            Mock::given(path(page.path())).respond_with(PageResponder {
                page,
                shared: Arc::clone(self),
            })
        };
        [
            Mock::given(FaultMatcher(Arc::clone(self)))
                .respond_with_err(reset_responder(Arc::clone(self)))
                .with_priority(1),
            page(Page::Jython),
            page(Page::Dice),
            Mock::given(path(STATS_PATH)).respond_with(StatsResponder(Arc::clone(self))),
        ]
    }

    fn set_decision(&self, decision: Decision) {
        *self.pending.lock().unwrap_or_else(PoisonError::into_inner) = Some(decision);
    }

    /// The decision [`FaultMatcher`] left for `request`; if there is none (never with
    /// wiremock 0.6.5), counts a miss and gives the request a fresh index and no fault.
    fn take_decision(&self, request: &Request) -> Decision {
        let taken = self
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match taken {
            Some(decision) if decision.request == address_of(request) => decision,
            _ => {
                self.decision_misses.fetch_add(1, Relaxed);
                Decision {
                    request: address_of(request),
                    index: self.next_index.fetch_add(1, Relaxed),
                    fault: None,
                }
            }
        }
    }

    /// Called by the matcher for the `requests`-th page request; schedules a recycle when due.
    fn after_request(self: &Arc<Self>, requests: u64) {
        let every = self.config.recycle_every;
        if every == 0 || requests % every != 0 {
            return;
        }
        if cfg!(debug_assertions) && self.recycles_scheduled.load(Relaxed) >= DEBUG_RECYCLE_LIMIT {
            return;
        }
        let Some(server) = self.server.get().and_then(Weak::upgrade) else {
            return; // the site is being dropped
        };
        // The atomicity argument (see `MockSite`) needs wiremock's current-thread runtime; if a
        // future wiremock ran handlers elsewhere, refuse to recycle rather than risk 404s.
        match Handle::try_current() {
            Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::CurrentThread => {
                self.recycles_scheduled.fetch_add(1, Relaxed);
                handle.spawn(recycle(server, Arc::clone(self)));
            }
            _ => {
                self.recycle_faults.fetch_add(1, Relaxed);
            }
        }
    }
}

/// Frees the requests wiremock stored, keeping every mock mounted for every request.
async fn recycle(server: Arc<MockServer>, shared: Arc<Shared>) {
    // Built before the reset so that nothing but the mounting happens between the two.
    let fresh = shared.mocks();
    server.reset().await;
    let mut yielded = false;
    for mock in fresh {
        let mut register = pin!(server.register(mock));
        poll_fn(|cx| {
            let poll = register.as_mut().poll(cx);
            yielded |= poll.is_pending();
            poll
        })
        .await;
    }
    if yielded {
        shared.recycle_faults.fetch_add(1, Relaxed);
    }
    shared.recycles_done.fetch_add(1, Relaxed);
}

/// Matcher of the highest-priority mock: gives every page request its index and its fault,
/// and matches only the requests to reset (see [`MockSite`]). wiremock calls it once per
/// request, on its server thread, while holding its lock: keep it short.
struct FaultMatcher(Arc<Shared>);

impl Match for FaultMatcher {
    fn matches(&self, request: &Request) -> bool {
        let shared = &self.0;
        let path = request.url.path();
        if !Page::ALL.iter().any(|page| page.path() == path) {
            return false;
        }
        let index = shared.next_index.fetch_add(1, Relaxed);
        let fault = shared.config.fault_for(index);
        // Read by this request's responder, which wiremock calls next, before any other
        // request's matcher (see `MockSite`).
        shared.set_decision(Decision {
            request: address_of(request),
            index,
            fault,
        });
        shared.after_request(index + 1);
        fault == Some(FaultKind::Reset)
    }
}

/// Answers the requests [`FaultMatcher`] chose to reset with an error, on which hyper closes
/// the connection without writing anything. (A closure: wiremock 0.6.5 does not export its
/// `RespondErr` trait, only implements it for such functions.)
fn reset_responder(shared: Arc<Shared>) -> impl Fn(&Request) -> io::Error + Send + Sync {
    move |request| {
        // Only to clear the slot: this mock matched, so the decision was a reset (a miss is
        // counted by `take_decision`).
        shared.take_decision(request);
        shared.counts.add(Some(FaultKind::Reset));
        io::Error::new(
            io::ErrorKind::ConnectionReset,
            "mock-server: injected reset",
        )
    }
}

/// Answers a page request that is not a reset, as [`FaultMatcher`] decided. wiremock calls
/// `respond` once per matched request, on its server thread, while holding its lock: keep it
/// short.
struct PageResponder {
    page: Page,
    shared: Arc<Shared>,
}

impl Respond for PageResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let shared = &self.shared;
        let Decision { index, fault, .. } = shared.take_decision(request);
        let page = || ResponseTemplate::new(200).set_body_raw(shared.body(self.page), "text/html");
        let (response, outcome) = match fault {
            Some(FaultKind::Error) => (
                ResponseTemplate::new(500).set_body_raw(ERROR_BODY, "text/plain"),
                fault,
            ),
            Some(FaultKind::Stall) => (page(), fault),
            // Resets are answered by `ResetResponder`, and `ServerConfig::validate` refuses
            // truncation: neither reaches this point.
            None | Some(FaultKind::Reset | FaultKind::Truncate) => {
                debug_assert_eq!(fault, None);
                (page(), None)
            }
        };
        shared.counts.add(outcome);
        let timer = response_timer(&shared.config, index, outcome, shared.delay_correction);
        if timer.is_zero() {
            response // no timer at all, rather than a zero-length one
        } else {
            response.set_delay(timer)
        }
    }
}

/// How long wiremock's timer waits before sending the `index`-th page request's response,
/// whose fault is `fault` (a reset has no response): a stall as configured, any other response
/// its delay shortened by `correction` (see [`timer_delay`]); zero means no timer.
fn response_timer(
    config: &ServerConfig,
    index: u64,
    fault: Option<FaultKind>,
    correction: Duration,
) -> Duration {
    match fault {
        // A stall must outlast a client's timeout; it does not stand for a latency.
        Some(FaultKind::Stall) => config.faults.stall,
        _ => timer_delay(config.delay_for(index), correction),
    }
}

/// Serves [`MockSite::fault_counts`] at [`STATS_PATH`].
struct StatsResponder(Arc<Shared>);

impl Respond for StatsResponder {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        let json = self.0.counts.snapshot().to_json();
        ResponseTemplate::new(200).set_body_raw(json, "application/json")
    }
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
        let shared = Arc::new(Shared {
            delay_correction,
            jython_body: page_body(Page::Jython, config.jython_bytes),
            dice_body: page_body(Page::Dice, config.dice_bytes),
            config,
            next_index: AtomicU64::new(0),
            counts: AtomicCounts::default(),
            pending: Mutex::new(None),
            decision_misses: AtomicU64::new(0),
            recycles_scheduled: AtomicU64::new(0),
            recycles_done: AtomicU64::new(0),
            recycle_faults: AtomicU64::new(0),
            server: OnceLock::new(),
        });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Faults;

    const MS: Duration = Duration::from_millis(1);

    fn config(latency: Duration, jitter: Duration) -> ServerConfig {
        ServerConfig {
            latency,
            jitter,
            faults: Faults {
                stall: 3_000 * MS,
                ..Faults::none()
            },
            ..ServerConfig::default()
        }
    }

    #[test]
    fn pages_and_errors_are_corrected_and_stalls_are_not() {
        let config = config(20 * MS, Duration::ZERO);
        for fault in [None, Some(FaultKind::Error)] {
            assert_eq!(response_timer(&config, 0, fault, MS), 19 * MS, "{fault:?}");
        }
        let stall = Some(FaultKind::Stall);
        assert_eq!(response_timer(&config, 0, stall, MS), 3_000 * MS);
    }

    #[test]
    fn jittered_delays_are_corrected_the_same_way() {
        let config = config(20 * MS, 10 * MS);
        for index in 0..100 {
            let configured = config.delay_for(index);
            let timer = response_timer(&config, index, None, MS);
            assert_eq!(timer, configured - MS, "request {index}");
        }
    }

    #[test]
    fn zero_latency_keeps_no_timer_and_short_ones_keep_one() {
        let none = config(Duration::ZERO, Duration::ZERO);
        assert_eq!(response_timer(&none, 0, None, MS), Duration::ZERO);
        let short = config(MS / 2, Duration::ZERO);
        assert!(!response_timer(&short, 0, None, MS).is_zero());
    }
}
