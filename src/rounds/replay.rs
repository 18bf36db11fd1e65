//! Handing measured samples to Criterion: a [`Replay`] answers Criterion's `iter_custom` calls
//! (its one warm-up call with a precise wait, then the samples), and [`bench_replay`] runs it
//! for one job. The module doc of [`crate::rounds`] explains why this is exact and how large k
//! can be.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, SamplingMode};

use super::{live, Job, Plan, ROUNDS_FILE};
use crate::error::{self, Error};

/// The wait of Criterion's one warm-up call for a strategy of `iters` iterations per sample:
/// long enough that Criterion's estimate survives 100 ms of overshoot (see the module docs), at
/// most one second (which still allows 1 s/(k − 1) of overshoot). 100 ms because a thread of a
/// busy machine can be off its CPU for over 12 ms at the deadline (measured, two busy loops
/// beside other builds): the margin is what keeps a loaded run replayed.
pub fn pause(iters: u64) -> Duration {
    // Beyond 10 iterations the one-second cap applies anyway.
    let steps = (iters.max(1) - 1).min(10) as u32;
    (Duration::from_millis(1) + Duration::from_millis(100) * steps).min(Duration::from_secs(1))
}

/// How far Criterion's warm-up call for a strategy of `iters` iterations per sample may end
/// past its [`pause`] D and still make Criterion ask for `iters`: anything below D/(k − 1)
/// (see the module docs). Unlimited for one iteration.
pub fn overshoot_tolerance(iters: u64) -> Duration {
    match iters {
        0 | 1 => Duration::MAX,
        iters => pause(iters) / u32::try_from(iters - 1).unwrap_or(u32::MAX),
    }
}

/// The end of a [`wait_precisely`] that spins instead of sleeping. A sleep wakes 0.1–0.2 ms
/// late on an idle machine (timer slack and wake-up), so the tail covers that several times
/// over; it is not longer because a spinning thread competes for its CPU: with two busy loops
/// beside other builds on two cores, 200 waits of 20 ms missed their deadline by more than
/// 50 µs 116 times with a 3 ms tail, 52 with 1 ms, 77 with 0.2 ms (woken too late).
pub const SPIN_TAIL: Duration = Duration::from_millis(1);

/// How a [`wait_precisely`] ended, by its own clock readings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wait {
    /// From the wait's start to its first clock reading at or past the deadline.
    pub elapsed: Duration,
    /// The time from the reading before that one to it: the most the wait can have passed its
    /// deadline unnoticed. Fractions of a microsecond while the thread holds a CPU through the
    /// deadline; otherwise the time it was off the CPU (the whole sleep if it woke only after
    /// the deadline).
    pub last_step: Duration,
}

impl Wait {
    /// How far past `duration` the wait ended.
    pub fn overshoot(&self, duration: Duration) -> Duration {
        self.elapsed.saturating_sub(duration)
    }
}

/// Waits `duration` and ends as close after it as the thread's CPU allows: sleeps all but the
/// last [`SPIN_TAIL`] and spins on `Instant` through the deadline. Never ends early.
pub fn wait_precisely(duration: Duration) -> Wait {
    wait_with(Instant::now, std::thread::sleep, duration)
}

/// [`wait_precisely`] with its clock and sleep passed in, so its logic can be tested on a
/// fake clock.
fn wait_with(
    mut now: impl FnMut() -> Instant,
    mut sleep: impl FnMut(Duration),
    duration: Duration,
) -> Wait {
    let start = now();
    let deadline = start + duration;
    if let Some(asleep) = duration.checked_sub(SPIN_TAIL).filter(|d| !d.is_zero()) {
        sleep(asleep);
    }
    let mut previous = start;
    loop {
        let reading = now();
        if reading >= deadline {
            return Wait {
                elapsed: reading - start,
                last_step: reading - previous,
            };
        }
        previous = reading;
        std::hint::spin_loop();
    }
}

/// The measurement time that makes Criterion ask for `iters` iterations per sample after a
/// warm-up call of wall time [`pause`]`(iters)`: n·D·k.
pub fn replay_measurement_time(samples: usize, iters: u64) -> Duration {
    let nanos = pause(iters).as_nanos() * samples as u128 * u128::from(iters);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// Feeds one strategy's measured samples to Criterion's `iter_custom` calls.
#[derive(Debug)]
pub struct Replay {
    iters: u64,
    samples: VecDeque<Duration>,
    called: bool,
    live: bool,
    warm_up: Option<Wait>,
}

/// What a [`Replay`] answers one `iter_custom` call with.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// Criterion's warm-up call (its first, for one iteration): wait this long
    /// ([`wait_precisely`]) and return the time waited.
    WarmUp(Duration),
    /// The next measured sample.
    Sample(Duration),
    /// Criterion asked for something the rounds did not measure: measure it live (`first`:
    /// the first such call).
    Live {
        /// Whether this is the first call answered live.
        first: bool,
    },
}

