//! Fault injection: which page requests fail, and how.
//!
//! Each page request (either page) takes the next index from one counter, counting from 0 in the
//! order the server handles requests, the same index as its delay ([`response_delay`]).
//! [`fault_for`]`(faults, seed, index)` decides whether that request is faulted and how: a pure
//! function of its arguments, so the same seed gives the same faults at the same indices, and a
//! client sending its requests one at a time knows in advance which of them will fail.
//!
//! [`response_delay`]: crate::response_delay

use std::fmt;
use std::time::Duration;

use crate::splitmix64::splitmix64;

/// Default of [`Faults::stall`]: 60 s, longer than any sane client timeout.
pub const DEFAULT_STALL: Duration = Duration::from_secs(60);

/// Longest accepted [`Faults::stall`], one hour.
pub const MAX_STALL: Duration = Duration::from_secs(3600);

/// Mixed into the seed so that the fault draws form a stream of their own: a request's fault
/// says nothing about its jitter, and the other way round.
const FAULT_STREAM_SALT: u64 = 0xFA17_5EED_0DD5_C0DE;

/// Largest amount by which the rates may exceed 1 in total: floating-point sums such as
/// 0.7 + 0.2 + 0.1 land a rounding error away from 1.
const SUM_TOLERANCE: f64 = 1e-9;

/// One kind of injected fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// An HTTP 500 response with a short body, after the usual delay.
    Error,
    /// The connection is closed before any byte of a response is written.
    Reset,
    /// The page is sent only after [`Faults::stall`], so the client times out first.
    Stall,
    /// A body cut short of its `Content-Length`. **Not supported by the server**:
    /// [`ServerConfig::validate`](crate::ServerConfig::validate) refuses a non-zero
    /// [`Faults::truncate_rate`], because hyper, under wiremock, cannot send such a response
    /// (debug builds of hyper panic when the header disagrees with the body's length).
    /// The kind exists so that specs, draws and counts keep one shape.
    Truncate,
}

impl FaultKind {
    /// Every kind, in the order [`fault_for`] draws them.
    pub const ALL: [FaultKind; 4] = [
        FaultKind::Error,
        FaultKind::Reset,
        FaultKind::Stall,
        FaultKind::Truncate,
    ];

    /// The kind's name in specs and JSON: `"error"`, `"reset"`, `"stall"` or `"truncate"`.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Error => "error",
            FaultKind::Reset => "reset",
            FaultKind::Stall => "stall",
            FaultKind::Truncate => "truncate",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Per-request fault probabilities, and the length of a stall.
///
/// At most one fault per request: the kinds are drawn exclusively (see [`fault_for`]), so the
/// rates must each be in `0..=1` and sum to at most 1. [`Faults::none`] (also the `Default`)
/// injects nothing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Faults {
    /// Probability that a page request gets an HTTP 500.
    pub error_rate: f64,
    /// Probability that a page request's connection is closed before any response.
    pub reset_rate: f64,
    /// Probability that a page request's response waits [`Faults::stall`] instead of the latency.
    pub stall_rate: f64,
    /// Probability of a truncated body; must be 0 for a server (see [`FaultKind::Truncate`]).
    pub truncate_rate: f64,
    /// How long a stalled response waits before it is sent (default [`DEFAULT_STALL`], at most
    /// [`MAX_STALL`]).
    pub stall: Duration,
}

impl Default for Faults {
    fn default() -> Self {
        Faults::none()
    }
}

impl Faults {
    /// No faults: every rate 0, `stall` [`DEFAULT_STALL`].
    pub fn none() -> Faults {
        Faults {
            error_rate: 0.0,
            reset_rate: 0.0,
            stall_rate: 0.0,
            truncate_rate: 0.0,
            stall: DEFAULT_STALL,
        }
    }

    /// Whether no request can be faulted (every rate is 0; `stall` does not matter).
    pub fn is_none(&self) -> bool {
        FaultKind::ALL.iter().all(|&kind| self.rate(kind) == 0.0)
    }

    /// The rate of `kind`.
    pub fn rate(&self, kind: FaultKind) -> f64 {
        match kind {
            FaultKind::Error => self.error_rate,
            FaultKind::Reset => self.reset_rate,
            FaultKind::Stall => self.stall_rate,
            FaultKind::Truncate => self.truncate_rate,
        }
    }

    fn rate_mut(&mut self, kind: FaultKind) -> &mut f64 {
        match kind {
            FaultKind::Error => &mut self.error_rate,
            FaultKind::Reset => &mut self.reset_rate,
            FaultKind::Stall => &mut self.stall_rate,
            FaultKind::Truncate => &mut self.truncate_rate,
        }
    }

