//! Every `CB_*` environment variable the suite reads: parsing, defaults and one-line errors.
//!
//! Criterion owns the benchmark binaries' command line, so the suite is configured through the
//! environment. A bad value ends the run with one line that names the variable, the value and what
//! is allowed, and exit status 2 ([`Config::from_env_or_exit`]).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The suite's configuration, read once at start-up.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// `CB_CPU_START`: the first n of the sum-of-squares jobs (the tutorial's 5_000_000).
    pub cpu_start: u64,
    /// `CB_CPU_COUNT`: how many sum-of-squares jobs (n = start, start+1, ...; the tutorial's 20).
    pub cpu_count: usize,
    /// `CB_FIB_N`: the argument of the recursive fib jobs (the 2024 revision's 35).
    pub fib_n: u32,
    /// `CB_WORKERS`: threads in the thread pools (the tutorial's `max_workers=5`).
    pub workers: usize,
    /// `CB_PROCESSES`: worker processes in the process pools (default: available cores, like
    /// `multiprocessing.Pool()`).
    pub processes: usize,
    /// `CB_SITES`: downloads per I/O run, alternating between the two pages (the tutorial's 160).
    pub sites: usize,
    /// `CB_LATENCY_MS`: the embedded server's delay before each response, in milliseconds.
    pub latency_ms: f64,
    /// `CB_JITTER_MS`: each delay is uniform in latency ± jitter, in milliseconds.
    pub jitter_ms: f64,
    /// `CB_TARGET_URL`: an existing server (`http://host:port`) to download from instead of the
    /// embedded one.
    pub target_url: Option<String>,
    /// `CB_TIMEOUT_MS`: every request's timeout, blocking and async clients alike.
    pub timeout_ms: u64,
    /// `CB_FAULTS`: faults the embedded server injects (`error:0.05,reset:0.02,stall:0.01`);
    /// with them, failed downloads are expected and counted instead of failing the run.
    pub faults: mock_server::Faults,
    /// `CB_TEST_SLOWDOWN`: `<group>/<function>:<ms>` makes every iteration of that one benchmark
    /// sleep this long after its work. For testing regression detection only.
    pub test_slowdown: Option<(String, Duration)>,
    /// `CB_SAMPLES`: samples per benchmark, the rounds of a group (default: each group's own).
    pub samples: Option<usize>,
    /// `CB_SAMPLE_MS`: the target time of one sample in milliseconds (default: each group's
    /// own); a strategy takes as many iterations per sample as fit in it, at least one.
    pub sample_ms: Option<u64>,
    /// `CB_ORDER_SEED`: the seed of the shuffled order of the strategies in each round
    /// (default: taken from the clock; recorded in `cb-rounds.json` either way).
    pub order_seed: Option<u64>,
}

/// How many recursive fib jobs a run has: the 2024 revision's 20.
pub const FIB_JOBS: usize = 20;

/// One variable the suite reads: its name, its default, what it accepts, and what it means.
#[derive(Clone, Copy, Debug)]
pub struct Variable {
    /// The environment variable's name.
    pub name: &'static str,
    /// The default, as text (as the README shows it).
    pub default: &'static str,
    /// What values are allowed, as said in error messages.
    pub allowed: &'static str,
    /// What the variable controls.
    pub meaning: &'static str,
}

