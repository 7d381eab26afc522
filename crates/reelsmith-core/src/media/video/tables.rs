//! The sample tables of the video track (`stsz`, `stco`/`co64`, `stsc`, `stts`, `ctts`,
//! `stss`), checked the way the `mp4` crate will use them.
//!
//! The crate trusts them: it allocates a sample's declared size before reading it, divides by
//! `samples_per_chunk`, unwraps a missing `stts` entry and sums offsets in 32 bits. So every
//! sample must map to a chunk that exists and lie inside the file, counts are bounded, and the
//! timing table covers every sample, before the crate is given the file.

use super::boxes::{BoxHead, Fault, Reader, be32, be64};

/// Most frames a clip may have (4.8 hours at 30 fps); bounds every table.
pub const MAX_SAMPLES: u32 = 1 << 19;
/// Largest single frame accepted (a 4K intra frame is a few MB).
pub const MAX_SAMPLE_BYTES: u32 = 32 << 20;

/// The table boxes of one track's `stbl`.
#[derive(Debug, Default, Clone, Copy)]
pub struct TableBoxes {
    /// Sample sizes.
    pub stsz: Option<BoxHead>,
    /// 32-bit chunk offsets.
    pub stco: Option<BoxHead>,
    /// 64-bit chunk offsets.
    pub co64: Option<BoxHead>,
    /// Samples per chunk.
    pub stsc: Option<BoxHead>,
    /// Sample durations.
    pub stts: Option<BoxHead>,
    /// Composition offsets.
    pub ctts: Option<BoxHead>,
    /// Key frames.
    pub stss: Option<BoxHead>,
}

fn damaged(reason: impl Into<String>) -> Fault {
    Fault::Damaged(reason.into())
}

fn required(b: Option<BoxHead>, name: &str) -> Result<BoxHead, Fault> {
    b.ok_or_else(|| damaged(format!("its video track has no {name} box")))
}

/// A full box's entry table: `skip` bytes of fields after version/flags, then a u32 count,
/// then `count` entries of `entry` bytes (all of which must be in the box). Returns the count
/// and the entries' bytes.
fn table(
    r: &mut Reader<'_>,
    b: &BoxHead,
    skip: u64,
    entry: u64,
    name: &str,
) -> Result<(u32, Vec<u8>), Fault> {
    let fixed = 4 + skip + 4;
    if b.payload_len() < fixed {
        return Err(damaged(format!(
            "its {name} box is too short for its entry count"
        )));
    }
    let mut head = vec![0u8; fixed as usize];
    r.read_at(b.payload(), &mut head)?;
    let count = be32(&head, fixed as usize - 4).unwrap_or(0);
    if count > MAX_SAMPLES {
        return Err(damaged(format!(
            "its {name} box lists {count} entries, more than the {MAX_SAMPLES} a clip may have"
        )));
    }
    let bytes = u64::from(count) * entry;
    if bytes > b.payload_len() - fixed {
        return Err(damaged(format!(
            "its {name} box claims {count} entries but has room for {}",
            (b.payload_len() - fixed) / entry.max(1)
        )));
    }
    let mut entries = vec![0u8; bytes as usize];
    r.read_at(b.payload() + fixed, &mut entries)?;
    Ok((count, entries))
}

