//! The upload cache: (storage, content hash) → the URL that storage gave for it, kept in the
//! journal so the same reference photo is uploaded once across jobs and restarts, and reused
//! only where it was made (the storage is the REST base URL: fal, or one simulator).

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;

use crate::store::{CachedUpload, Journal, JournalError};

/// How long an uploaded URL is trusted by default before the file is uploaded again.
pub const DEFAULT_UPLOAD_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// A margin before expiry: a URL about to expire is not handed to a job that may sit in a queue.
const EXPIRY_MARGIN: chrono::Duration = chrono::Duration::minutes(30);

/// Errors of a cached upload: either the journal or the upload itself.
#[derive(Debug, thiserror::Error)]
pub enum CacheError<E> {
    /// The journal failed.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The upload failed.
    #[error("{0}")]
    Upload(E),
}

/// What an upload produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Uploaded {
    /// The URL.
    pub url: String,
    /// The content type the service recorded.
    pub content_type: Option<String>,
}

/// The cache: the journal plus a lock per (storage, hash) so that two jobs uploading the same
/// content at the same moment upload it once.
pub struct UploadCache {
    journal: Arc<Journal>,
    ttl: Duration,
    in_flight: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// Hashes a file's content with blake3; returns (hex hash, size). Runs on a blocking thread.
pub async fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&path)?;
        let mut hasher = blake3::Hasher::new();
        let size = hasher.update_reader(file)?.count();
        Ok((hasher.finalize().to_hex().to_string(), size))
    })
    .await
    .map_err(std::io::Error::other)?
}

impl UploadCache {
    /// A cache over `journal` whose entries are trusted for `ttl`.
    pub fn new(journal: Arc<Journal>, ttl: Duration) -> UploadCache {
        UploadCache {
            journal,
            ttl,
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// The URL of content `hash` at `storage` (its REST base URL): from the cache when a fresh
    /// entry made there exists (returns `reused = true`), else from `upload()`, then recorded.
    pub async fn get_or_upload<E, F, Fut>(
        &self,
        storage: &str,
        hash: &str,
        size: u64,
        upload: F,
    ) -> Result<(CachedUpload, bool), CacheError<E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Uploaded, E>>,
    {
        let lock = {
            let mut map = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(format!("{storage} {hash}")).or_default().clone()
        };
        let _guard = lock.lock().await;
        if let Some(hit) = self
            .journal
            .cached_upload(storage, hash, Utc::now() + EXPIRY_MARGIN)?
        {
            return Ok((hit, true));
        }
        let uploaded = upload().await.map_err(CacheError::Upload)?;
        let now = Utc::now();
        let ttl = chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::days(1));
        let entry = CachedUpload {
            storage: storage.to_string(),
            blake3: hash.to_string(),
            url: uploaded.url,
            size,
            content_type: uploaded.content_type,
            uploaded_at: now,
            expires_at: now + ttl,
        };
        self.journal.store_upload(&entry)?;
        Ok((entry, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const SIM: &str = "http://127.0.0.1:1/rest";

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn same_content_uploads_once_even_concurrently() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Arc::new(Journal::open_in(dir.path()).unwrap());
        let cache = Arc::new(UploadCache::new(journal.clone(), DEFAULT_UPLOAD_TTL));
        let file = dir.path().join("photo.png");
        std::fs::write(&file, b"pretend image bytes").unwrap();
        let (hash, size) = hash_file(&file).await.unwrap();
        assert_eq!(size, 19);
        assert_eq!(
            hash,
            blake3::hash(b"pretend image bytes").to_hex().to_string()
        );

        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let cache = cache.clone();
            let calls = calls.clone();
            let hash = hash.clone();
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_upload(SIM, &hash, size, || async {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok::<_, String>(Uploaded {
                            url: "http://127.0.0.1/cdn/a".into(),
                            content_type: None,
                        })
                    })
                    .await
                    .unwrap()
            }));
        }
        let mut reused = 0;
        for t in tasks {
            let (entry, was_reused) = t.await.unwrap();
            assert_eq!(entry.url, "http://127.0.0.1/cdn/a");
            reused += usize::from(was_reused);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(reused, 3);

        // A new cache over a reopened journal (a restart) still knows the URL.
        drop(cache);
        drop(journal);
        let journal = Arc::new(Journal::open_in(dir.path()).unwrap());
        let cache = UploadCache::new(journal, DEFAULT_UPLOAD_TTL);
        let (_, reused) = cache
            .get_or_upload(SIM, &hash, size, || async {
                Err::<Uploaded, _>("must not upload".to_string())
            })
            .await
            .unwrap();
        assert!(reused);
    }

    #[tokio::test]
    async fn expired_entries_are_uploaded_again() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Arc::new(Journal::open_in(dir.path()).unwrap());
        // A TTL shorter than the expiry margin: every entry counts as expired at once.
        let cache = UploadCache::new(journal, Duration::from_secs(60));
        let calls = AtomicUsize::new(0);
        for _ in 0..2 {
            cache
                .get_or_upload(SIM, "h", 1, || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, String>(Uploaded {
                        url: "u".into(),
                        content_type: None,
                    })
                })
                .await
                .unwrap();
        }
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
