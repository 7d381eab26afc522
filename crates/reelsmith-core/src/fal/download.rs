//! Downloads from the CDN to `<dest>.part`, resumed with `Range`, renamed only when complete.

use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use reqwest::Method;
use reqwest::header::{CONTENT_RANGE, RANGE};

use super::client::FalClient;
use super::diskio::BehindWriter;
use super::error::{FalError, Phase, error_chain};
use super::retry::is_retryable_status;

/// `<dest>.part`: where a download grows until it is complete.
pub fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".part");
    dest.with_file_name(name)
}

/// `(start, total)` from `Content-Range: bytes START-END/TOTAL` (`TOTAL` may be `*`); `None`
/// for anything RFC 9110 (§14.4) calls invalid: not digits, END before START, END not below
/// TOTAL.
pub(crate) fn parse_content_range(value: &str) -> Option<(u64, Option<u64>)> {
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        // `parse` alone would take a leading `+`.
        s.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let rest = value.trim().strip_prefix("bytes")?;
    let rest = rest.strip_prefix([' ', '\t'])?;
    let (range, total) = rest.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    let (start, end) = (number(start)?, number(end)?);
    let total = match total.trim() {
        "*" => None,
        t => Some(number(t)?),
    };
    (start <= end && total.is_none_or(|t| end < t)).then_some((start, total))
}

/// How one GET attempt ended.
enum Attempt {
    /// The body ended normally.
    Ended,
    /// The connection broke, stalled or answered a retryable status.
    Broken(String),
}

