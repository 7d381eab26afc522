//! A small MP4 muxer: `ftyp`, one `mdat` streamed as samples come (64-bit size, patched at the
//! end), then `moov`. One sample description per track: H.264 with every parameter set in one
//! `avcC` (parts made by different encoders use different parameter set ids), AAC-LC with its
//! `esds`. Edit lists say where the media starts (AAC priming) and how long it plays.

use std::io::{Seek, SeekFrom, Write};

use crate::media::audio::AacConfig;

/// The H.264 decoder configuration: profile and level bytes and the parameter sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvcConfigRecord {
    /// profile_idc of the first SPS.
    pub profile: u8,
    /// The constraint flags byte.
    pub compatibility: u8,
    /// level_idc (the highest of the parameter sets).
    pub level: u8,
    /// Bytes in each NAL unit's length prefix (1, 2 or 4).
    pub nal_length_size: u8,
    /// Sequence parameter sets (without start codes).
    pub sps: Vec<Vec<u8>>,
    /// Picture parameter sets.
    pub pps: Vec<Vec<u8>>,
}

/// What a track carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackKind {
    /// H.264 video of this size.
    Video {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// The decoder configuration.
        avcc: AvcConfigRecord,
    },
    /// AAC-LC sound.
    Audio(AacConfig),
}

/// One track to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackSpec {
    /// Video or audio, and its configuration.
    pub kind: TrackKind,
    /// Ticks per second of the track's media.
    pub timescale: u32,
    /// Media ticks to skip at the start (AAC priming); 0 for none.
    pub media_start: u64,
    /// How many media ticks to present after that; `None` for all of it.
    pub presented: Option<u64>,
}

#[derive(Debug, Default)]
struct TrackState {
    sizes: Vec<u32>,
    durations: Vec<u32>,
    cts: Vec<i32>,
    sync: Vec<bool>,
    /// (file offset, samples) of each chunk.
    chunks: Vec<(u64, u32)>,
}

/// An MP4 being written to `out`.
pub struct Mp4Writer<W: Write + Seek> {
    out: W,
    pos: u64,
    mdat_start: u64,
    specs: Vec<TrackSpec>,
    tracks: Vec<TrackState>,
    /// The track of the last sample written (a new track starts a new chunk).
    last_track: Option<usize>,
}

impl<W: Write + Seek> std::fmt::Debug for Mp4Writer<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mp4Writer")
            .field("pos", &self.pos)
            .field("specs", &self.specs)
            .finish_non_exhaustive()
    }
}

impl<W: Write + Seek> Mp4Writer<W> {
    /// Starts the file: `ftyp` and the `mdat` header.
    pub fn new(mut out: W, specs: Vec<TrackSpec>) -> std::io::Result<Mp4Writer<W>> {
        let mut head = Vec::new();
        boxed(&mut head, b"ftyp", |b| {
            b.extend_from_slice(b"isom");
            b.extend_from_slice(&512u32.to_be_bytes());
            for brand in [b"isom", b"iso2", b"avc1", b"mp41"] {
                b.extend_from_slice(brand);
            }
        });
        let mdat_start = head.len() as u64;
        // size 1 = a 64-bit size follows; patched in finish().
        head.extend_from_slice(&1u32.to_be_bytes());
        head.extend_from_slice(b"mdat");
        head.extend_from_slice(&0u64.to_be_bytes());
        out.write_all(&head)?;
        let tracks = specs.iter().map(|_| TrackState::default()).collect();
        Ok(Mp4Writer {
            out,
            pos: head.len() as u64,
            mdat_start,
            specs,
            tracks,
            last_track: None,
        })
    }

