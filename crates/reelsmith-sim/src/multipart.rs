//! Multipart uploads. Part `n` is written straight into the final file at `(n-1) × 10 MiB` (the
//! part size fal's clients use), so a `complete` over regular parts copies nothing; parts sent in
//! order are also hashed as they arrive, so it need not read the file back either. Bytes beyond
//! 10 MiB in a part are kept aside, and irregular uploads are joined into a new file at `complete`.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path as FsPath, PathBuf};

use axum::body::Body;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::StoredKind;
use super::queue::json_response;
use super::state::{Shared, lock};
use super::storage::{StoreError, Written, io_err, new_id};
use super::upload::{ChunkSink, WRITE_BUFFER, etag_of, insert_etag, pump, store_failed};

/// The part size written in place: fal's JS client sends 10 MiB parts.
pub(crate) const PART_SIZE: u64 = 10 << 20;

/// The highest part number accepted (as S3-style stores allow).
pub(crate) const MAX_PARTS: u32 = 10_000;

/// Where some bytes of a part ended up.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    /// In the final file at `offset`.
    Region { offset: u64, len: u64 },
    /// In a file of its own (bytes past the first 10 MiB of a part).
    Spill { path: PathBuf, len: u64 },
}

#[derive(Debug, Clone)]
struct PartInfo {
    pieces: Vec<Piece>,
    etag: String,
}

/// The hash of parts `1..next` in order, built as they arrive.
#[derive(Debug, Clone)]
struct Frontier {
    hasher: blake3::Hasher,
    next: u32,
}

/// The parts received so far for one multipart upload.
#[derive(Debug, Clone)]
pub(crate) struct MultipartState {
    assembled: PathBuf,
    parts: BTreeMap<u32, PartInfo>,
    /// None once a part arrived out of order or was sent again after being hashed.
    frontier: Option<Frontier>,
}

impl MultipartState {
    /// A multipart upload whose parts are placed in `assembled`.
    pub fn new(assembled: PathBuf) -> MultipartState {
        MultipartState {
            assembled,
            parts: BTreeMap::new(),
            frontier: Some(Frontier {
                hasher: blake3::Hasher::new(),
                next: 1,
            }),
        }
    }
}

/// Writes the first [`PART_SIZE`] bytes of a part in place, anything more to a spill file;
/// extends a copy of the frontier hash when this part is the next one in order.
struct PartSink {
    region: BufWriter<File>,
    region_len: u64,
    spill_path: PathBuf,
    spill: Option<BufWriter<File>>,
    spill_len: u64,
    frontier: Option<blake3::Hasher>,
}

impl ChunkSink for PartSink {
    fn put(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        if let Some(hasher) = &mut self.frontier {
            hasher.update(chunk);
        }
        let room = (PART_SIZE - self.region_len) as usize;
        let (here, rest) = chunk.split_at(room.min(chunk.len()));
        self.region.write_all(here)?;
        self.region_len += here.len() as u64;
        if !rest.is_empty() {
            let spill = match &mut self.spill {
                Some(spill) => spill,
                None => self.spill.insert(BufWriter::with_capacity(
                    WRITE_BUFFER,
                    File::create(&self.spill_path)?,
                )),
            };
            spill.write_all(rest)?;
            self.spill_len += rest.len() as u64;
        }
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.region.flush()?;
        if let Some(spill) = &mut self.spill {
            spill.flush()?;
        }
        Ok(())
    }
}

fn open_region(assembled: &FsPath, offset: u64) -> std::io::Result<File> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(assembled)?;
    file.seek(SeekFrom::Start(offset))?;
    Ok(file)
}

fn spill_files(pieces: &[Piece]) -> Vec<PathBuf> {
    pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Spill { path, .. } => Some(path.clone()),
            Piece::Region { .. } => None,
        })
        .collect()
}