    /// Sum of the rates.
    pub fn total_rate(&self) -> f64 {
        FaultKind::ALL.iter().map(|&kind| self.rate(kind)).sum()
    }

    /// Parses a spec such as `"error:0.05,reset:0.02,stall:0.01,truncate:0.01"`.
    ///
    /// Any subset of the kinds, in any order, separated by commas (spaces around the parts are
    /// ignored); a kind left out has rate 0, and `""` or `"none"` is [`Faults::none`]. `stall`
    /// keeps its default length. Errors are one line naming the bad part: a part that is not
    /// `KIND:RATE`, an unknown kind, a rate that is not a number in `0..=1`, a kind given twice,
    /// or rates summing to more than 1.
    ///
    /// A `truncate` rate parses (so the spec has one shape everywhere), but a server refuses a
    /// non-zero one: see [`FaultKind::Truncate`].
    pub fn parse(spec: &str) -> Result<Faults, String> {
        let mut faults = Faults::none();
        let trimmed = spec.trim();
        if trimmed.is_empty() || trimmed == "none" {
            return Ok(faults);
        }
        let mut seen = Vec::new();
        for part in trimmed.split(',').map(str::trim) {
            let Some((name, rate)) = part.split_once(':') else {
                return Err(format!(
                    "`{part}` is not KIND:RATE (e.g. error:0.05; kinds: {})",
                    kind_names()
                ));
            };
            let (name, rate) = (name.trim(), rate.trim());
            let Some(kind) = FaultKind::ALL.into_iter().find(|k| k.name() == name) else {
                return Err(format!(
                    "unknown fault kind `{name}` in `{part}` (kinds: {})",
                    kind_names()
                ));
            };
            if seen.contains(&kind) {
                return Err(format!("fault kind `{name}` given twice"));
            }
            seen.push(kind);
            *faults.rate_mut(kind) = parse_rate(rate).map_err(|e| format!("`{part}`: {e}"))?;
        }
        faults.validate()?;
        Ok(faults)
    }

    /// Checks the ranges: each rate a number in `0..=1`, their sum at most 1, `stall` at most
    /// [`MAX_STALL`]. The message is one line naming the bad part. (It does not refuse
    /// `truncate_rate`; [`ServerConfig::validate`](crate::ServerConfig::validate) does.)
    pub fn validate(&self) -> Result<(), String> {
        for kind in FaultKind::ALL {
            let rate = self.rate(kind);
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{kind} rate {rate} is not a number from 0 to 1"));
            }
        }
        let total = self.total_rate();
        if total > 1.0 + SUM_TOLERANCE {
            // Rounded so that 0.6 + 0.3 + 0.2 reads 1.1, not 1.0999999999999999.
            let shown = (total * 1e9).round() / 1e9;
            return Err(format!(
                "the fault rates sum to {shown}, more than 1 (at most one fault per request)"
            ));
        }
        if self.stall > MAX_STALL {
            return Err(format!(
                "stall {:?} is longer than the maximum {MAX_STALL:?}",
                self.stall
            ));
        }
        Ok(())
    }
}

/// The spec [`Faults::parse`] reads back to the same rates: `"none"`, or the non-zero rates
/// as `kind:rate` separated by commas (the stall's length is not part of a spec).
impl fmt::Display for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_none() {
            return f.write_str("none");
        }
        let mut first = true;
        for kind in FaultKind::ALL {
            let rate = self.rate(kind);
            if rate != 0.0 {
                let comma = if first { "" } else { "," };
                write!(f, "{comma}{kind}:{rate}")?;
                first = false;
            }
        }
        Ok(())
    }
}

fn kind_names() -> String {
    FaultKind::ALL.map(FaultKind::name).join(", ")
}

/// Parses one rate: a number from 0 to 1 (NaN and infinities refused).
pub(crate) fn parse_rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) => Ok(rate),
        Ok(rate) => Err(format!("rate {rate} is not a number from 0 to 1")),
        Err(_) => Err(format!("rate `{}` is not a number from 0 to 1", s.trim())),
    }
}

