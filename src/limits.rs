//! File-descriptor limits: thousands of concurrent downloads need thousands of sockets.
//!
//! [`raise_fd_limit`] lifts the soft `RLIMIT_NOFILE` to the hard limit (always allowed);
//! [`ensure_fds`] says clearly which limit to raise when even that is not enough, instead of
//! letting connections fail with "Too many open files" in the middle of a benchmark.

use std::fmt;
use std::io;

/// Raises the soft limit on open files to the hard limit; returns the new soft limit.
pub fn raise_fd_limit() -> io::Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(io::Error::last_os_error());
        }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(limit.rlim_cur)
}

/// Not enough files can be open at once for what a run needs.
#[derive(Debug)]
pub enum FdLimitError {
    /// The limit could not be read or raised.
    Unknown(io::Error),
    /// Even the hard limit is lower than what is needed.
    TooLow {
        /// What needs the files, e.g. `CB_SITES=10000`.
        what: String,
        /// About how many files.
        needed: u64,
        /// The hard limit.
        limit: u64,
    },
}

impl fmt::Display for FdLimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FdLimitError::Unknown(error) => {
                write!(f, "cannot read the open-file limit: {error}")
            }
            FdLimitError::TooLow {
                what,
                needed,
                limit,
            } => write!(
                f,
                "{what} needs about {needed} open files, but the hard limit (ulimit -Hn) is \
                 {limit}: raise it (e.g. `ulimit -Hn {needed}` as root, or nofile in \
                 /etc/security/limits.conf)"
            ),
        }
    }
}

impl std::error::Error for FdLimitError {}

/// Makes sure `needed` files can be open at once (raising the soft limit if that helps);
/// otherwise an error that says what needs them and which limit to raise.
pub fn ensure_fds(needed: u64, what: &str) -> Result<(), FdLimitError> {
    let limit = raise_fd_limit().map_err(FdLimitError::Unknown)?;
    if needed <= limit {
        return Ok(());
    }
    Err(FdLimitError::TooLow {
        what: what.to_owned(),
        needed,
        limit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_reaches_the_hard_limit() {
        let soft = raise_fd_limit().unwrap();
        assert!(soft >= 64);
        assert!(ensure_fds(16, "a test").is_ok());
        let error = ensure_fds(u64::MAX, "ten billion downloads")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("ten billion downloads needs about"),
            "{error}"
        );
        assert!(error.contains("ulimit -Hn"), "{error}");
    }
}
