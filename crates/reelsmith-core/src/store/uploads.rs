//! The upload cache: which content (by BLAKE3 hash) fal already has, at which URL, until when.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Journal, JournalError, from_ms, ms};

/// An entry of the upload cache: a file's content hash and the URL fal gave for it.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedUpload {
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
    /// The cached upload of content `blake3`, if it has not expired at `now`.
    pub fn cached_upload(
        &self,
        blake3: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<CachedUpload>, JournalError> {
        let found = self.with(|conn| {
            conn.query_row(
                "SELECT blake3, url, size, content_type, uploaded_at, expires_at
                   FROM uploads WHERE blake3 = ?1",
                [blake3],
                |r| {
                    Ok(CachedUpload {
                        blake3: r.get(0)?,
                        url: r.get(1)?,
                        size: r.get::<_, i64>(2)? as u64,
                        content_type: r.get(3)?,
                        uploaded_at: from_ms(r.get(4)?),
                        expires_at: from_ms(r.get(5)?),
                    })
                },
            )
            .optional()
        })?;
        Ok(found.filter(|c| c.expires_at > now))
    }

    /// Records an upload in the cache (replacing an older one of the same content).
    pub fn store_upload(&self, entry: &CachedUpload) -> Result<(), JournalError> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT OR REPLACE INTO uploads (blake3, url, size, content_type, uploaded_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
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

    #[test]
    fn upload_cache_expires() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open_in(dir.path()).unwrap();
        let now = Utc::now();
        let entry = CachedUpload {
            blake3: "abc".into(),
            url: "http://127.0.0.1/cdn/x".into(),
            size: 3,
            content_type: Some("image/png".into()),
            uploaded_at: now,
            expires_at: now + chrono::Duration::hours(1),
        };
        journal.store_upload(&entry).unwrap();
        let back = journal.cached_upload("abc", now).unwrap().unwrap();
        assert_eq!(back.url, entry.url);
        assert_eq!(
            back.expires_at.timestamp_millis(),
            entry.expires_at.timestamp_millis()
        );
        let later = now + chrono::Duration::hours(2);
        assert_eq!(journal.cached_upload("abc", later).unwrap(), None);
        assert_eq!(journal.prune_uploads(later).unwrap(), 1);
    }
}
