//! Writing files into the library so that a crash, a full disk or a second process never leaves
//! a half-written file under a final name, nor truncates a file reelsmith did not create: each
//! file is written under a temporary name in the target folder (created exclusively), synced,
//! renamed into place, and the folder is synced after the rename.

use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// Temporary files start with this (hidden on Unix) and end with [`TEMP_SUFFIX`]; their names
/// are short and random, independent of the final name's length.
pub const TEMP_PREFIX: &str = ".reelsmith-";
/// The end of a temporary file's name.
pub const TEMP_SUFFIX: &str = ".tmp";

/// The folder a file goes into (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Makes a folder's entries (a new file, a rename) durable. Unix needs the folder itself
/// synced; elsewhere (NTFS journals its metadata) there is nothing to do.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// A new, exclusively created temporary file in `dir`; it is removed if dropped unpersisted.
pub fn temp_in(dir: &Path) -> std::io::Result<NamedTempFile> {
    tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)
}

/// Syncs `tmp`, renames it to `dest` and syncs the folder. With `replace` false an existing
/// `dest` is left alone and the error is [`std::io::ErrorKind::AlreadyExists`].
pub fn persist(tmp: NamedTempFile, dest: &Path, replace: bool) -> std::io::Result<()> {
    tmp.as_file().sync_all()?;
    let done = if replace {
        tmp.persist(dest)
    } else {
        tmp.persist_noclobber(dest)
    };
    done.map_err(|e| e.error)?;
    sync_dir(&parent_dir(dest))
}

/// Writes `bytes` to `dest` through a temporary file (see [`persist`] for `replace`).
pub fn write_file(dest: &Path, bytes: &[u8], replace: bool) -> std::io::Result<()> {
    let mut tmp = temp_in(&parent_dir(dest))?;
    tmp.write_all(bytes)?;
    persist(tmp, dest, replace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_files_and_never_clobbers_unasked() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("a.json");
        write_file(&dest, b"first", false).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"first");
        let err = write_file(&dest, b"second", false).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&dest).unwrap(), b"first");
        write_file(&dest, b"third", true).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"third");
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.json")]);
    }
}
