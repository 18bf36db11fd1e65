//! Every `CB_*` environment variable the suite reads: parsing, defaults and one-line errors.
//!
//! Criterion owns the benchmark binaries' command line, so the suite is configured through the
//! environment. A bad value ends the run with one line that names the variable, the value and what
//! is allowed, and exit status 2 ([`Config::from_env_or_exit`]).

use std::fmt;
use std::str::FromStr;

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

    /// Reads the configuration through `lookup` (the environment, or a table in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        Ok(Config {
            cpu_start: read(&lookup, "CB_CPU_START", 5_000_000, 1..=1_000_000_000_000)?,
            cpu_count: read(&lookup, "CB_CPU_COUNT", 20, 1..=10_000)?,
            fib_n: read(&lookup, "CB_FIB_N", 35, 1..=45)?,
            workers: read(&lookup, "CB_WORKERS", 5, 1..=1024)?,
            processes: read(&lookup, "CB_PROCESSES", available_cores(), 1..=256)?,
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
    let Some(raw) = lookup(name).filter(|value| !value.trim().is_empty()) else {
        return Ok(default);
    };
    let allowed = VARIABLES
        .iter()
        .find(|variable| variable.name == name)
        .map_or("a valid value", |variable| variable.allowed);
    match raw.trim().parse::<T>() {
        Ok(value) if range.contains(&value) => Ok(value),
        _ => Err(ConfigError {
            name,
            value: raw,
            allowed,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults_are_the_tutorials() {
        let config = with(&[]).unwrap();
        assert_eq!(config.cpu_start, 5_000_000);
        assert_eq!(config.cpu_count, 20);
        assert_eq!(config.fib_n, 35);
        assert_eq!(config.workers, 5);
        assert_eq!(config.processes, available_cores());
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
    fn every_variable_is_in_the_table() {
        for name in [
            "CB_CPU_START",
            "CB_CPU_COUNT",
            "CB_FIB_N",
            "CB_WORKERS",
            "CB_PROCESSES",
        ] {
            assert!(VARIABLES.iter().any(|v| v.name == name), "{name}");
        }
    }
}
