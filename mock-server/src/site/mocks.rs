//! What wiremock calls for every request: the fault matcher, the page, reset and statistics
//! responders, the state they share with the site ([`Shared`]), and the recycling of
//! wiremock's memory. Why the decision can pass from matcher to responder in one slot, and why a
//! recycle loses no request, is on [`MockSite`](super::MockSite).

use std::future::{poll_fn, Future};
use std::io;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::Duration;

use tokio::runtime::{Handle, RuntimeFlavor};
use wiremock::matchers::path;
use wiremock::{Match, Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::config::{page_body, Page, ServerConfig};
use crate::faults::{FaultCounts, FaultKind};
use crate::timer::timer_delay;

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

/// Body of an injected HTTP 500 ([`FaultKind::Error`]), sent as `text/plain`.
pub const ERROR_BODY: &str = "mock-server: injected error\n";

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
pub(super) struct AtomicCounts {
    pub(super) ok: AtomicU64,
    pub(super) error: AtomicU64,
    pub(super) reset: AtomicU64,
    pub(super) stall: AtomicU64,
    pub(super) truncate: AtomicU64,
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

    pub(super) fn snapshot(&self) -> FaultCounts {
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
pub(super) struct Shared {
    pub(super) config: ServerConfig,
    /// Subtracted from every response's delay, not from stalls (see [`response_timer`]).
    pub(super) delay_correction: Duration,
    pub(super) jython_body: Vec<u8>,
    pub(super) dice_body: Vec<u8>,
    /// Page requests so far; also the index of the next one.
    pub(super) next_index: AtomicU64,
    pub(super) counts: AtomicCounts,
    /// Set by [`FaultMatcher`] for the request being matched, taken by that request's
    /// responder right after (see [`MockSite`] for why nothing can come in between).
    pending: Mutex<Option<Decision>>,
    pub(super) decision_misses: AtomicU64,
    pub(super) recycles_scheduled: AtomicU64,
    pub(super) recycles_done: AtomicU64,
    pub(super) recycle_faults: AtomicU64,
    /// Weak, because the server owns the mocks, which own this: a strong reference would be a
    /// cycle and the server would never shut down.
    pub(super) server: OnceLock<Weak<MockServer>>,
}

impl Shared {
    /// The state of a site serving `config`, its responses' delays shortened by
    /// `delay_correction` (see [`response_timer`]), before any request.
    pub(super) fn new(config: ServerConfig, delay_correction: Duration) -> Shared {
        Shared {
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
        }
    }

    fn body(&self, page: Page) -> &[u8] {
        match page {
            Page::Jython => &self.jython_body,
            Page::Dice => &self.dice_body,
        }
    }

    /// Every mock of the site, in mounting order.
    pub(super) fn mocks(self: &Arc<Self>) -> [Mock; 4] {
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