    /// Appends one sample of `track` (index into the specs): its bytes as stored (length-
    /// prefixed NAL units, or one AAC frame), duration in the track's ticks, composition
    /// offset and whether it is a key frame.
    pub fn write_sample(
        &mut self,
        track: usize,
        data: &[u8],
        duration: u32,
        cts_offset: i32,
        sync: bool,
    ) -> std::io::Result<()> {
        let Some(state) = self.tracks.get_mut(track) else {
            return Err(std::io::Error::other(format!("no track {track}")));
        };
        let size = u32::try_from(data.len())
            .map_err(|_| std::io::Error::other("a sample of 4 GiB or more"))?;
        if self.last_track == Some(track) {
            if let Some(last) = state.chunks.last_mut() {
                last.1 += 1;
            }
        } else {
            state.chunks.push((self.pos, 1));
        }
        self.last_track = Some(track);
        state.sizes.push(size);
        state.durations.push(duration);
        state.cts.push(cts_offset);
        state.sync.push(sync);
        self.out.write_all(data)?;
        self.pos += u64::from(size);
        Ok(())
    }

    /// Replaces a track's configuration before [`Mp4Writer::finish`] (parameter sets of
    /// re-encoded parts are known only once they are encoded).
    pub fn set_kind(&mut self, track: usize, kind: TrackKind) {
        if let Some(spec) = self.specs.get_mut(track) {
            spec.kind = kind;
        }
    }

    /// Samples written so far to `track`.
    pub fn sample_count(&self, track: usize) -> usize {
        self.tracks.get(track).map_or(0, |t| t.sizes.len())
    }

    /// Patches the `mdat` size, writes `moov` and returns the output (not synced).
    pub fn finish(mut self) -> std::io::Result<W> {
        let mdat_size = self.pos - self.mdat_start;
        let mut moov = Vec::new();
        self.moov(&mut moov);
        self.out.write_all(&moov)?;
        self.out.seek(SeekFrom::Start(self.mdat_start + 8))?;
        self.out.write_all(&mdat_size.to_be_bytes())?;
        self.out.seek(SeekFrom::End(0))?;
        self.out.flush()?;
        Ok(self.out)
    }

    /// The movie timescale: the first track's, so video durations are exact.
    fn movie_timescale(&self) -> u32 {
        self.specs.first().map_or(1000, |s| s.timescale.max(1))
    }

    /// A track's presented length in movie ticks.
    fn presented_movie(&self, i: usize) -> u64 {
        let spec = &self.specs[i];
        let media: u64 = self.tracks[i].durations.iter().map(|d| u64::from(*d)).sum();
        let shown = spec
            .presented
            .unwrap_or(media.saturating_sub(spec.media_start));
        scale(shown, spec.timescale, self.movie_timescale())
    }

    fn moov(&self, out: &mut Vec<u8>) {
        let movie_ts = self.movie_timescale();
        let duration = (0..self.specs.len())
            .map(|i| self.presented_movie(i))
            .max()
            .unwrap_or(0);
        boxed(out, b"moov", |b| {
            full_box(b, b"mvhd", 1, 0, |b| {
                b.extend_from_slice(&0u64.to_be_bytes()); // creation
                b.extend_from_slice(&0u64.to_be_bytes()); // modification
                b.extend_from_slice(&movie_ts.to_be_bytes());
                b.extend_from_slice(&duration.to_be_bytes());
                b.extend_from_slice(&0x0001_0000u32.to_be_bytes()); // rate 1.0
                b.extend_from_slice(&0x0100u16.to_be_bytes()); // volume 1.0
                b.extend_from_slice(&[0; 10]);
                matrix(b);
                b.extend_from_slice(&[0; 24]); // pre_defined
                b.extend_from_slice(&(self.specs.len() as u32 + 1).to_be_bytes());
            });
            for i in 0..self.specs.len() {
                self.trak(b, i);
            }
        });
    }

