//! The files the CDN serves (uploads and results) and the uploads under way, on disk.

use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::Mutex;

use super::multipart::MultipartState;
use super::state::lock;
use super::{StoredFile, StoredKind};

/// An upload that was initiated and has not been completed.
#[derive(Debug, Clone)]
pub(crate) struct PendingUpload {
    /// `{id}/{name}`: where the CDN will serve the file.
    pub file_key: String,
    /// The type given at initiate, used unless the PUT says otherwise.
    pub content_type: String,
    /// What the `X-Sim-Signature` query parameter must be.
    pub signature: String,
    /// The parts of a multipart upload (None for a single PUT).
    pub multipart: Option<MultipartState>,
}

/// Files on disk and the uploads under way.
pub(crate) struct Storage {
    pub root: PathBuf,
    files: Mutex<Vec<StoredFile>>,
    by_key: Mutex<HashMap<String, usize>>,
    pub uploads: Mutex<HashMap<String, PendingUpload>>,
}

/// Why a body could not be stored.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    #[error("the upload body was cut off: {0}")]
    Body(String),
    #[error("could not write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Maps an I/O error on `path` into a [`StoreError`].
pub(crate) fn io_err(path: &FsPath) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Size and hash of bytes written.
#[derive(Debug, Clone)]
pub(crate) struct Written {
    pub size: u64,
    pub hash: blake3::Hash,
}

/// Keeps file names URL- and disk-safe: letters, digits, `.`, `-`, `_`.
pub(crate) fn sanitize_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let clean = clean.trim_start_matches('.').to_string();
    if clean.is_empty() {
        "upload.bin".to_string()
    } else {
        clean
    }
}

/// A fresh random id (32 hex digits).
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl Storage {
    /// Storage rooted at `root` (created with its sub-directories).
    pub fn new(root: PathBuf) -> std::io::Result<Storage> {
        for sub in ["files", "tmp", "parts"] {
            std::fs::create_dir_all(root.join(sub))?;
        }
        Ok(Storage {
            root,
            files: Mutex::new(Vec::new()),
            by_key: Mutex::new(HashMap::new()),
            uploads: Mutex::new(HashMap::new()),
        })
    }

    /// A new path for a finished file.
    pub fn new_file_path(&self) -> PathBuf {
        self.root.join("files").join(new_id())
    }

    /// Every stored file, oldest first.
    pub fn all_files(&self) -> Vec<StoredFile> {
        lock(&self.files).clone()
    }

    /// The stored file behind a CDN key (`{id}/{name}`).
    pub fn lookup_key(&self, key: &str) -> Option<StoredFile> {
        let index = *lock(&self.by_key).get(key)?;
        lock(&self.files).get(index).cloned()
    }

    /// The stored file a full URL points at, if it is this simulator's CDN and the file exists.
    pub fn lookup_url(&self, base_url: &str, url: &str) -> Option<StoredFile> {
        let key = url.strip_prefix(base_url)?.strip_prefix("/cdn/files/")?;
        let key = key.split(['?', '#']).next().unwrap_or(key);
        self.lookup_key(key)
    }

    /// Makes a written file reachable at CDN key `key`; a second PUT to the same upload URL
    /// replaces the file, as object stores do.
    pub fn register(
        &self,
        base_url: &str,
        key: &str,
        content_type: &str,
        written: &Written,
        path: PathBuf,
        kind: StoredKind,
    ) -> StoredFile {
        let file = StoredFile {
            file_url: format!("{base_url}/cdn/files/{key}"),
            content_type: content_type.to_string(),
            size: written.size,
            blake3_hex: written.hash.to_hex().to_string(),
            path,
            kind,
        };
        let mut files = lock(&self.files);
        let mut by_key = lock(&self.by_key);
        match by_key.get(key) {
            Some(&index) => files[index] = file.clone(),
            None => {
                by_key.insert(key.to_string(), files.len());
                files.push(file.clone());
            }
        }
        file
    }

    /// Stores bytes made by the simulator itself (a job's result) under a new CDN URL.
    pub async fn store_bytes(
        &self,
        base_url: &str,
        file_name: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<StoredFile, StoreError> {
        let path = self.new_file_path();
        tokio::fs::write(&path, bytes)
            .await
            .map_err(io_err(&path))?;
        let key = format!("{}/{}", new_id(), sanitize_name(file_name));
        let written = Written {
            size: bytes.len() as u64,
            hash: blake3::hash(bytes),
        };
        Ok(self.register(
            base_url,
            &key,
            content_type,
            &written,
            path,
            StoredKind::Result,
        ))
    }
}

/// Whether a stored file is an image, by its declared type or else by its first bytes.
pub(crate) fn looks_like_image(file: &StoredFile) -> bool {
    if file.content_type.starts_with("image/") {
        return true;
    }
    let mut head = [0u8; 64];
    let Ok(mut f) = std::fs::File::open(&file.path) else {
        return false;
    };
    let n = std::io::Read::read(&mut f, &mut head).unwrap_or(0);
    infer::get(&head[..n]).is_some_and(|kind| kind.matcher_type() == infer::MatcherType::Image)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sanitized() {
        assert_eq!(sanitize_name("my photo (1).PNG"), "my_photo__1_.PNG");
        assert_eq!(sanitize_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_name(".."), "upload.bin");
        assert_eq!(sanitize_name(""), "upload.bin");
    }
}