fn io_err(path: &Path, source: std::io::Error) -> FalError {
    FalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl FalClient {
    /// Downloads `url` to `dest` and returns its size; resumes a dropped connection (and a
    /// `.part` left by an earlier run) with `Range`, and checks `expected_size` when given.
    pub async fn download(
        &self,
        url: &str,
        dest: &Path,
        expected_size: Option<u64>,
        progress: impl Fn(u64, Option<u64>) + Send + Sync,
    ) -> Result<u64, FalError> {
        let part = part_path(dest);
        if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| io_err(parent, e))?;
        }
        let what = format!("download of {url}");
        let stall = self.inner.options.transfer_stall_timeout;
        let policy = self.inner.retry;
        let mut offset = match tokio::fs::metadata(&part).await {
            Ok(m) => m.len(),
            Err(_) => 0,
        };
        if expected_size.is_some_and(|size| offset > size) {
            offset = 0;
        }
        let mut total = expected_size;
        let mut failures = 0u32;
        loop {
            // The CDN's URLs are public: never the key, even on the queue's own origin.
            let mut rb = self.anonymous(Method::GET, url);
            if offset > 0 {
                rb = rb.header(RANGE, format!("bytes={offset}-"));
            }
            let started_at = offset;
            let attempt = match tokio::time::timeout(stall, rb.send()).await {
                Err(_) => Attempt::Broken(format!("no answer within {} s", stall.as_secs())),
                Ok(Err(e)) if e.is_builder() => {
                    return Err(FalError::Protocol(format!("{what}: invalid URL: {e}")));
                }
                Ok(Err(e)) => Attempt::Broken(error_chain(&e)),
                Ok(Ok(resp)) => {
                    let code = resp.status().as_u16();
                    let mut start = None;
                    match code {
                        206 => {
                            let range = resp
                                .headers()
                                .get(CONTENT_RANGE)
                                .and_then(|v| v.to_str().ok())
                                .and_then(parse_content_range);
                            match range {
                                Some((s, t)) if s == offset => {
                                    start = Some(offset);
                                    total = total.or(t);
                                }
                                // A range other than the one asked for: start over below.
                                _ => start = None,
                            }
                        }
                        200 => {
                            // The server ignored Range (or none was sent): the body is the whole file.
                            start = Some(0);
                            total = total.or(resp.content_length());
                        }
                        416 if total == Some(offset) => {
                            start = Some(offset);
                        }
                        _ => {}
                    }
                    match start {
                        Some(from) => {
                            self.write_body(resp, &part, from, stall, total, &mut offset, &progress)
                                .await?
                        }
                        None if code == 206 || code == 416 => {
                            offset = 0;
                            Attempt::Broken(format!("the server answered HTTP {code} for a resume"))
                        }
                        None if is_retryable_status(resp.status(), resp.headers()) => {
                            Attempt::Broken(format!("the server answered HTTP {code}"))
                        }
                        None => return Err(self.error_from(resp, Phase::Transfer, &what).await),
                    }
                }
            };
            let reason = match attempt {
                Attempt::Ended => match total {
                    Some(t) if offset < t => {
                        format!("the connection ended after {offset} of {t} bytes")
                    }
                    Some(t) if offset > t => {
                        let _ = tokio::fs::remove_file(&part).await;
                        return Err(FalError::Protocol(format!(
                            "{what}: received {offset} bytes but expected {t}"
                        )));
                    }
                    _ => break,
                },
                Attempt::Broken(reason) => reason,
            };
            // Progress resets the count: only failures in a row without a byte gained count.
            if offset > started_at {
                failures = 0;
            }
            if failures >= policy.max_retries {
                return Err(FalError::Network(format!(
                    "{what}: {reason}; gave up after {failures} retries"
                )));
            }
            tracing::debug!(%reason, offset, "download interrupted, resuming");
            tokio::time::sleep(policy.delay(failures)).await;
            failures += 1;
        }
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&part)
            .await
            .map_err(|e| io_err(&part, e))?;
        // Durable before the rename, so a crash never leaves a short file under the final name.
        file.sync_all().await.map_err(|e| io_err(&part, e))?;
        drop(file);
        if let Some(size) = expected_size
            && size != offset
        {
            return Err(FalError::Protocol(format!(
                "{what}: received {offset} bytes but fal said the file has {size}"
            )));
        }
        tokio::fs::rename(&part, dest)
            .await
            .map_err(|e| io_err(dest, e))?;
        Ok(offset)
    }

    /// Writes the answer's body into `part` from byte `from`, advancing `offset`.
    #[allow(clippy::too_many_arguments)]
    async fn write_body(
        &self,
        resp: reqwest::Response,
        part: &Path,
        from: u64,
        stall: std::time::Duration,
        total: Option<u64>,
        offset: &mut u64,
        progress: &(impl Fn(u64, Option<u64>) + Send + Sync),
    ) -> Result<Attempt, FalError> {
        let mut out = BehindWriter::open(part.to_path_buf(), from)
            .await
            .map_err(|e| io_err(part, e))?;
        *offset = from;
        progress(*offset, total);
        let mut body = resp.bytes_stream();
        let attempt = loop {
            match tokio::time::timeout(stall, body.next()).await {
                Err(_) => break Attempt::Broken(format!("no data for {} s", stall.as_secs())),
                Ok(None) => break Attempt::Ended,
                Ok(Some(Err(e))) => break Attempt::Broken(error_chain(&e)),
                Ok(Some(Ok(chunk))) => {
                    let len = chunk.len() as u64;
                    out.write(chunk).await.map_err(|e| io_err(part, e))?;
                    *offset += len;
                    progress(*offset, total);
                }
            }
        };
        out.finish().await.map_err(|e| io_err(part, e))?;
        Ok(attempt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_path_appends_suffix() {
        assert_eq!(
            part_path(Path::new("/tmp/a/video.mp4")),
            PathBuf::from("/tmp/a/video.mp4.part")
        );
    }

    /// Found by fuzz/fuzz_targets/content_range.rs and tests/mutations_wire.rs.
    #[test]
    fn content_range_refuses_what_rfc_9110_calls_invalid() {
        for bad in [
            "bytes 100-50/1000",
            "bytes 0-9/5",
            "bytes 0-9/9",
            "bytes +5-9/10",
            "bytes 5-/10",
            "bytes5-9/10",
            "bytes 18446744073709551615-184467440\t73709551615/*",
        ] {
            assert_eq!(parse_content_range(bad), None, "{bad:?}");
        }
        assert_eq!(parse_content_range("bytes 0-9/10"), Some((0, Some(10))));
    }

    #[test]
    fn content_range_parses() {
        assert_eq!(
            parse_content_range("bytes 100-199/1000"),
            Some((100, Some(1000)))
        );
        assert_eq!(parse_content_range("bytes 5-9/*"), Some((5, None)));
        assert_eq!(parse_content_range("items 1-2/3"), None);
    }
}
