//! What Criterion 0.8.2 will do with a bench binary's command line: which benchmarks it runs,
//! in which mode, and which baseline directories it writes.
//!
//! The suite measures a group's strategies itself (interleaved rounds, in `rounds/`) before
//! handing the samples to Criterion, so it must know beforehand what Criterion will select: a
//! strategy Criterion would skip must not be measured, and side files go exactly where
//! Criterion's own files go. This module reads the same arguments Criterion's clap definition
//! does (`configure_from_args` in criterion-0.8.2/src/lib.rs) and applies the same rules; the
//! version is pinned in the workspace's Cargo.toml. It decides nothing of its own.

use std::fmt;

use crate::error::Error;

/// Criterion's options that take a value (long name, short name), from its clap definition.
const WITH_VALUE: &[(&str, Option<char>)] = &[
    ("color", Some('c')),
    ("colour", Some('c')),
    ("save-baseline", Some('s')),
    ("baseline", Some('b')),
    ("baseline-lenient", None),
    ("format", None),
    ("profile-time", None),
    ("load-baseline", None),
    ("sample-size", None),
    ("warm-up-time", None),
    ("measurement-time", None),
    ("nresamples", None),
    ("noise-threshold", None),
    ("confidence-level", None),
    ("significance-level", None),
    ("plotting-backend", None),
    ("output-format", None),
];

/// Criterion's options that take no value (long name, short name), from its clap definition.
const FLAGS: &[(&str, Option<char>)] = &[
    ("verbose", Some('v')),
    ("quiet", None),
    ("noplot", Some('n')),
    ("discard-baseline", None),
    ("list", None),
    ("ignored", None),
    ("exact", None),
    ("quick", None),
    ("test", None),
    ("bench", None),
    ("nocapture", None),
    ("show-output", None),
    ("include-ignored", None),
    ("version", Some('V')),
    ("help", Some('h')),
];

/// What Criterion does with each benchmark it selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Measures, analyses and saves (`cargo bench`).
    Benchmark,
    /// Runs each benchmark once (`--test`, or `cargo test --benches`: no `--bench`).
    Test,
    /// Prints the benchmarks' names (`--list`).
    List,
    /// Iterates for a while without analysing or saving (`--profile-time`).
    Profile,
}

/// Which benchmarks run: Criterion's `BenchmarkFilter`, matched against `group/function`.
#[derive(Clone, Debug)]
pub enum Filter {
    /// No filter given.
    AcceptAll,
    /// The positional filter, a regular expression that may match anywhere in the id.
    Regex(regex::Regex),
    /// The positional filter with `--exact`: the whole id.
    Exact(String),
    /// `--ignored`: nothing runs.
    RejectAll,
}

/// What Criterion does with the results: its `Baseline` and the directory name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Baseline {
    /// Writes `new/` and copies it to the named directory (`base` unless `--save-baseline NAME`).
    Save(String),
    /// `--discard-baseline`: writes nothing.
    Discard,
    /// `--baseline NAME`: compares with NAME (which must exist), writes `new/` only.
    CompareStrict(String),
    /// `--baseline-lenient NAME`: compares with NAME where it exists, writes `new/` only.
    CompareLenient(String),
}

/// A command line Criterion would accept but this module does not understand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgsError(pub String);

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bench arguments: {}", self.0)
    }
}

impl std::error::Error for ArgsError {}

impl From<ArgsError> for Error {
    fn from(error: ArgsError) -> Error {
        Error::setup(error)
    }
}

/// The parts of a bench binary's command line that decide what is run and where it is saved.
#[derive(Clone, Debug)]
pub struct CriterionArgs {
    /// What Criterion does with a selected benchmark.
    pub mode: Mode,
    /// Which benchmarks are selected.
    pub filter: Filter,
    /// What happens to the results.
    pub baseline: Baseline,
    /// `--load-baseline NAME`: Criterion analyses NAME's saved samples instead of measuring.
    pub load_baseline: Option<String>,
    /// `--quick`: Criterion's own short adaptive sampling.
    pub quick: bool,
    /// Run by cargo-criterion (`CARGO_CRITERION_PORT`): it, not Criterion, stores the results.
    pub cargo_criterion: bool,
}

