//! Reading the H.264 track of an MP4: its parameters and its samples as Annex-B NAL streams.
//!
//! MP4 stores each NAL unit behind a 1–4 byte length (the avcC layout); the decoder wants
//! start codes (Annex B). The SPS and PPS live in the avcC box, not in the samples, so they are
//! handed to the decoder first.

use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use mp4::{Mp4Reader, TrackType};

use super::VideoInfo;
use super::boxes::{Fault, Reader, Source};
use super::layout;
use super::overlay::Overlay;
use crate::media::deadline::{self, Deadline};
use crate::media::error::MediaError;

const START_CODE: [u8; 4] = [0, 0, 0, 1];

/// An open MP4 positioned on its H.264 video track.
pub struct Demuxer {
    path: PathBuf,
    reader: Mp4Reader<Overlay>,
    track_id: u32,
    nal_length_size: usize,
    parameter_sets: Vec<u8>,
    /// 0-based indices of key frames; `None` when every sample is one (no stss box).
    sync_samples: Option<Vec<u32>>,
    info: VideoInfo,
}

impl std::fmt::Debug for Demuxer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Demuxer")
            .field("path", &self.path)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// The error for a structural fault of the MP4 at `path`.
fn fault_error(path: &Path, fault: Fault, deadline: &Deadline) -> MediaError {
    match fault {
        Fault::Truncated => MediaError::Truncated {
            path: path.into(),
            format: "MP4",
        },
        Fault::Damaged(reason) => MediaError::Demux {
            path: path.into(),
            reason,
        },
        Fault::Unsupported(format) => MediaError::UnsupportedFormat {
            path: path.into(),
            format,
            supported: "MP4 with H.264 video",
        },
        Fault::NoVideo(detected) => MediaError::NotAVideo {
            path: path.into(),
            detected: Some(detected),
        },
        Fault::TimedOut => deadline::timed_out(path, "box walk", deadline.limit()),
        Fault::Io(e) => MediaError::io("read", path, std::io::Error::other(e)),
    }
}

impl Demuxer {
    /// Opens `path`, refusing what is not an MP4 with an H.264 video track; its box tree and
    /// sample tables are checked first (see `layout`), within [`deadline::OPEN_LIMIT`].
    pub fn open(path: &Path) -> Result<Demuxer, MediaError> {
        Demuxer::open_within(path, &Deadline::after(deadline::OPEN_LIMIT))
    }

    /// [`Demuxer::open`] with the caller's deadline.
    pub fn open_within(path: &Path, deadline: &Deadline) -> Result<Demuxer, MediaError> {
        let file = File::open(path).map_err(|e| MediaError::io("open", path, e))?;
        let size = file
            .metadata()
            .map_err(|e| MediaError::io("read", path, e))?
            .len();
        Demuxer::from_source(path, Box::new(BufReader::new(file)), size, deadline)
    }

    /// Opens an MP4 held in memory; `path` is only used in messages.
    pub fn from_bytes(
        path: &Path,
        bytes: Vec<u8>,
        deadline: &Deadline,
    ) -> Result<Demuxer, MediaError> {
        let size = bytes.len() as u64;
        Demuxer::from_source(path, Box::new(Cursor::new(bytes)), size, deadline)
    }

