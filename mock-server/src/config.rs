//! The pages, their content, the server's settings and the delay of each response.

use std::fmt;
use std::time::Duration;

use crate::faults::{fault_for, FaultKind, Faults};
use crate::splitmix64::splitmix64;

/// One of the two pages the tutorial downloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Page {
    /// The full home page (`/jython`), 50 000 bytes by default.
    Jython,
    /// The small page (`/dice`), 2 000 bytes by default.
    Dice,
}

impl Page {
    /// Both pages, in the order the tutorial alternates them.
    pub const ALL: [Page; 2] = [Page::Jython, Page::Dice];

    /// The URL path the page is served at: `"/jython"` or `"/dice"`.
    pub fn path(self) -> &'static str {
        match self {
            Page::Jython => "/jython",
            Page::Dice => "/dice",
        }
    }

    /// A short name for the page: `"jython"` or `"dice"`.
    pub fn name(self) -> &'static str {
        &self.path()[1..]
    }
}

impl fmt::Display for Page {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Seed of the jitter and fault RNGs when none is given, so that runs repeat by default.
pub const DEFAULT_SEED: u64 = 0x5eed;

/// Requests between two memory recycles by default.
///
/// wiremock keeps a copy of every request a mock matched (about 8 KB of RSS per reqwest
/// request, measured); a recycle frees them, so 500 requests bound that store to about 4 MB.
/// Recycling is cheap: the soak example ran as fast recycling every 100 requests as every
/// 1 000 (and faster than never, as the store's growth slows the server down).
pub const DEFAULT_RECYCLE_EVERY: u64 = 500;

/// Largest accepted body, 4 MiB.
///
/// Every response in flight holds its own copy of the body while it waits out its delay, so
/// 160 concurrent downloads of the largest body already take 640 MiB.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Largest accepted latency and jitter, 60 s: anything longer is a mistake in a benchmark.
pub const MAX_DELAY: Duration = Duration::from_secs(60);

/// Settings of a [`MockSite`](crate::MockSite).
#[derive(Clone, Debug, PartialEq)]
pub struct ServerConfig {
    /// Base delay of every response (default 20 ms, at most [`MAX_DELAY`]).
    pub latency: Duration,
    /// Each response waits a delay drawn uniformly from `latency ± jitter`, clamped at 0
    /// (default 0, at most [`MAX_DELAY`]). See [`response_delay`].
    pub jitter: Duration,
    /// Length of the `/jython` body in bytes (default 50 000, 1 to [`MAX_BODY_BYTES`]).
    pub jython_bytes: usize,
    /// Length of the `/dice` body in bytes (default 2 000, 1 to [`MAX_BODY_BYTES`]).
    pub dice_bytes: usize,
    /// Seed of the jitter and fault RNGs (default [`DEFAULT_SEED`]): the same seed gives the
    /// same sequence of delays and faults.
    pub seed: u64,
    /// Requests between two memory recycles (default [`DEFAULT_RECYCLE_EVERY`]); `0` never
    /// recycles, and then the server's memory grows by about 8 KB per request. Debug builds
    /// stop recycling after 65 000 recycles: wiremock counts resets in a `u16` that would
    /// overflow (a panic with overflow checks on).
    pub recycle_every: u64,
    /// Faults to inject into page requests (default [`Faults::none`]); see [`fault_for`] and
    /// [`MockSite`](crate::MockSite). `truncate_rate` must be 0: see [`FaultKind::Truncate`].
    pub faults: Faults,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            latency: Duration::from_millis(20),
            jitter: Duration::ZERO,
            jython_bytes: 50_000,
            dice_bytes: 2_000,
            seed: DEFAULT_SEED,
            recycle_every: DEFAULT_RECYCLE_EVERY,
            faults: Faults::none(),
        }
    }
}

impl ServerConfig {
    /// Length in bytes of `page`'s body.
    pub fn body_len(&self, page: Page) -> usize {
        match page {
            Page::Jython => self.jython_bytes,
            Page::Dice => self.dice_bytes,
        }
    }

    /// Delay of the `index`-th response (counting from 0 in the order the server handles
    /// requests): `response_delay(self.latency, self.jitter, self.seed, index)`.
    pub fn delay_for(&self, index: u64) -> Duration {
        response_delay(self.latency, self.jitter, self.seed, index)
    }

    /// Fault of the `index`-th page request (counting from 0 in the order the server handles
    /// requests, the same index as [`ServerConfig::delay_for`]'s):
    /// `fault_for(&self.faults, self.seed, index)`.
    pub fn fault_for(&self, index: u64) -> Option<FaultKind> {
        fault_for(&self.faults, self.seed, index)
    }

    /// Checks every field against its documented range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (field, value) in [("latency", self.latency), ("jitter", self.jitter)] {
            if value > MAX_DELAY {
                return Err(ConfigError {
                    field,
                    problem: format!("{value:?} is longer than the maximum {MAX_DELAY:?}"),
                });
            }
        }
        for (field, value) in [
            ("jython_bytes", self.jython_bytes),
            ("dice_bytes", self.dice_bytes),
        ] {
            if value == 0 || value > MAX_BODY_BYTES {
                return Err(ConfigError {
                    field,
                    problem: format!("{value} is not in 1..={MAX_BODY_BYTES}"),
                });
            }
        }
        let faults_error = |problem| ConfigError {
            field: "faults",
            problem,
        };
        self.faults.validate().map_err(faults_error)?;
        if self.faults.truncate_rate != 0.0 {
            return Err(faults_error(TRUNCATE_UNSUPPORTED.to_owned()));
        }
        Ok(())
    }
}