impl Replay {
    /// A replay of `samples`, each of `iters` iterations.
    pub fn new(iters: u64, samples: impl IntoIterator<Item = Duration>) -> Replay {
        Replay {
            iters,
            samples: samples.into_iter().collect(),
            called: false,
            live: false,
            warm_up: None,
        }
    }

    /// The answer to Criterion's next call for `iters` iterations.
    pub fn answer(&mut self, iters: u64) -> Answer {
        let first = !self.called;
        self.called = true;
        if first {
            // Only a 1-iteration first call is the warm-up the wait steers; any other first
            // call would record the wait as a sample of `iters` iterations.
            if iters == 1 {
                return Answer::WarmUp(pause(self.iters));
            }
        } else if !self.live && iters == self.iters {
            if let Some(sample) = self.samples.pop_front() {
                return Answer::Sample(sample);
            }
        }
        let first_live = !self.live;
        self.live = true;
        Answer::Live { first: first_live }
    }

    /// Records how the warm-up call's wait ended, for the fallback warning and for tests.
    pub fn record_warm_up(&mut self, wait: Wait) {
        self.warm_up = Some(wait);
    }

    /// How the warm-up call's wait ended, once it has.
    pub fn warm_up(&self) -> Option<Wait> {
        self.warm_up
    }

    /// Whether any call had to be measured live.
    pub fn fell_back(&self) -> bool {
        self.live
    }

    /// Why Criterion's call for `iters` iterations is measured live, for the warning line.
    fn fallback_reason(&self, iters: u64) -> String {
        let Some(wait) = self.warm_up else {
            return format!(
                "Criterion's first call asked for {iters} iterations, not its 1-iteration \
                 warm-up"
            );
        };
        if iters == self.iters {
            return "Criterion asked for more samples than the rounds measured".to_owned();
        }
        let pause = pause(self.iters);
        let overshoot = wait.overshoot(pause);
        let tolerance = overshoot_tolerance(self.iters);
        let mut reason = format!(
            "Criterion asked for {iters} iterations per sample instead of {}: its warm-up call \
             of {pause:?} ended {overshoot:?} late by the wait's clock (tolerance {tolerance:?})",
            self.iters
        );
        // The wait spins through its deadline, so a late end means its thread had no CPU then
        // (the last step between clock readings spans the gap); if the wait was on time,
        // Criterion's clock around the call saw a gap outside it.
        reason.push_str(&if overshoot >= tolerance && wait.last_step >= pause {
            ", its thread back from the sleep only after the deadline (machine load)".to_owned()
        } else if overshoot >= tolerance {
            format!(
                ", its thread off the CPU for {:?} at the deadline (machine load)",
                wait.last_step
            )
        } else {
            ", later by Criterion's clock around it (its thread off the CPU there)".to_owned()
        });
        reason
    }
}

