//! How long each response's timer is set for, so that the delay clients see is the configured
//! one, on average, rather than about 1.1 ms more.
//!
//! wiremock waits out a response's delay with `tokio::time::sleep` on its own current-thread
//! runtime. tokio's timer counts whole milliseconds: it rounds a deadline up to the next tick,
//! then parks for a whole number of milliseconds measured from the tick it is in, and wakes
//! up a little after that. So a sleep started at any phase of the tick ends about 1 ms plus
//! the wake-up (about 0.1 ms) late: measured on a bare current-thread runtime, a median of
//! 1.10–1.12 ms for sleeps of 1 ns and of 1 to 19 whole milliseconds. The server therefore sets each timer shorter by
//! [`delay_correction`], which it measures once per process rather than assuming, so that
//! another timer (another tokio, another OS) gets its own correction.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Largest delay correction: 1 ms, tokio's timer tick.
///
/// tokio never ends a sleep early, so a timer shortened by at most this much makes no response
/// come more than 1 ms before its configured delay, whatever the calibration measured (a busy
/// machine at start-up can make it measure several milliseconds). It also keeps the timer on
/// the right tick: with tokio's whole-millisecond timer a latency of L ms set as L − 1 ms ends
/// at L ms plus the wake-up (about 0.1 ms) nearly every time; shortened by the whole measured
/// lateness, about 1.1 ms, it ends a tick earlier, at L − 0.9 ms, whenever it starts in the
/// first 0.1 ms of a tick. Measured with 300 sleeps for L = 5 ms at spread phases: 3 ended
/// below L − 0.5 ms with a 1 ms correction, 33 with 1.1 ms (the medians: L + 0.13 ms both).
pub const MAX_DELAY_CORRECTION: Duration = Duration::from_millis(1);

/// Shortest timer set for a nonzero delay: 1 ns.
///
/// A zero delay means "no timer" (the response leaves at once), so a shortened delay must
/// stay above zero. Any tokio sleep shorter than a tick takes the same time, until the end of
/// the next full millisecond (about 1.1 ms), so the smallest is as good as any: a 1 ms latency
/// corrected by 1 ms still takes about 1.1 ms.
const MIN_TIMER: Duration = Duration::from_nanos(1);

/// Calibration sleeps: enough for a stable median, few enough to stay cheap.
const CALIBRATION_SLEEPS: usize = 31;

/// Length of each calibration sleep. tokio's lateness does not depend on it (measured from
/// 1 ns to 19 ms); a whole number of milliseconds, like the usual latencies.
const CALIBRATION_SLEEP: Duration = Duration::from_millis(1);

/// The calibration stops after this long even if the machine is so busy that it has not taken
/// all its sleeps (normally it takes about 80 ms).
const CALIBRATION_BUDGET: Duration = Duration::from_millis(150);

/// Fewest sleeps whose median is trusted; with fewer, no correction.
const MIN_CALIBRATION_SLEEPS: usize = 5;

/// The timer set for a response whose configured delay is `configured`: `configured −
/// correction`, but never zero for a nonzero `configured` (zero means no timer at all), and
/// zero for zero.
///
/// Used for every response's delay, jittered or not, but not for stalls (see
/// [`Faults::stall`](crate::Faults::stall)), which must outlast a client's timeout.
pub fn timer_delay(configured: Duration, correction: Duration) -> Duration {
    if configured.is_zero() {
        Duration::ZERO
    } else {
        configured.saturating_sub(correction).max(MIN_TIMER)
    }
}

/// The correction of this process's response timers: how much earlier than its configured
/// delay a response's timer is set to end (see [`timer_delay`]), at most
/// [`MAX_DELAY_CORRECTION`].
///
/// Measured on the first call, once per process (later calls return the same value at once):
/// the median lateness of 31 tokio sleeps of 1 ms on a fresh current-thread runtime
/// like wiremock's, each started at a different phase of the timer's tick, as requests arrive
/// at any phase. The first call blocks for about 80 ms (at most about 150 ms plus one sleep)
/// without spinning. If the runtime cannot be built, or the machine is too busy to take
/// enough sleeps in time, the correction is zero: responses are then late as without it.
pub fn delay_correction() -> Duration {
    static CORRECTION: OnceLock<Duration> = OnceLock::new();
    *CORRECTION.get_or_init(|| correction_from(&mut measure_lateness()))
}

/// The correction for these measured latenesses: their median, at most
/// [`MAX_DELAY_CORRECTION`]; zero with fewer than [`MIN_CALIBRATION_SLEEPS`].
fn correction_from(lateness: &mut [Duration]) -> Duration {
    if lateness.len() < MIN_CALIBRATION_SLEEPS {
        return Duration::ZERO;
    }
    lateness.sort_unstable();
    lateness[lateness.len() / 2].min(MAX_DELAY_CORRECTION)
}

