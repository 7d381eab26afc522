//! Opening an MP4 for its sample tables: the H.264 video track and the AAC audio track.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use ::mp4::{MoovBox, Mp4Reader};

use super::table::SampleTable;
use crate::media::audio::AacConfig;

/// A sample bigger than this is not a video frame or an audio frame.
const MAX_SAMPLE_BYTES: u32 = 64 << 20;

/// What went wrong reading an MP4's tables or samples.
#[derive(Debug, thiserror::Error)]
pub enum Mp4Error {
    /// The file could not be read.
    #[error("cannot read {path}: {source}; check that the file exists and is readable")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The file is not an MP4 whose boxes we can read.
    #[error("{path} is not a readable MP4: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
}

/// The H.264 track: its configuration and samples.
#[derive(Debug, Clone)]
pub struct VideoTrackInfo {
    /// Track id in the file.
    pub track_id: u32,
    /// Coded width.
    pub width: u32,
    /// Coded height.
    pub height: u32,
    /// Media timescale (ticks per second).
    pub timescale: u32,
    /// The avcC record (parameter sets, NAL length size).
    pub avcc: super::write::AvcConfigRecord,
    /// The samples.
    pub samples: SampleTable,
    /// Ticks of media skipped at the start by the edit list.
    pub media_start: u64,
}

/// The AAC track: its configuration and samples.
#[derive(Debug, Clone)]
pub struct AudioTrackInfo {
    /// Track id in the file.
    pub track_id: u32,
    /// Sample rate and channels; `Err` says what the sound is when it is not AAC-LC.
    pub config: Result<AacConfig, String>,
    /// Media timescale (usually the sample rate).
    pub timescale: u32,
    /// The samples (one AAC frame each).
    pub samples: SampleTable,
    /// Priming: samples skipped at the start by the edit list (the encoder's delay).
    pub media_start: u64,
    /// How much of the media the edit list presents, in media ticks, when it says.
    pub presented: Option<u64>,
}

/// An open MP4 and its tables.
pub struct Mp4File {
    path: PathBuf,
    file: File,
    size: u64,
    /// The movie timescale.
    pub movie_timescale: u32,
    /// The first H.264 video track.
    pub video: Option<VideoTrackInfo>,
    /// The first audio track.
    pub audio: Option<AudioTrackInfo>,
}

impl std::fmt::Debug for Mp4File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mp4File")
            .field("path", &self.path)
            .field("video", &self.video.as_ref().map(|v| (v.width, v.height)))
            .field("audio", &self.audio.as_ref().map(|a| a.config.clone()))
            .finish()
    }
}

