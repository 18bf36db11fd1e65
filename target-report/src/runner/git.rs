//! The repository, its revisions, and the git worktree each side of `ab` is built in.
//!
//! Each side gets `target/ab/worktrees/<side>-<short commit>` (or `<side>-worktree` for the
//! working tree), registered with `git worktree add --detach`, so the two sides never share a
//! checkout. A worktree already at the wanted commit is reused as it is; one at another commit
//! is moved there with `git checkout`, which rewrites only the files that differ, so cargo's
//! incremental build (kept in the side's own target directory) rebuilds only what changed.
//!
//! The working tree, uncommitted changes and untracked (not ignored) files included, becomes
//! a commit object: `git add -A` into a *temporary* index (a copy of the real one, so the
//! user's index and files are untouched), `git write-tree`, and `git commit-tree` on top of
//! HEAD with fixed author, committer and dates. The same working tree therefore always gives
//! the same commit id, which is how an unchanged working tree reuses its worktree.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};

/// A git repository, found from a directory inside it.
#[derive(Debug, Clone)]
pub struct Repo {
    /// The top of the working tree (`git rev-parse --show-toplevel`).
    pub root: PathBuf,
}

/// What one side of an A/B comparison is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A commit (a revision resolved to its full id).
    Commit(String),
    /// The working tree with its uncommitted changes, as a synthetic commit on top of HEAD.
    WorkingTree(String),
}

impl Source {
    /// The commit to check out.
    pub fn commit(&self) -> &str {
        match self {
            Source::Commit(c) | Source::WorkingTree(c) => c,
        }
    }

    /// `abc1234` for a commit, `worktree` for the working tree: the worktree directory suffix.
    pub fn label(&self) -> String {
        match self {
            Source::Commit(c) => short(c).to_string(),
            Source::WorkingTree(_) => "worktree".to_string(),
        }
    }
}

/// The first 7 characters of a commit id.
pub fn short(commit: &str) -> &str {
    &commit[..commit.len().min(7)]
}

/// Runs git in `dir` and returns its trimmed stdout, or its first stderr line as the error.
fn git(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Result<String> {
    let out = Command::new("git")
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .map_err(|e| Error::msg(format!("cannot run git: {e}")))?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).trim().to_string());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let first = err.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    Err(Error::msg(format!("git {}: {first}", args.join(" "))))
}

impl Repo {
    /// The repository containing `dir`; a one-line error naming `dir` if there is none.
    pub fn discover(dir: &Path) -> Result<Repo> {
        match git(dir, &["rev-parse", "--show-toplevel"], &[]) {
            Ok(root) if !root.is_empty() => Ok(Repo {
                root: PathBuf::from(root),
            }),
            _ => Err(Error::at(dir, "not a git repository (or git is missing)")),
        }
    }

    /// Runs git at the repository root.
    pub fn git(&self, args: &[&str]) -> Result<String> {
        git(&self.root, args, &[])
    }

    /// The full commit id of `rev`; the error names the revision.
    pub fn resolve(&self, rev: &str) -> Result<String> {
        let spec = format!("{rev}^{{commit}}");
        match git(
            &self.root,
            &["rev-parse", "--verify", "--quiet", &spec],
            &[],
        ) {
            Ok(c) if !c.is_empty() => Ok(c),
            _ => Err(Error::msg(format!(
                "unknown revision '{rev}': not a commit in {}",
                self.root.display()
            ))),
        }
    }

    /// The commits of `range` (`A..B`: reachable from B, not from A), oldest first, following
    /// first parents only, so a merged branch counts as its merge commit (the line of commits
    /// the branch itself went through, as asv's `run A..B` measures). A bad range is an error
    /// naming it.
    pub fn commits_in(&self, range: &str) -> Result<Vec<String>> {
        let Some((from, to)) = range
            .split_once("..")
            .filter(|(_, to)| !to.starts_with('.'))
        else {
            return Err(Error::msg(format!(
                "bad revision range '{range}': expected A..B (e.g. HEAD~10..HEAD)"
            )));
        };
        let from = self.resolve(if from.is_empty() { "HEAD" } else { from })?;
        let to = self.resolve(if to.is_empty() { "HEAD" } else { to })?;
        let out = self.git(&[
            "rev-list",
            "--first-parent",
            "--reverse",
            &format!("{from}..{to}"),
        ])?;
        Ok(out.lines().map(str::to_string).collect())
    }

    /// Fails unless `path` (inside the repository) is ignored by git: the worktrees and builds
    /// under it must not show up in `git status`, nor in the working-tree snapshot.
    pub fn require_ignored(&self, path: &Path) -> Result<()> {
        let p = path.to_string_lossy();
        git(&self.root, &["check-ignore", "-q", &p], &[]).map_err(|_| {
            Error::at(
                path,
                "is not ignored by git; add `target/` to .gitignore before running ab",
            )
        })?;
        Ok(())
    }