/// `PUT /upload/{token}/{n}`: answers `{"partNumber", "etag"}` and the same ETag as a header
/// (fal's JS client reads the body, its Python SDK the header). A part's ETag names this upload
/// of it: a part sent again gets a new one, so `complete` can tell which version it lists.
pub(crate) async fn put_part(shared: &Shared, token: &str, number: u32, body: Body) -> Response {
    let storage = &shared.storage;
    let start = lock(&storage.uploads)
        .get(token)
        .and_then(|p| p.multipart.as_ref())
        .map(|m| {
            let frontier = m
                .frontier
                .as_ref()
                .filter(|f| f.next == number)
                .map(|f| f.hasher.clone());
            (m.assembled.clone(), frontier)
        });
    let Some((assembled, frontier)) = start else {
        return json_response(404, json!({"detail": "No upload is under way at this URL"}));
    };
    let offset = u64::from(number - 1) * PART_SIZE;
    let region = match open_region(&assembled, offset) {
        Ok(file) => file,
        Err(err) => return store_failed(&io_err(&assembled)(err)),
    };
    let sink = PartSink {
        region: BufWriter::with_capacity(WRITE_BUFFER, region),
        region_len: 0,
        spill_path: storage.root.join("parts").join(new_id()),
        spill: None,
        spill_len: 0,
        frontier,
    };
    let sink = match pump(body, sink, &assembled).await {
        Ok((sink, _)) => sink,
        Err(err) => return store_failed(&err),
    };
    let mut pieces = vec![Piece::Region {
        offset,
        len: sink.region_len,
    }];
    if sink.spill_len > 0 {
        pieces.push(Piece::Spill {
            path: sink.spill_path.clone(),
            len: sink.spill_len,
        });
    }
    let etag = new_id();
    let obsolete = {
        let mut uploads = lock(&storage.uploads);
        match uploads.get_mut(token).and_then(|p| p.multipart.as_mut()) {
            Some(state) => {
                advance_frontier(state, number, sink.frontier, pieces.len() == 1);
                // A part sent again replaces the earlier one, whose spill is then unused.
                state
                    .parts
                    .insert(
                        number,
                        PartInfo {
                            pieces,
                            etag: etag.clone(),
                        },
                    )
                    .map(|old| spill_files(&old.pieces))
                    .unwrap_or_default()
            }
            // Completed or gone meanwhile: nothing will read this part's spill.
            None => spill_files(&pieces),
        }
    };
    for path in obsolete {
        let _ = std::fs::remove_file(path);
    }
    let mut response = json_response(200, json!({"partNumber": number, "etag": etag}));
    insert_etag(&mut response, &etag);
    response
}

/// Moves the in-order hash past part `number` when it was hashed from the frontier and nothing
/// changed meanwhile; forgets it when an already hashed part is replaced.
fn advance_frontier(
    state: &mut MultipartState,
    number: u32,
    hashed: Option<blake3::Hasher>,
    in_place: bool,
) {
    let next = state.frontier.as_ref().map(|f| f.next);
    match (next, hashed) {
        (Some(next), Some(hasher)) if next == number && in_place => {
            state.frontier = Some(Frontier {
                hasher,
                next: number + 1,
            });
        }
        (Some(next), _) if number < next => state.frontier = None,
        _ => {}
    }
}

#[derive(Debug, Deserialize)]
struct CompleteBody {
    parts: Vec<CompletePart>,
}

#[derive(Debug, Deserialize)]
struct CompletePart {
    #[serde(rename = "partNumber")]
    part_number: u32,
    etag: String,
}

