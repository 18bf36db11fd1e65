//! The compiler flags of every build `target-report` makes (`ab`'s two sides, `calibrate`,
//! `backfill`'s commits, `layout`): the same on both sides of every comparison.
//!
//! The workspace pins code placement in `.cargo/config.toml` ([`PINNED_RUSTFLAGS`]: functions
//! and loops on 64-byte boundaries). A commit from before that file, checked out in a worktree,
//! would build without them, and `ab` would compare a pinned binary with an unpinned one. So
//! when the user's environment sets neither `RUSTFLAGS` nor `CARGO_ENCODED_RUSTFLAGS`, every
//! build gets the pinned flags explicitly through `CARGO_ENCODED_RUSTFLAGS` (which cargo
//! prefers to its configuration: the same list, so the same fingerprint as a plain
//! `cargo bench` of a commit that has the file). When the user set either, both sides keep
//! theirs (cargo gives the environment precedence), and [`BuildFlags::note`] says that
//! placement is then pinned only if theirs include the flags.
//!
//! Passing them explicitly also keeps them independent of where a checkout sits: cargo merges
//! the `.cargo/config.toml` of every ancestor directory and concatenates their arrays, so a
//! worktree under `target/ab/` got the flags twice (its own file and the outer checkout's),
//! and an old commit there got the outer checkout's flags without having any. In the
//! workspace itself the list is the configured one, so `calibrate`'s in-place build and a plain
//! `cargo bench` share their fingerprints (checked: nothing rebuilds between them).

/// The flags `.cargo/config.toml` sets for every build of the workspace (a test reads the
/// file and checks they are equal).
pub const PINNED_RUSTFLAGS: [&str; 4] = [
    "-C",
    "llvm-args=-align-all-functions=6",
    "-C",
    "llvm-args=-align-loops=64",
];

/// What a build's environment says about rustc's flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildFlags {
    /// Neither variable set: every build gets [`PINNED_RUSTFLAGS`] in `CARGO_ENCODED_RUSTFLAGS`.
    Pinned,
    /// The user's own flags (`RUSTFLAGS` or `CARGO_ENCODED_RUSTFLAGS`, named here), inherited
    /// by every build unchanged.
    User(&'static str),
}

impl BuildFlags {
    /// The decision for an environment in which `rustflags` and `encoded` are the values of
    /// `RUSTFLAGS` and `CARGO_ENCODED_RUSTFLAGS` (`None` when unset). cargo reads an empty
    /// `CARGO_ENCODED_RUSTFLAGS` or `RUSTFLAGS` as "no flags", which replaces the configured ones
    /// all the same, so a variable that is set counts even when empty.
    pub fn decide(rustflags: Option<&str>, encoded: Option<&str>) -> BuildFlags {
        match (encoded, rustflags) {
            (Some(_), _) => BuildFlags::User("CARGO_ENCODED_RUSTFLAGS"),
            (None, Some(_)) => BuildFlags::User("RUSTFLAGS"),
            (None, None) => BuildFlags::Pinned,
        }
    }

    /// The decision for this process's environment.
    pub fn from_env() -> BuildFlags {
        let rustflags = std::env::var("RUSTFLAGS").ok();
        let encoded = std::env::var("CARGO_ENCODED_RUSTFLAGS").ok();
        BuildFlags::decide(rustflags.as_deref(), encoded.as_deref())
    }

    /// The variables to set on a cargo build: `CARGO_ENCODED_RUSTFLAGS` with the pinned flags
    /// (joined by 0x1f, cargo's separator), or nothing (the user's are inherited).
    pub fn env(&self) -> Vec<(String, String)> {
        match self {
            BuildFlags::Pinned => vec![(
                "CARGO_ENCODED_RUSTFLAGS".to_string(),
                PINNED_RUSTFLAGS.join("\x1f"),
            )],
            BuildFlags::User(_) => Vec::new(),
        }
    }

    /// One line for the user when their flags replace the pinned ones; `None` otherwise.
    pub fn note(&self) -> Option<String> {
        match self {
            BuildFlags::Pinned => None,
            BuildFlags::User(var) => Some(format!(
                "note: {var} is set, so every build uses it instead of the workspace's flags: code placement is not pinned unless it includes `{}`",
                PINNED_RUSTFLAGS.join(" ")
            )),
        }
    }

    /// The flags as recorded in `cb-layout.json`: the pinned list, or the user's variable.
    pub fn describe(&self) -> String {
        match self {
            BuildFlags::Pinned => PINNED_RUSTFLAGS.join(" "),
            BuildFlags::User(var) => format!("${var}"),
        }
    }
}

/// Prints [`BuildFlags::note`] for this process's environment, once per command that builds.
pub fn announce() -> BuildFlags {
    let flags = BuildFlags::from_env();
    if let Some(note) = flags.note() {
        eprintln!("{note}");
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `rustflags = [...]` array of the workspace's `.cargo/config.toml` (a TOML array of
    /// basic strings is also JSON).
    fn configured_rustflags() -> Vec<String> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../.cargo/config.toml");
        let text = std::fs::read_to_string(path).expect("the workspace's .cargo/config.toml");
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.trim_start().starts_with("rustflags"))
            .collect();
        assert_eq!(lines.len(), 1, "one rustflags line in {path}: {lines:?}");
        let array = lines[0].split_once('=').unwrap().1.trim();
        serde_json::from_str(array).expect("rustflags as an array of strings")
    }

    #[test]
    fn the_pinned_flags_are_the_workspace_configurations() {
        assert_eq!(configured_rustflags(), PINNED_RUSTFLAGS);
    }

    #[test]
    fn pinned_unless_the_user_set_flags() {
        let pinned = BuildFlags::decide(None, None);
        assert_eq!(pinned, BuildFlags::Pinned);
        assert_eq!(
            pinned.env(),
            [(
                "CARGO_ENCODED_RUSTFLAGS".to_string(),
                "-C\x1fllvm-args=-align-all-functions=6\x1f-C\x1fllvm-args=-align-loops=64"
                    .to_string()
            )]
        );
        assert_eq!(pinned.note(), None);
        for (rf, enc, var) in [
            (Some("-C target-cpu=native"), None, "RUSTFLAGS"),
            (Some(""), None, "RUSTFLAGS"),
            (None, Some("-Cdebuginfo=1"), "CARGO_ENCODED_RUSTFLAGS"),
            (Some("-Cx"), Some(""), "CARGO_ENCODED_RUSTFLAGS"),
        ] {
            let user = BuildFlags::decide(rf, enc);
            assert_eq!(user, BuildFlags::User(var));
            assert!(user.env().is_empty());
            let note = user.note().unwrap();
            assert!(note.contains(var) && note.contains("not pinned"), "{note}");
            assert_eq!(note.lines().count(), 1);
        }
    }
}
