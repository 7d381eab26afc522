//! The upload cache: which content (by BLAKE3 hash) a storage (by its REST base URL) already
//! has, at which URL, until when. An upload is reused only by the storage it was made at: a
//! file uploaded to a simulator is never handed to fal, nor one simulator's to another.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Journal, JournalError, from_ms, ms};

/// An entry of the upload cache: a file's content hash and the URL fal gave for it.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedUpload {
    /// The REST base URL of the storage it was uploaded to, e.g. `https://rest.fal.ai`.
    pub storage: String,
    /// blake3 of the content, hex.
    pub blake3: String,
    /// The URL fal gave.
    pub url: String,
    /// Size in bytes.
    pub size: u64,
    /// The content type sent.
    pub content_type: Option<String>,
    /// When it was uploaded.
    pub uploaded_at: DateTime<Utc>,
    /// After this the URL is not trusted any more and the file is uploaded again.
    pub expires_at: DateTime<Utc>,
}

impl Journal {
    /// The upload of content `blake3` made at `storage`, if it has not expired at `now`.
    pub fn cached_upload(
        &self,
        storage: &str,
        blake3: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<CachedUpload>, JournalError> {
        // Rows from before uploads were keyed by storage have none: they match nothing.
        if storage.is_empty() {
            return Ok(None);
        }
        let found = self.with(|conn| {
            conn.query_row(
                "SELECT storage, blake3, url, size, content_type, uploaded_at, expires_at
                   FROM uploads WHERE storage = ?1 AND blake3 = ?2",
                [storage, blake3],
                |r| {
                    Ok(CachedUpload {
                        storage: r.get(0)?,
                        blake3: r.get(1)?,
                        url: r.get(2)?,
                        size: r.get::<_, i64>(3)? as u64,
                        content_type: r.get(4)?,
                        uploaded_at: from_ms(r.get(5)?),
                        expires_at: from_ms(r.get(6)?),
                    })
                },
            )
            .optional()
        })?;
        Ok(found.filter(|c| c.expires_at > now))
    }

    /// Records an upload in the cache (replacing an older one of the same content there).
    pub fn store_upload(&self, entry: &CachedUpload) -> Result<(), JournalError> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT OR REPLACE INTO uploads
                    (storage, blake3, url, size, content_type, uploaded_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    entry.storage,
                    entry.blake3,
                    entry.url,
                    entry.size as i64,
                    entry.content_type,
                    ms(entry.uploaded_at),
                    ms(entry.expires_at)
                ],
            )?;
            tx.commit()
        })
    }

    /// Drops cache entries that expired before `now`; returns how many.
    pub fn prune_uploads(&self, now: DateTime<Utc>) -> Result<usize, JournalError> {
        self.with(|conn| conn.execute("DELETE FROM uploads WHERE expires_at <= ?1", [ms(now)]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(storage: &str, url: &str, now: DateTime<Utc>) -> CachedUpload {
        CachedUpload {
            storage: storage.into(),
            blake3: "abc".into(),
            url: url.into(),
            size: 3,
            content_type: Some("image/png".into()),
            uploaded_at: now,
            expires_at: now + chrono::Duration::hours(1),
        }
    }

    #[test]
    fn upload_cache_expires() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open_in(dir.path()).unwrap();
        let now = Utc::now();
        let entry = entry("http://127.0.0.1:1/rest", "http://127.0.0.1/cdn/x", now);
        journal.store_upload(&entry).unwrap();
        let back = journal
            .cached_upload(&entry.storage, "abc", now)
            .unwrap()
            .unwrap();
        assert_eq!(back.url, entry.url);
        assert_eq!(
            back.expires_at.timestamp_millis(),
            entry.expires_at.timestamp_millis()
        );
        let later = now + chrono::Duration::hours(2);
        assert_eq!(
            journal.cached_upload(&entry.storage, "abc", later).unwrap(),
            None
        );
        assert_eq!(journal.prune_uploads(later).unwrap(), 1);
    }

    #[test]
    fn an_upload_is_found_only_at_the_storage_it_was_made_at() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open_in(dir.path()).unwrap();
        let now = Utc::now();
        let sim = entry(
            "http://127.0.0.1:4000/rest",
            "http://127.0.0.1:4000/cdn/files/a",
            now,
        );
        let fal = entry("https://rest.fal.ai", "https://v3.fal.media/files/a", now);
        journal.store_upload(&sim).unwrap();
        assert_eq!(
            journal
                .cached_upload("https://rest.fal.ai", "abc", now)
                .unwrap(),
            None
        );
        assert_eq!(
            journal
                .cached_upload("http://127.0.0.1:4001/rest", "abc", now)
                .unwrap(),
            None
        );
        journal.store_upload(&fal).unwrap();
        let at = |storage: &str| {
            journal
                .cached_upload(storage, "abc", now)
                .unwrap()
                .unwrap()
                .url
        };
        assert_eq!(at("https://rest.fal.ai"), fal.url);
        assert_eq!(at("http://127.0.0.1:4000/rest"), sim.url);
    }
}
