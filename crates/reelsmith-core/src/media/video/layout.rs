//! The walk of an MP4's box tree that decides what the `mp4` crate may read.
//!
//! The crate parses every box it knows, and trusts their sizes and counts. So before it sees a
//! file, this walk checks the parts it will read (`ftyp`; `moov` with `mvhd` and one video
//! `trak`: `tkhd`, `mdia` with `mdhd`, `hdlr` and `minf` with `dinf`/`dref` and `stbl`:
//! `stsd`/`avc1`/`avcC` and the sample tables) and hides everything else from it (other
//! tracks, metadata, fragments, unknown boxes) by showing their type as `free`, which the
//! crate skips by size alone (see `overlay`). The first H.264 video track is the one read.

use super::boxes::{BoxHead, Fault, Reader, fourcc};
use super::tables::{self, TableBoxes};

/// The type the crate skips without reading.
pub const FREE: [u8; 4] = *b"free";
/// Largest `ftyp` accepted (its brand list is read into memory).
const MAX_FTYP: u64 = 4096;
/// Largest `avcC` accepted (SPS and PPS, read into memory).
const MAX_AVCC: u64 = 64 * 1024;

/// What the walk found: the video track, and the boxes to hide from the crate.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Offsets of the type fields to show as `free`.
    pub hidden: Vec<u64>,
    /// Frames in the video track.
    pub frames: u32,
}

fn damaged(reason: impl Into<String>) -> Fault {
    Fault::Damaged(reason.into())
}

/// Walks the file; `Ok` means the crate can read it safely.
pub fn walk(r: &mut Reader<'_>) -> Result<Layout, Fault> {
    let top = r.top_level()?;
    let mut hidden = Vec::new();
    let mut moov = None;
    let mut fragmented = false;
    for (i, b) in top.iter().enumerate() {
        match &b.kind {
            b"ftyp" if i == 0 => {
                if b.payload_len() < 8 || b.payload_len() % 4 != 0 || b.payload_len() > MAX_FTYP {
                    return Err(damaged("its ftyp box has an impossible size"));
                }
            }
            b"moov" if moov.is_some() => return Err(damaged("it has two moov boxes")),
            b"moov" => moov = Some(*b),
            b"mdat" | b"free" | b"skip" | b"wide" => {}
            b"moof" => {
                fragmented = true;
                hidden.push(b.start + 4);
            }
            _ => hidden.push(b.start + 4),
        }
    }
    if top.first().is_none_or(|b| &b.kind != b"ftyp") {
        return Err(Fault::NoVideo(
            "a file that does not start with an ftyp box".into(),
        ));
    }
    let Some(moov) = moov else {
        return Err(if top.last().is_some_and(|b| b.end == r.len()) {
            damaged("it has no moov box (the clip's index)")
        } else {
            Fault::Truncated
        });
    };
    let frames = walk_moov(r, &moov, &mut hidden).map_err(|f| match f {
        Fault::Damaged(reason) if fragmented && reason.contains("no frames") => {
            Fault::Unsupported("a fragmented MP4 (its frames are in moof boxes)".into())
        }
        other => other,
    })?;
    hidden.sort_unstable();
    Ok(Layout { hidden, frames })
}

/// The kinds of video track found, for the message when none can be read.
#[derive(Default)]
struct Seen {
    other_codec: Option<String>,
}

fn walk_moov(r: &mut Reader<'_>, moov: &BoxHead, hidden: &mut Vec<u64>) -> Result<u32, Fault> {
    let children = r.children(moov, 0)?;
    let mut mvhd = 0;
    let mut chosen = None;
    let mut seen = Seen::default();
    for b in &children {
        match &b.kind {
            b"mvhd" => {
                mvhd += 1;
                versioned(r, b, 100, 112, "mvhd")?;
            }
            b"trak" if chosen.is_none() && is_h264_video(r, b, &mut seen) => chosen = Some(*b),
            _ => hidden.push(b.start + 4),
        }
    }
    if mvhd != 1 {
        return Err(damaged(format!(
            "its moov box has {mvhd} mvhd boxes instead of one"
        )));
    }
    let Some(trak) = chosen else {
        return Err(match seen.other_codec {
            Some(codec) => Fault::Unsupported(format!("a video in {codec}")),
            None => Fault::NoVideo("an MP4 file without a video track".into()),
        });
    };
    walk_trak(r, &trak, hidden)
}

