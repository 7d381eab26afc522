//! "Save a copy": a library video and its sidecar copied to a place the user chose, refusing
//! to copy a file onto itself (by file identity, not by path text: symlinks, hard links and
//! case-insensitive names are caught) and never replacing an unrelated file beside the copy.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::library::durable;
use crate::library::sidecar::{Sidecar, SidecarError, sidecar_path};

/// Bytes copied per read.
const CHUNK: usize = 1024 * 1024;

/// What the user allowed to be replaced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// Replace a file already at the destination (the save dialog asked).
    pub replace_video: bool,
    /// Replace a file at the copy's sidecar name that is not this video's sidecar.
    pub replace_sidecar: bool,
}

/// Where the copy went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// The copied video.
    pub video: PathBuf,
    /// Its sidecar, when the library video has one.
    pub sidecar: Option<PathBuf>,
}

/// Why a copy was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The destination is the library's own file (or its sidecar) under another name.
    #[error(
        "{dest} is the library's own file {library} (the same file under another name or \
         through a link); saving a copy onto it would destroy it. Choose another name or folder."
    )]
    SameFile {
        /// What the user chose.
        dest: PathBuf,
        /// The library file it is.
        library: PathBuf,
    },
    /// The destination is a folder.
    #[error("{0} is a folder; choose a file name inside it.")]
    IsFolder(PathBuf),
    /// A file is at the destination and replacing it was not allowed.
    #[error("{0} already exists and was left as it was; choose another name.")]
    VideoExists(PathBuf),
    /// A file that is not this video's sidecar is where the copy's sidecar goes.
    #[error(
        "{sidecar} already exists and is not this video's sidecar; nothing was saved. Choose \
         another name, or replace that file."
    )]
    SidecarExists {
        /// The copy that would have been made.
        dest: PathBuf,
        /// The file in the way.
        sidecar: PathBuf,
    },
    /// The video was copied, but a file appeared at its sidecar's name meanwhile.
    #[error(
        "the video was saved to {video}, but {sidecar} appeared meanwhile and was left as it \
         was, so the copy has no sidecar."
    )]
    SidecarAppeared {
        /// The copied video.
        video: PathBuf,
        /// The file in the way.
        sidecar: PathBuf,
    },
    /// The library's sidecar could not be read.
    #[error("{0}; nothing was saved.")]
    Source(SidecarError),
    /// Reading the library file or writing the copy failed.
    #[error("could not {action} {path}: {source}; nothing was saved under that name.")]
    Io {
        /// "read" or "write".
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
}

/// True when `a` and `b` are the same file on disk (both exist and have the same identity:
/// device and inode on Unix, volume and file index on Windows).
fn same_file(a: &Path, b: &Path) -> bool {
    same_file::is_same_file(a, b).unwrap_or(false)
}

fn read_err(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    }
}

fn write_err(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    }
}

/// Copies the library `video` and its `sidecar` to `dest` and `dest`'s sidecar name, calling
/// `progress(done, total)` as bytes are copied. Every check is made before anything is
/// written; the copy is written under a temporary name in `dest`'s folder and renamed when
/// complete, so `dest` never holds a half-written file. The copy's sidecar names the copy.
pub fn export_copy(
    video: &Path,
    sidecar: &Path,
    dest: &Path,
    options: ExportOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Exported, ExportError> {
    let dest_sidecar = sidecar_path(dest);
    for chosen in [dest, dest_sidecar.as_path()] {
        for library in [video, sidecar] {
            if same_file(chosen, library) {
                return Err(ExportError::SameFile {
                    dest: chosen.to_path_buf(),
                    library: library.to_path_buf(),
                });
            }
        }
    }
    if dest.is_dir() {
        return Err(ExportError::IsFolder(dest.to_path_buf()));
    }
    if !options.replace_video && dest.symlink_metadata().is_ok() {
        return Err(ExportError::VideoExists(dest.to_path_buf()));
    }
    let source_sidecar = match Sidecar::read(sidecar) {
        Ok(s) => Some(s),
        Err(SidecarError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            None
        }
        Err(e) => return Err(ExportError::Source(e)),
    };
    // The copy's sidecar may replace an earlier copy of this same video's sidecar, and
    // anything else only when the user said so.
    let replace_sidecar = options.replace_sidecar
        || match (&source_sidecar, Sidecar::read(&dest_sidecar)) {
            (Some(ours), Ok(theirs)) => {
                ours.job_id == theirs.job_id && ours.blake3 == theirs.blake3
            }
            _ => false,
        };
    if source_sidecar.is_some() && !replace_sidecar && dest_sidecar.symlink_metadata().is_ok() {
        return Err(ExportError::SidecarExists {
            dest: dest.to_path_buf(),
            sidecar: dest_sidecar,
        });
    }

    copy_file(video, dest, options.replace_video, progress)?;

    let Some(mut copy_sidecar) = source_sidecar else {
        return Ok(Exported {
            video: dest.to_path_buf(),
            sidecar: None,
        });
    };
    copy_sidecar.file = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let written = if replace_sidecar {
        copy_sidecar.write(&dest_sidecar)
    } else {
        copy_sidecar.write_new(&dest_sidecar)
    };
    match written {
        Ok(()) => Ok(Exported {
            video: dest.to_path_buf(),
            sidecar: Some(dest_sidecar),
        }),
        Err(SidecarError::Io { source, .. })
            if source.kind() == std::io::ErrorKind::AlreadyExists =>
        {
            Err(ExportError::SidecarAppeared {
                video: dest.to_path_buf(),
                sidecar: dest_sidecar,
            })
        }
        Err(SidecarError::Io { source, .. }) => Err(write_err(&dest_sidecar)(source)),
        Err(e) => Err(ExportError::Source(e)),
    }
}

/// Copies `from` to `to` through a temporary file in `to`'s folder.
fn copy_file(
    from: &Path,
    to: &Path,
    replace: bool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(), ExportError> {
    let mut src = std::fs::File::open(from).map_err(read_err(from))?;
    let total = src.metadata().map_err(read_err(from))?.len();
    let dir = durable::parent_dir(to);
    let mut tmp = durable::temp_in(&dir).map_err(write_err(to))?;
    let mut buf = vec![0u8; CHUNK];
    let mut done = 0u64;
    progress(0, total);
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_err(from)(e)),
        };
        tmp.write_all(&buf[..n]).map_err(write_err(to))?;
        done += n as u64;
        progress(done, total);
    }
    match durable::persist(tmp, to, replace) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(ExportError::VideoExists(to.to_path_buf()))
        }
        Err(e) => Err(write_err(to)(e)),
    }
}

#[cfg(test)]
mod tests;