impl CriterionArgs {
    /// Reads the command line the way Criterion 0.8.2 does (`args` without the program name).
    /// Only meaningful for command lines Criterion accepted: call it after `configure_from_args`,
    /// which exits on anything it refuses.
    pub fn parse<I, S>(args: I) -> Result<CriterionArgs, ArgsError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut tokens = Tokens::read(args.into_iter().map(Into::into))?;
        Ok(CriterionArgs {
            mode: tokens.mode(),
            filter: tokens.filter()?,
            baseline: tokens.baseline(),
            load_baseline: tokens.value("load-baseline"),
            quick: tokens.has("quick"),
            cargo_criterion: false,
        })
    }

    /// Reads this process's command line.
    pub fn from_env() -> Result<CriterionArgs, ArgsError> {
        let mut args = CriterionArgs::parse(std::env::args().skip(1))?;
        args.cargo_criterion = cargo_criterion_port();
        Ok(args)
    }

    /// Whether Criterion runs benchmark `id` (`group/function`, or `group/function/value`).
    pub fn selects(&self, id: &str) -> bool {
        match &self.filter {
            Filter::AcceptAll => true,
            Filter::Regex(regex) => regex.is_match(id),
            Filter::Exact(exact) => id == exact,
            Filter::RejectAll => false,
        }
    }

    /// Whether a selected benchmark's routine is measured by Criterion at all (not for
    /// `--list`, `--test`, `--profile-time`, or `--load-baseline`, which analyses saved samples).
    pub fn measures(&self) -> bool {
        self.mode == Mode::Benchmark && self.load_baseline.is_none()
    }

    /// Whether the suite measures a group in interleaved rounds and hands the samples to
    /// Criterion: an ordinary measuring run, not Criterion's own `--quick` sampling.
    pub fn interleaves(&self) -> bool {
        self.measures() && !self.quick
    }

    /// The baseline directories Criterion writes a selected benchmark's results to in this run,
    /// in the order it writes them: `new`, then the `--save-baseline` name (`base` by default)
    /// that it copies `new` to. Empty when it writes nothing (`--test`, `--list`,
    /// `--profile-time`, `--load-baseline`, `--discard-baseline`, cargo-criterion).
    pub fn baseline_dirs(&self) -> Vec<String> {
        if !self.measures() || self.cargo_criterion {
            return Vec::new();
        }
        match &self.baseline {
            Baseline::Discard => Vec::new(),
            Baseline::Save(name) if name != "new" => vec!["new".to_owned(), name.clone()],
            Baseline::Save(_) | Baseline::CompareStrict(_) | Baseline::CompareLenient(_) => {
                vec!["new".to_owned()]
            }
        }
    }

    /// Whether this run saved results, so that a summary of the Criterion directory has
    /// something new to show: its groups measured at least one benchmark (`measured`, as the
    /// benches count them with `bench_group::measure_then_record`; none when the filter selects
    /// nothing in this bench) and Criterion saved them ([`baseline_dirs`](Self::baseline_dirs)
    /// not empty).
    pub fn saved_results(&self, measured: usize) -> bool {
        measured > 0 && !self.baseline_dirs().is_empty()
    }
}

/// A command line split the way Criterion's clap parser splits it: options with values, flags,
/// and positional arguments (the filter).
struct Tokens {
    values: Vec<(&'static str, String)>,
    flags: Vec<&'static str>,
    positional: Vec<String>,
}

impl Tokens {
    /// Splits `args`: long options (`--name value`, `--name=value`), clusters of short ones,
    /// `--` (everything after it is positional), and at most one positional argument.
    fn read(mut args: impl Iterator<Item = String>) -> Result<Tokens, ArgsError> {
        let mut tokens = Tokens {
            values: Vec::new(),
            flags: Vec::new(),
            positional: Vec::new(),
        };
        let mut only_positional = false;
        while let Some(arg) = args.next() {
            if only_positional || arg == "-" || !arg.starts_with('-') {
                tokens.positional.push(arg);
            } else if arg == "--" {
                only_positional = true;
            } else if let Some(long) = arg.strip_prefix("--") {
                tokens.read_long(long, &mut args)?;
            } else {
                tokens.read_short_cluster(&arg[1..], &mut args)?;
            }
        }
        if tokens.positional.len() > 1 {
            return Err(ArgsError(format!(
                "more than one filter: {}",
                tokens.positional.join(" ")
            )));
        }
        Ok(tokens)
    }