    fn trak(&self, out: &mut Vec<u8>, i: usize) {
        let spec = &self.specs[i];
        let state = &self.tracks[i];
        let track_id = i as u32 + 1;
        let shown = self.presented_movie(i);
        let media_duration: u64 = state.durations.iter().map(|d| u64::from(*d)).sum();
        boxed(out, b"trak", |b| {
            full_box(b, b"tkhd", 1, 3, |b| {
                b.extend_from_slice(&0u64.to_be_bytes());
                b.extend_from_slice(&0u64.to_be_bytes());
                b.extend_from_slice(&track_id.to_be_bytes());
                b.extend_from_slice(&0u32.to_be_bytes());
                b.extend_from_slice(&shown.to_be_bytes());
                b.extend_from_slice(&[0; 8]);
                b.extend_from_slice(&0u16.to_be_bytes()); // layer
                let (group, volume) = match spec.kind {
                    TrackKind::Audio(_) => (1u16, 0x0100u16),
                    TrackKind::Video { .. } => (0, 0),
                };
                b.extend_from_slice(&group.to_be_bytes());
                b.extend_from_slice(&volume.to_be_bytes());
                b.extend_from_slice(&0u16.to_be_bytes());
                matrix(b);
                let (w, h) = match &spec.kind {
                    TrackKind::Video { width, height, .. } => (*width, *height),
                    TrackKind::Audio(_) => (0, 0),
                };
                b.extend_from_slice(&(w << 16).to_be_bytes());
                b.extend_from_slice(&(h << 16).to_be_bytes());
            });
            boxed(b, b"edts", |b| {
                full_box(b, b"elst", 1, 0, |b| {
                    b.extend_from_slice(&1u32.to_be_bytes());
                    b.extend_from_slice(&shown.to_be_bytes());
                    b.extend_from_slice(&(spec.media_start as i64).to_be_bytes());
                    b.extend_from_slice(&0x0001_0000u32.to_be_bytes()); // rate 1.0
                });
            });
            boxed(b, b"mdia", |b| {
                full_box(b, b"mdhd", 1, 0, |b| {
                    b.extend_from_slice(&0u64.to_be_bytes());
                    b.extend_from_slice(&0u64.to_be_bytes());
                    b.extend_from_slice(&spec.timescale.to_be_bytes());
                    b.extend_from_slice(&media_duration.to_be_bytes());
                    b.extend_from_slice(&0x55C4u16.to_be_bytes()); // "und"
                    b.extend_from_slice(&0u16.to_be_bytes());
                });
                let (handler, name): (&[u8; 4], &[u8]) = match spec.kind {
                    TrackKind::Video { .. } => (b"vide", b"VideoHandler\0"),
                    TrackKind::Audio(_) => (b"soun", b"SoundHandler\0"),
                };
                full_box(b, b"hdlr", 0, 0, |b| {
                    b.extend_from_slice(&0u32.to_be_bytes());
                    b.extend_from_slice(handler);
                    b.extend_from_slice(&[0; 12]);
                    b.extend_from_slice(name);
                });
                boxed(b, b"minf", |b| {
                    match spec.kind {
                        TrackKind::Video { .. } => full_box(b, b"vmhd", 0, 1, |b| {
                            b.extend_from_slice(&[0; 8]);
                        }),
                        TrackKind::Audio(_) => full_box(b, b"smhd", 0, 0, |b| {
                            b.extend_from_slice(&[0; 4]);
                        }),
                    }
                    boxed(b, b"dinf", |b| {
                        full_box(b, b"dref", 0, 0, |b| {
                            b.extend_from_slice(&1u32.to_be_bytes());
                            full_box(b, b"url ", 0, 1, |_| {});
                        });
                    });
                    boxed(b, b"stbl", |b| {
                        self.stsd(b, i);
                        stts(b, &state.durations);
                        if state.cts.iter().any(|c| *c != 0) {
                            ctts(b, &state.cts);
                        }
                        if state.sync.iter().any(|s| !*s) {
                            full_box(b, b"stss", 0, 0, |b| {
                                let syncs: Vec<u32> = (1..)
                                    .zip(&state.sync)
                                    .filter(|(_, s)| **s)
                                    .map(|(n, _)| n)
                                    .collect();
                                b.extend_from_slice(&(syncs.len() as u32).to_be_bytes());
                                for n in syncs {
                                    b.extend_from_slice(&n.to_be_bytes());
                                }
                            });
                        }
                        stsc(b, &state.chunks);
                        full_box(b, b"stsz", 0, 0, |b| {
                            b.extend_from_slice(&0u32.to_be_bytes());
                            b.extend_from_slice(&(state.sizes.len() as u32).to_be_bytes());
                            for s in &state.sizes {
                                b.extend_from_slice(&s.to_be_bytes());
                            }
                        });
                        full_box(b, b"co64", 0, 0, |b| {
                            b.extend_from_slice(&(state.chunks.len() as u32).to_be_bytes());
                            for (offset, _) in &state.chunks {
                                b.extend_from_slice(&offset.to_be_bytes());
                            }
                        });
                    });
                });
            });
        });
    }

