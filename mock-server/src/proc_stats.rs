//! Memory figures of the current process, read from Linux's `/proc/self/status`.
//!
//! Used by the soak example and the bounded-memory test to show that the server's memory
//! does not grow with the number of requests. Linux only: elsewhere these return an error.

use std::io;

/// Reads a `kB` field such as `VmRSS` from `/proc/self/status`, in bytes.
fn status_field_bytes(field: &str) -> io::Result<u64> {
    field_bytes(&std::fs::read_to_string("/proc/self/status")?, field)
}

/// A `kB` field of one reading of `/proc/self/status`, in bytes.
fn field_bytes(status: &str, field: &str) -> io::Result<u64> {
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .ok_or_else(|| io::Error::other(format!("no {field} in /proc/self/status")))?;
    let kib: u64 = line
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .map_err(|e| io::Error::other(format!("unreadable {field} {line:?}: {e}")))?;
    Ok(kib * 1024)
}

/// Resident set size of this process now, in bytes (`VmRSS`).
pub fn rss_bytes() -> io::Result<u64> {
    status_field_bytes("VmRSS")
}

/// Largest resident set size this process has had, in bytes (`VmHWM`).
pub fn peak_rss_bytes() -> io::Result<u64> {
    status_field_bytes("VmHWM")
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_plausible_figures() {
        let rss = super::rss_bytes().unwrap();
        assert!(
            rss > 100 * 1024,
            "a running test process uses more than 100 KiB: {rss}"
        );
        assert!(super::peak_rss_bytes().unwrap() > 100 * 1024);
        // The peak is at least the current size within one reading only: the kernel updates
        // the high-water mark lazily, so a later reading's peak can be below an earlier size
        // (seen in CI: peak 4214784 < current 4263936 from two readings).
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let (rss, peak) = (
            super::field_bytes(&status, "VmRSS").unwrap(),
            super::field_bytes(&status, "VmHWM").unwrap(),
        );
        assert!(peak >= rss, "peak {peak} < current {rss}");
    }
}