    /// The working tree, uncommitted and untracked (not ignored) files included, as a commit
    /// on top of HEAD (see the module documentation). `scratch` holds the temporary index.
    pub fn working_tree_commit(&self, scratch: &Path) -> Result<String> {
        let head = self.resolve("HEAD")?;
        std::fs::create_dir_all(scratch)
            .map_err(|e| Error::at(scratch, format!("cannot create directory: {e}")))?;
        let index = scratch.join(format!("snapshot-index-{}", std::process::id()));
        let tree = self.snapshot_tree(&index);
        let _ = std::fs::remove_file(&index);
        let tree = tree?;
        let date = "@0 +0000";
        let env = [
            ("GIT_AUTHOR_NAME", "target-report"),
            ("GIT_AUTHOR_EMAIL", "target-report@localhost"),
            ("GIT_AUTHOR_DATE", date),
            ("GIT_COMMITTER_NAME", "target-report"),
            ("GIT_COMMITTER_EMAIL", "target-report@localhost"),
            ("GIT_COMMITTER_DATE", date),
        ];
        let message = "target-report ab: the working tree";
        git(
            &self.root,
            &["commit-tree", &tree, "-p", &head, "-m", message],
            &env,
        )
    }

    fn snapshot_tree(&self, index: &Path) -> Result<String> {
        // Starting from a copy of the real index lets `git add` skip unchanged files by stat.
        let real = self.git(&["rev-parse", "--git-path", "index"])?;
        let real = self.root.join(real);
        if real.is_file() {
            copy_keeping_mtime(&real, index)
                .map_err(|e| Error::at(index, format!("cannot copy the git index: {e}")))?;
        }
        let index = index.to_string_lossy();
        let env = [("GIT_INDEX_FILE", index.as_ref())];
        git(&self.root, &["add", "-A"], &env)?;
        git(&self.root, &["write-tree"], &env)
    }
}

/// Copies the index with its modification time: git trusts an entry's cached stat data only
/// when the file is older than the index file ("racy git"), so a copy that looked newer than
/// the real index could hide a same-size change made in the second the index was written.
fn copy_keeping_mtime(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::copy(from, to)?;
    let modified = std::fs::metadata(from)?.modified()?;
    std::fs::File::options()
        .write(true)
        .open(to)?
        .set_modified(modified)
}

/// What [`prepare_worktree`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prepared {
    /// The worktree was already at the commit: nothing changed.
    Reused,
    /// An existing worktree was moved to the commit (only differing files rewritten).
    Updated,
    /// A new worktree was added.
    Created,
}

/// Makes `dir` a clean detached worktree of `repo` at `commit`, reusing what is there.
pub fn prepare_worktree(repo: &Repo, dir: &Path, commit: &str) -> Result<Prepared> {
    // Worktrees whose directory was deleted by hand would block `worktree add` on that path.
    repo.git(&["worktree", "prune"])?;
    if is_worktree_of(repo, dir) {
        let head = git(dir, &["rev-parse", "HEAD"], &[]).unwrap_or_default();
        let clean = git(dir, &["status", "--porcelain"], &[]).is_ok_and(|s| s.is_empty());
        if head == commit && clean {
            return Ok(Prepared::Reused);
        }
        git(dir, &["checkout", "--force", "--detach", commit], &[])?;
        git(dir, &["clean", "-fd"], &[])?;
        return Ok(Prepared::Updated);
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .map_err(|e| Error::at(dir, format!("cannot remove a stale directory: {e}")))?;
        repo.git(&["worktree", "prune"])?;
    }
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::at(parent, format!("cannot create directory: {e}")))?;
    }
    let d = dir.to_string_lossy();
    repo.git(&["worktree", "add", "--detach", &d, commit])?;
    Ok(Prepared::Created)
}

/// Whether `dir` is the top of a worktree of `repo` (not merely a directory inside it).
fn is_worktree_of(repo: &Repo, dir: &Path) -> bool {
    if !dir.join(".git").exists() {
        return false;
    }
    let top = git(dir, &["rev-parse", "--show-toplevel"], &[]);
    let common = git(dir, &["rev-parse", "--git-common-dir"], &[]);
    let repo_common = repo.git(&["rev-parse", "--git-common-dir"]);
    match (top, common, repo_common) {
        (Ok(top), Ok(c), Ok(rc)) => {
            same_path(Path::new(&top), dir) && same_path(&dir.join(c), &repo.root.join(rc))
        }
        _ => false,
    }
}

fn same_path(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