    fn stsd(&self, out: &mut Vec<u8>, i: usize) {
        let spec = &self.specs[i];
        full_box(out, b"stsd", 0, 0, |b| {
            b.extend_from_slice(&1u32.to_be_bytes());
            match &spec.kind {
                TrackKind::Video {
                    width,
                    height,
                    avcc,
                } => boxed(b, b"avc1", |b| {
                    b.extend_from_slice(&[0; 6]);
                    b.extend_from_slice(&1u16.to_be_bytes()); // data_reference_index
                    b.extend_from_slice(&[0; 16]);
                    b.extend_from_slice(&(*width as u16).to_be_bytes());
                    b.extend_from_slice(&(*height as u16).to_be_bytes());
                    b.extend_from_slice(&0x0048_0000u32.to_be_bytes());
                    b.extend_from_slice(&0x0048_0000u32.to_be_bytes());
                    b.extend_from_slice(&0u32.to_be_bytes());
                    b.extend_from_slice(&1u16.to_be_bytes()); // frame_count
                    b.extend_from_slice(&[0; 32]); // compressor name
                    b.extend_from_slice(&0x0018u16.to_be_bytes());
                    b.extend_from_slice(&0xFFFFu16.to_be_bytes());
                    boxed(b, b"avcC", |b| {
                        b.push(1);
                        b.push(avcc.profile);
                        b.push(avcc.compatibility);
                        b.push(avcc.level);
                        b.push(0xFC | (avcc.nal_length_size.clamp(1, 4) - 1));
                        b.push(0xE0 | (avcc.sps.len() as u8 & 0x1F));
                        for sps in &avcc.sps {
                            b.extend_from_slice(&(sps.len() as u16).to_be_bytes());
                            b.extend_from_slice(sps);
                        }
                        b.push(avcc.pps.len() as u8);
                        for pps in &avcc.pps {
                            b.extend_from_slice(&(pps.len() as u16).to_be_bytes());
                            b.extend_from_slice(pps);
                        }
                    });
                }),
                TrackKind::Audio(config) => boxed(b, b"mp4a", |b| {
                    b.extend_from_slice(&[0; 6]);
                    b.extend_from_slice(&1u16.to_be_bytes());
                    b.extend_from_slice(&[0; 8]);
                    b.extend_from_slice(&u16::from(config.channels).to_be_bytes());
                    b.extend_from_slice(&16u16.to_be_bytes());
                    b.extend_from_slice(&[0; 4]);
                    b.extend_from_slice(&(config.sample_rate.min(65_535) << 16).to_be_bytes());
                    esds(b, config, i as u16 + 1);
                }),
            }
        });
    }
}