/// How late each calibration sleep ended, on a fresh current-thread runtime; empty if the
/// runtime cannot be built.
fn measure_lateness() -> Vec<Duration> {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    else {
        return Vec::new();
    };
    let started = Instant::now();
    runtime.block_on(async {
        let mut lateness = Vec::with_capacity(CALIBRATION_SLEEPS);
        for i in 0..CALIBRATION_SLEEPS {
            if started.elapsed() > CALIBRATION_BUDGET {
                break;
            }
            // Each sleep would otherwise start right after the previous one woke, just after
            // a tick. Offsets stepping by the golden ratio of a millisecond spread the starts
            // evenly over the tick. A thread sleep, not a spin, even if it oversleeps a little.
            std::thread::sleep(phase_offset(i));
            let sleep_started = Instant::now();
            tokio::time::sleep(CALIBRATION_SLEEP).await;
            lateness.push(sleep_started.elapsed().saturating_sub(CALIBRATION_SLEEP));
        }
        lateness
    })
}

/// Pause before the `i`-th calibration sleep: the fractional part of `i × 0.618…` of a
/// millisecond, so that successive starts fall at well-spread phases of the tick.
fn phase_offset(i: usize) -> Duration {
    const GOLDEN_FRACTION: f64 = 0.618_033_988_749_895;
    Duration::from_secs_f64((i as f64 * GOLDEN_FRACTION).fract() * 1e-3)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn timer_is_the_delay_less_the_correction() {
        let correction = Duration::from_micros(800);
        assert_eq!(
            timer_delay(20 * MS, correction),
            Duration::from_micros(19_200)
        );
        assert_eq!(timer_delay(20 * MS, Duration::ZERO), 20 * MS);
        assert_eq!(
            timer_delay(Duration::from_micros(12_500), MS),
            Duration::from_micros(11_500)
        );
    }

    #[test]
    fn nonzero_delays_keep_a_timer_and_zero_keeps_none() {
        assert_eq!(timer_delay(MS, MS), MIN_TIMER);
        assert_eq!(timer_delay(Duration::from_micros(300), MS), MIN_TIMER);
        assert_eq!(timer_delay(Duration::from_nanos(1), MS), MIN_TIMER);
        assert!(!MIN_TIMER.is_zero());
        assert_eq!(timer_delay(Duration::ZERO, MS), Duration::ZERO);
        assert_eq!(timer_delay(Duration::ZERO, Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn correction_is_the_median_lateness_capped_at_one_tick() {
        let us = Duration::from_micros;
        let mut lateness = [us(900), us(100), us(700), us(800), us(300)];
        assert_eq!(correction_from(&mut lateness), us(700));
        // Late by 1.1 ms as tokio's timer is: capped at the tick.
        let mut lateness = [us(1_100), us(1_090), us(1_120), us(200), us(1_105)];
        assert_eq!(correction_from(&mut lateness), MAX_DELAY_CORRECTION);
        // A calibration disturbed by a busy machine still corrects at most one tick.
        let mut lateness = [us(9_000); 31];
        assert_eq!(correction_from(&mut lateness), MAX_DELAY_CORRECTION);
    }

    #[test]
    fn too_few_samples_give_no_correction() {
        assert_eq!(correction_from(&mut []), Duration::ZERO);
        assert_eq!(
            correction_from(&mut [MS; MIN_CALIBRATION_SLEEPS - 1]),
            Duration::ZERO
        );
        assert_eq!(correction_from(&mut [MS; MIN_CALIBRATION_SLEEPS]), MS);
    }

    #[test]
    fn phase_offsets_cover_the_tick() {
        let mut offsets: Vec<Duration> = (0..CALIBRATION_SLEEPS).map(phase_offset).collect();
        assert!(offsets.iter().all(|&o| o < MS));
        offsets.sort();
        // No gap between successive starts (or the ends of the tick) wider than a tenth of it.
        let gaps = offsets.windows(2).map(|w| w[1] - w[0]);
        let widest = gaps
            .chain([offsets[0], MS - offsets[offsets.len() - 1]])
            .max();
        assert!(widest.unwrap() < MS / 10, "{offsets:?}");
    }

    #[test]
    fn the_measured_correction_is_within_its_bounds_and_cached() {
        let first = delay_correction();
        assert!(first <= MAX_DELAY_CORRECTION, "{first:?}");
        assert_eq!(delay_correction(), first);
    }
}