    fn from_source(
        path: &Path,
        mut src: Box<dyn Source>,
        size: u64,
        deadline: &Deadline,
    ) -> Result<Demuxer, MediaError> {
        if size == 0 {
            return Err(MediaError::Empty { path: path.into() });
        }
        let mut head = [0u8; 64];
        let n = read_up_to(&mut src, &mut head).map_err(|e| MediaError::io("read", path, e))?;
        let head = &head[..n];
        if head.get(4..8) != Some(b"ftyp") {
            return Err(not_a_video(path, head));
        }
        let walked = {
            let mut boxes = Reader::new(&mut src, size, deadline);
            layout::walk(&mut boxes).map_err(|f| fault_error(path, f, deadline))?
        };
        src.seek(SeekFrom::Start(0))
            .map_err(|e| MediaError::io("read", path, e))?;
        let demux_err = |reason: String| MediaError::Demux {
            path: path.into(),
            reason,
        };
        // Checked above; the catch is for what the walk may still have missed.
        let reader = std::panic::catch_unwind(AssertUnwindSafe(|| {
            Mp4Reader::read_header(Overlay::new(src, walked.hidden), size)
        }))
        .map_err(|_| demux_err("its boxes are malformed".into()))?
        .map_err(|e| match e {
            mp4::Error::IoError(ref io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                MediaError::Truncated {
                    path: path.into(),
                    format: "MP4",
                }
            }
            mp4::Error::InvalidData(msg) if msg.contains("larger size") => MediaError::Truncated {
                path: path.into(),
                format: "MP4",
            },
            other => demux_err(other.to_string()),
        })?;

        let video_tracks: Vec<_> = reader
            .tracks()
            .values()
            .filter(|t| matches!(t.track_type(), Ok(TrackType::Video)))
            .collect();
        let Some(track) = video_tracks
            .iter()
            .find(|t| t.trak.mdia.minf.stbl.stsd.avc1.is_some())
        else {
            return Err(match video_tracks.first() {
                Some(t) => MediaError::UnsupportedFormat {
                    path: path.into(),
                    format: format!("a video in {}", codec_name(t)),
                    supported: "MP4 with H.264 video",
                },
                None => MediaError::NotAVideo {
                    path: path.into(),
                    detected: Some("an MP4 file without a video track".into()),
                },
            });
        };
        let avc1 = track
            .trak
            .mdia
            .minf
            .stbl
            .stsd
            .avc1
            .as_ref()
            .ok_or_else(|| demux_err("its video track has no avc1 entry".into()))?;
        let mut parameter_sets = Vec::new();
        for nal in avc1
            .avcc
            .sequence_parameter_sets
            .iter()
            .chain(&avc1.avcc.picture_parameter_sets)
        {
            parameter_sets.extend_from_slice(&START_CODE);
            parameter_sets.extend_from_slice(&nal.bytes);
        }
        if parameter_sets.is_empty() {
            return Err(demux_err("its avcC box has no SPS/PPS".into()));
        }
        let nal_length_size = usize::from(avc1.avcc.length_size_minus_one & 3) + 1;
        let mdhd = &track.trak.mdia.mdhd;
        let stbl = &track.trak.mdia.minf.stbl;
        let frame_count = stbl.stsz.sample_count;
        if frame_count == 0 {
            return Err(demux_err("its video track has no frames".into()));
        }
        let timescale = mdhd.timescale.max(1);
        // The sample durations add up to the track length even when mdhd's duration is off.
        let ticks: u64 = stbl
            .stts
            .entries
            .iter()
            .map(|e| u64::from(e.sample_count) * u64::from(e.sample_delta))
            .sum();
        let ticks = if ticks > 0 { ticks } else { mdhd.duration };
        let duration_secs = ticks as f64 / f64::from(timescale);
        let fps = if duration_secs > 0.0 {
            f64::from(frame_count) / duration_secs
        } else {
            0.0
        };
        let sync_samples = stbl.stss.as_ref().map(|s| {
            s.entries
                .iter()
                .map(|i| i.saturating_sub(1))
                .collect::<Vec<_>>()
        });
        let info = VideoInfo {
            width: u32::from(avc1.width),
            height: u32::from(avc1.height),
            duration_secs,
            fps,
            frame_count,
            file_size: size,
        };
        let track_id = track.track_id();
        Ok(Demuxer {
            path: path.into(),
            reader,
            track_id,
            nal_length_size,
            parameter_sets,
            sync_samples,
            info,
        })
    }

    /// What the container says about the clip.
    pub fn info(&self) -> &VideoInfo {
        &self.info
    }

    /// The file this reads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// SPS and PPS as an Annex-B stream, to feed the decoder before any frame.
    pub fn parameter_sets(&self) -> &[u8] {
        &self.parameter_sets
    }

    /// True when sample `index` (0-based) is a key frame.
    pub fn is_sync(&self, index: u32) -> bool {
        self.sync_samples
            .as_ref()
            .is_none_or(|s| s.binary_search(&index).is_ok())
    }

    /// The last key frame at or before sample `index` (0 when none is marked).
    pub fn sync_at_or_before(&self, index: u32) -> u32 {
        match &self.sync_samples {
            None => index,
            Some(s) => match s.binary_search(&index) {
                Ok(_) => index,
                Err(0) => 0,
                Err(i) => s[i - 1],
            },
        }
    }