/// Every variable, in the order the README's table lists them.
pub const VARIABLES: &[Variable] = &[
    Variable {
        name: "CB_CPU_START",
        default: "5000000",
        allowed: "an integer from 1 to 1000000000000",
        meaning: "first n of the sum-of-squares jobs (sum of i*i for i in 0..n)",
    },
    Variable {
        name: "CB_CPU_COUNT",
        default: "20",
        allowed: "an integer from 1 to 10000",
        meaning: "number of sum-of-squares jobs (n = start + 0, start + 1, ...)",
    },
    Variable {
        name: "CB_FIB_N",
        default: "35",
        allowed: "an integer from 1 to 45",
        meaning: "argument of the 20 recursive fib jobs",
    },
    Variable {
        name: "CB_WORKERS",
        default: "5",
        allowed: "an integer from 1 to 1024",
        meaning: "threads in thread_pool and gil_threads (the tutorial's max_workers)",
    },
    Variable {
        name: "CB_PROCESSES",
        default: "available cores",
        allowed: "an integer from 1 to 256",
        meaning: "worker processes in process_pool and process_pool_warm",
    },
    Variable {
        name: "CB_SITES",
        default: "160",
        allowed: "an integer from 1 to 100000",
        meaning: "downloads per I/O run, alternating /jython and /dice",
    },
    Variable {
        name: "CB_LATENCY_MS",
        default: "20",
        allowed: "a number of milliseconds from 0 to 60000",
        meaning: "the embedded server's delay before each response (fractions allowed)",
    },
    Variable {
        name: "CB_JITTER_MS",
        default: "0",
        allowed: "a number of milliseconds from 0 to 60000",
        meaning: "each delay is uniform in latency ± jitter (seeded: runs repeat)",
    },
    Variable {
        name: "CB_TIMEOUT_MS",
        default: "30000",
        allowed: "an integer number of milliseconds from 1 to 3600000",
        meaning: "every request's timeout (a timed-out download is a failure, never a hang)",
    },
    Variable {
        name: "CB_FAULTS",
        default: "none",
        allowed: "kind:rate pairs, e.g. error:0.05,reset:0.02,stall:0.01 (kinds error, reset, stall; rates 0 to 1, summing to at most 1)",
        meaning: "faults the embedded server injects; failures are then counted, not fatal",
    },
    Variable {
        name: "CB_TEST_SLOWDOWN",
        default: "(none)",
        allowed: "<group>/<function>:<milliseconds>, e.g. cpu/fib/rayon:50",
        meaning: "testing only: adds a sleep to every iteration of one benchmark",
    },
    Variable {
        name: "CB_SAMPLES",
        default: "each group's own",
        allowed: "an integer from 10 to 1000",
        meaning: "samples per benchmark: the interleaved rounds of each group",
    },
    Variable {
        name: "CB_SAMPLE_MS",
        default: "each group's own",
        allowed: "an integer number of milliseconds from 1 to 600000",
        meaning: "target time of one sample (iterations per sample = target / time per iteration, at least 1)",
    },
    Variable {
        name: "CB_ORDER_SEED",
        default: "from the clock",
        allowed: "an integer from 0 to 18446744073709551615",
        meaning: "seed of the shuffled strategy order in each round (recorded in cb-rounds.json)",
    },
    Variable {
        name: "CB_TARGET_URL",
        default: "(embedded server)",
        allowed: "an http://host:port URL of a server that serves /jython and /dice",
        meaning: "download from this server instead of the embedded one",
    },
];

/// A variable whose value is not allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The variable's name.
    pub name: &'static str,
    /// The value as it was given.
    pub value: String,
    /// What is allowed instead.
    pub allowed: &'static str,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}={:?} is not allowed: expected {}",
            self.name, self.value, self.allowed
        )
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration, or prints the one-line error and exits with status 2.
    pub fn from_env_or_exit() -> Config {
        Config::from_env().unwrap_or_else(|error| exit_with_config_error(&error))
    }

    /// Every variable's effective value as text, in [`VARIABLES`] order.
    pub fn values(&self) -> Vec<(&'static Variable, String)> {
        VARIABLES
            .iter()
            .map(|variable| (variable, self.value_of(variable.name)))
            .collect()
    }

    fn value_of(&self, name: &str) -> String {
        match name {
            "CB_CPU_START" => self.cpu_start.to_string(),
            "CB_CPU_COUNT" => self.cpu_count.to_string(),
            "CB_FIB_N" => self.fib_n.to_string(),
            "CB_WORKERS" => self.workers.to_string(),
            "CB_PROCESSES" => self.processes.to_string(),
            "CB_SITES" => self.sites.to_string(),
            "CB_LATENCY_MS" => self.latency_ms.to_string(),
            "CB_JITTER_MS" => self.jitter_ms.to_string(),
            "CB_TIMEOUT_MS" => self.timeout_ms.to_string(),
            "CB_FAULTS" => self.faults.to_string(),
            "CB_TEST_SLOWDOWN" => self
                .test_slowdown
                .as_ref()
                .map(|(id, delay)| format!("{id}:{}", delay.as_millis()))
                .unwrap_or_default(),
            "CB_SAMPLES" => optional(self.samples),
            "CB_SAMPLE_MS" => optional(self.sample_ms),
            "CB_ORDER_SEED" => optional(self.order_seed),
            "CB_TARGET_URL" => self.target_url.clone().unwrap_or_default(),
            other => unreachable!("{other} is not in VARIABLES"),
        }
    }

    /// Reads the configuration from `(name, value)` pairs instead of the environment (tests,
    /// tools that configure a run themselves); absent names take their defaults.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        })
    }

    /// Reads the configuration through `lookup` (the environment, or a table in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        Ok(Config {
            cpu_start: read(&lookup, "CB_CPU_START", 5_000_000, 1..=1_000_000_000_000)?,
            cpu_count: read(&lookup, "CB_CPU_COUNT", 20, 1..=10_000)?,
            fib_n: read(&lookup, "CB_FIB_N", 35, 1..=45)?,
            workers: read(&lookup, "CB_WORKERS", 5, 1..=1024)?,
            processes: read(&lookup, "CB_PROCESSES", available_cores(), 1..=256)?,
            sites: read(&lookup, "CB_SITES", 160, 1..=100_000)?,
            latency_ms: read(&lookup, "CB_LATENCY_MS", 20.0, 0.0..=60_000.0)?,
            jitter_ms: read(&lookup, "CB_JITTER_MS", 0.0, 0.0..=60_000.0)?,
            target_url: read_url(&lookup, "CB_TARGET_URL")?,
            timeout_ms: read(&lookup, "CB_TIMEOUT_MS", 30_000, 1..=3_600_000)?,
            test_slowdown: read_slowdown(&lookup, "CB_TEST_SLOWDOWN")?,
            faults: read_faults(&lookup, "CB_FAULTS")?,
            samples: read_optional(&lookup, "CB_SAMPLES", 10..=1000)?,
            sample_ms: read_optional(&lookup, "CB_SAMPLE_MS", 1..=600_000)?,
            order_seed: read_optional(&lookup, "CB_ORDER_SEED", 0..=u64::MAX)?,
        })
    }
}