    /// `--name`, `--name value` or `--name=value`.
    fn read_long(
        &mut self,
        long: &str,
        args: &mut impl Iterator<Item = String>,
    ) -> Result<(), ArgsError> {
        let (name, inline) = match long.split_once('=') {
            Some((name, value)) => (name, Some(value.to_owned())),
            None => (long, None),
        };
        if let Some(&(known, _)) = WITH_VALUE.iter().find(|(n, _)| *n == name) {
            let value = match inline {
                Some(value) => value,
                None => args
                    .next()
                    .ok_or_else(|| ArgsError(format!("--{name} needs a value")))?,
            };
            self.values.push((canonical(known), value));
        } else if let Some(&(known, _)) = FLAGS.iter().find(|(n, _)| *n == name) {
            self.flags.push(known);
        } else {
            return Err(ArgsError(format!("unknown option --{name}")));
        }
        Ok(())
    }

    /// A cluster of short options: flags, then at most one that takes the rest (`-vsNAME`,
    /// `-vs=NAME`) or the next argument (`-vs NAME`) as its value.
    fn read_short_cluster(
        &mut self,
        cluster: &str,
        args: &mut impl Iterator<Item = String>,
    ) -> Result<(), ArgsError> {
        for (index, short) in cluster.char_indices() {
            if let Some(&(known, _)) = WITH_VALUE.iter().find(|(_, s)| *s == Some(short)) {
                let rest = &cluster[index + short.len_utf8()..];
                let value = if rest.is_empty() {
                    args.next()
                        .ok_or_else(|| ArgsError(format!("-{short} needs a value")))?
                } else {
                    rest.strip_prefix('=').unwrap_or(rest).to_owned()
                };
                self.values.push((canonical(known), value));
                return Ok(());
            } else if let Some(&(known, _)) = FLAGS.iter().find(|(_, s)| *s == Some(short)) {
                self.flags.push(known);
            } else {
                return Err(ArgsError(format!("unknown option -{short}")));
            }
        }
        Ok(())
    }

    fn has(&self, flag: &str) -> bool {
        self.flags.contains(&flag)
    }

    /// The last value given for `name`.
    fn value(&self, name: &str) -> Option<String> {
        self.values
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, value)| value.clone())
    }

    /// As `configure_from_args` decides: `--list` wins, then test mode (`--test`, or no
    /// `--bench` at all: `cargo test --benches`), then `--profile-time`.
    fn mode(&self) -> Mode {
        if self.has("list") {
            Mode::List
        } else if self.has("test") || !self.has("bench") {
            Mode::Test
        } else if self.value("profile-time").is_some() {
            Mode::Profile
        } else {
            Mode::Benchmark
        }
    }

    /// `--ignored` rejects everything; else the positional filter, exact or a regex.
    fn filter(&mut self) -> Result<Filter, ArgsError> {
        if self.has("ignored") {
            return Ok(Filter::RejectAll);
        }
        let Some(filter) = self.positional.pop() else {
            return Ok(Filter::AcceptAll);
        };
        if self.has("exact") {
            return Ok(Filter::Exact(filter));
        }
        let regex = regex::Regex::new(&filter).map_err(|error| {
            // regex's messages draw a caret under the pattern: keep the last line.
            let text = error.to_string();
            let reason = text.lines().last().unwrap_or_default();
            let reason = reason.trim_start_matches("error: ");
            ArgsError(format!(
                "filter {filter:?} is not a regular expression: {reason}"
            ))
        })?;
        Ok(Filter::Regex(regex))
    }

    /// `--save-baseline` defaults to "base"; `--discard-baseline`, then `--baseline`, then
    /// `--baseline-lenient` override it, in that order.
    fn baseline(&self) -> Baseline {
        let mut baseline =
            Baseline::Save(self.value("save-baseline").unwrap_or_else(|| "base".into()));
        if self.has("discard-baseline") {
            baseline = Baseline::Discard;
        }
        if let Some(name) = self.value("baseline") {
            baseline = Baseline::CompareStrict(name);
        }
        if let Some(name) = self.value("baseline-lenient") {
            baseline = Baseline::CompareLenient(name);
        }
        baseline
    }
}

/// `--colour` is clap's alias of `--color`.
fn canonical(name: &'static str) -> &'static str {
    match name {
        "colour" => "color",
        other => other,
    }
}

/// Whether cargo-criterion runs this binary (Criterion then saves nothing itself).
fn cargo_criterion_port() -> bool {
    std::env::var("CARGO_CRITERION_PORT").is_ok_and(|port| port.parse::<u16>().is_ok())
}
