//! The downloads' failures counted by kind, and held against the faults the embedded server
//! injected (`CB_FAULTS`): with faults, a failure is expected only as the fault that caused it,
//! and a fault the clients hid (a retry) or a failure the server did not cause stops the run.

use std::fmt;

use mock_server::{FaultCounts, FaultKind};

use crate::workload::io::Fetched;

/// Failed downloads counted by kind, across runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FailureTally {
    /// Runs counted.
    pub runs: u64,
    /// Downloads attempted in those runs.
    pub downloads: u64,
    /// Failed downloads by [`DownloadError::kind`](crate::workload::io::DownloadError::kind).
    pub failed: std::collections::BTreeMap<String, u64>,
}

impl FailureTally {
    /// Counts one run's outcomes.
    pub fn add(&mut self, outcomes: &[Fetched]) {
        self.runs += 1;
        self.downloads += outcomes.len() as u64;
        for error in outcomes.iter().filter_map(|outcome| outcome.as_ref().err()) {
            *self.failed.entry(error.kind().to_owned()).or_default() += 1;
        }
    }

    /// Failed downloads of `kind`.
    pub fn count(&self, kind: &str) -> u64 {
        self.failed.get(kind).copied().unwrap_or(0)
    }

    /// All failed downloads.
    pub fn total_failed(&self) -> u64 {
        self.failed.values().sum()
    }

    /// What was counted since `earlier`, a copy of this tally taken before.
    pub fn since(&self, earlier: &FailureTally) -> FailureTally {
        FailureTally {
            runs: self.runs - earlier.runs,
            downloads: self.downloads - earlier.downloads,
            failed: self
                .failed
                .iter()
                .map(|(kind, &count)| (kind.clone(), count - earlier.count(kind)))
                .filter(|&(_, count)| count > 0)
                .collect(),
        }
    }

    /// Checks that these clients' outcomes are exactly what the server `injected` while they
    /// ran: one page request per download, and per [`FAULT_KINDS`] as many failures of the
    /// client kind as faults of the server kind. The error names both sides' counts.
    pub fn matches_injected(&self, injected: &FaultCounts) -> Result<(), FaultMismatch> {
        let exact = injected.total() == self.downloads
            && FAULT_KINDS
                .iter()
                .all(|&(kind, client_kind)| self.count(client_kind) == injected.get(kind));
        if exact {
            return Ok(());
        }
        Err(FaultMismatch {
            clients: self.clone(),
            injected: *injected,
        })
    }
}

/// The clients' failures are not what the server injected (a fault hidden by a retry, or a
/// timeout the server did not cause).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultMismatch {
    /// What the clients counted.
    pub clients: FailureTally,
    /// What the server injected meanwhile.
    pub injected: FaultCounts,
}

impl fmt::Display for FaultMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (tally, injected) = (&self.clients, &self.injected);
        let clients: Vec<String> = FAULT_KINDS
            .iter()
            .map(|&(_, client_kind)| format!("{client_kind} {}", tally.count(client_kind)))
            .collect();
        let server: Vec<String> = FAULT_KINDS
            .iter()
            .map(|&(kind, _)| format!("{} {}", kind.name(), injected.get(kind)))
            .collect();
        write!(
            f,
            "the clients' failures do not match the server's faults: {} downloads with {} \
             failed ({}), {} page requests with {} faulted ({})",
            tally.downloads,
            tally.total_failed(),
            clients.join(", "),
            injected.total(),
            injected.total() - injected.ok,
            server.join(", ")
        )
    }
}

impl std::error::Error for FaultMismatch {}

/// The client-side kind of failure each injected server fault produces: a 500 is a `status`
/// failure, a dropped connection a `connection` failure, a stall a `timeout`.
pub const FAULT_KINDS: [(FaultKind, &str); 3] = [
    (FaultKind::Error, "status"),
    (FaultKind::Reset, "connection"),
    (FaultKind::Stall, "timeout"),
];

/// What one I/O strategy saw fail across its samples, and what the server injected meanwhile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultLedger {
    /// The clients' failures by kind.
    pub tally: FailureTally,
    /// What the server injected while this strategy ran, by kind.
    pub injected: FaultCounts,
}

impl FaultLedger {
    /// Adds what the server injected during one measuring call, and checks it against what
    /// the clients counted in that call (`call`, the tally's growth over it).
    pub fn settle(
        &mut self,
        call: &FailureTally,
        injected: FaultCounts,
    ) -> Result<(), FaultMismatch> {
        self.injected.add_counts(&injected);
        call.matches_injected(&injected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::io::DownloadError;

    #[test]
    fn a_tally_matches_the_injected_faults_only_exactly() {
        let failure = |kind: &str| -> Fetched {
            let url = "u".to_owned();
            Err(match kind {
                "status" => DownloadError::Status { url, status: 500 },
                "timeout" => DownloadError::Timeout {
                    url,
                    message: "m".into(),
                },
                _ => DownloadError::Connection {
                    url,
                    message: "m".into(),
                },
            })
        };
        let mut tally = FailureTally::default();
        tally.add(&[Ok(1), failure("status")]);
        let earlier = tally.clone();
        tally.add(&[Ok(1), failure("connection"), failure("timeout"), Ok(1)]);
        let call = tally.since(&earlier);
        assert_eq!((call.runs, call.downloads, call.total_failed()), (1, 4, 2));
        assert_eq!(call.count("status"), 0);
        let injected = FaultCounts {
            ok: 2,
            reset: 1,
            stall: 1,
            ..Default::default()
        };
        assert_eq!(call.matches_injected(&injected), Ok(()));
        // A retried reset: the server saw one more request than the clients sent.
        let retried = FaultCounts { ok: 3, ..injected };
        let message = call.matches_injected(&retried).unwrap_err().to_string();
        assert!(
            message.ends_with(
                "4 downloads with 2 failed (status 0, connection 1, timeout 1), \
                 5 page requests with 2 faulted (error 0, reset 1, stall 1)"
            ),
            "{message}"
        );
        let wrong_kind = FaultCounts {
            error: 1,
            stall: 0,
            ..injected
        };
        assert!(call.matches_injected(&wrong_kind).is_err());
    }
}
