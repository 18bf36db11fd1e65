//! One error type whose `Display` is a single line naming the file at fault.

use std::fmt;
use std::path::{Path, PathBuf};

/// Everything that can go wrong: bad input, unreadable files, failed writes.
///
/// The binary prints it on one line and exits with status 2, so the message never contains a
/// newline and, when a file is at fault, starts with that file's path.
#[derive(Debug)]
pub struct Error {
    /// The file or directory at fault, when there is one.
    pub path: Option<PathBuf>,
    /// What is wrong with it, in one line.
    pub message: String,
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error about a specific file or directory.
    pub fn at(path: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Error {
            path: Some(path.as_ref().to_path_buf()),
            message: one_line(message.into()),
        }
    }

    /// An error that no single file is responsible for.
    pub fn msg(message: impl Into<String>) -> Self {
        Error {
            path: None,
            message: one_line(message.into()),
        }
    }
}

// serde and io messages are single lines in practice, but a multi-line message would break the
// "one line on stderr" promise, so fold any that slip through.
fn one_line(s: String) -> String {
    if s.contains('\n') {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        s
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) => write!(f, "{}: {}", p.display(), self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}