/// The one child of `parent` of type `kind`; none or several are refused.
fn only(children: &[BoxHead], kind: &[u8; 4], parent: &str) -> Result<BoxHead, Fault> {
    let mut found = children.iter().filter(|b| &b.kind == kind);
    match (found.next(), found.next()) {
        (Some(b), None) => Ok(*b),
        (None, _) => Err(damaged(format!(
            "its {parent} box has no {} box",
            fourcc(*kind)
        ))),
        (Some(_), Some(_)) => Err(damaged(format!(
            "its {parent} box has more than one {} box",
            fourcc(*kind)
        ))),
    }
}

/// True when `trak` is a video track whose (first) sample description is H.264; notes other
/// video codecs in `seen`. A track too damaged to tell is not one.
fn is_h264_video(r: &mut Reader<'_>, trak: &BoxHead, seen: &mut Seen) -> bool {
    let probe = |r: &mut Reader<'_>| -> Result<Option<[u8; 4]>, Fault> {
        let mdia = only(&r.children(trak, 0)?, b"mdia", "trak")?;
        let in_mdia = r.children(&mdia, 0)?;
        let hdlr = only(&in_mdia, b"hdlr", "mdia")?;
        let mut handler = [0u8; 4];
        if hdlr.payload_len() < 12 {
            return Ok(None);
        }
        r.read_at(hdlr.payload() + 8, &mut handler)?;
        if &handler != b"vide" {
            return Ok(None);
        }
        let minf = only(&in_mdia, b"minf", "mdia")?;
        let stbl = only(&r.children(&minf, 0)?, b"stbl", "minf")?;
        let stsd = only(&r.children(&stbl, 0)?, b"stsd", "stbl")?;
        Ok(Some(r.first_child(&stsd, 8)?.kind))
    };
    match probe(r) {
        Ok(Some(kind)) if &kind == b"avc1" => true,
        Ok(Some(kind)) => {
            seen.other_codec.get_or_insert_with(|| codec_name(kind));
            false
        }
        _ => false,
    }
}

fn codec_name(kind: [u8; 4]) -> String {
    match &kind {
        b"hev1" | b"hvc1" => "H.265 (HEVC)".into(),
        b"vp09" => "VP9".into(),
        b"av01" => "AV1".into(),
        b"avc3" => "H.264 with in-band parameter sets (avc3)".into(),
        b"mp4v" => "MPEG-4 Part 2".into(),
        b"encv" => "an encrypted codec".into(),
        other => format!("the codec {}", fourcc(*other)),
    }
}

/// A full box of version 0 or 1 whose content must hold `v0` or `v1` bytes.
fn versioned(r: &mut Reader<'_>, b: &BoxHead, v0: u64, v1: u64, name: &str) -> Result<(), Fault> {
    let mut v = [0u8; 1];
    if b.payload_len() < 4 {
        return Err(damaged(format!("its {name} box is too short")));
    }
    r.read_at(b.payload(), &mut v)?;
    let need = match v[0] {
        0 => v0,
        1 => v1,
        n => return Err(damaged(format!("its {name} box has unknown version {n}"))),
    };
    if b.payload_len() < need {
        return Err(damaged(format!("its {name} box is too short")));
    }
    Ok(())
}

