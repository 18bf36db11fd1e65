//! Running the suite's bench executables for `ab` and `calibrate`: what both commands share.
//!
//! * [`git`] — the repository, revisions, and one git worktree per side under `target/ab/`.
//! * [`cargo`] — building a checkout's bench executables once and listing their benchmarks.
//! * [`child`] — child processes that a Ctrl-C (SIGINT or SIGTERM) stops cleanly.
//! * [`session`] — a schedule of short Criterion runs, each written into a staging directory
//!   and moved into the Criterion directory only when complete, with a progress line.
//!
//! This is the only part of `target-report` that runs anything; the rest reads files.

pub mod cargo;
pub mod child;
pub mod git;
pub mod session;

use std::time::Duration;

/// `12s`, `3m05s`, `1h02m`: elapsed and remaining times in progress lines and reports.
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_a_person_would_write_them() {
        assert_eq!(format_duration(Duration::from_millis(12_900)), "12s");
        assert_eq!(format_duration(Duration::from_secs(185)), "3m05s");
        assert_eq!(format_duration(Duration::from_secs(3720)), "1h02m");
    }
}