/// `esds`: ES descriptor → decoder config (AAC, audio stream) → AudioSpecificConfig, SL config.
fn esds(out: &mut Vec<u8>, config: &AacConfig, es_id: u16) {
    let asc = config.audio_specific_config().unwrap_or([0x11, 0x90]);
    full_box(out, b"esds", 0, 0, |b| {
        let mut dsi = vec![0x05, asc.len() as u8];
        dsi.extend_from_slice(&asc);
        let mut dcd = vec![0x40, 0x15, 0, 0x18, 0]; // AAC, audio stream, 6144-byte buffer
        dcd.extend_from_slice(&128_000u32.to_be_bytes()); // max bitrate (a hint)
        dcd.extend_from_slice(&0u32.to_be_bytes()); // average: variable
        dcd.extend_from_slice(&dsi);
        let mut es = es_id.to_be_bytes().to_vec();
        es.push(0); // no dependency, URL or OCR
        es.push(0x04);
        es.push(dcd.len() as u8);
        es.extend_from_slice(&dcd);
        es.extend_from_slice(&[0x06, 0x01, 0x02]); // SL config: predefined MP4
        b.push(0x03);
        b.push(es.len() as u8);
        b.extend_from_slice(&es);
    });
}

fn stts(out: &mut Vec<u8>, durations: &[u32]) {
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for d in durations {
        match runs.last_mut() {
            Some((n, v)) if v == d => *n += 1,
            _ => runs.push((1, *d)),
        }
    }
    full_box(out, b"stts", 0, 0, |b| {
        b.extend_from_slice(&(runs.len() as u32).to_be_bytes());
        for (n, d) in runs {
            b.extend_from_slice(&n.to_be_bytes());
            b.extend_from_slice(&d.to_be_bytes());
        }
    });
}

fn ctts(out: &mut Vec<u8>, offsets: &[i32]) {
    let mut runs: Vec<(u32, i32)> = Vec::new();
    for c in offsets {
        match runs.last_mut() {
            Some((n, v)) if v == c => *n += 1,
            _ => runs.push((1, *c)),
        }
    }
    // Version 1: signed offsets.
    full_box(out, b"ctts", 1, 0, |b| {
        b.extend_from_slice(&(runs.len() as u32).to_be_bytes());
        for (n, c) in runs {
            b.extend_from_slice(&n.to_be_bytes());
            b.extend_from_slice(&c.to_be_bytes());
        }
    });
}

fn stsc(out: &mut Vec<u8>, chunks: &[(u64, u32)]) {
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for (i, (_, n)) in chunks.iter().enumerate() {
        if runs.last().is_none_or(|(_, last)| last != n) {
            runs.push((i as u32 + 1, *n));
        }
    }
    full_box(out, b"stsc", 0, 0, |b| {
        b.extend_from_slice(&(runs.len() as u32).to_be_bytes());
        for (first, n) in runs {
            b.extend_from_slice(&first.to_be_bytes());
            b.extend_from_slice(&n.to_be_bytes());
            b.extend_from_slice(&1u32.to_be_bytes());
        }
    });
}

/// `value` ticks at `from` per second, in ticks at `to` per second (rounded).
fn scale(value: u64, from: u32, to: u32) -> u64 {
    let from = u128::from(from.max(1));
    ((u128::from(value) * u128::from(to) + from / 2) / from) as u64
}

fn matrix(b: &mut Vec<u8>) {
    for v in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
        b.extend_from_slice(&v.to_be_bytes());
    }
}

/// Writes a box: size, type, then what `body` adds.
fn boxed(out: &mut Vec<u8>, kind: &[u8; 4], body: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(kind);
    body(out);
    let size = (out.len() - start) as u32;
    out[start..start + 4].copy_from_slice(&size.to_be_bytes());
}

/// A full box: version and flags first.
fn full_box(
    out: &mut Vec<u8>,
    kind: &[u8; 4],
    version: u8,
    flags: u32,
    body: impl FnOnce(&mut Vec<u8>),
) {
    boxed(out, kind, |b| {
        b.push(version);
        b.extend_from_slice(&flags.to_be_bytes()[1..]);
        body(b);
    });
}
