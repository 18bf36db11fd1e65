//! Every `CB_*` environment variable the suite reads: parsing, defaults and one-line errors.
//!
//! Criterion owns the benchmark binaries' command line, so the suite is configured through the
//! environment. A bad value is a [`ConfigError`]: one line that names the variable, the value and
//! what is allowed, with which a bench's `main` stops before anything runs (exit status 2,
//! [`Error::Setup`]). A valid value a bench cannot honour is [`Refused`], the same way.
//!
//! Each variable is declared once, in the `variables!` list below: the [`Config`] field that
//! stores it, its name, default, what it accepts and what it means. That one entry gives the
//! field and its doc, the variable's row in [`VARIABLES`] (which `cb-config` and the README's
//! Configuration table show; tests/readme_config.rs checks the table), its reading in
//! [`Config::from_lookup`] with its error message, and its value in [`Config::values`].

mod accepts;

use std::fmt;
use std::path::Path;
use std::sync::LazyLock;
use std::time::Duration;

use mock_server::Faults;

use crate::error::Error;
use accepts::{
    parse_command, parse_existing_file, parse_existing_path, parse_faults, parse_on_off,
    parse_slowdown, parse_url, reading, Accepts, Custom, Number, Optional,
};

/// `CB_MIN_ITERS`'s default, the fewest iterations per sample (`rounds::MIN_ITERS_PER_SAMPLE`).
pub const DEFAULT_MIN_ITERS: u64 = 2;

/// Declares the variables: `field: Type = "CB_NAME" { default; accepts; meaning; }` each.
///
/// `default` is the field's value when the variable is absent or empty; the README and
/// [`Variable::default`] show it as the value itself would be shown, unless `shown as` gives
/// words for it. `accepts` is an [`Accepts`] (a [`Number`] in a range, a [`Custom`] syntax, or
/// either as [`Optional`]): how the text is read, what an error says is expected, and how the
/// value is shown. `meaning` is Markdown, for the README and the field's doc.
macro_rules! variables {
    (@default $accepts:expr, $default:expr) => {
        $accepts.show(&$default)
    };
    (@default $accepts:expr, $default:expr, $shown:literal) => {
        String::from($shown)
    };
    ($(
        $field:ident: $type:ty = $name:literal {
            default: $default:expr $(, shown as $shown:literal)?;
            accepts: $accepts:expr;
            meaning: $meaning:literal;
        }
    )*) => {
        /// The suite's configuration, read once at start-up: one field per variable.
        #[derive(Clone, Debug, PartialEq)]
        pub struct Config {
            $(
                #[doc = concat!("`", $name, "`: ", $meaning, ".")]
                pub $field: $type,
            )*
        }

        /// Every variable, in the order the README's table lists them.
        pub static VARIABLES: LazyLock<Vec<Variable>> = LazyLock::new(|| {
            vec![$({
                let accepts = reading::<$type, _>($accepts);
                Variable {
                    name: $name,
                    default: variables!(@default accepts, $default $(, $shown)?),
                    allowed: accepts.expected(),
                    meaning: $meaning,
                }
            },)*]
        });

        impl Config {
            /// Reads the configuration through `lookup` (the environment, or a table in tests).
            pub fn from_lookup(
                lookup: impl Fn(&str) -> Option<String>,
            ) -> Result<Config, ConfigError> {
                Ok(Config {
                    $($field: read(&lookup, $name, &$accepts)?.unwrap_or_else(|| $default),)*
                })
            }

            /// Every variable's effective value as text, in [`VARIABLES`] order.
            pub fn values(&self) -> Vec<(&'static Variable, String)> {
                let shown = [$(Accepts::show(&$accepts, &self.$field)),*];
                VARIABLES.iter().zip(shown).collect()
            }
        }
    };
}

