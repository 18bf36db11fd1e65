//! Where and on what a result was measured: the workspace root, the git commit and the machine.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// The machine a run was recorded on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    /// `model name` from /proc/cpuinfo, or `unknown`.
    pub cpu_model: String,
    /// Logical CPUs (processor entries in /proc/cpuinfo, else the available parallelism).
    pub cores: usize,
    /// `os/arch` of this build.
    pub os: String,
}

/// The commit a run was recorded at. Fields are `None` outside a git checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct GitInfo {
    /// Full commit hash of HEAD.
    pub commit: Option<String>,
    /// HEAD's committer date, ISO 8601.
    pub commit_date: Option<String>,
    /// Whether tracked files differ from HEAD (the history file itself excluded).
    pub dirty: Option<bool>,
}

/// Describes this machine.
pub fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            matches!(k.trim(), "model name" | "Hardware" | "cpu model" | "Model")
                .then(|| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string());
    let processors = cpuinfo
        .lines()
        .filter(|l| l.split(':').next().map(str::trim) == Some("processor"))
        .count();
    let cores = if processors > 0 {
        processors
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    };
    Machine {
        cpu_model,
        cores,
        os: format!("{}/{}", std::env::consts::OS, std::env::consts::ARCH),
    }
}

/// The nearest ancestor of `start` (itself included) whose `Cargo.toml` has a `[workspace]`
/// table — what `cargo locate-project --workspace` finds, without needing cargo at run time.
pub fn workspace_root(start: &Path) -> Option<PathBuf> {
    let start = crate::paths::absolute(start);
    start.ancestors().find_map(|dir| {
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
        manifest
            .lines()
            .any(|l| l.trim() == "[workspace]")
            .then(|| dir.to_path_buf())
    })
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The commit checked out in `dir`, its date, and whether the tree is dirty. `exclude` (the
/// history file) is left out of the dirty check, since `record` itself modifies it when it is
/// committed to the repository.
pub fn git_info(dir: &Path, exclude: Option<&Path>) -> GitInfo {
    let Some(commit) = git(dir, &["rev-parse", "HEAD"]) else {
        return GitInfo::default();
    };
    let commit_date = git(dir, &["show", "-s", "--format=%cI", "HEAD"]);
    let mut args = vec![
        "status".to_string(),
        "--porcelain".to_string(),
        "--untracked-files=no".to_string(),
        "--".to_string(),
        ".".to_string(),
    ];
    if let Some(rel) = exclude.and_then(|p| {
        crate::paths::absolute(p)
            .strip_prefix(crate::paths::absolute(dir))
            .ok()
            .map(Path::to_path_buf)
    }) {
        args.push(format!(":(exclude){}", rel.display()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let dirty = git(dir, &args).map(|s| !s.is_empty());
    GitInfo {
        commit: Some(commit),
        commit_date,
        dirty,
    }
}

/// The current time in UTC as RFC 3339 (`2026-11-28T00:15:09Z`).
pub fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format_utc(secs)
}

/// Formats seconds since the Unix epoch as RFC 3339 UTC.
pub fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm): exact for the proleptic Gregorian calendar.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formatting_matches_known_dates() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_utc(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn this_workspace_root_is_found_from_the_crate() {
        let root = workspace_root(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        assert!(root.join("target-report").is_dir());
        assert_ne!(root, Path::new(env!("CARGO_MANIFEST_DIR")));
    }
}
