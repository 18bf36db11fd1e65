//! The one-off comparison behind the thread strategies' client (`cargo bench --bench
//! blocking_hop`): what reqwest's blocking client costs by handing every request to its own
//! runtime thread and back, against ureq, whose requests run on the thread that asks.
//!
//! For each latency L in [`LATENCIES_MS`], one group `blocking_hop/L=<L>ms` measures every
//! thread strategy ([`BLOCKING_STRATEGIES`]) with both clients as benchmarks
//! `<strategy>/<client>` (`sequential/ureq`, `sequential/reqwest_blocking`, …), all in the same
//! interleaved rounds ([`crate::rounds`]) against one embedded server: the two clients of a
//! strategy meet the same machine in every round, so their ratio carries little of its noise.

use std::path::Path;
use std::time::Duration;

use crate::config::{Config, Refused};
use crate::error::Error;
use crate::matrix::{BlockingSessions, IoMatrix, RunError, SetupError, BLOCKING_STRATEGIES};
use crate::output::{self, BenchMeta};
use crate::rounds::{Job, Plan};
use crate::strategy::Strategy;
use crate::timeline::Probe;
use crate::workload::io::{BlockingClientKind, IoWorkload};

/// The first part of every group's name.
pub const GROUP: &str = "blocking_hop";

/// The server latencies compared, in milliseconds: none (the hop against the bare round trip),
/// one, and the suite's default.
pub const LATENCIES_MS: [u32; 3] = [0, 1, 20];

/// Rounds per group (Criterion's minimum), unless `CB_SAMPLES` says otherwise.
pub const SAMPLES: usize = 10;

/// Target time of one sample, unless `CB_SAMPLE_MS` says otherwise (as `io/download`).
pub const SAMPLE_TARGET: Duration = Duration::from_millis(400);

/// How long each benchmark's planning warm-up runs.
pub const WARM_UP: Duration = Duration::from_millis(500);

/// The downloads per iteration at 20 ms and more are at most this many (`CB_SITES` is 160 by
/// default): sequential downloads take N·L, 3.2 s per iteration at 160, and the group would
/// take minutes while the hop, tens of microseconds per request, is lost in 20 ms anyway.
pub const SITES_AT_HIGH_LATENCY: usize = 40;

/// From this latency on, downloads are capped at [`SITES_AT_HIGH_LATENCY`].
pub const HIGH_LATENCY_MS: u32 = 20;

/// The group of latency `latency_ms`: `blocking_hop/L=20ms`.
pub fn group_name(latency_ms: u32) -> String {
    format!("{GROUP}/L={latency_ms}ms")
}

/// The benchmark of `strategy` with client `kind`: `thread_pool/reqwest_blocking`.
pub fn function_name(strategy: Strategy, kind: BlockingClientKind) -> String {
    format!("{}/{}", strategy.name(), kind.name())
}

/// `base` at latency `latency_ms`, with at most [`SITES_AT_HIGH_LATENCY`] downloads from
/// [`HIGH_LATENCY_MS`] on. The comparison needs the embedded server: `CB_TARGET_URL` is refused.
pub fn config_at(base: &Config, latency_ms: u32) -> Result<Config, Refused> {
    if let Some(url) = &base.target_url {
        return Err(Refused {
            setting: format!("CB_TARGET_URL={url}"),
            reason: format!("{GROUP} sets the embedded server's latency itself; unset it"),
        });
    }
    let mut config = base.clone();
    config.latency_ms = f64::from(latency_ms);
    if latency_ms >= HIGH_LATENCY_MS {
        config.sites = config.sites.min(SITES_AT_HIGH_LATENCY);
    }
    Ok(config)
}

/// One group: the embedded server at one latency, and the thread strategies' clients of both
/// kinds. Built outside any timing.
pub struct HopGroup {
    latency_ms: u32,
    config: Config,
    matrix: IoMatrix,
    sessions: Vec<BlockingSessions>,
    workload: IoWorkload,
}

impl HopGroup {
    /// Starts the server at `latency_ms` and builds both kinds of clients (`worker_exe`: the
    /// `cb-worker` the matrix starts its warm pool with; unused here, but part of a matrix).
    /// Fails before anything is measured ([`Error::Setup`]).
    pub fn new(base: &Config, latency_ms: u32, worker_exe: &Path) -> Result<HopGroup, Error> {
        let config = config_at(base, latency_ms)?;
        let matrix = IoMatrix::new(&config, worker_exe)?;
        let sessions = BlockingClientKind::ALL
            .into_iter()
            .map(|kind| matrix.blocking_sessions(kind))
            .collect::<Result<Vec<_>, _>>()
            .map_err(SetupError::from)?;
        let workload = matrix.workload();
        Ok(HopGroup {
            latency_ms,
            config,
            matrix,
            sessions,
            workload,
        })
    }