// The defaults are the tutorial's (`CB_FIB_N`: its 2024 revision's).
variables! {
    cpu_start: u64 = "CB_CPU_START" {
        default: 5_000_000;
        accepts: Number("an integer", 1..=1_000_000_000_000);
        meaning: "first n of the sum-of-squares jobs (the sum of `i*i` for `i` in `0..n`)";
    }
    cpu_count: usize = "CB_CPU_COUNT" {
        default: 20;
        accepts: Number("an integer", 1..=10_000);
        meaning: "number of sum-of-squares jobs (n = start + 0, start + 1, ...)";
    }
    fib_n: u32 = "CB_FIB_N" {
        default: 35;
        accepts: Number("an integer", 1..=45);
        meaning: "argument of the 20 recursive fib jobs";
    }
    py_cpu_start: u64 = "CB_PY_CPU_START" {
        default: 500_000;
        accepts: Number("an integer", 1..=1_000_000_000_000);
        meaning: "`cargo bench --bench python` only: first n of its sum-of-squares jobs, for CPython and the Rust strategies beside it (a tenth of the tutorial's, so CPython finishes in minutes)";
    }
    py_fib_n: u32 = "CB_PY_FIB_N" {
        default: 25;
        accepts: Number("an integer", 1..=45);
        meaning: "`cargo bench --bench python` only: argument of its 20 recursive fib jobs, for CPython and the Rust strategies beside it";
    }
    python: String = "CB_PYTHON" {
        default: "python3".to_owned();
        accepts: Custom {
            expected: "the interpreter's command or path, e.g. python3.12 or /usr/bin/python3",
            parse: parse_command,
            show: String::clone,
        };
        meaning: "`cargo bench --bench python` only: the CPython that runs the tutorial's programs";
    }
    workers: usize = "CB_WORKERS" {
        default: 5;
        accepts: Number("an integer", 1..=1024);
        meaning: "threads in `thread_pool` and `gil_threads` (the tutorial's `max_workers`)";
    }
    processes: usize = "CB_PROCESSES" {
        default: available_cores(), shown as "available cores";
        accepts: Number("an integer", 1..=256);
        meaning: "worker processes in `process_pool` and `process_pool_warm` (the default counts cores as `multiprocessing.Pool()` does)";
    }
    sites: usize = "CB_SITES" {
        default: 160;
        accepts: Number("an integer", 1..=100_000);
        meaning: "downloads per I/O iteration, alternating `/jython` and `/dice`";
    }
    latency_ms: f64 = "CB_LATENCY_MS" {
        default: 20.0;
        accepts: Number("a number of milliseconds", 0.0..=60_000.0);
        meaning: "the embedded server's delay before each response (fractions allowed)";
    }
    jitter_ms: f64 = "CB_JITTER_MS" {
        default: 0.0;
        accepts: Number("a number of milliseconds", 0.0..=60_000.0);
        meaning: "each delay is uniform in latency ± jitter, from a seeded RNG (runs repeat)";
    }
    timeout_ms: u64 = "CB_TIMEOUT_MS" {
        default: 30_000;
        accepts: Number("an integer number of milliseconds", 1..=3_600_000);
        meaning: "every request's timeout, blocking and async clients and process-pool workers alike; a timed-out download is a failure, never a hang";
    }
    faults: Faults = "CB_FAULTS" {
        default: Faults::none();
        accepts: Custom {
            expected: "kind:rate pairs, e.g. error:0.05,reset:0.02,stall:0.01 (kinds error, reset, stall; rates 0 to 1, summing to at most 1)",
            parse: parse_faults,
            show: Faults::to_string,
        };
        meaning: "the embedded server injects HTTP 500s, dropped connections and stalls (longer than any timeout); failures are then counted, not fatal";
    }
    test_slowdown: Option<(String, Duration)> = "CB_TEST_SLOWDOWN" {
        default: None, shown as "none";
        accepts: Optional(Custom {
            expected: "<group>/<function>:<milliseconds>, e.g. cpu/fib/rayon:50",
            parse: parse_slowdown,
            show: |(id, delay)| format!("{id}:{}", delay.as_millis()),
        });
        meaning: "testing only: that one benchmark sleeps this long after the work of every iteration";
    }
    samples: Option<usize> = "CB_SAMPLES" {
        default: None, shown as "each group's own";
        accepts: Optional(Number("an integer", 10..=1000));
        meaning: "samples per benchmark: the interleaved rounds of each group";
    }
    sample_ms: Option<u64> = "CB_SAMPLE_MS" {
        default: None, shown as "each group's own";
        accepts: Optional(Number("an integer number of milliseconds", 1..=600_000));
        meaning: "target time of one sample; iterations per sample = target / time per iteration, at least `CB_MIN_ITERS` (2)";
    }
    min_iters: u64 = "CB_MIN_ITERS" {
        default: DEFAULT_MIN_ITERS;
        accepts: Number("an integer", 1..=1000);
        meaning: "the fewest iterations per sample; at 1 Criterion warns \"Unable to complete N samples\" (harmless), and a strategy slower than its sample target takes half the time: `target-report ab` sets 1 in its rounds";
    }
    timeline: bool = "CB_TIMELINE" {
        default: true;
        accepts: Custom {
            expected: "on or off",
            parse: parse_on_off,
            show: |on: &bool| String::from(if *on { "on" } else { "off" }),
        };
        meaning: "after each saved benchmark, one more untimed run records `cb-timeline.json` for the summary's timelines; `target-report ab` turns it off in its rounds, where nobody reads it";
    }
    cpu_time: bool = "CB_CPU_TIME" {
        default: true;
        accepts: Custom {
            expected: "on or off",
            parse: parse_on_off,
            show: |on: &bool| String::from(if *on { "on" } else { "off" }),
        };
        meaning: "record in `cb-rounds.json`, and for the sweeps in each point's `cb-cpu.json`, the CPU time of each sample, user and system, of the suite's threads, the embedded server and the worker processes (Linux only: read from `/proc` before and after the sample, outside its timing); off, to measure what reading it costs";
    }
    turns: Option<String> = "CB_TURNS" {
        default: None, shown as "none: every sample when it is due";
        accepts: Optional(Custom {
            expected: "the path of a turn coordinator's socket (target-report ab sets it)",
            parse: parse_existing_path,
            show: String::clone,
        });
        meaning: "wait for a turn before each sample of a round and each call of the planning warm-up, from the coordinator listening there: `target-report ab` runs the two sides of a round at once, taking turns sample by sample, so both live through the same moments of a noisy machine";
    }
    order_seed: Option<u64> = "CB_ORDER_SEED" {
        default: None, shown as "from the clock";
        accepts: Optional(Number("an integer", 0..=u64::MAX));
        meaning: "seed of the shuffled strategy order in each round (recorded in `cb-rounds.json`)";
    }
    worker_exe: Option<String> = "CB_WORKER_EXE" {
        default: None, shown as "the cb-worker built with the bench";
        accepts: Optional(Custom {
            expected: "the path of an existing cb-worker executable",
            parse: parse_existing_file,
            show: String::clone,
        });
        meaning: "the process pool's worker executable: `target-report layout` and `ab --layouts` give each link order its own, so the bench and its workers share one code placement";
    }
    target_url: Option<String> = "CB_TARGET_URL" {
        default: None, shown as "the embedded server";
        accepts: Optional(Custom {
            expected: "an http://host:port URL of a server that serves /jython and /dice",
            parse: parse_url,
            show: String::clone,
        });
        meaning: "download from a server you started (e.g. `mock-server`, or another that serves `/jython` and `/dice`); bodies are checked against `Content-Length`; an unreachable server stops the run at once";
    }
}

