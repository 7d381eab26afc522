//! Your own footage: a video file from disk copied into the library (never overwriting),
//! checked to be an H.264 MP4 we can decode, with a sidecar that marks it as imported. It is
//! then a clip like a generated one: a shot, a video to extend, a motion reference.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

use chrono::{Local, Utc};

use super::error::FilmError;
use crate::library::naming::{reserve, video_file_name};
use crate::library::sidecar::{SIDECAR_FORMAT, SidecarTimings};
use crate::library::{LibraryItem, Sidecar, sidecar_path};
use crate::store::Journal;

/// Job ids of imported clips start with this.
pub const IMPORT_JOB_PREFIX: &str = "import-";

/// True when a sidecar describes imported footage (no endpoint, no request).
pub fn is_imported(sidecar: &Sidecar) -> bool {
    sidecar.job_id.starts_with(IMPORT_JOB_PREFIX) && sidecar.request_id.is_none()
}

/// Copies the video at `source` into `library_dir`, indexes it in `journal` and returns it.
pub fn import_video(
    journal: &Journal,
    source: &Path,
    library_dir: &Path,
) -> Result<LibraryItem, FilmError> {
    let refuse = |reason: String| FilmError::Source {
        path: source.into(),
        reason,
    };
    // Probing names the file and says what it is when it is not an H.264 MP4.
    let info = crate::media::video::probe_video(source).map_err(|e| refuse(e.to_string()))?;
    crate::media::video::poster_frame(source).map_err(|e| {
        refuse(format!(
            "its first frame does not decode ({e}); re-export it as H.264 MP4"
        ))
    })?;
    super::source::SourceClip::open(source)?;
    std::fs::create_dir_all(library_dir).map_err(|e| FilmError::Io {
        action: "create the folder",
        path: library_dir.into(),
        source: e,
    })?;
    let stem = source
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let reserved = journal.reserved_outputs()?;
    let name = video_file_name(Local::now(), "import", &stem);
    // The name is reserved on disk (an empty placeholder of ours) so that a download finishing
    // at the same moment cannot take it; the copy then replaces the placeholder.
    let dest = reserve(library_dir, &name, &|p| reserved.iter().any(|r| r == p)).map_err(|e| {
        FilmError::Io {
            action: "reserve a name in",
            path: library_dir.into(),
            source: e,
        }
    })?;
    let (size, hash) = match copy_new(source, &dest) {
        Ok(done) => done,
        Err(e) => {
            remove_quietly(&dest);
            return Err(e);
        }
    };
    let now = Utc::now();
    let sidecar = Sidecar {
        format: SIDECAR_FORMAT.into(),
        job_id: format!("{IMPORT_JOB_PREFIX}{}", uuid::Uuid::new_v4().simple()),
        endpoint_id: String::new(),
        request_id: None,
        prompt: String::new(),
        input: serde_json::json!({
            "imported_from": source.to_string_lossy(),
            "width": info.width,
            "height": info.height,
            "duration_secs": info.duration_secs,
        }),
        references: Vec::new(),
        seed: None,
        file: dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        file_size: size,
        blake3: hash,
        video_url: None,
        result: None,
        cost: Default::default(),
        timings: SidecarTimings {
            created_at: Some(now),
            saved_at: Some(now),
            ..SidecarTimings::default()
        },
        simulated: false,
    };
    let side = sidecar_path(&dest);
    if let Err(e) = sidecar.write(&side) {
        remove_quietly(&dest);
        return Err(FilmError::Io {
            action: "write the sidecar",
            path: side,
            source: std::io::Error::other(e.to_string()),
        });
    }
    let item = LibraryItem::from_sidecar(&sidecar, &side).ok_or_else(|| {
        FilmError::NotPossible(format!(
            "the imported file name {} is unusable",
            dest.display()
        ))
    })?;
    journal.index_item(&item)?;
    Ok(item)
}

/// Copies `from` to a temporary name beside `to` (the caller's reserved placeholder), syncs it
/// and renames it over the placeholder. Returns the size and the blake3 of the bytes copied.
fn copy_new(from: &Path, to: &Path) -> Result<(u64, String), FilmError> {
    let part = super::export::part_path(to);
    let io = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| FilmError::Io {
            action,
            path: path.clone(),
            source,
        }
    };
    let mut input = File::open(from).map_err(io("read", from))?;
    let mut out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&part)
        .map_err(io("create", &part))?;
    let result = (|| {
        let mut hasher = blake3::Hasher::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut size = 0u64;
        loop {
            let n = input.read(&mut buf).map_err(io("read", from))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(io("write", &part))?;
            size += n as u64;
        }
        out.sync_all().map_err(io("write", &part))?;
        // `to` is the empty placeholder reserved for this copy: replacing it is ours to do.
        std::fs::rename(&part, to).map_err(io("rename to", to))?;
        Ok((size, hasher.finalize().to_hex().to_string()))
    })();
    remove_quietly(&part);
    result
}

fn remove_quietly(path: &Path) {
    if let Err(e) = std::fs::remove_file(path)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!("could not remove {}: {e}", path.display());
    }
}