    /// The sample shown at `seconds` into the clip (clamped to the clip).
    pub fn index_at(&self, seconds: f64) -> u32 {
        let last = self.info.frame_count.saturating_sub(1);
        if !seconds.is_finite() || seconds <= 0.0 || self.info.fps <= 0.0 {
            return 0;
        }
        ((seconds * self.info.fps + 1e-6).floor() as u64).min(u64::from(last)) as u32
    }

    /// Sample `index` (0-based) as an Annex-B NAL stream; `None` past the end.
    pub fn sample(&mut self, index: u32) -> Result<Option<Vec<u8>>, MediaError> {
        let track_id = self.track_id;
        let reader = &mut self.reader;
        let read =
            std::panic::catch_unwind(AssertUnwindSafe(|| reader.read_sample(track_id, index + 1)));
        let sample = match read {
            Ok(Ok(sample)) => sample,
            Ok(Err(mp4::Error::IoError(e))) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(MediaError::Truncated {
                    path: self.path.clone(),
                    format: "MP4",
                });
            }
            Ok(Err(e)) => {
                return Err(MediaError::Demux {
                    path: self.path.clone(),
                    reason: format!("frame {index}: {e}"),
                });
            }
            Err(_) => {
                return Err(MediaError::Demux {
                    path: self.path.clone(),
                    reason: format!("frame {index}: its sample tables are malformed"),
                });
            }
        };
        let Some(sample) = sample else {
            return Ok(None);
        };
        to_annex_b(&sample.bytes, self.nal_length_size)
            .map(Some)
            .ok_or_else(|| MediaError::Demux {
                path: self.path.clone(),
                reason: format!("frame {index}: a NAL length runs past the end of the sample"),
            })
    }
}

/// Rewrites length-prefixed NAL units as start-code-prefixed ones; `None` if a length lies.
pub fn to_annex_b(sample: &[u8], length_size: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(sample.len() + 16);
    let mut rest = sample;
    while !rest.is_empty() {
        let len_bytes = rest.get(..length_size)?;
        let len = len_bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        let nal = rest.get(length_size..length_size + len)?;
        // Empty units carry nothing; dropping them also bounds the growth (1-byte lengths
        // become 4-byte start codes).
        if !nal.is_empty() {
            out.extend_from_slice(&START_CODE);
            out.extend_from_slice(nal);
        }
        rest = &rest[length_size + len..];
    }
    Some(out)
}

fn read_up_to(src: &mut Box<dyn Source>, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match src.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

fn codec_name(track: &mp4::Mp4Track) -> String {
    let stsd = &track.trak.mdia.minf.stbl.stsd;
    if stsd.hev1.is_some() {
        "H.265 (HEVC)".into()
    } else if stsd.vp09.is_some() {
        "VP9".into()
    } else {
        "a codec other than H.264".into()
    }
}

/// The error for a file that is not an MP4, naming what it is when recognisable.
fn not_a_video(path: &Path, head: &[u8]) -> MediaError {
    match infer::get(head) {
        Some(kind) if kind.matcher_type() == infer::MatcherType::Video => {
            MediaError::UnsupportedFormat {
                path: path.into(),
                format: format!(
                    "a {} video ({})",
                    kind.extension().to_uppercase(),
                    kind.mime_type()
                ),
                supported: "MP4 with H.264 video",
            }
        }
        Some(kind) => MediaError::NotAVideo {
            path: path.into(),
            detected: Some(format!(
                "a {} file ({})",
                kind.extension().to_uppercase(),
                kind.mime_type()
            )),
        },
        None => MediaError::NotAVideo {
            path: path.into(),
            detected: std::str::from_utf8(head)
                .is_ok()
                .then(|| "text".to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_prefixed_nals_become_start_coded() {
        let sample = [0, 0, 0, 2, 0x65, 0xAA, 0, 0, 0, 1, 0x41];
        assert_eq!(
            to_annex_b(&sample, 4).unwrap(),
            vec![0, 0, 0, 1, 0x65, 0xAA, 0, 0, 0, 1, 0x41]
        );
        assert_eq!(
            to_annex_b(&[0, 3, 1, 2, 3], 2).unwrap(),
            vec![0, 0, 0, 1, 1, 2, 3]
        );
        assert_eq!(to_annex_b(&[0, 0, 0, 9, 1], 4), None);
        assert_eq!(to_annex_b(&[0, 0], 4), None);
    }
}