/// How many recursive fib jobs a run has: the 2024 revision's 20.
pub const FIB_JOBS: usize = 20;

/// One variable the suite reads, as `cb-config` and the README's table show it.
#[derive(Clone, Debug)]
pub struct Variable {
    /// The environment variable's name.
    pub name: &'static str,
    /// The default, as text (as the README shows it).
    pub default: String,
    /// What values are allowed, as said in error messages.
    pub allowed: String,
    /// What the variable controls (Markdown).
    pub meaning: &'static str,
}

/// A variable whose value is not allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The variable's name.
    pub name: &'static str,
    /// The value as it was given.
    pub value: String,
    /// What is allowed instead.
    pub allowed: String,
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

impl From<ConfigError> for Error {
    fn from(error: ConfigError) -> Error {
        Error::setup(error)
    }
}

/// A valid setting that a bench cannot honour (`CB_TARGET_URL` where the bench sets the
/// server's latency itself, say): the bench stops before anything runs, as on a bad value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    /// The setting as it was given, e.g. `CB_TARGET_URL=http://127.0.0.1:8080`.
    pub setting: String,
    /// Why, and what to do instead.
    pub reason: String,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.setting, self.reason)
    }
}

impl std::error::Error for Refused {}

impl From<Refused> for Error {
    fn from(refused: Refused) -> Error {
        Error::setup(refused)
    }
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
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

