//! One track's samples as a flat table: where each sits in the file, when it plays, and
//! whether it is a key frame, built from the `stbl` boxes.

use ::mp4::MoovBox;

/// More samples than this in one track is not a clip (a 2-hour 60 fps film has 432,000).
pub const MAX_SAMPLES: usize = 4_000_000;

/// One sample of a track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleEntry {
    /// Byte offset in the file.
    pub offset: u64,
    /// Size in bytes.
    pub size: u32,
    /// Decoding time, in the track's timescale.
    pub dts: u64,
    /// Duration, in the track's timescale.
    pub duration: u32,
    /// Presentation time minus decoding time.
    pub cts_offset: i32,
    /// A key frame (every audio sample is one).
    pub sync: bool,
}

/// Every sample of one track, in decoding order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SampleTable {
    /// The samples.
    pub samples: Vec<SampleEntry>,
}

impl SampleTable {
    /// Builds the table of track `index` of `moov`, refusing tables that disagree with each
    /// other or point past `file_size`. (The mp4 crate does not export its box types, so the
    /// track is named by its place.)
    pub fn from_moov(moov: &MoovBox, index: usize, file_size: u64) -> Result<SampleTable, String> {
        let stbl = &moov.traks.get(index).ok_or("no such track")?.mdia.minf.stbl;
        let count = stbl.stsz.sample_count as usize;
        if count > MAX_SAMPLES {
            return Err(format!("it claims {count} samples in one track"));
        }
        let size_of = |i: usize| -> Option<u32> {
            if stbl.stsz.sample_size != 0 {
                Some(stbl.stsz.sample_size)
            } else {
                stbl.stsz.sample_sizes.get(i).copied()
            }
        };
        let chunks: Vec<u64> = match (&stbl.co64, &stbl.stco) {
            (Some(co64), _) => co64.entries.clone(),
            (None, Some(stco)) => stco.entries.iter().map(|o| u64::from(*o)).collect(),
            (None, None) => return Err("a track has no chunk offsets".into()),
        };
        let mut samples = Vec::with_capacity(count);
        let stsc = &stbl.stsc.entries;
        if stsc.is_empty() && count > 0 {
            return Err("a track has no sample-to-chunk table".into());
        }
        'chunks: for (c, chunk_offset) in chunks.iter().enumerate() {
            let chunk_no = c as u32 + 1;
            let per_chunk = stsc
                .iter()
                .rev()
                .find(|e| e.first_chunk <= chunk_no)
                .map_or(0, |e| e.samples_per_chunk);
            let mut offset = *chunk_offset;
            for _ in 0..per_chunk {
                if samples.len() == count {
                    break 'chunks;
                }
                let size = size_of(samples.len()).ok_or("its sample sizes are missing")?;
                let end = offset
                    .checked_add(u64::from(size))
                    .ok_or("an offset overflows")?;
                if end > file_size {
                    return Err("a sample lies past the end of the file".into());
                }
                samples.push(SampleEntry {
                    offset,
                    size,
                    dts: 0,
                    duration: 0,
                    cts_offset: 0,
                    sync: true,
                });
                offset = end;
            }
        }
        if samples.len() != count {
            return Err(format!(
                "its chunks hold {} of its {count} samples",
                samples.len()
            ));
        }
        let mut i = 0usize;
        let mut dts = 0u64;
        for e in &stbl.stts.entries {
            for _ in 0..e.sample_count {
                let Some(s) = samples.get_mut(i) else { break };
                s.dts = dts;
                s.duration = e.sample_delta;
                dts += u64::from(e.sample_delta);
                i += 1;
            }
        }
        if i < count {
            return Err(format!("its time table covers {i} of {count} samples"));
        }
        if let Some(ctts) = &stbl.ctts {
            let mut i = 0usize;
            for e in &ctts.entries {
                for _ in 0..e.sample_count {
                    let Some(s) = samples.get_mut(i) else { break };
                    s.cts_offset = e.sample_offset;
                    i += 1;
                }
            }
        }
        if let Some(stss) = &stbl.stss {
            for s in samples.iter_mut() {
                s.sync = false;
            }
            for n in &stss.entries {
                if let Some(s) = (*n as usize)
                    .checked_sub(1)
                    .and_then(|i| samples.get_mut(i))
                {
                    s.sync = true;
                }
            }
        }
        Ok(SampleTable { samples })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// True when the track has no samples.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Sum of the sample durations.
    pub fn total_duration(&self) -> u64 {
        self.samples.iter().map(|s| u64::from(s.duration)).sum()
    }

    /// The one duration every sample but the last has, if they share it (constant frame
    /// rate; muxers often give the last sample whatever is left).
    pub fn constant_duration(&self) -> Option<u32> {
        let first = self.samples.first()?.duration;
        let body = &self.samples[..self.samples.len().saturating_sub(1).max(1)];
        (first > 0 && body.iter().all(|s| s.duration == first)).then_some(first)
    }

    /// Whether any sample is shown at another time than it is decoded (B-frames).
    pub fn reorders(&self) -> bool {
        self.samples.iter().any(|s| s.cts_offset != 0)
    }
}