/// The fault, if any, of the `index`-th page request of a server with these faults and seed.
///
/// Draws one number `u`, uniform in `[0, 1)`, from a SplitMix64 stream of its own (the seed
/// mixed with a constant, so independent of the jitter's stream, which uses the seed as is),
/// and picks the kinds exclusively in the order of [`FaultKind::ALL`]: `Error` if
/// `u < error_rate`, else `Reset` if `u < error_rate + reset_rate`, and so on; `None` when `u`
/// is past the sum of the rates. A pure function: the same arguments always give the same
/// answer.
pub fn fault_for(faults: &Faults, seed: u64, index: u64) -> Option<FaultKind> {
    if faults.is_none() {
        return None;
    }
    // The top 53 bits make a double in [0, 1) with every value equally likely.
    let u = (splitmix64(seed ^ FAULT_STREAM_SALT, index) >> 11) as f64 / (1u64 << 53) as f64;
    let mut bound = 0.0;
    for kind in FaultKind::ALL {
        bound += faults.rate(kind);
        if u < bound {
            return Some(kind);
        }
    }
    None
}

/// How many page requests a server answered well, and how many it faulted, by kind.
///
/// Counted when the server decides a request's response, before its delay: a stalled request
/// is counted as a stall as soon as it arrives. `ok + error + reset + stall + truncate` is
/// [`MockSite::requests_served`](crate::MockSite::requests_served).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct FaultCounts {
    /// Page requests answered with the page, on time.
    pub ok: u64,
    /// Requests answered with an HTTP 500.
    pub error: u64,
    /// Requests whose connection was closed without a response.
    pub reset: u64,
    /// Requests whose response waited [`Faults::stall`].
    pub stall: u64,
    /// Requests answered with a truncated body (always 0: see [`FaultKind::Truncate`]).
    pub truncate: u64,
}

impl FaultCounts {
    /// The count of `kind`.
    pub fn get(&self, kind: FaultKind) -> u64 {
        match kind {
            FaultKind::Error => self.error,
            FaultKind::Reset => self.reset,
            FaultKind::Stall => self.stall,
            FaultKind::Truncate => self.truncate,
        }
    }

    /// Adds one to the count of `fault` (`None`: to `ok`).
    pub fn add(&mut self, fault: Option<FaultKind>) {
        let count = match fault {
            None => &mut self.ok,
            Some(FaultKind::Error) => &mut self.error,
            Some(FaultKind::Reset) => &mut self.reset,
            Some(FaultKind::Stall) => &mut self.stall,
            Some(FaultKind::Truncate) => &mut self.truncate,
        };
        *count += 1;
    }

    /// What was counted since `earlier`, an earlier reading of the same counts (a count that
    /// went down, which a later reading cannot do, gives 0).
    pub fn since(&self, earlier: &FaultCounts) -> FaultCounts {
        FaultCounts {
            ok: self.ok.saturating_sub(earlier.ok),
            error: self.error.saturating_sub(earlier.error),
            reset: self.reset.saturating_sub(earlier.reset),
            stall: self.stall.saturating_sub(earlier.stall),
            truncate: self.truncate.saturating_sub(earlier.truncate),
        }
    }

    /// Adds every count of `other` to these.
    pub fn add_counts(&mut self, other: &FaultCounts) {
        self.ok += other.ok;
        self.error += other.error;
        self.reset += other.reset;
        self.stall += other.stall;
        self.truncate += other.truncate;
    }

    /// All page requests counted: `ok` plus every fault.
    pub fn total(&self) -> u64 {
        self.ok + FaultKind::ALL.iter().map(|&k| self.get(k)).sum::<u64>()
    }

