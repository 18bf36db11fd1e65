//! When `ab`'s sequential rounds stop measuring a benchmark, and how they run: the settings of
//! [`Stopping`] (`--min-rounds`, `--max-rounds`, `--budget`, `--side-by-side-cores`,
//! `--no-lock-step`), checked, and `--budget`'s parser.

use std::time::Duration;

use crate::compare::PerRound;
use crate::error::{Error, Result};

/// Default `--min-rounds`: the first batch, even so that old-first and new-first rounds
/// balance, and enough for the quietest benchmarks (I/O: 0.24% per round) to be decided at once.
pub const DEFAULT_MIN_ROUNDS: usize = 4;

/// Default `--max-rounds`.
pub const DEFAULT_MAX_ROUNDS: usize = 12;

/// Rounds added per look after the first batch: one old-first, one new-first.
pub const STEP: usize = 2;

/// A benchmark whose round-0 runs kept at most this many cores busy on each side waits on
/// latency, not on a core: its later rounds may run side by side. The I/O strategies that wait
/// measured 0.03–0.06; the next busiest, `tokio_current_thread`, 0.40.
pub const LATENCY_BOUND_CORES: f64 = 0.1;

/// Default `--side-by-side-cores`: latency-bound runs start together while their measured
/// cores add up to at most this, a quarter of the 2-core machine (about ten such runs).
pub const DEFAULT_SIDE_BY_SIDE_CORES: f64 = 0.5;

/// When `ab` stops measuring a benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct Stopping {
    /// Rounds of the first batch (`--min-rounds`).
    pub min_rounds: usize,
    /// The most rounds of any benchmark (`--max-rounds`).
    pub max_rounds: usize,
    /// No new batch starts when it would end after this much time (`--budget`).
    pub budget: Option<Duration>,
    /// Latency-bound benchmarks' runs after round 0 start together while their measured
    /// cores add up to at most this (`--side-by-side-cores`); 0: every run alone.
    pub side_by_side_cores: f64,
    /// The other benchmarks' two sides of a round run at once, taking turns sample by sample
    /// (off: `--no-lock-step`, or a side whose suite does not read `CB_TURNS`).
    pub lock_step: bool,
}

impl Default for Stopping {
    fn default() -> Self {
        Stopping {
            min_rounds: DEFAULT_MIN_ROUNDS,
            max_rounds: DEFAULT_MAX_ROUNDS,
            budget: None,
            side_by_side_cores: DEFAULT_SIDE_BY_SIDE_CORES,
            lock_step: true,
        }
    }
}

impl Stopping {
    /// How a round's two runs make its change: in lock step sample i of each side are a turn
    /// apart, so they are paired; one after the other, each side's fastest sample.
    pub fn per_round(&self) -> PerRound {
        if self.lock_step {
            PerRound::PairedSamples
        } else {
            PerRound::Fastest
        }
    }

    /// The most looks at one benchmark: after the first batch and after each later step.
    pub fn looks(&self) -> usize {
        (self.max_rounds - self.min_rounds) / STEP + 1
    }

    /// Checks the rounds: a first batch of at least 2, even (balanced ABBA), and a maximum
    /// reached from it in whole steps; a side-by-side capacity of 0 or more.
    pub fn validate(&self) -> Result<()> {
        if !(self.side_by_side_cores.is_finite() && self.side_by_side_cores >= 0.0) {
            return Err(Error::msg(format!(
                "--side-by-side-cores must be 0 (every run alone) or more, got {}",
                self.side_by_side_cores
            )));
        }
        if self.min_rounds < 2 || !self.min_rounds.is_multiple_of(2) {
            return Err(Error::msg(format!(
                "--min-rounds must be even and at least 2 (as many old-first as new-first rounds, and a spread needs two), got {}",
                self.min_rounds
            )));
        }
        if self.max_rounds < self.min_rounds
            || !(self.max_rounds - self.min_rounds).is_multiple_of(STEP)
        {
            return Err(Error::msg(format!(
                "--max-rounds must be --min-rounds plus a multiple of {STEP} (rounds are added in old-first/new-first pairs), got {} with --min-rounds {}",
                self.max_rounds, self.min_rounds
            )));
        }
        Ok(())
    }
}

/// Parses a `--budget` value: `90s`, `20m`, `1h`, `1h30m` (a bare number is minutes).
pub fn parse_budget(text: &str) -> std::result::Result<Duration, String> {
    let bad = || format!("expected a duration such as 20m, 90s or 1h30m, got '{text}'");
    let text = text.trim();
    let seconds = match text.parse::<u64>() {
        Ok(minutes) => minutes.saturating_mul(60),
        Err(_) => {
            let (mut total, mut digits) = (0u64, String::new());
            for c in text.chars() {
                if c.is_ascii_digit() {
                    digits.push(c);
                    continue;
                }
                let unit = match c {
                    'h' => 3600,
                    'm' => 60,
                    's' => 1,
                    _ => return Err(bad()),
                };
                let n: u64 = digits.parse().map_err(|_| bad())?;
                total = total.saturating_add(n.saturating_mul(unit));
                digits.clear();
            }
            if !digits.is_empty() {
                return Err(bad());
            }
            total
        }
    };
    match seconds {
        0 => Err(bad()),
        s => Ok(Duration::from_secs(s)),
    }
}
