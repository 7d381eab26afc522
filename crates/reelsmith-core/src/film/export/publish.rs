//! Writing under a temporary name and publishing the whole file: a crash or a cancel leaves
//! nothing under the final name, and an existing file is replaced only when asked.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};

use super::write::WriteStats;
use crate::film::error::FilmError;
use crate::film::sidecar::FilmSidecar;

/// The temporary file an export of `output` writes: `.<name>.part` beside it.
pub fn part_path(output: &Path) -> PathBuf {
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "film.mp4".into());
    output.with_file_name(format!(".{name}.part"))
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl Fn(std::io::Error) -> FilmError + 'a {
    move |source| FilmError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Writes the film with `write` into the temporary file, then its sidecar made by `sidecar`,
/// and publishes both. On any error (or a cancel) the temporary files are removed.
pub(crate) fn write_and_publish(
    output: &Path,
    sidecar_path: &Path,
    overwrite: bool,
    write: impl FnOnce(BufWriter<File>) -> Result<(BufWriter<File>, WriteStats), FilmError>,
    sidecar: impl FnOnce(&WriteStats, u64, String) -> FilmSidecar,
) -> Result<(WriteStats, u64, FilmSidecar), FilmError> {
    let part = part_path(output);
    let sidecar_part = part_path(sidecar_path);
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io("create the folder", dir))?;
    }
    // Not truncated before it is locked: a stale part from a crash is ours to reuse, a live
    // one belongs to another export of the same name.
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&part)
        .map_err(io("create", &part))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Err(FilmError::Busy(output.to_path_buf())),
        Err(TryLockError::Error(e)) => return Err(io("lock", &part)(e)),
    }
    let outcome = (|| {
        file.set_len(0).map_err(io("write", &part))?;
        let lock_holder = file.try_clone().map_err(io("write", &part))?;
        let (buffered, stats) = write(BufWriter::with_capacity(1 << 20, lock_holder))?;
        let written = buffered
            .into_inner()
            .map_err(|e| io("write", &part)(e.into_error()))?;
        written.sync_all().map_err(io("write", &part))?;
        let size = written.metadata().map_err(io("read", &part))?.len();
        let hash = hash_file(&part)?;
        let record = sidecar(&stats, size, hash);
        record.write(&sidecar_part)?;
        publish(&part, output, overwrite)?;
        publish(&sidecar_part, sidecar_path, overwrite)?;
        if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
            // The new names are durable once the folder is synced (best effort: not every
            // system can open a folder).
            if let Ok(d) = File::open(dir)
                && let Err(e) = d.sync_all()
            {
                tracing::debug!("syncing {}: {e}", dir.display());
            }
        }
        Ok((stats, size, record))
    })();
    if outcome.is_err() {
        for p in [&part, &sidecar_part] {
            if let Err(e) = std::fs::remove_file(p)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!("could not remove {}: {e}", p.display());
            }
        }
    }
    drop(file);
    outcome
}

/// Gives `part` the name `target`: replacing it when `overwrite`, else failing if it exists
/// (a hard link cannot replace a file, so the check and the naming are one step).
fn publish(part: &Path, target: &Path, overwrite: bool) -> Result<(), FilmError> {
    if overwrite {
        return std::fs::rename(part, target).map_err(io("rename to", target));
    }
    match std::fs::hard_link(part, target) {
        Ok(()) => std::fs::remove_file(part).map_err(io("remove", part)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(FilmError::Exists(target.to_path_buf()))
        }
        // File systems without hard links (FAT, some network shares): check, then rename.
        Err(_) if !target.exists() => {
            std::fs::rename(part, target).map_err(io("rename to", target))
        }
        Err(_) => Err(FilmError::Exists(target.to_path_buf())),
    }
}

/// blake3 of a file's content, hex.
pub fn hash_file(path: &Path) -> Result<String, FilmError> {
    let mut file = File::open(path).map_err(io("read", path))?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(io("read", path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().to_hex().to_string())
}