fn walk_trak(r: &mut Reader<'_>, trak: &BoxHead, hidden: &mut Vec<u64>) -> Result<u32, Fault> {
    let children = r.children(trak, 0)?;
    let tkhd = only(&children, b"tkhd", "trak")?;
    versioned(r, &tkhd, 84, 96, "tkhd")?;
    let mut id = [0u8; 4];
    let mut v = [0u8; 1];
    r.read_at(tkhd.payload(), &mut v)?;
    r.read_at(tkhd.payload() + if v[0] == 1 { 20 } else { 12 }, &mut id)?;
    if u32::from_be_bytes(id) == 0 {
        return Err(damaged("its video track has id 0"));
    }
    let mdia = only(&children, b"mdia", "trak")?;
    hide_others(&children, &[*b"tkhd", *b"mdia"], hidden);

    let in_mdia = r.children(&mdia, 0)?;
    versioned(r, &only(&in_mdia, b"mdhd", "mdia")?, 24, 36, "mdhd")?;
    let hdlr = only(&in_mdia, b"hdlr", "mdia")?;
    if hdlr.payload_len() < 25 {
        return Err(damaged("its hdlr box is too short"));
    }
    let minf = only(&in_mdia, b"minf", "mdia")?;
    hide_others(&in_mdia, &[*b"mdhd", *b"hdlr", *b"minf"], hidden);

    let in_minf = r.children(&minf, 0)?;
    let dinf = only(&in_minf, b"dinf", "minf")?;
    let stbl = only(&in_minf, b"stbl", "minf")?;
    hide_others(&in_minf, &[*b"dinf", *b"stbl"], hidden);
    walk_dinf(r, &dinf, hidden)?;

    let in_stbl = r.children(&stbl, 0)?;
    let one = |kind: &[u8; 4]| -> Result<Option<BoxHead>, Fault> {
        match in_stbl.iter().filter(|b| &b.kind == kind).count() {
            0 => Ok(None),
            1 => Ok(in_stbl.iter().find(|b| &b.kind == kind).copied()),
            _ => Err(damaged(format!(
                "its stbl box has more than one {} box",
                fourcc(*kind)
            ))),
        }
    };
    let stsd = only(&in_stbl, b"stsd", "stbl")?;
    let t = TableBoxes {
        stsz: one(b"stsz")?,
        stco: one(b"stco")?,
        co64: one(b"co64")?,
        stsc: one(b"stsc")?,
        stts: one(b"stts")?,
        ctts: one(b"ctts")?,
        stss: one(b"stss")?,
    };
    let kept = [
        *b"stsd", *b"stsz", *b"stco", *b"co64", *b"stsc", *b"stts", *b"ctts", *b"stss",
    ];
    hide_others(&in_stbl, &kept, hidden);
    walk_stsd(r, &stsd)?;
    tables::check(r, &t)
}

fn hide_others(children: &[BoxHead], kept: &[[u8; 4]], hidden: &mut Vec<u64>) {
    for b in children {
        if !kept.contains(&b.kind) {
            hidden.push(b.start + 4);
        }
    }
}

/// `dinf` holds one `dref`, a full box with a count and then boxes, all hidden (the crate
/// needs the `dref`, not what is in it).
fn walk_dinf(r: &mut Reader<'_>, dinf: &BoxHead, hidden: &mut Vec<u64>) -> Result<(), Fault> {
    let children = r.children(dinf, 0)?;
    let dref = only(&children, b"dref", "dinf")?;
    hide_others(&children, &[*b"dref"], hidden);
    for entry in r.children(&dref, 8)? {
        hidden.push(entry.start + 4);
    }
    Ok(())
}

/// `stsd`: its first sample entry is `avc1` (78 bytes of fields, then `avcC` first), whose
/// parameter sets must lie inside the `avcC`.
fn walk_stsd(r: &mut Reader<'_>, stsd: &BoxHead) -> Result<(), Fault> {
    let avc1 = r.first_child(stsd, 8)?;
    let avcc = r.first_child(&avc1, 78)?;
    if &avcc.kind != b"avcC" {
        return Err(damaged(format!(
            "its avc1 sample entry starts with {} instead of avcC",
            avcc.name()
        )));
    }
    let body = r.payload(&avcc, MAX_AVCC, "avcC")?;
    let mut at = 6usize;
    let sps = usize::from(
        *body
            .get(5)
            .ok_or_else(|| damaged("its avcC box is too short"))?
            & 0x1F,
    );
    let mut sets = [0usize; 2];
    for (i, count) in [Some(sps), None].into_iter().enumerate() {
        let count = match count {
            Some(n) => n,
            None => {
                let n = *body
                    .get(at)
                    .ok_or_else(|| damaged("its avcC box ends before its PPS count"))?;
                at += 1;
                usize::from(n)
            }
        };
        for _ in 0..count {
            let len = body
                .get(at..at + 2)
                .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
                .ok_or_else(|| damaged("its avcC box ends inside a parameter set"))?;
            at += 2;
            if at + len > body.len() {
                return Err(damaged("a parameter set runs past the end of its avcC box"));
            }
            at += len;
        }
        sets[i] = count;
    }
    if sets[0] == 0 || sets[1] == 0 {
        return Err(damaged("its avcC box has no SPS/PPS"));
    }
    Ok(())
}
