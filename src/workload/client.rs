//! The HTTP clients the downloads go through, built once and reused (the tutorial's Sessions).
//!
//! The thread strategies (and the process-pool workers) use a blocking client whose requests
//! run on the calling thread: [`ureq`] writes and reads its std sockets itself, so a thread
//! waiting for a response is blocked in its own socket read, as the tutorial's threads are in
//! `requests`. reqwest's blocking client would hand every request to one internal thread running
//! a current-thread tokio runtime and wait on a channel for the answer — async with a thread
//! hop. It stays available ([`BlockingClientKind::ReqwestBlocking`]) only to measure what that
//! hop costs (`cargo bench --bench blocking_hop`). The async strategies use [`reqwest::Client`].

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ureq::config::Config as UreqConfig;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// Which blocking client the thread strategies and the process-pool workers use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BlockingClientKind {
    /// [`ureq::Agent`]: each request runs on the calling thread. The suite's client.
    #[default]
    Ureq,
    /// [`reqwest::blocking::Client`]: each request runs on the client's own runtime thread while
    /// the calling thread waits. Only for measuring that hop.
    ReqwestBlocking,
}

impl BlockingClientKind {
    /// Both kinds, the suite's own first.
    pub const ALL: [BlockingClientKind; 2] = [
        BlockingClientKind::Ureq,
        BlockingClientKind::ReqwestBlocking,
    ];

    /// The kind's name in benchmark names and on the worker's command line: `ureq`,
    /// `reqwest_blocking`.
    pub fn name(self) -> &'static str {
        match self {
            BlockingClientKind::Ureq => "ureq",
            BlockingClientKind::ReqwestBlocking => "reqwest_blocking",
        }
    }

    /// The kind with this [`name`](BlockingClientKind::name).
    pub fn from_name(name: &str) -> Option<BlockingClientKind> {
        BlockingClientKind::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
    }
}

/// A blocking HTTP client, like one `requests.Session`. A clone shares the client and its pool
/// of keep-alive connections; both kinds are safe to share between threads.
#[derive(Clone, Debug)]
pub enum BlockingClient {
    /// Requests run on the calling thread.
    Ureq(ureq::Agent),
    /// Requests run on the client's runtime thread.
    ReqwestBlocking(reqwest::blocking::Client),
}

impl BlockingClient {
    /// A client of `kind` with the suite's settings: no proxy from the environment (loopback
    /// only), `timeout` for every request from connecting to the last byte of the body,
    /// keep-alive connections, and room to keep `in_flight` of them idle — as many as requests
    /// it may carry at once — so that none is closed between iterations (fresh connections every
    /// iteration would fill the loopback ports with TIME_WAIT).
    pub fn new(
        kind: BlockingClientKind,
        timeout: Duration,
        in_flight: usize,
    ) -> Result<BlockingClient, ClientError> {
        match kind {
            BlockingClientKind::Ureq => Ok(BlockingClient::Ureq(ureq_agent(timeout, in_flight))),
            // reqwest keeps any number of idle connections per host by default.
            BlockingClientKind::ReqwestBlocking => reqwest::blocking::Client::builder()
                .no_proxy()
                .timeout(timeout)
                .build()
                .map(BlockingClient::ReqwestBlocking)
                .map_err(ClientError),
        }
    }

    /// Which kind of client this is.
    pub fn kind(&self) -> BlockingClientKind {
        match self {
            BlockingClient::Ureq(_) => BlockingClientKind::Ureq,
            BlockingClient::ReqwestBlocking(_) => BlockingClientKind::ReqwestBlocking,
        }
    }
}

/// An HTTP client that reqwest could not build.
#[derive(Debug)]
pub struct ClientError(pub reqwest::Error);

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot build an HTTP client: {}", self.0)
    }
}

impl std::error::Error for ClientError {}

/// How long ureq keeps an idle connection: reqwest's default (90 s) rather than ureq's 15 s, so
/// that a strategy's connections outlive the other strategies' samples between two of its own.
const IDLE_CONNECTION_AGE: Duration = Duration::from_secs(90);

