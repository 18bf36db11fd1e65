//! How a variable's text is read and its value shown: a [`Number`] in a range, a [`Custom`]
//! syntax (with its parser below), or either as [`Optional`]. The `variables!` list in
//! `mod.rs` names one of these for each variable.

use std::fmt;
use std::ops::RangeInclusive;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use mock_server::Faults;

/// Why a value was refused: `None`, it is not what [`Accepts::expected`] says; `Some(instead)`,
/// a more particular reason, which the error message gives in its place.
pub(super) type Refusal = Option<&'static str>;

/// What a variable accepts: how its text is read, and how its value is said and shown.
pub(super) trait Accepts {
    /// What a `Config` field of this kind holds.
    type Value;
    /// What values are allowed, as error messages and the README say it.
    fn expected(&self) -> String;
    /// Reads a trimmed, non-empty value.
    fn parse(&self, text: &str) -> Result<Self::Value, Refusal>;
    /// The value as `cb-config` shows it.
    fn show(&self, value: &Self::Value) -> String;
}

/// `accepts` as a reader of `T` values (so that a range's literals take the field's type).
pub(super) fn reading<T, A: Accepts<Value = T>>(accepts: A) -> A {
    accepts
}

/// A number within a range: `Number("an integer", 1..=45)`, the words saying what kind of
/// number for error messages.
pub(super) struct Number<T>(pub(super) &'static str, pub(super) RangeInclusive<T>);

impl<T: FromStr + PartialOrd + fmt::Display> Accepts for Number<T> {
    type Value = T;

    fn expected(&self) -> String {
        let Number(kind, range) = self;
        format!("{kind} from {} to {}", range.start(), range.end())
    }

    fn parse(&self, text: &str) -> Result<T, Refusal> {
        let value = text.parse::<T>().map_err(|_| None)?;
        self.1.contains(&value).then_some(value).ok_or(None)
    }

    fn show(&self, value: &T) -> String {
        value.to_string()
    }
}

/// A value with its own syntax, read and shown by functions.
pub(super) struct Custom<T> {
    pub(super) expected: &'static str,
    pub(super) parse: fn(&str) -> Result<T, Refusal>,
    pub(super) show: fn(&T) -> String,
}

impl<T> Accepts for Custom<T> {
    type Value = T;

    fn expected(&self) -> String {
        self.expected.to_owned()
    }

    fn parse(&self, text: &str) -> Result<T, Refusal> {
        (self.parse)(text)
    }

    fn show(&self, value: &T) -> String {
        (self.show)(value)
    }
}

/// A variable without a fixed default: `None` when absent, shown as nothing.
pub(super) struct Optional<A>(pub(super) A);

impl<A: Accepts> Accepts for Optional<A> {
    type Value = Option<A::Value>;

    fn expected(&self) -> String {
        self.0.expected()
    }

    fn parse(&self, text: &str) -> Result<Self::Value, Refusal> {
        self.0.parse(text).map(Some)
    }

    fn show(&self, value: &Self::Value) -> String {
        value
            .as_ref()
            .map_or_else(String::new, |value| self.0.show(value))
    }
}

/// Reads a fault spec. Truncated bodies cannot be produced through wiremock (see the
/// mock-server crate), so a truncate rate is refused rather than silently ignored.
pub(super) fn parse_faults(text: &str) -> Result<Faults, Refusal> {
    let faults = Faults::parse(text).map_err(|_| None)?;
    if faults.truncate_rate > 0.0 {
        return Err(Some(
            "no truncate: wiremock cannot send a body shorter than its Content-Length",
        ));
    }
    Ok(faults)
}

/// Reads `<group>/<function>:<ms>`.
pub(super) fn parse_slowdown(text: &str) -> Result<(String, Duration), Refusal> {
    let (id, ms) = text.rsplit_once(':').ok_or(None)?;
    let ms: u64 = ms.parse().ok().filter(|&ms| ms <= 60_000).ok_or(None)?;
    if id.matches('/').count() < 2 {
        return Err(None);
    }
    Ok((id.to_owned(), Duration::from_millis(ms)))
}

/// Reads a command or path to run: any non-empty text.
pub(super) fn parse_command(text: &str) -> Result<String, Refusal> {
    match text.trim() {
        "" => Err(None),
        command => Ok(command.to_owned()),
    }
}

/// Reads `on` or `off`.
pub(super) fn parse_on_off(text: &str) -> Result<bool, Refusal> {
    match text.trim() {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(None),
    }
}

/// Reads the path of a file that exists.
pub(super) fn parse_existing_file(text: &str) -> Result<String, Refusal> {
    parse_existing(text, Path::is_file)
}

/// Reads the path of anything that exists (a Unix socket is not a regular file).
pub(super) fn parse_existing_path(text: &str) -> Result<String, Refusal> {
    parse_existing(text, Path::exists)
}

/// Reads a path that `is` accepts.
fn parse_existing(text: &str, is: fn(&Path) -> bool) -> Result<String, Refusal> {
    match text.trim() {
        path if !path.is_empty() && is(Path::new(path)) => Ok(path.to_owned()),
        _ => Err(None),
    }
}

/// Reads an `http://host:port` URL (no path, query or credentials: the suite appends the paths).
pub(super) fn parse_url(text: &str) -> Result<String, Refusal> {
    let url = text.trim_end_matches('/');
    let authority = url.strip_prefix("http://").ok_or(None)?;
    let (host, port) = authority.rsplit_once(':').ok_or(None)?;
    let valid_host = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.[]:".contains(c));
    if !valid_host || port.parse::<u16>().map_or(true, |port| port == 0) {
        return Err(None);
    }
    Ok(url.to_owned())
}