/// Why a non-zero [`Faults::truncate_rate`] is refused, in one line.
pub(crate) const TRUNCATE_UNSUPPORTED: &str = "truncated bodies are not supported: hyper (under wiremock) will not send a Content-Length longer than the body (debug builds panic)";

/// A [`ServerConfig`] field outside its documented range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// Name of the offending field.
    pub field: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid ServerConfig.{}: {}", self.field, self.problem)
    }
}

impl std::error::Error for ConfigError {}

/// Delay of the `index`-th response of a server with this latency, jitter and seed.
///
/// Uniform (to the nanosecond) in `[latency − jitter, latency + jitter]`, clamped at 0; exactly
/// `latency` when `jitter` is 0. A pure function: the same arguments always give the same
/// delay, which is what makes runs with the same seed repeat. Both durations must be at most
/// [`MAX_DELAY`] (longer ones saturate at about 584 years).
pub fn response_delay(latency: Duration, jitter: Duration, seed: u64, index: u64) -> Duration {
    if jitter.is_zero() {
        return latency;
    }
    let to_nanos = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    let (latency, jitter) = (to_nanos(latency) as i128, to_nanos(jitter) as i128);
    let span = 2 * jitter as u128 + 1;
    // Lemire's multiply-shift maps 64 random bits onto [0, span) with negligible bias.
    let offset = ((splitmix64(seed, index) as u128 * span) >> 64) as i128;
    let nanos = (latency - jitter + offset).max(0);
    Duration::from_nanos(nanos as u64)
}

/// Deterministic body of `page`, exactly `len` bytes long.
///
/// HTML-ish text whose lines are numbered, so a client comparing bytes (not only lengths)
/// catches a truncated, shifted or mixed-up body. Ends with `</body></html>\n` when `len`
/// leaves room for it.
pub fn page_body(page: Page, len: usize) -> Vec<u8> {
    use std::io::Write;
    let footer: &[u8] = b"</body></html>\n";
    let mut out = Vec::with_capacity(len + 128);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html><head><title>{page} (mock)</title></head><body>\n"
    );
    let mut line = 0u64;
    while out.len() < len {
        line += 1;
        let _ = writeln!(
            out,
            "<p>{page} line {line:06}: deterministic filler for the concurrency benchmarks.</p>"
        );
    }
    if len >= footer.len() + 64 {
        out.truncate(len - footer.len());
        out.extend_from_slice(footer);
    } else {
        out.truncate(len);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_exact_length_and_differs_between_pages() {
        for len in [1, 10, 63, 79, 80, 2_000, 50_000, 123_457] {
            for page in Page::ALL {
                let body = page_body(page, len);
                assert_eq!(body.len(), len, "{page} {len}");
                assert_eq!(body, page_body(page, len), "deterministic");
            }
        }
        assert_ne!(page_body(Page::Jython, 100), page_body(Page::Dice, 100));
        assert!(page_body(Page::Jython, 50_000).ends_with(b"</body></html>\n"));
    }

    #[test]
    fn zero_jitter_is_exactly_the_latency() {
        let l = Duration::from_micros(20_500);
        for i in 0..100 {
            assert_eq!(response_delay(l, Duration::ZERO, 7, i), l);
        }
    }

    #[test]
    fn defaults_are_valid_and_limits_are_enforced() {
        assert_eq!(ServerConfig::default().validate(), Ok(()));
        let bad = ServerConfig {
            dice_bytes: 0,
            ..ServerConfig::default()
        };
        assert_eq!(bad.validate().unwrap_err().field, "dice_bytes");
        let bad = ServerConfig {
            jitter: MAX_DELAY + Duration::from_nanos(1),
            ..ServerConfig::default()
        };
        assert_eq!(bad.validate().unwrap_err().field, "jitter");
        let bad = ServerConfig {
            faults: Faults {
                error_rate: 0.7,
                reset_rate: 0.7,
                ..Faults::none()
            },
            ..ServerConfig::default()
        };
        let error = bad.validate().unwrap_err();
        assert_eq!(error.field, "faults");
        assert!(error.problem.contains("sum to 1.4"), "{error}");
    }

    #[test]
    fn truncate_is_refused_by_the_server_config() {
        let config = ServerConfig {
            faults: Faults::parse("error:0.1,truncate:0.01").unwrap(),
            ..ServerConfig::default()
        };
        let error = config.validate().unwrap_err();
        assert_eq!(error.field, "faults");
        assert!(error.problem.contains("truncated bodies are not supported"));
        assert_eq!(error.to_string().lines().count(), 1);
        let config = ServerConfig {
            faults: Faults::parse("error:0.1,truncate:0").unwrap(),
            ..ServerConfig::default()
        };
        assert_eq!(config.validate(), Ok(()));
    }
}