/// The largest body a download may have: the largest page the embedded server can serve (ureq
/// would otherwise stop at its default of 10 MB; reqwest has no limit).
pub const MAX_BODY_BYTES: u64 = mock_server::MAX_BODY_BYTES as u64;

/// A ureq agent with the settings of [`BlockingClient::new`]. Statuses 4xx and 5xx are
/// responses, not errors (the download checks the status itself, and reads the body either way
/// so that the connection can be reused). ureq never retries a request: a reset connection, a
/// stall or a 500 from the server is exactly one failed download.
fn ureq_agent(timeout: Duration, in_flight: usize) -> ureq::Agent {
    let idle = in_flight.max(1);
    let config = UreqConfig::builder()
        .proxy(None)
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_idle_connections(idle)
        .max_idle_connections_per_host(idle)
        .max_idle_age(IDLE_CONNECTION_AGE)
        .build();
    ureq::Agent::with_parts(
        config,
        DefaultConnector::default(),
        LiteralAddressResolver::default(),
    )
}

/// Resolves a host that is an IP address (`http://127.0.0.1:PORT`, every URL the embedded
/// server gives) without a lookup, and any other host with ureq's own resolver.
///
/// Why: when a timeout applies — and the global timeout always does — ureq's default resolver
/// runs every lookup on a newly spawned thread, so that it can give up waiting for it. That
/// happens for every request, even one to an IP address over a pooled connection, and would put
/// a thread start and a hop back into every download: the very hop that ureq is here to remove.
#[derive(Debug, Default)]
struct LiteralAddressResolver {
    names: DefaultResolver,
}

impl Resolver for LiteralAddressResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &UreqConfig,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        match literal_address(uri) {
            Some(address) => {
                let mut addresses = self.empty();
                addresses.push(address);
                Ok(addresses)
            }
            None => self.names.resolve(uri, config, timeout),
        }
    }
}

/// The socket address of a URI whose host is an IP address (`[…]` for IPv6), with its port or
/// the scheme's default one; `None` for a host name.
fn literal_address(uri: &Uri) -> Option<SocketAddr> {
    let authority = uri.authority()?;
    let host = authority.host();
    let bare = host
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(host);
    let ip: IpAddr = bare.parse().ok()?;
    let port = authority.port_u16().or(match uri.scheme_str() {
        Some("http") => Some(80),
        Some("https") => Some(443),
        _ => None,
    })?;
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(uri: &str) -> Option<SocketAddr> {
        literal_address(&uri.parse().unwrap())
    }

    #[test]
    fn ip_hosts_resolve_without_a_lookup() {
        assert_eq!(
            address("http://127.0.0.1:41623/dice"),
            Some("127.0.0.1:41623".parse().unwrap())
        );
        assert_eq!(
            address("http://[::1]:8080/jython"),
            Some("[::1]:8080".parse().unwrap())
        );
        assert_eq!(
            address("http://10.0.0.1/"),
            Some("10.0.0.1:80".parse().unwrap())
        );
        // Host names go to ureq's own resolver.
        assert_eq!(address("http://localhost:8080/"), None);
        assert_eq!(address("ftp://127.0.0.1/"), None);
    }

    #[test]
    fn the_resolver_answers_an_ip_host_with_that_address() {
        let resolver = LiteralAddressResolver::default();
        let uri: Uri = "http://127.0.0.1:9/dice".parse().unwrap();
        let timeout = NextTimeout {
            after: Duration::from_secs(1).into(),
            reason: ureq::Timeout::Global,
            per_read: None,
            per_write: None,
        };
        let addresses = resolver
            .resolve(&uri, &UreqConfig::default(), timeout)
            .unwrap();
        assert_eq!(&addresses[..], &["127.0.0.1:9".parse().unwrap()]);
    }

    #[test]
    fn kinds_round_trip_by_name() {
        for kind in BlockingClientKind::ALL {
            assert_eq!(BlockingClientKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(BlockingClientKind::from_name("curl"), None);
        assert_eq!(BlockingClientKind::default(), BlockingClientKind::Ureq);
    }
}