impl Mp4File {
    /// Opens `path` and reads its `moov`; samples are read on demand.
    pub fn open(path: &Path) -> Result<Mp4File, Mp4Error> {
        let io = |source| Mp4Error::Io {
            path: path.into(),
            source,
        };
        let malformed = |reason: String| Mp4Error::Malformed {
            path: path.into(),
            reason,
        };
        let file = File::open(path).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        let header_file = file.try_clone().map_err(io)?;
        // The mp4 crate panics on some malformed tables; a bad file must not take us down.
        let reader = std::panic::catch_unwind(AssertUnwindSafe(|| {
            Mp4Reader::read_header(BufReader::new(header_file), size)
        }))
        .map_err(|_| malformed("its boxes are malformed".into()))?
        .map_err(|e| malformed(e.to_string()))?;
        let moov = reader.moov;
        let movie_timescale = moov.mvhd.timescale.max(1);
        let mut video = None;
        let mut audio = None;
        for (i, trak) in moov.traks.iter().enumerate() {
            let handler = trak.mdia.hdlr.handler_type.to_string();
            if handler == "vide" && video.is_none() && trak.mdia.minf.stbl.stsd.avc1.is_some() {
                video = Some(video_track(&moov, i, size).map_err(malformed)?);
            } else if handler == "soun" && audio.is_none() {
                audio = Some(audio_track(&moov, i, size, movie_timescale).map_err(malformed)?);
            }
        }
        Ok(Mp4File {
            path: path.into(),
            file,
            size,
            movie_timescale,
            video,
            audio,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The bytes of a sample (as stored: length-prefixed NAL units, or one AAC frame).
    pub fn read(&mut self, entry: &super::SampleEntry) -> Result<Vec<u8>, Mp4Error> {
        let mut buf = Vec::new();
        self.read_into(entry, &mut buf)?;
        Ok(buf)
    }

    /// Reads a sample into `buf` (replacing its content).
    pub fn read_into(
        &mut self,
        entry: &super::SampleEntry,
        buf: &mut Vec<u8>,
    ) -> Result<(), Mp4Error> {
        if entry.size > MAX_SAMPLE_BYTES {
            return Err(Mp4Error::Malformed {
                path: self.path.clone(),
                reason: format!("a sample claims {} bytes", entry.size),
            });
        }
        buf.resize(entry.size as usize, 0);
        let io = |source| Mp4Error::Io {
            path: self.path.clone(),
            source,
        };
        self.file.seek(SeekFrom::Start(entry.offset)).map_err(io)?;
        self.file.read_exact(buf).map_err(io)
    }
}

/// The first edit that shows media: (media ticks skipped, presented length in movie ticks).
fn edit_of(moov: &MoovBox, index: usize) -> (u64, Option<u64>) {
    let Some(elst) = moov.traks.get(index).and_then(|t| t.edts.as_ref()) else {
        return (0, None);
    };
    let Some(elst) = elst.elst.as_ref() else {
        return (0, None);
    };
    // An empty edit (media_time -1, read as a huge number) delays the track; skip those.
    let shown = elst
        .entries
        .iter()
        .find(|e| e.media_time < u64::from(u32::MAX) && e.media_time as i64 >= 0);
    match shown {
        Some(e) => (e.media_time, Some(e.segment_duration)),
        None => (0, None),
    }
}

fn video_track(moov: &MoovBox, index: usize, size: u64) -> Result<VideoTrackInfo, String> {
    let trak = &moov.traks[index];
    let stbl = &trak.mdia.minf.stbl;
    let avc1 = stbl.stsd.avc1.as_ref().ok_or("no avc1 entry")?;
    let c = &avc1.avcc;
    let avcc = super::write::AvcConfigRecord {
        profile: c.avc_profile_indication,
        compatibility: c.profile_compatibility,
        level: c.avc_level_indication,
        nal_length_size: (c.length_size_minus_one & 3) + 1,
        sps: c
            .sequence_parameter_sets
            .iter()
            .map(|n| n.bytes.clone())
            .collect(),
        pps: c
            .picture_parameter_sets
            .iter()
            .map(|n| n.bytes.clone())
            .collect(),
    };
    let samples = SampleTable::from_moov(moov, index, size)?;
    Ok(VideoTrackInfo {
        track_id: trak.tkhd.track_id,
        width: u32::from(avc1.width),
        height: u32::from(avc1.height),
        timescale: trak.mdia.mdhd.timescale.max(1),
        avcc,
        samples,
        media_start: edit_of(moov, index).0,
    })
}

fn audio_track(
    moov: &MoovBox,
    index: usize,
    size: u64,
    movie_timescale: u32,
) -> Result<AudioTrackInfo, String> {
    let trak = &moov.traks[index];
    let stbl = &trak.mdia.minf.stbl;
    let config = match &stbl.stsd.mp4a {
        Some(mp4a) => match &mp4a.esds {
            Some(esds) => {
                let d = &esds.es_desc.dec_config.dec_specific;
                AacConfig::from_esds(d.profile, d.freq_index, d.chan_conf)
            }
            None => Err("AAC without its configuration (no esds box)".into()),
        },
        None => Err("sound in a codec other than AAC".into()),
    };
    let samples = SampleTable::from_moov(moov, index, size)?;
    let (media_start, presented_movie) = edit_of(moov, index);
    let timescale = trak.mdia.mdhd.timescale.max(1);
    // The edit's length is in the movie's timescale; the media's is the track's.
    let presented = presented_movie
        .filter(|d| *d > 0)
        .map(|d| (u128::from(d) * u128::from(timescale) / u128::from(movie_timescale)) as u64);
    Ok(AudioTrackInfo {
        track_id: trak.tkhd.track_id,
        config,
        timescale,
        samples,
        media_start,
        presented,
    })
}