/// Prints `error` as the one line the suite promises and exits with status 2.
pub fn exit_with_config_error(error: &dyn fmt::Display) -> ! {
    eprintln!("concurrency-bench: {error}");
    std::process::exit(2)
}

/// The cores this process may use, as `multiprocessing.Pool()` counts them (at least 1).
pub fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Reads one variable: absent or empty means the default; anything else must parse and lie in `range`.
fn read<T>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ConfigError>
where
    T: FromStr + PartialOrd,
{
    Ok(read_optional(lookup, name, range)?.unwrap_or(default))
}

/// Reads one variable that has no fixed default: absent or empty is `None`.
fn read_optional<T>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    range: std::ops::RangeInclusive<T>,
) -> Result<Option<T>, ConfigError>
where
    T: FromStr + PartialOrd,
{
    let Some(raw) = lookup(name).filter(|value| !value.trim().is_empty()) else {
        return Ok(None);
    };
    let allowed = VARIABLES
        .iter()
        .find(|variable| variable.name == name)
        .map_or("a valid value", |variable| variable.allowed);
    match raw.trim().parse::<T>() {
        Ok(value) if range.contains(&value) => Ok(Some(value)),
        _ => Err(ConfigError {
            name,
            value: raw,
            allowed,
        }),
    }
}

/// An optional value as `cb-config` shows it: empty when the default applies.
fn optional(value: Option<impl ToString>) -> String {
    value.map(|value| value.to_string()).unwrap_or_default()
}

impl Config {
    /// `CB_TIMEOUT_MS` as a duration.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// The deliberate slowdown of benchmark `group/function`, if `CB_TEST_SLOWDOWN` names it.
    pub fn slowdown_of(&self, group: &str, function: &str) -> Option<Duration> {
        let (id, delay) = self.test_slowdown.as_ref()?;
        (*id == format!("{group}/{function}")).then_some(*delay)
    }
}