/// `POST /upload/{token}/complete` with `{"parts": [{"partNumber", "etag"}, ...]}`.
pub(crate) async fn complete(shared: &Shared, token: &str, body: Body) -> Response {
    let storage = &shared.storage;
    let bytes = match axum::body::to_bytes(body, 4 << 20).await {
        Ok(bytes) => bytes,
        Err(err) => return json_response(400, json!({"detail": err.to_string()})),
    };
    let request: CompleteBody = match serde_json::from_slice(&bytes) {
        Ok(request) => request,
        Err(err) => {
            return json_response(
                422,
                json!({"detail": [{"loc": ["body", "parts"], "msg": err.to_string(), "type": "json_invalid"}]}),
            );
        }
    };
    let Some(pending) = lock(&storage.uploads).get(token).cloned() else {
        return json_response(404, json!({"detail": "No upload is under way at this URL"}));
    };
    let Some(state) = pending.multipart.clone() else {
        return json_response(405, json!({"detail": "Not a multipart upload"}));
    };
    if request.parts.is_empty() {
        return json_response(
            400,
            json!({"detail": "A multipart upload needs at least one part"}),
        );
    }
    let mut ordered = Vec::with_capacity(request.parts.len());
    for (i, part) in request.parts.iter().enumerate() {
        if part.part_number as usize != i + 1 {
            return json_response(
                400,
                json!({"detail": format!("Parts must be listed in order 1..n; entry {} is part {}", i + 1, part.part_number)}),
            );
        }
        let Some(info) = state.parts.get(&part.part_number) else {
            return json_response(
                400,
                json!({"detail": format!("Part {} was never uploaded", part.part_number)}),
            );
        };
        if part.etag.trim_matches('"') != info.etag {
            return json_response(
                400,
                json!({"detail": format!("The etag of part {} does not match the uploaded part", part.part_number)}),
            );
        }
        ordered.push(info.pieces.clone());
    }
    // Parts uploaded but not listed are dropped, as object stores do.
    let spills: Vec<PathBuf> = state
        .parts
        .values()
        .flat_map(|p| spill_files(&p.pieces))
        .collect();
    let assembled = state.assembled.clone();
    let dest = storage.new_file_path();
    let known_hash = state
        .frontier
        .filter(|f| f.next as usize == ordered.len() + 1)
        .map(|f| f.hasher.finalize());
    let joined =
        tokio::task::spawn_blocking(move || assemble(&assembled, &ordered, dest, known_hash)).await;
    for path in spills {
        let _ = std::fs::remove_file(path);
    }
    let (path, written) = match joined {
        Ok(Ok(done)) => done,
        Ok(Err(err)) => return store_failed(&err),
        Err(err) => {
            return store_failed(&StoreError::Body(format!("assembling stopped: {err}")));
        }
    };
    let file = storage.register(
        &shared.base_url,
        &pending.file_key,
        &pending.content_type,
        &written,
        path,
        StoredKind::Upload,
    );
    lock(&storage.uploads).remove(token);
    let mut response = json_response(200, json!({"file_url": file.file_url}));
    insert_etag(&mut response, &etag_of(&written.hash));
    response
}

/// Whether every part sits whole in the final file, in order, all but the last of full size.
fn is_in_place(parts: &[Vec<Piece>]) -> bool {
    let last = parts.len().saturating_sub(1);
    parts
        .iter()
        .enumerate()
        .all(|(i, pieces)| match pieces.as_slice() {
            [Piece::Region { offset, len }] => {
                *offset == i as u64 * PART_SIZE && (i == last || *len == PART_SIZE)
            }
            _ => false,
        })
}

/// Makes the final file: the in-place file trimmed to size, or the pieces joined into `dest`.
/// `known_hash` is the hash of exactly the listed parts in order, when it was built on arrival.
fn assemble(
    assembled: &FsPath,
    parts: &[Vec<Piece>],
    dest: PathBuf,
    known_hash: Option<blake3::Hash>,
) -> Result<(PathBuf, Written), StoreError> {
    if is_in_place(parts) {
        let total = match parts.last().map(Vec::as_slice) {
            Some([Piece::Region { offset, len }]) => offset + len,
            _ => 0,
        };
        // A retried last part may have been longer once; drop what lies past the end now.
        let file = OpenOptions::new()
            .write(true)
            .open(assembled)
            .map_err(io_err(assembled))?;
        file.set_len(total).map_err(io_err(assembled))?;
        drop(file);
        let written = match known_hash {
            Some(hash) => Written { size: total, hash },
            None => hash_file(assembled)?,
        };
        return Ok((assembled.to_path_buf(), written));
    }
    let mut out =
        BufWriter::with_capacity(WRITE_BUFFER, File::create(&dest).map_err(io_err(&dest))?);
    let mut hasher = blake3::Hasher::new();
    let mut size = 0u64;
    let mut buffer = vec![0u8; WRITE_BUFFER];
    for piece in parts.iter().flatten() {
        let (source, offset, len) = match piece {
            Piece::Region { offset, len } => (assembled, *offset, *len),
            Piece::Spill { path, len } => (path.as_path(), 0, *len),
        };
        let mut reader = File::open(source).map_err(io_err(source))?;
        reader
            .seek(SeekFrom::Start(offset))
            .map_err(io_err(source))?;
        let mut reader = reader.take(len);
        loop {
            let n = reader.read(&mut buffer).map_err(io_err(source))?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
            out.write_all(&buffer[..n]).map_err(io_err(&dest))?;
            size += n as u64;
        }
    }
    out.flush().map_err(io_err(&dest))?;
    let _ = std::fs::remove_file(assembled);
    let written = Written {
        size,
        hash: hasher.finalize(),
    };
    Ok((dest, written))
}