    /// The Criterion group's name.
    pub fn name(&self) -> String {
        group_name(self.latency_ms)
    }

    /// The configuration the group runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Downloads per iteration.
    pub fn downloads(&self) -> usize {
        self.workload.jobs.len()
    }

    /// How the group is measured: [`SAMPLES`] rounds of [`SAMPLE_TARGET`] samples unless
    /// `CB_SAMPLES` / `CB_SAMPLE_MS` say otherwise.
    pub fn plan(&self) -> Plan {
        Plan::new(&self.name(), &self.config, SAMPLES, SAMPLE_TARGET, WARM_UP)
    }

    /// Whether a saved run records `cb-timeline.json` (`CB_TIMELINE`).
    pub fn timeline(&self) -> bool {
        self.config.timeline
    }

    /// The benchmark the others are paired with in `cb-rounds.json`: `sequential/ureq`.
    pub fn reference() -> String {
        function_name(Strategy::Sequential, BlockingClientKind::Ureq)
    }

    /// Every benchmark of the group, strategy by strategy, each with both clients.
    pub fn benchmarks(&self) -> Vec<(Strategy, BlockingClientKind)> {
        BLOCKING_STRATEGIES
            .into_iter()
            .flat_map(|strategy| self.sessions.iter().map(move |s| (strategy, s.kind())))
            .collect()
    }

    /// The rounds' jobs, in the order of [`HopGroup::benchmarks`]: each runs and checks every
    /// download of an iteration.
    pub fn jobs(&self) -> Vec<Job<'_>> {
        BLOCKING_STRATEGIES
            .into_iter()
            .flat_map(|strategy| {
                self.sessions.iter().map(move |sessions| {
                    let measure = self
                        .matrix
                        .measure_blocking(strategy, sessions, &self.workload);
                    Job::new(&function_name(strategy, sessions.kind()), measure)
                })
            })
            .collect()
    }

    /// Runs `strategy`'s downloads once with client `kind`, recording into `probe`, and checks
    /// them; returns the bytes received. For the untimed run behind `cb-timeline.json`.
    pub fn run_verified(
        &self,
        strategy: Strategy,
        kind: BlockingClientKind,
        probe: &Probe,
    ) -> Result<u64, RunError> {
        let sessions = self
            .sessions
            .iter()
            .find(|sessions| sessions.kind() == kind);
        let Some(sessions) = sessions else {
            return Err(RunError {
                strategy,
                workload: self.name(),
                message: format!("no {} clients were built", kind.name()),
            });
        };
        self.matrix
            .run_blocking_verified(strategy, sessions, &self.workload, probe)
            .map_err(|error| RunError {
                workload: self.name(),
                ..error
            })
    }

    /// What one request really takes at this latency ([`IoMatrix::measure_request_ms`]).
    pub fn measure_request_ms(&self) -> Result<f64, RunError> {
        self.matrix.measure_request_ms()
    }

    /// The `cb-meta.json` of one benchmark, its function named `<strategy>/<client>`.
    pub fn meta(
        &self,
        strategy: Strategy,
        kind: BlockingClientKind,
        server_latency_ms: f64,
    ) -> BenchMeta {
        BenchMeta {
            function: function_name(strategy, kind),
            server_latency_ms: Some(server_latency_ms),
            ..output::io_meta(
                &self.name(),
                strategy,
                &self.config,
                self.downloads(),
                self.matrix.latency_ms(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_configurations() {
        assert_eq!(group_name(0), "blocking_hop/L=0ms");
        assert_eq!(
            function_name(Strategy::ThreadPool, BlockingClientKind::ReqwestBlocking),
            "thread_pool/reqwest_blocking"
        );
        let base = Config::from_pairs(&[]).unwrap();
        assert_eq!(config_at(&base, 1).unwrap().sites, base.sites);
        assert_eq!(config_at(&base, 1).unwrap().latency_ms, 1.0);
        assert_eq!(
            config_at(&base, 20).unwrap().sites,
            SITES_AT_HIGH_LATENCY.min(base.sites)
        );
        let few = Config::from_pairs(&[("CB_SITES", "8")]).unwrap();
        assert_eq!(config_at(&few, 20).unwrap().sites, 8);
        let external = Config::from_pairs(&[("CB_TARGET_URL", "http://127.0.0.1:9")]).unwrap();
        let error = config_at(&external, 0).unwrap_err().to_string();
        assert!(
            error.starts_with("CB_TARGET_URL=http://127.0.0.1:9"),
            "{error}"
        );
    }
}
