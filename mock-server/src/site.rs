//! The running server: a dedicated wiremock server, its responder, and memory recycling.

use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock, Weak};

use tokio::runtime::{Handle, RuntimeFlavor};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::config::{page_body, ConfigError, Page, ServerConfig};

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

/// A running server for the two pages, dedicated to its owner.
///
/// It listens on `127.0.0.1` (or the address given to [`MockSite::start_at`]) and serves
/// until dropped. Dropping it is safe from sync code and from inside a tokio runtime: it owns
/// no runtime; wiremock's server runs on wiremock's own thread.
///
/// # Bounded memory
///
/// wiremock keeps a copy of every request a mock matched (about 8 KB each, even with request
/// recording disabled) and frees them only in `MockServer::reset`, which also unmounts the
/// mocks. (Rotating scoped mocks would not help: dropping a `MockGuard` only marks its mock
/// out of scope; the mock and its copies stay in wiremock's list.) So every
/// [`ServerConfig::recycle_every`] requests the responder schedules a recycle: `reset()`, then
/// mount both pages again. No request can fall in between and get a 404: the recycle runs as
/// a task on wiremock's own current-thread runtime (the one calling the responder), and
/// `reset` and both `register`s complete within one poll of that task. wiremock's request
/// handlers run on that same single thread and never hold its lock across a yield, so none
/// can run, or be queued for the lock, between the reset and the mounts. Should a `register`
/// ever yield (only possible if another thread held wiremock's lock),
/// [`MockSite::recycle_faults`] counts it. Responses already produced are not affected:
/// their delay and body no longer depend on the mocks.
pub struct MockSite {
    server: Arc<MockServer>,
    shared: Arc<Shared>,
    base_url: String,
}

/// State shared by the site and the responders of its mocks.
struct Shared {
    config: ServerConfig,
    jython_body: Vec<u8>,
    dice_body: Vec<u8>,
    /// Responses produced so far; also the index of the next response's delay.
    served: AtomicU64,
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

    fn mock(self: &Arc<Self>, page: Page) -> Mock {
        Mock::given(path(page.path())).respond_with(PageResponder {
            page,
            shared: Arc::clone(self),
        })
    }

    /// Called by the responder after its `served`-th response; schedules a recycle when due.
    fn after_response(self: &Arc<Self>, served: u64) {
        let every = self.config.recycle_every;
        if every == 0 || served % every != 0 {
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

/// Frees the requests wiremock stored, keeping both pages mounted for every request.
async fn recycle(server: Arc<MockServer>, shared: Arc<Shared>) {
    // Built before the reset so that nothing but the mounting happens between the two.
    let fresh = Page::ALL.map(|page| shared.mock(page));
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

/// wiremock calls `respond` once per matched request, on its server thread, while holding its
/// lock: keep it short.
struct PageResponder {
    page: Page,
    shared: Arc<Shared>,
}

impl Respond for PageResponder {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        let index = self.shared.served.fetch_add(1, Relaxed);
        self.shared.after_response(index + 1);
        let delay = self.shared.config.delay_for(index);
        // Fault injection belongs here: pick an error template from `index` and the seed, as the
        // delay is, so a seed reproduces the faults too.
        let response = ResponseTemplate::new(200)
            .set_body_raw(self.shared.body(self.page).to_vec(), "text/html");
        if delay.is_zero() {
            response // no timer at all, rather than a zero-length one
        } else {
            response.set_delay(delay)
        }
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
        let server = Arc::new(
            MockServer::builder()
                .listener(listener)
                .disable_request_recording()
                .start()
                .await,
        );
        let shared = Arc::new(Shared {
            jython_body: page_body(Page::Jython, config.jython_bytes),
            dice_body: page_body(Page::Dice, config.dice_bytes),
            config,
            served: AtomicU64::new(0),
            recycles_scheduled: AtomicU64::new(0),
            recycles_done: AtomicU64::new(0),
            recycle_faults: AtomicU64::new(0),
            server: OnceLock::new(),
        });
        // Set before mounting: no responder can run before this.
        let _ = shared.server.set(Arc::downgrade(&server));
        for page in Page::ALL {
            server.register(shared.mock(page)).await;
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
    /// dropped on its own thread.
    pub fn start_blocking(config: ServerConfig) -> Result<MockSite, StartError> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        std::thread::Builder::new()
            .name("mock-site-start".into())
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

    /// Page responses produced so far (404s not included).
    ///
    /// Counted by the responder when it builds a response, that is before the response's
    /// delay has elapsed: a request still waiting out its latency is already counted.
    pub fn requests_served(&self) -> u64 {
        self.shared.served.load(Relaxed)
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
            .field("requests_served", &self.requests_served())
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
