//! An on-disk cache of small pictures (thumbnails, poster frames), keyed by content hash.
//!
//! Keys hash the file's bytes, not its path, so a renamed file still hits and an edited one
//! misses. Entries are PNG files written to a temporary name and renamed into place, so a
//! crash never leaves a half-written entry behind that a later read would trust.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use image::ImageEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};

use super::error::MediaError;
use super::picture::Picture;

/// A folder of cached pictures.
#[derive(Debug, Clone)]
pub struct ThumbCache {
    dir: PathBuf,
}

impl ThumbCache {
    /// Uses (and creates if needed) `dir` for the cache.
    pub fn new(dir: impl Into<PathBuf>) -> Result<ThumbCache, MediaError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|e| MediaError::io("create the folder", &dir, e))?;
        Ok(ThumbCache { dir })
    }

    /// The cache folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The key of a variant (e.g. "thumb256", "poster") of the content `bytes`.
    pub fn key(bytes: &[u8], variant: &str) -> String {
        format!("{}-{variant}", blake3::hash(bytes).to_hex())
    }

    fn entry_path(&self, key: &str) -> PathBuf {
        // Two-character fan-out keeps any one folder small.
        let fan = key.get(0..2).unwrap_or("xx");
        self.dir.join(fan).join(format!("{key}.png"))
    }

    /// The cached picture for `key`, if present and readable (a damaged entry is a miss).
    pub fn get(&self, key: &str) -> Option<Picture> {
        let bytes = std::fs::read(self.entry_path(key)).ok()?;
        let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png).ok()?;
        let rgba = img.into_rgba8();
        Some(Picture {
            width: rgba.width(),
            height: rgba.height(),
            rgba: rgba.into_raw(),
        })
    }

    /// Stores `picture` under `key`.
    pub fn put(&self, key: &str, picture: &Picture) -> Result<(), MediaError> {
        let path = self.entry_path(key);
        let mut png = Vec::new();
        PngEncoder::new_with_quality(
            Cursor::new(&mut png),
            CompressionType::Fast,
            FilterType::Adaptive,
        )
        .write_image(
            &picture.rgba,
            picture.width,
            picture.height,
            image::ExtendedColorType::Rgba8,
        )
        .map_err(|e| MediaError::Encode {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| MediaError::io("create the folder", parent, e))?;
        }
        // Unique per process and call, so two workers writing the same key never collide.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let tmp = path.with_extension(format!("tmp{}-{n}", std::process::id()));
        std::fs::write(&tmp, &png).map_err(|e| MediaError::io("write", &tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| MediaError::io("write", &path, e))?;
        Ok(())
    }
}
