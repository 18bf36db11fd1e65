//! A local, latency-controlled HTTP server for the concurrency benchmarks.
//!
//! The benchmarks reproduce the I/O half of the tutorial "Speed Up Your Python Program With
//! Concurrency": 160 downloads alternating between a full home page and a small page. Real
//! sites make such numbers depend on the network of the day, so this crate serves the two
//! pages from `127.0.0.1` with a chosen, reproducible delay:
//!
//! * [`Page::Jython`] at `/jython` (a full home page, 50 000 bytes by default) and
//!   [`Page::Dice`] at `/dice` (2 000 bytes); [`STATS_PATH`] (`/__stats`) serves the
//!   counts of [`MockSite::fault_counts`] as JSON; any other path gets `404`;
//! * every response waits `latency ± jitter` (see [`response_delay`]); the waits of concurrent
//!   requests overlap, as they would on a real site; each timer is set shorter by
//!   [`delay_correction`] (at most 1 ms), measured once per process, to make up for how late
//!   tokio's timer wakes (about 1.1 ms), so that sequential requests take a median of the
//!   latency plus 0.1–0.5 ms, round trip included;
//! * bodies are deterministic ([`page_body`]), so clients can check every byte they download;
//! * optionally, a chosen share of page requests fail: HTTP 500, connection closed without a
//!   response, or a response stalled past any client timeout ([`Faults`]); which requests
//!   fail is, like the delays, a pure function of the seed and the request's index
//!   ([`fault_for`]), and the server counts what it injected ([`MockSite::fault_counts`]);
//! * memory stays bounded however many requests arrive (see [`MockSite`]).
//!
//! [`MockSite`] runs the server inside a process (benchmarks, tests); the `mock-server`
//! binary runs the same server on its own, for curl or the tutorial's Python scripts.
//!
//! What it is **not** for: it is not a general HTTP mock (use `wiremock` directly), not a way
//! to benchmark HTTP servers (its single server thread handles roughly 30–40k requests/s, so
//! a client faster than that measures the server, not itself), and not hardened for untrusted
//! networks (it binds loopback unless the binary is told otherwise).

#![warn(missing_docs)]

pub mod cli;
mod config;
mod faults;
pub mod proc_stats;
mod site;
mod splitmix64;
mod timer;

pub use config::{
    page_body, response_delay, ConfigError, Page, ServerConfig, DEFAULT_RECYCLE_EVERY,
    DEFAULT_SEED, MAX_BODY_BYTES, MAX_DELAY,
};
pub use faults::{fault_for, FaultCounts, FaultKind, Faults, DEFAULT_STALL, MAX_STALL};
pub use site::{MockSite, StartError, ERROR_BODY, LISTEN_BACKLOG, SERVER_THREAD, STATS_PATH};
pub use splitmix64::{splitmix64, SplitMix64};
pub use timer::{delay_correction, timer_delay, MAX_DELAY_CORRECTION};
