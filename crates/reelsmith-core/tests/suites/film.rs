//! Clips and checks shared by the film tests: simulator clips with beeping sound, decoding a
//! whole film with our own demuxer and decoder, and measuring its sound.

use std::path::{Path, PathBuf};

use reelsmith_core::media::Picture;
use reelsmith_core::media::audio::{DecodedSound, decode_track};
use reelsmith_core::media::video::{Demuxer, H264Decoder};
use reelsmith_sim::clip::{ClipSpec, render_clip_with_sound};
use reelsmith_sim::sound::SoundSpec;

/// Writes a simulator clip (pattern frames; beeps at `energy` unless `None`).
pub fn clip(dir: &Path, name: &str, spec: ClipSpec, energy: Option<i16>) -> PathBuf {
    let sound = energy.map(|energy| SoundSpec {
        energy,
        ..SoundSpec::default()
    });
    let path = dir.join(name);
    std::fs::write(
        &path,
        render_clip_with_sound(&spec, None, sound.as_ref()).unwrap(),
    )
    .unwrap();
    path
}

/// Every frame of `path` decoded with our demuxer and decoder, in order.
pub fn decode_all(path: &Path) -> Vec<Picture> {
    let mut demux = Demuxer::open(path).unwrap();
    let mut decoder = H264Decoder::new(path, demux.parameter_sets()).unwrap();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(au) = demux.sample(i).unwrap() {
        if let Some(p) = decoder
            .decode(&au)
            .unwrap_or_else(|e| panic!("frame {i}: {e}"))
        {
            out.push(p);
        }
        i += 1;
    }
    out.extend(decoder.flush().unwrap());
    out
}

/// The sound of `path`, decoded whole with the priming removed.
pub fn sound(path: &Path) -> DecodedSound {
    decode_track(path).unwrap().expect("the film has sound")
}

/// RMS of the sound between two times (seconds).
pub fn rms(sound: &DecodedSound, from: f64, to: f64) -> f64 {
    let ch = usize::from(sound.config.channels);
    let rate = f64::from(sound.config.sample_rate);
    let a = ((from * rate) as usize * ch).min(sound.samples.len());
    let b = ((to * rate) as usize * ch).min(sound.samples.len());
    let s = &sound.samples[a..b];
    if s.is_empty() {
        return 0.0;
    }
    (s.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>() / s.len() as f64).sqrt()
}

/// `ffprobe`'s duration of each stream, when ffprobe is installed.
pub fn ffprobe_durations(path: &Path) -> Option<Vec<(String, f64)>> {
    let out = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type,duration",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "ffprobe failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let (kind, d) = l.split_once(',')?;
                Some((kind.to_string(), d.trim().parse().ok()?))
            })
            .collect(),
    )
}

/// The number of video frames ffprobe decodes, when it is installed.
pub fn ffprobe_frame_count(path: &Path) -> Option<usize> {
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=nb_read_frames", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// Decodes the whole file with ffmpeg (when installed) and returns its complaints.
pub fn ffmpeg_decode_errors(path: &Path) -> Option<String> {
    let out = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "null", "-"])
        .output()
        .ok()?;
    assert!(out.status.success(), "ffmpeg failed on {}", path.display());
    Some(String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A 24 fps pattern clip spec.
pub fn spec(width: u32, height: u32, frames: u32) -> ClipSpec {
    ClipSpec {
        width,
        height,
        fps: 24,
        frames,
    }
}