/// Reads a fault spec. Truncated bodies cannot be produced through wiremock (see the
/// mock-server crate), so a truncate rate is refused rather than silently ignored.
fn read_faults(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<mock_server::Faults, ConfigError> {
    let Some(raw) = lookup(name).filter(|value| !value.trim().is_empty()) else {
        return Ok(mock_server::Faults::none());
    };
    let error = |allowed| ConfigError {
        name,
        value: raw.clone(),
        allowed,
    };
    let faults = mock_server::Faults::parse(&raw).map_err(|_| {
        error("kind:rate pairs, e.g. error:0.05,reset:0.02,stall:0.01 (kinds error, reset, stall; rates 0 to 1, summing to at most 1)")
    })?;
    if faults.truncate_rate > 0.0 {
        return Err(error(
            "no truncate: wiremock cannot send a body shorter than its Content-Length",
        ));
    }
    Ok(faults)
}

/// Reads `<group>/<function>:<ms>`.
fn read_slowdown(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<(String, Duration)>, ConfigError> {
    let Some(raw) = lookup(name).filter(|value| !value.trim().is_empty()) else {
        return Ok(None);
    };
    let error = || ConfigError {
        name,
        value: raw.clone(),
        allowed: "<group>/<function>:<milliseconds>, e.g. cpu/fib/rayon:50",
    };
    let (id, ms) = raw.trim().rsplit_once(':').ok_or_else(error)?;
    let ms: u64 = ms
        .parse()
        .ok()
        .filter(|&ms| ms <= 60_000)
        .ok_or_else(error)?;
    if id.matches('/').count() < 2 {
        return Err(error());
    }
    Ok(Some((id.to_owned(), Duration::from_millis(ms))))
}

/// Reads an `http://host:port` URL (no path, query or credentials: the suite appends the paths).
fn read_url(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<String>, ConfigError> {
    let Some(raw) = lookup(name).filter(|value| !value.trim().is_empty()) else {
        return Ok(None);
    };
    let error = || ConfigError {
        name,
        value: raw.clone(),
        allowed: "an http://host:port URL of a server that serves /jython and /dice",
    };
    let url = raw.trim().trim_end_matches('/');
    let authority = url.strip_prefix("http://").ok_or_else(error)?;
    let (host, port) = authority.rsplit_once(':').ok_or_else(error)?;
    let valid_host = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.[]:".contains(c));
    if !valid_host || port.parse::<u16>().map_or(true, |port| port == 0) {
        return Err(error());
    }
    Ok(Some(url.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_pairs(pairs)
    }

    #[test]
    fn defaults_are_the_tutorials() {
        let config = with(&[]).unwrap();
        assert_eq!(config.cpu_start, 5_000_000);
        assert_eq!(config.cpu_count, 20);
        assert_eq!(config.fib_n, 35);
        assert_eq!(config.workers, 5);
        assert_eq!(config.processes, available_cores());
        assert_eq!(config.sites, 160);
        assert_eq!(config.latency_ms, 20.0);
        assert_eq!(config.jitter_ms, 0.0);
        assert_eq!(config.target_url, None);
        assert!(config.faults.is_none());
        assert_eq!(config.samples, None);
        assert_eq!(config.sample_ms, None);
        assert_eq!(config.order_seed, None);
    }

    #[test]
    fn round_settings_are_read() {
        let config = with(&[
            ("CB_SAMPLES", "12"),
            ("CB_SAMPLE_MS", "250"),
            ("CB_ORDER_SEED", "18446744073709551615"),
        ])
        .unwrap();
        assert_eq!(config.samples, Some(12));
        assert_eq!(config.sample_ms, Some(250));
        assert_eq!(config.order_seed, Some(u64::MAX));
        let shown = config.values();
        assert!(shown
            .iter()
            .any(|(variable, value)| variable.name == "CB_SAMPLE_MS" && value == "250"));
    }

    #[test]
    fn faults_are_read() {
        let config = with(&[("CB_FAULTS", "error:0.05,reset:0.02")]).unwrap();
        assert_eq!(config.faults.error_rate, 0.05);
        assert_eq!(config.faults.reset_rate, 0.02);
    }

    #[test]
    fn io_values_are_read() {
        let config = with(&[
            ("CB_LATENCY_MS", "2.5"),
            ("CB_TARGET_URL", "http://127.0.0.1:8080/"),
        ])
        .unwrap();
        assert_eq!(config.latency_ms, 2.5);
        assert_eq!(config.target_url.as_deref(), Some("http://127.0.0.1:8080"));
    }

    #[test]
    fn io_garbage_names_the_variable() {
        let cases = [
            ("CB_SITES", "0"),
            ("CB_SITES", "lots"),
            ("CB_LATENCY_MS", "-1"),
            ("CB_LATENCY_MS", "NaN"),
            ("CB_LATENCY_MS", "inf"),
            ("CB_LATENCY_MS", "20ms"),
            ("CB_JITTER_MS", "1e9"),
            ("CB_TARGET_URL", "localhost:8080"),
            ("CB_TARGET_URL", "https://127.0.0.1:8080"),
            ("CB_TARGET_URL", "http://127.0.0.1"),
            ("CB_TARGET_URL", "http://127.0.0.1:0"),
            ("CB_TARGET_URL", "http://127.0.0.1:99999"),
            ("CB_TARGET_URL", "http://127.0.0.1:8080/path"),
            ("CB_TIMEOUT_MS", "0"),
            ("CB_TIMEOUT_MS", "-1"),
            ("CB_TIMEOUT_MS", "1.5"),
            ("CB_FAULTS", "error"),
            ("CB_FAULTS", "boom:0.1"),
            ("CB_FAULTS", "error:1.5"),
            ("CB_FAULTS", "error:0.7,reset:0.7"),
            ("CB_FAULTS", "truncate:0.1"),
            ("CB_TEST_SLOWDOWN", "rayon"),
            ("CB_TEST_SLOWDOWN", "cpu/fib:5"),
            ("CB_TEST_SLOWDOWN", "cpu/fib/rayon:-5"),
            ("CB_TEST_SLOWDOWN", "cpu/fib/rayon:soon"),
            ("CB_SAMPLES", "9"),
            ("CB_SAMPLES", "1001"),
            ("CB_SAMPLES", "ten"),
            ("CB_SAMPLE_MS", "0"),
            ("CB_SAMPLE_MS", "600001"),
            ("CB_SAMPLE_MS", "1.5"),
            ("CB_ORDER_SEED", "-1"),
            ("CB_ORDER_SEED", "18446744073709551616"),
            ("CB_ORDER_SEED", "random"),
        ];
        for (name, value) in cases {
            let error = with(&[(name, value)]).unwrap_err();
            assert_eq!((error.name, error.value.as_str()), (name, value));
            assert!(error.to_string().contains("expected"), "{error}");
        }
    }

    #[test]
    fn values_are_read_and_trimmed() {
        let config = with(&[("CB_WORKERS", " 8 "), ("CB_CPU_START", "1000")]).unwrap();
        assert_eq!(config.workers, 8);
        assert_eq!(config.cpu_start, 1000);
    }

    #[test]
    fn garbage_names_the_variable_value_and_range() {
        let cases = [
            ("CB_WORKERS", "abc"),
            ("CB_WORKERS", "0"),
            ("CB_WORKERS", "-3"),
            ("CB_WORKERS", "1025"),
            ("CB_PROCESSES", "0"),
            ("CB_CPU_START", "99999999999999999999999"),
            ("CB_CPU_START", "0"),
            ("CB_CPU_COUNT", "2.5"),
            ("CB_FIB_N", "46"),
            ("CB_FIB_N", "1e3"),
        ];
        for (name, value) in cases {
            let error = with(&[(name, value)]).unwrap_err();
            assert_eq!(error.name, name);
            assert_eq!(error.value, value);
            let line = error.to_string();
            assert!(line.contains(name) && line.contains(value), "{line}");
            assert!(line.contains("expected an integer from"), "{line}");
            assert!(!line.contains('\n'), "{line}");
        }
    }

    #[test]
    fn a_slowdown_names_one_benchmark() {
        let config = with(&[("CB_TEST_SLOWDOWN", "cpu/fib/rayon:50")]).unwrap();
        assert_eq!(
            config.slowdown_of("cpu/fib", "rayon"),
            Some(Duration::from_millis(50))
        );
        assert_eq!(config.slowdown_of("cpu/fib", "sequential"), None);
        assert_eq!(with(&[]).unwrap().slowdown_of("cpu/fib", "rayon"), None);
    }

    #[test]
    fn values_follow_the_table() {
        let config = with(&[("CB_SITES", "7")]).unwrap();
        let values = config.values();
        assert_eq!(values.len(), VARIABLES.len());
        assert!(values
            .iter()
            .any(|(variable, value)| variable.name == "CB_SITES" && value == "7"));
    }

    #[test]
    fn every_variable_is_in_the_table() {
        for name in [
            "CB_CPU_START",
            "CB_CPU_COUNT",
            "CB_FIB_N",
            "CB_WORKERS",
            "CB_PROCESSES",
            "CB_SITES",
            "CB_LATENCY_MS",
            "CB_JITTER_MS",
            "CB_TARGET_URL",
            "CB_TIMEOUT_MS",
            "CB_FAULTS",
            "CB_TEST_SLOWDOWN",
            "CB_SAMPLES",
            "CB_SAMPLE_MS",
            "CB_ORDER_SEED",
        ] {
            assert!(VARIABLES.iter().any(|v| v.name == name), "{name}");
        }
    }
}