fn hash_file(path: &FsPath) -> Result<Written, StoreError> {
    let mut reader = File::open(path).map_err(io_err(path))?;
    let mut hasher = blake3::Hasher::new();
    let mut buffer = vec![0u8; WRITE_BUFFER];
    let mut size = 0u64;
    loop {
        let n = reader.read(&mut buffer).map_err(io_err(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    Ok(Written {
        size,
        hash: hasher.finalize(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(i: u64, len: u64) -> Vec<Piece> {
        vec![Piece::Region {
            offset: i * PART_SIZE,
            len,
        }]
    }

    #[test]
    fn full_size_parts_in_order_are_in_place() {
        assert!(is_in_place(&[region(0, PART_SIZE), region(1, 5)]));
        assert!(is_in_place(&[region(0, 3)]));
        assert!(!is_in_place(&[region(0, 3), region(1, 5)]));
        let mut spilled = region(0, PART_SIZE);
        spilled.push(Piece::Spill {
            path: PathBuf::from("x"),
            len: 1,
        });
        assert!(!is_in_place(&[spilled, region(1, 5)]));
    }

    #[test]
    fn the_frontier_follows_parts_in_order_only() {
        let mut state = MultipartState::new(PathBuf::from("x"));
        let start = || state_hasher(&MultipartState::new(PathBuf::from("x")));
        advance_frontier(&mut state, 1, Some(start()), true);
        assert_eq!(state.frontier.as_ref().map(|f| f.next), Some(2));
        // Part 3 before part 2: not hashed, the frontier waits at 2.
        advance_frontier(&mut state, 3, None, true);
        assert_eq!(state.frontier.as_ref().map(|f| f.next), Some(2));
        // Part 1 sent again after it was hashed: the running hash can no longer be trusted.
        advance_frontier(&mut state, 1, None, true);
        assert!(state.frontier.is_none());
        let mut spilled = MultipartState::new(PathBuf::from("x"));
        advance_frontier(&mut spilled, 1, Some(start()), false);
        assert_eq!(spilled.frontier.as_ref().map(|f| f.next), Some(1));
    }

    fn state_hasher(state: &MultipartState) -> blake3::Hasher {
        state.frontier.as_ref().expect("frontier").hasher.clone()
    }

    #[test]
    fn irregular_parts_are_joined_in_order() {
        let dir = std::env::temp_dir().join(format!("reelsmith-mp-{}", new_id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let assembled = dir.join("assembled");
        // Part 1 is short (3 bytes at 0), part 2 holds 2 bytes in place and 2 spilled.
        let mut f = open_region(&assembled, 0).expect("open");
        f.write_all(b"abc").expect("write");
        let mut f = open_region(&assembled, PART_SIZE).expect("open");
        f.write_all(b"de").expect("write");
        let spill = dir.join("spill");
        std::fs::write(&spill, b"fg").expect("spill");
        let parts = vec![
            region(0, 3),
            vec![
                Piece::Region {
                    offset: PART_SIZE,
                    len: 2,
                },
                Piece::Spill {
                    path: spill,
                    len: 2,
                },
            ],
        ];
        let (path, written) =
            assemble(&assembled, &parts, dir.join("dest"), None).expect("assemble");
        assert_eq!(std::fs::read(&path).expect("read"), b"abcdefg");
        assert_eq!(written.size, 7);
        assert_eq!(written.hash, blake3::hash(b"abcdefg"));
        assert!(!assembled.exists());
        std::fs::remove_dir_all(dir).expect("cleanup");
    }
}