/// Hands a job's measured samples (`replay`) to Criterion as benchmark `job.name` of `group`,
/// which `plan` describes; returns whether Criterion called it. Any call the replay cannot
/// answer is measured live, with one warning line; a failed live run ends Criterion's
/// measuring and is returned.
pub fn bench_replay(
    group: &mut BenchmarkGroup<'_, WallTime>,
    plan: &Plan,
    job: &mut Job<'_>,
    replay: &mut Replay,
) -> Result<bool, Error> {
    let mut ran = false;
    let name = job.name.clone();
    // One warm-up call, then `plan.samples` calls for `replay.iters` (see the module docs).
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(plan.samples)
        .warm_up_time(Duration::from_nanos(1))
        .measurement_time(replay_measurement_time(plan.samples, replay.iters));
    error::catch(|| {
        group.bench_function(&name, |b| {
            ran = true;
            b.iter_custom(|iters| match replay.answer(iters) {
                Answer::WarmUp(pause) => {
                    let wait = wait_precisely(pause);
                    replay.record_warm_up(wait);
                    wait.elapsed
                }
                Answer::Sample(sample) => sample,
                Answer::Live { first } => {
                    if first {
                        eprintln!(
                            "{}/{}: {}; measuring it live (listed in {ROUNDS_FILE} as fallback)",
                            plan.group,
                            job.name,
                            replay.fallback_reason(iters)
                        );
                    }
                    live(job, iters)
                }
            })
        });
    })?;
    Ok(ran)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// A fake clock: each reading costs `step`; a sleep lasts what it was asked plus `late`.
    struct FakeClock {
        base: Instant,
        now: Cell<Duration>,
        step: Duration,
        late: Duration,
        slept: Cell<Vec<Duration>>,
    }

    impl FakeClock {
        fn new(step: Duration, late: Duration) -> FakeClock {
            FakeClock {
                base: Instant::now(),
                now: Cell::new(Duration::ZERO),
                step,
                late,
                slept: Cell::new(Vec::new()),
            }
        }

        fn wait(&self, duration: Duration) -> Wait {
            let now = || {
                let reading = self.base + self.now.get();
                self.now.set(self.now.get() + self.step);
                reading
            };
            let sleep = |asleep: Duration| {
                let mut slept = self.slept.take();
                slept.push(asleep);
                self.slept.set(slept);
                self.now.set(self.now.get() + asleep + self.late);
            };
            wait_with(now, sleep, duration)
        }
    }

    #[test]
    fn a_wait_sleeps_all_but_the_tail_and_ends_at_the_first_reading_past_the_deadline() {
        let ns = Duration::from_nanos;
        let duration = Duration::from_millis(100);
        // Wakes 150 µs late, well within the tail: the spin ends the wait on its deadline.
        let clock = FakeClock::new(ns(30), Duration::from_micros(150));
        let wait = clock.wait(duration);
        assert_eq!(clock.slept.take(), [duration - SPIN_TAIL]);
        assert!(wait.elapsed >= duration, "never early: {wait:?}");
        assert!(wait.overshoot(duration) <= ns(30), "{wait:?}");
        assert_eq!(wait.last_step, ns(30));
    }

    #[test]
    fn a_wait_that_wakes_past_its_deadline_reports_the_whole_gap() {
        // The thread got no CPU until 5 ms after the sleep: the one step spans the lateness.
        let duration = Duration::from_millis(100);
        let clock = FakeClock::new(Duration::from_nanos(30), Duration::from_millis(5));
        let wait = clock.wait(duration);
        let overshoot = wait.overshoot(duration);
        assert_eq!(
            overshoot,
            Duration::from_millis(4) + Duration::from_nanos(30)
        );
        assert!(wait.last_step >= overshoot, "{wait:?}");
    }

    #[test]
    fn a_wait_no_longer_than_the_tail_only_spins() {
        for duration in [Duration::ZERO, Duration::from_micros(3), SPIN_TAIL] {
            let clock = FakeClock::new(Duration::from_nanos(40), Duration::ZERO);
            let wait = clock.wait(duration);
            assert!(clock.slept.take().is_empty(), "{duration:?}: slept");
            assert!(wait.elapsed >= duration, "{duration:?}: {wait:?}");
            assert!(
                wait.overshoot(duration) <= Duration::from_nanos(40),
                "{wait:?}"
            );
        }
    }

    #[test]
    fn real_waits_never_end_early_and_spin_to_within_microseconds_of_their_deadline() {
        // A sleep alone ends at least its timer slack (50 µs on Linux) late. The spin ends
        // within a clock reading whenever the thread holds a CPU at the deadline; under load it
        // may not (in up to three waits of four, with two busy loops beside other builds on
        // two cores), but not in all fifty, so only the best wait is held to the bound.
        let duration = Duration::from_millis(2);
        let mut best = Duration::MAX;
        for _ in 0..50 {
            let start = Instant::now();
            let wait = wait_precisely(duration);
            assert!(start.elapsed() >= duration, "ended early: {wait:?}");
            assert!(wait.elapsed >= duration, "ended early: {wait:?}");
            best = best.min(wait.overshoot(duration));
        }
        assert!(best <= Duration::from_micros(20), "best overshoot {best:?}");
    }

    #[test]
    fn the_overshoot_tolerance_is_the_pause_over_k_minus_one() {
        assert_eq!(overshoot_tolerance(1), Duration::MAX);
        assert_eq!(overshoot_tolerance(2), pause(2));
        assert_eq!(overshoot_tolerance(51), Duration::from_millis(20));
        assert_eq!(overshoot_tolerance(20_001), Duration::from_micros(50));
    }
}
