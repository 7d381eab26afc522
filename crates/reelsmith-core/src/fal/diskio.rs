//! Disk reads and writes on a blocking thread that runs ahead of (or behind) the network, so
//! that disk and socket work overlap instead of taking turns.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use bytes::Bytes;
use futures_util::Stream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Size of each read from disk.
const READ_CHUNK: usize = 256 * 1024;
/// Chunks read ahead of the network (memory in flight: this many × `READ_CHUNK`).
const READ_AHEAD: usize = 8;
/// Chunks received but not yet written (hyper's chunks are small; this bounds memory too).
const WRITE_BEHIND: usize = 16;
/// Write buffer of the file being downloaded.
const WRITE_BUFFER: usize = 1024 * 1024;

/// The `len` bytes of `path` from `offset`, read ahead on a blocking thread. Dropping the
/// stream stops the reader.
pub(crate) fn read_ahead(
    path: PathBuf,
    offset: u64,
    len: u64,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    let (tx, rx) = mpsc::channel::<std::io::Result<Bytes>>(READ_AHEAD);
    tokio::task::spawn_blocking(move || {
        let result = (|| {
            let mut file = std::fs::File::open(&path)?;
            file.seek(SeekFrom::Start(offset))?;
            let mut left = len;
            while left > 0 {
                let n = READ_CHUNK.min(usize::try_from(left).unwrap_or(READ_CHUNK));
                let mut buf = vec![0u8; n];
                file.read_exact(&mut buf)?;
                left -= n as u64;
                if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                    // The request was dropped (failed or cancelled): stop reading.
                    return Ok(());
                }
            }
            Ok(())
        })();
        if let Err(e) = result {
            let _ = tx.blocking_send(Err(e));
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
}

/// A file being written from byte `from` on a blocking thread.
pub(crate) struct BehindWriter {
    tx: Option<mpsc::Sender<Bytes>>,
    handle: JoinHandle<std::io::Result<()>>,
}

impl BehindWriter {
    /// Opens (creating) `path`, cuts it to `from` bytes and positions the writer there.
    pub(crate) async fn open(path: PathBuf, from: u64) -> std::io::Result<BehindWriter> {
        let file = tokio::task::spawn_blocking(move || {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)?;
            file.set_len(from)?;
            file.seek(SeekFrom::Start(from))?;
            Ok::<_, std::io::Error>(file)
        })
        .await
        .map_err(std::io::Error::other)??;
        let (tx, mut rx) = mpsc::channel::<Bytes>(WRITE_BEHIND);
        let handle = tokio::task::spawn_blocking(move || {
            let mut out = std::io::BufWriter::with_capacity(WRITE_BUFFER, file);
            while let Some(chunk) = rx.blocking_recv() {
                out.write_all(&chunk)?;
            }
            out.flush()
        });
        Ok(BehindWriter {
            tx: Some(tx),
            handle,
        })
    }

    /// Queues a chunk; waits only when the disk has fallen `WRITE_BEHIND` chunks behind.
    pub(crate) async fn write(&mut self, chunk: Bytes) -> std::io::Result<()> {
        let sent = match &self.tx {
            Some(tx) => tx.send(chunk).await.is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        // The writer thread stopped: its error says why.
        self.tx = None;
        match (&mut self.handle).await {
            Ok(Err(e)) => Err(e),
            Ok(Ok(())) => Err(std::io::Error::other("the file writer stopped early")),
            Err(e) => Err(std::io::Error::other(e)),
        }
    }

    /// Writes out everything queued and reports the first error.
    pub(crate) async fn finish(mut self) -> std::io::Result<()> {
        self.tx = None;
        self.handle.await.map_err(std::io::Error::other)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::TryStreamExt;

    #[tokio::test]
    async fn reads_a_range_and_writes_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&src, &data).unwrap();
        let chunks: Vec<Bytes> = read_ahead(src, 1000, 2_500_000)
            .try_collect()
            .await
            .unwrap();
        let read: Vec<u8> = chunks.concat();
        assert_eq!(read, data[1000..2_501_000]);

        let dst = dir.path().join("dst");
        std::fs::write(&dst, b"keepXXXX").unwrap();
        let mut w = BehindWriter::open(dst.clone(), 4).await.unwrap();
        for c in chunks {
            w.write(c).await.unwrap();
        }
        w.finish().await.unwrap();
        let written = std::fs::read(&dst).unwrap();
        assert_eq!(&written[..4], b"keep");
        assert_eq!(&written[4..], &data[1000..2_501_000]);
    }

    #[tokio::test]
    async fn a_missing_file_is_an_error_item() {
        let items: Vec<_> = futures_util::StreamExt::collect::<Vec<_>>(read_ahead(
            PathBuf::from("/nonexistent/reelsmith-test"),
            0,
            10,
        ))
        .await;
        assert!(matches!(items.as_slice(), [Err(_)]));
    }
}
