//! Hostile files, made on demand, for the tests of every front end (core, command line,
//! window) and as fuzzing seeds. Each is small; each is refused with a message naming it.

use super::mp4::{BoxAt, boxes, find, get_u32, insert_into, put_u32};

/// The reported hang: an `ftyp` and a `moov` holding one box of size 0 (32 bytes); the
/// `mp4` crate loops on it forever.
pub fn mp4_nested_zero_box() -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&16u32.to_be_bytes());
    f.extend_from_slice(b"ftypisom");
    f.extend_from_slice(&0u32.to_be_bytes());
    f.extend_from_slice(&16u32.to_be_bytes());
    f.extend_from_slice(b"moov");
    f.extend_from_slice(&0u32.to_be_bytes());
    f.extend_from_slice(b"free");
    f
}

fn stbl_child(clip: &[u8], kind: &[u8; 4]) -> BoxAt {
    find(clip, &[b"moov", b"trak", b"mdia", b"minf", b"stbl", kind])
        .unwrap_or_else(|| panic!("the clip has no {}", String::from_utf8_lossy(kind)))
}

/// `clip` with its first frame claiming 4 GB (stsz), which the `mp4` crate would allocate.
pub fn mp4_stsz_4gb(clip: &[u8]) -> Vec<u8> {
    let mut f = clip.to_vec();
    let stsz = stbl_child(&f, b"stsz");
    let at = stsz.payload();
    if get_u32(&f, at + 4) == 0 {
        put_u32(&mut f, at + 12, 0xFFFF_FFF0);
    } else {
        put_u32(&mut f, at + 4, 0xFFFF_FFF0);
    }
    f
}

/// `clip` cut off in its middle.
pub fn mp4_truncated(clip: &[u8]) -> Vec<u8> {
    clip[..clip.len() / 2].to_vec()
}

/// `clip` with a box of size 0 inside its sample table.
pub fn mp4_zero_box_in_stbl(clip: &[u8]) -> Vec<u8> {
    let mut f = clip.to_vec();
    let all = boxes(&f);
    let stbl = stbl_child(&f, b"stsz");
    let parent = stbl.parent.expect("stsz is in stbl");
    let at = all[parent].end;
    insert_into(&mut f, parent, at, b"\0\0\0\0free");
    f
}

/// `clip` whose `stsc` gives its chunks 0 samples (the crate divides by it).
pub fn mp4_stsc_zero_samples(clip: &[u8]) -> Vec<u8> {
    let mut f = clip.to_vec();
    let stsc = stbl_child(&f, b"stsc");
    put_u32(&mut f, stsc.payload() + 12, 0);
    f
}

/// `clip` whose first chunk offset points past the end of the file.
pub fn mp4_chunk_past_end(clip: &[u8]) -> Vec<u8> {
    let mut f = clip.to_vec();
    let len = f.len() as u32;
    match find(&f, &[b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stco"]) {
        Some(stco) => put_u32(&mut f, stco.payload() + 8, len),
        None => {
            let co64 = stbl_child(&f, b"co64");
            let at = co64.payload() + 8;
            f[at..at + 8].copy_from_slice(&u64::from(len).to_be_bytes());
        }
    }
    f
}

/// `clip` whose `stts` declares 4 billion entries in a box of a few bytes.
pub fn mp4_stts_count_huge(clip: &[u8]) -> Vec<u8> {
    let mut f = clip.to_vec();
    let stts = stbl_child(&f, b"stts");
    put_u32(&mut f, stts.payload() + 4, u32::MAX);
    f
}

/// `clip` with the bytes of every frame zeroed: the boxes are sound, no picture decodes.
pub fn mp4_frames_zeroed(clip: &[u8]) -> Vec<u8> {
    let mut f = clip.to_vec();
    let mdat = find(&f, &[b"mdat"]).expect("the clip has an mdat");
    f[mdat.payload()..mdat.end].fill(0);
    f
}

/// `clip` whose video is described as H.265 (`hev1`) instead of H.264.
pub fn mp4_as_hevc(clip: &[u8]) -> Vec<u8> {
    let mut f = clip.to_vec();
    let avc1 = find(
        &f,
        &[
            b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd", b"avc1",
        ],
    )
    .expect("the clip has an avc1 entry");
    f[avc1.start + 4..avc1.start + 8].copy_from_slice(b"hev1");
    f
}

/// A PNG whose header declares 10000×10000 pixels (inside the 100-megapixel limit) over a
/// few bytes of data: a full decode would reserve 400 MB before failing.
pub fn png_huge_declared() -> Vec<u8> {
    png_with_size(10_000, 10_000)
}

/// A PNG of `w`×`h` whose image data is one tiny (valid zlib, far too short) IDAT.
pub fn png_with_size(w: u32, h: u32) -> Vec<u8> {
    let mut f = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA, not interlaced
    chunk(&mut f, b"IHDR", &ihdr);
    // zlib of 16 zero bytes: one filter byte and a few pixels of the first row.
    chunk(
        &mut f,
        b"IDAT",
        &[
            0x78, 0x9c, 0x63, 0x60, 0x40, 0x05, 0x00, 0x00, 0x10, 0x00, 0x01,
        ],
    );
    chunk(&mut f, b"IEND", &[]);
    f
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], body: &[u8]) {
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(body);
    out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
}

/// PNG's CRC-32.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// A TIFF (EXIF) block whose first directory's "next directory" points back at itself, and
/// whose Exif sub-directory points at the first one: a reader that follows them loops.
pub fn exif_loop() -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(b"II*\0");
    t.extend_from_slice(&8u32.to_le_bytes());
    t.extend_from_slice(&2u16.to_le_bytes());
    // Orientation 6 (SHORT), then the Exif IFD pointer (LONG) back to IFD0.
    t.extend_from_slice(&0x0112u16.to_le_bytes());
    t.extend_from_slice(&3u16.to_le_bytes());
    t.extend_from_slice(&1u32.to_le_bytes());
    t.extend_from_slice(&[6, 0, 0, 0]);
    t.extend_from_slice(&0x8769u16.to_le_bytes());
    t.extend_from_slice(&4u16.to_le_bytes());
    t.extend_from_slice(&1u32.to_le_bytes());
    t.extend_from_slice(&8u32.to_le_bytes());
    // Next IFD: itself.
    t.extend_from_slice(&8u32.to_le_bytes());
    t
}

/// `jpeg` with `tiff` as its EXIF segment, right after the start-of-image marker.
pub fn jpeg_with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let mut body = b"Exif\0\0".to_vec();
    body.extend_from_slice(tiff);
    let mut f = jpeg[..2].to_vec();
    f.extend_from_slice(&[0xFF, 0xE1]);
    f.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    f.extend_from_slice(&body);
    f.extend_from_slice(&jpeg[2..]);
    f
}