    /// One line of JSON, keys in this order:
    /// `{"ok":180,"error":10,"reset":6,"stall":4,"truncate":0}`.
    pub fn to_json(&self) -> String {
        format!(
            r#"{{"ok":{},"error":{},"reset":{},"stall":{},"truncate":{}}}"#,
            self.ok, self.error, self.reset, self.stall, self.truncate
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates(f: &Faults) -> [f64; 4] {
        FaultKind::ALL.map(|k| f.rate(k))
    }

    #[test]
    fn parses_any_subset_in_any_order() {
        let f = Faults::parse("error:0.05,reset:0.02,stall:0.01,truncate:0.01").unwrap();
        assert_eq!(rates(&f), [0.05, 0.02, 0.01, 0.01]);
        assert_eq!(f.stall, DEFAULT_STALL);
        let f = Faults::parse(" stall:0.5 , error:1e-3").unwrap();
        assert_eq!(rates(&f), [0.001, 0.0, 0.5, 0.0]);
        assert_eq!(Faults::parse("reset:1").unwrap().reset_rate, 1.0);
        // Rounding must not make an exact 1 fail.
        assert!(Faults::parse("error:0.7,reset:0.2,stall:0.1").is_ok());
        assert!(Faults::parse("error:0.1,reset:0.2,stall:0.3,truncate:0.4").is_ok());
        for empty in ["", "  ", "none"] {
            assert_eq!(Faults::parse(empty), Ok(Faults::none()), "{empty:?}");
        }
        assert!(Faults::parse("error:0").unwrap().is_none());
    }

    #[test]
    fn bad_specs_are_refused_naming_the_problem() {
        let cases = [
            ("error:0.1,bogus:0.2", "unknown fault kind `bogus`"),
            ("Error:0.1", "unknown fault kind `Error`"),
            ("error", "`error` is not KIND:RATE"),
            ("error:0.1,", "`` is not KIND:RATE"),
            (
                "error:1.5",
                "`error:1.5`: rate 1.5 is not a number from 0 to 1",
            ),
            ("reset:-0.1", "`reset:-0.1`: rate -0.1"),
            ("stall:NaN", "`stall:NaN`: rate NaN"),
            ("stall:inf", "`stall:inf`: rate inf"),
            ("error:x", "`error:x`: rate `x` is not a number"),
            ("error:", "`error:`: rate `` is not a number"),
            (
                "error:0.1,reset:0.1,error:0.2",
                "fault kind `error` given twice",
            ),
            ("error:0.6,reset:0.5", "sum to 1.1,"),
            ("error:0.6,reset:0.3,stall:0.2", "sum to 1.1,"),
        ];
        for (spec, expected) in cases {
            let message = Faults::parse(spec).expect_err(spec);
            assert!(message.contains(expected), "{spec:?}: {message}");
            assert_eq!(message.lines().count(), 1, "{spec:?}: {message}");
        }
    }

    #[test]
    fn validate_checks_values_set_directly() {
        let mut f = Faults::none();
        assert_eq!(f.validate(), Ok(()));
        f.error_rate = f64::NAN;
        assert!(f.validate().unwrap_err().contains("error rate NaN"));
        f.error_rate = 0.5;
        f.stall_rate = 0.6;
        assert!(f.validate().unwrap_err().contains("sum to"));
        f.stall_rate = 0.1;
        f.stall = MAX_STALL + Duration::from_nanos(1);
        assert!(f.validate().unwrap_err().contains("stall"));
    }

    #[test]
    fn display_round_trips_through_parse() {
        for spec in [
            "none",
            "error:0.05",
            "reset:0.125,stall:0.3",
            "error:0.1,truncate:0.2",
        ] {
            let f = Faults::parse(spec).unwrap();
            assert_eq!(f.to_string(), spec);
            assert_eq!(Faults::parse(&f.to_string()), Ok(f));
        }
        assert_eq!(Faults::default(), Faults::none());
    }

    #[test]
    fn no_faults_and_all_one_kind() {
        let none = Faults::none();
        assert!((0..1000).all(|i| fault_for(&none, 1, i).is_none()));
        for kind in FaultKind::ALL {
            let mut f = Faults::none();
            *f.rate_mut(kind) = 1.0;
            assert!(
                (0..1000).all(|i| fault_for(&f, 1, i) == Some(kind)),
                "{kind}"
            );
        }
    }

    #[test]
    fn counts_subtract_an_earlier_reading_and_add_up() {
        let earlier = FaultCounts {
            ok: 3,
            error: 1,
            ..FaultCounts::default()
        };
        let later = FaultCounts {
            ok: 10,
            error: 2,
            reset: 4,
            stall: 1,
            truncate: 0,
        };
        let between = later.since(&earlier);
        assert_eq!(
            (between.ok, between.error, between.reset, between.stall),
            (7, 1, 4, 1)
        );
        assert_eq!(earlier.since(&later), FaultCounts::default());
        let mut sum = earlier;
        sum.add_counts(&between);
        assert_eq!(sum, later);
    }

    #[test]
    fn counts_add_get_total_and_json() {
        let mut c = FaultCounts::default();
        for fault in [None, None, Some(FaultKind::Error), Some(FaultKind::Stall)] {
            c.add(fault);
        }
        c.reset = 12;
        assert_eq!(
            (c.ok, c.get(FaultKind::Error), c.get(FaultKind::Stall)),
            (2, 1, 1)
        );
        assert_eq!(
            (c.get(FaultKind::Reset), c.get(FaultKind::Truncate)),
            (12, 0)
        );
        assert_eq!(c.total(), 16);
        assert_eq!(
            c.to_json(),
            r#"{"ok":2,"error":1,"reset":12,"stall":1,"truncate":0}"#
        );
    }
}