    /// `CB_TIMEOUT_MS` as a duration.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// The process pool's worker executable: `CB_WORKER_EXE` when set, else `built` (the bench's
    /// own `CARGO_BIN_EXE_cb-worker`).
    pub fn worker_exe_or<'a>(&'a self, built: &'a Path) -> &'a Path {
        self.worker_exe.as_deref().map_or(built, Path::new)
    }

    /// The deliberate slowdown of benchmark `group/function`, if `CB_TEST_SLOWDOWN` names it.
    pub fn slowdown_of(&self, group: &str, function: &str) -> Option<Duration> {
        let (id, delay) = self.test_slowdown.as_ref()?;
        (*id == format!("{group}/{function}")).then_some(*delay)
    }
}

/// The cores this process may use, as `multiprocessing.Pool()` counts them (at least 1).
pub fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Reads one variable: absent or empty is `None`; anything else, trimmed, must be accepted.
fn read<A: Accepts>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    accepts: &A,
) -> Result<Option<A::Value>, ConfigError> {
    let Some(raw) = lookup(name).filter(|value| !value.trim().is_empty()) else {
        return Ok(None);
    };
    match accepts.parse(raw.trim()) {
        Ok(value) => Ok(Some(value)),
        Err(refusal) => Err(ConfigError {
            name,
            allowed: refusal.map_or_else(|| accepts.expected(), str::to_owned),
            value: raw,
        }),
    }
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
    fn every_variable_is_declared_in_full() {
        let mut names: Vec<_> = VARIABLES.iter().map(|variable| variable.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), VARIABLES.len(), "a name is declared twice");
        for variable in VARIABLES.iter() {
            assert!(variable.name.starts_with("CB_"), "{variable:?}");
            assert!(!variable.default.is_empty(), "{variable:?}");
            assert!(!variable.allowed.is_empty(), "{variable:?}");
            assert!(!variable.meaning.is_empty(), "{variable:?}");
        }
        let fib = VARIABLES.iter().find(|v| v.name == "CB_FIB_N").unwrap();
        assert!(fib
            .meaning
            .contains(&format!(" {FIB_JOBS} recursive fib jobs")));
    }

    #[test]
    fn an_error_says_what_the_declaration_allows() {
        // Any text names a command: a wrong CB_PYTHON is refused when it is run (tests/python.rs).
        for variable in VARIABLES.iter().filter(|v| v.name != "CB_PYTHON") {
            let error = with(&[(variable.name, "garbage")]).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!(
                    "{}=\"garbage\" is not allowed: expected {}",
                    variable.name, variable.allowed
                )
            );
        }
    }
}
