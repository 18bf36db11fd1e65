//! All-or-nothing file output: every file is written to a temporary name beside its target and
//! renamed into place only after all of them were written, so an error never leaves a
//! half-written or partly-updated set of outputs behind.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Writes `files` (name relative to `dir`, contents) into `dir`, creating `dir` if needed.
pub fn write_files(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| Error::at(dir, format!("cannot create directory: {e}")))?;
    let mut written: Vec<(PathBuf, PathBuf)> = Vec::new();
    for (name, bytes) in files {
        let target = dir.join(name);
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let result =
            fs::File::create(&tmp).and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()));
        if let Err(e) = result {
            let _ = fs::remove_file(&tmp);
            cleanup(&written);
            return Err(Error::at(&target, format!("cannot write: {e}")));
        }
        written.push((tmp, target));
    }
    for (tmp, target) in &written {
        fs::rename(tmp, target)
            .map_err(|e| Error::at(target, format!("cannot rename into place: {e}")))?;
    }
    Ok(())
}

fn cleanup(written: &[(PathBuf, PathBuf)]) {
    for (tmp, _) in written {
        let _ = fs::remove_file(tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_every_file_and_leaves_no_temporaries() {
        let dir = std::env::temp_dir().join(format!("tr-output-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        write_files(
            &dir,
            &[
                ("a.txt".into(), b"A".to_vec()),
                ("b.txt".into(), b"B".to_vec()),
            ],
        )
        .unwrap();
        let mut names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["a.txt", "b.txt"]);
        assert_eq!(fs::read(dir.join("b.txt")).unwrap(), b"B");
        fs::remove_dir_all(&dir).unwrap();
    }
}
