//! Paths made absolute without touching the file system, and links between output files
//! (a page in one directory pointing at a chart or Criterion page in another).

use std::path::{Component, Path, PathBuf};

/// The href of `target` as seen from a page in `from_dir`, or `None` if it cannot be expressed
/// (different drive prefixes). Both paths are made absolute and normalised lexically, because
/// `from_dir` may not exist yet.
pub fn relative_href(from_dir: &Path, target: &Path) -> Option<String> {
    let from = absolute(from_dir);
    let to = absolute(target);
    let from_parts: Vec<Component> = from.components().collect();
    let to_parts: Vec<Component> = to.components().collect();
    if from_parts.first() != to_parts.first() {
        return None;
    }
    let common = from_parts
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<String> = vec!["..".to_string(); from_parts.len() - common];
    parts.extend(
        to_parts[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    Some(parts.join("/"))
}

/// `path` made absolute against the current directory, with `.` and `..` resolved lexically.
pub fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("/"))
            .join(path)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_links_walk_up_and_down() {
        assert_eq!(
            relative_href(
                Path::new("/a/criterion/summary"),
                Path::new("/a/criterion/io_download/report/violin.svg")
            )
            .unwrap(),
            "../io_download/report/violin.svg"
        );
        assert_eq!(
            relative_href(Path::new("/x/out"), Path::new("/x/out/f.svg")).unwrap(),
            "f.svg"
        );
        assert_eq!(
            relative_href(Path::new("/x/./out/../o2"), Path::new("/y/f")).unwrap(),
            "../../y/f"
        );
    }
}