/// Checks the tables against each other and the file; returns the number of frames.
pub fn check(r: &mut Reader<'_>, t: &TableBoxes) -> Result<u32, Fault> {
    let stsz = required(t.stsz, "stsz (sample sizes)")?;
    let stsc = required(t.stsc, "stsc (samples per chunk)")?;
    let stts = required(t.stts, "stts (sample durations)")?;

    // Sample sizes: one for all (no table), or one each.
    if stsz.payload_len() < 12 {
        return Err(damaged("its stsz box is too short"));
    }
    let mut head = [0u8; 12];
    r.read_at(stsz.payload(), &mut head)?;
    let constant = be32(&head, 4).unwrap_or(0);
    let samples = be32(&head, 8).unwrap_or(0);
    if samples == 0 {
        return Err(damaged("its video track has no frames"));
    }
    if samples > MAX_SAMPLES {
        return Err(damaged(format!(
            "it declares {samples} frames, more than the {MAX_SAMPLES} a clip may have"
        )));
    }
    let sizes: Vec<u32> = if constant == 0 {
        let (_, bytes) = table(r, &stsz, 4, 4, "stsz")?;
        // `table` read the count at the same place as `samples`.
        bytes.chunks_exact(4).filter_map(|c| be32(c, 0)).collect()
    } else {
        Vec::new()
    };
    let size_of = |i: usize| if constant != 0 { constant } else { sizes[i] };
    if let Some((i, s)) = (0..samples as usize)
        .map(|i| (i, size_of(i)))
        .find(|(_, s)| *s > MAX_SAMPLE_BYTES)
    {
        return Err(damaged(format!(
            "its frame {i} claims {s} bytes, more than a frame can be ({} MB at most)",
            MAX_SAMPLE_BYTES >> 20
        )));
    }
    r.tick()?;

    // Chunk offsets.
    let chunks: Vec<u64> = match (t.stco, t.co64) {
        (Some(_), Some(_)) => return Err(damaged("its video track has both stco and co64 boxes")),
        (None, None) => {
            return Err(damaged(
                "its video track has no chunk offsets (stco or co64)",
            ));
        }
        (Some(b), None) => {
            let (_, bytes) = table(r, &b, 0, 4, "stco")?;
            bytes
                .chunks_exact(4)
                .filter_map(|c| be32(c, 0))
                .map(u64::from)
                .collect()
        }
        (None, Some(b)) => {
            let (_, bytes) = table(r, &b, 0, 8, "co64")?;
            bytes.chunks_exact(8).filter_map(|c| be64(c, 0)).collect()
        }
    };

    // Samples per chunk: runs of chunks, first chunk 1, increasing, at least one sample each.
    let (runs, bytes) = table(r, &stsc, 0, 12, "stsc")?;
    if runs == 0 {
        return Err(damaged("its stsc box is empty"));
    }
    let runs: Vec<(u32, u32)> = bytes
        .chunks_exact(12)
        .filter_map(|c| Some((be32(c, 0)?, be32(c, 4)?)))
        .collect();
    if runs[0].0 != 1 {
        return Err(damaged(format!(
            "its stsc box starts at chunk {} instead of 1",
            runs[0].0
        )));
    }
    for w in runs.windows(2) {
        if w[1].0 <= w[0].0 {
            return Err(damaged("its stsc box lists chunks out of order"));
        }
    }
    if let Some((first, _)) = runs.iter().find(|(_, n)| *n == 0 || *n > MAX_SAMPLES) {
        return Err(damaged(format!(
            "its stsc box gives chunk {first} an impossible number of samples"
        )));
    }
    if runs
        .last()
        .is_some_and(|(first, _)| u64::from(*first) > chunks.len() as u64)
    {
        return Err(damaged(
            "its stsc box refers to chunks its chunk offsets do not have",
        ));
    }

    // Every sample, in order: in a chunk that exists, within the file, offsets summed in 32
    // bits as the crate does.
    let mut sample = 0usize;
    let mut run = 0usize;
    for (c, &offset) in chunks.iter().enumerate() {
        let chunk = c as u64 + 1;
        while run + 1 < runs.len() && u64::from(runs[run + 1].0) <= chunk {
            run += 1;
        }
        let mut within: u64 = 0;
        for _ in 0..runs[run].1 {
            if sample == samples as usize {
                break;
            }
            let size = u64::from(size_of(sample));
            let end = offset
                .checked_add(within + size)
                .filter(|end| *end <= r.len())
                .ok_or_else(|| {
                    damaged(format!(
                        "its frame {sample} ({size} bytes at offset {}) lies past the end of the file",
                        offset.saturating_add(within)
                    ))
                })?;
            within = end - offset;
            if within > u64::from(u32::MAX) {
                return Err(damaged(format!("its chunk {chunk} is larger than 4 GB")));
            }
            sample += 1;
        }
        if sample == samples as usize {
            break;
        }
        if c % 4096 == 0 {
            r.tick()?;
        }
    }
    if sample < samples as usize {
        return Err(damaged(format!(
            "its tables place only {sample} of its {samples} frames in the file"
        )));
    }

    // Durations must cover every sample (the crate unwraps a missing one), counted as it
    // counts them: from 1, in 32 bits.
    let (_, bytes) = table(r, &stts, 0, 8, "stts")?;
    let mut covered: u64 = 1;
    for c in bytes.chunks_exact(8) {
        covered += u64::from(be32(c, 0).unwrap_or(0));
        if covered > u64::from(u32::MAX) {
            return Err(damaged("its stts box counts more than 4 billion frames"));
        }
    }
    if covered - 1 < u64::from(samples) {
        return Err(damaged(format!(
            "its stts box gives durations to {} of its {samples} frames",
            covered - 1
        )));
    }

    if let Some(b) = t.ctts {
        table(r, &b, 0, 8, "ctts")?;
    }
    if let Some(b) = t.stss {
        let (_, bytes) = table(r, &b, 0, 4, "stss")?;
        let keys: Vec<u32> = bytes.chunks_exact(4).filter_map(|c| be32(c, 0)).collect();
        if keys.windows(2).any(|w| w[1] <= w[0]) {
            return Err(damaged("its key-frame table (stss) is out of order"));
        }
    }
    Ok(samples)
}
