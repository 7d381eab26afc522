//! Exporting films through real files: simulator clips with sound joined into one MP4, read
//! back with our own demuxer, decoder and sound decoder (and ffprobe/ffmpeg when installed).

use std::path::Path;

use crate::film::{
    clip, decode_all, ffmpeg_decode_errors, ffprobe_durations, ffprobe_frame_count, rms, sound,
    spec,
};
use reelsmith_core::film::export::part_path;
use reelsmith_core::film::{
    ExportHandle, ExportRequest, ExportShot, FilmError, FilmSidecar, FrameRange,
};
use reelsmith_core::media::mp4::Mp4File;
use reelsmith_sim::clip::clip_frame;

const FPS: f64 = 24.0;

fn request(shots: Vec<ExportShot>, output: &Path) -> ExportRequest {
    ExportRequest {
        shots,
        output: output.to_path_buf(),
        overwrite: false,
        reencode_all: false,
        storyboard: None,
    }
}

fn shot(path: &Path, trim: Option<(u32, u32)>) -> ExportShot {
    ExportShot {
        path: path.to_path_buf(),
        trim: trim.map(|(start, end)| FrameRange { start, end }),
    }
}

/// Bytes of video sample `i` (decoding order) of a file.
fn sample_bytes(file: &mut Mp4File, i: usize) -> Vec<u8> {
    let entry = file.video.as_ref().unwrap().samples.samples[i];
    file.read(&entry).unwrap()
}

fn beep_expected(source_secs: f64) -> bool {
    source_secs.rem_euclid(1.0) < 0.5
}

#[test]
fn three_clips_two_alike_one_smaller_join_with_sound_in_sync() {
    let dir = tempfile::tempdir().unwrap();
    // A and B share their parameters (and sound); C is smaller and silent.
    let a = clip(dir.path(), "a.mp4", spec(320, 176, 120), Some(80));
    let b = clip(dir.path(), "b.mp4", spec(320, 176, 96), Some(72));
    let c = clip(dir.path(), "c.mp4", spec(256, 144, 36), None);
    let out = dir.path().join("film.mp4");
    // A's key frames are 0, 48, 96: 6..48 and 96..100 are re-encoded, 48..96 copied.
    let shots = vec![
        shot(&a, Some((6, 100))),
        shot(&b, Some((48, 96))),
        shot(&c, None),
    ];
    let report = ExportHandle::start(request(shots, &out)).wait().unwrap();
    let total_frames = 94 + 48 + 36;
    assert_eq!(report.stats.frames_copied, 48 + 48);
    assert_eq!(report.stats.frames_encoded, 42 + 4 + 36);
    assert!(!part_path(&out).exists());

    // Duration: the sum of the trims, and the sound as long as the picture (within a frame).
    let mut film = Mp4File::open(&out).unwrap();
    let video = film.video.clone().unwrap();
    assert_eq!(video.samples.len(), total_frames);
    let video_secs = video.samples.total_duration() as f64 / f64::from(video.timescale);
    assert!(
        (video_secs - total_frames as f64 / FPS).abs() < 1e-9,
        "{video_secs}"
    );
    let film_sound = sound(&out);
    assert!(
        (film_sound.duration_secs() - video_secs).abs() < 1.0 / FPS,
        "sound {} s, picture {video_secs} s",
        film_sound.duration_secs()
    );
    assert!((report.duration_secs - video_secs).abs() < 1e-9);

    // Copied groups are byte for byte the sources'.
    let mut fa = Mp4File::open(&a).unwrap();
    let mut fb = Mp4File::open(&b).unwrap();
    for i in 0..48 {
        assert_eq!(
            sample_bytes(&mut film, 42 + i),
            sample_bytes(&mut fa, 48 + i),
            "A {i}"
        );
        assert_eq!(
            sample_bytes(&mut film, 94 + i),
            sample_bytes(&mut fb, 48 + i),
            "B {i}"
        );
    }

    // Our own demuxer and decoder read it end to end, each frame the right source frame.
    let pictures = decode_all(&out);
    assert_eq!(pictures.len(), total_frames);
    let close = |p: &reelsmith_core::media::Picture, clip: &reelsmith_sim::clip::ClipSpec, f| {
        p.mean_abs_error_rgb(&clip_frame(clip, None, f)).unwrap() < 8.0
    };
    let sa = spec(320, 176, 120);
    let sb = spec(320, 176, 96);
    for (film_frame, source_frame) in [(0, 6), (41, 47), (42, 48), (93, 99)] {
        assert!(
            close(&pictures[film_frame], &sa, source_frame),
            "film {film_frame}"
        );
    }
    for (film_frame, source_frame) in [(94, 48), (141, 95)] {
        assert!(
            close(&pictures[film_frame], &sb, source_frame),
            "film {film_frame}"
        );
    }
    // C is fitted into the film's size (letterboxed to keep its shape).
    assert_eq!((pictures[142].width, pictures[142].height), (320, 176));

    // Sound stays with the picture across the cuts: the beeps are where each shot's clip had
    // them, and shot C is silent for exactly its length.
    let shot_a = (0.0, 94.0 / FPS, 6.0 / FPS);
    let shot_b = (94.0 / FPS, 142.0 / FPS, 48.0 / FPS);
    let shot_c = (142.0 / FPS, total_frames as f64 / FPS);
    let frame = 1.0 / FPS;
    let mut checked = 0;
    for (from, to, source_in) in [shot_a, shot_b] {
        let mut t = from + frame;
        while t + 0.01 < to - frame {
            let s = t - from + source_in;
            // Skip windows within a frame of a beep edge.
            let phase = s.rem_euclid(0.5);
            if phase > frame && phase < 0.5 - frame {
                let level = rms(&film_sound, t, t + 0.01);
                if beep_expected(s) {
                    assert!(
                        level > 0.02,
                        "no beep at film {t:.3} s (clip {s:.3} s): {level}"
                    );
                } else {
                    assert!(
                        level < 0.002,
                        "sound at film {t:.3} s (clip {s:.3} s): {level}"
                    );
                }
                checked += 1;
            }
            t += 0.01;
        }
    }
    assert!(checked > 300, "{checked}");
    // Silence: after the overlap of one AAC frame from B's last beep.
    let silent = rms(&film_sound, shot_c.0 + 0.03, shot_c.1);
    assert_eq!(silent, 0.0, "shot C should be silent");
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("shot 3 is silent")),
        "{:?}",
        report.warnings
    );

    // ffprobe and ffmpeg agree, when installed.
    match ffprobe_durations(&out) {
        Some(streams) => {
            let get = |k: &str| {
                streams
                    .iter()
                    .find(|(kind, _)| kind == k)
                    .map(|s| s.1)
                    .unwrap()
            };
            assert!((get("video") - video_secs).abs() < 1.0 / FPS, "{streams:?}");
            assert!((get("audio") - video_secs).abs() < 1.0 / FPS, "{streams:?}");
            assert_eq!(ffprobe_frame_count(&out), Some(total_frames));
            let errors = ffmpeg_decode_errors(&out).unwrap_or_default();
            assert!(errors.trim().is_empty(), "ffmpeg: {errors}");
        }
        None => eprintln!("note: ffprobe is not installed; the ffprobe check was skipped"),
    }

    // The sidecar records every shot, its trim and how it was made.
    let sidecar = FilmSidecar::read(&report.sidecar).unwrap();
    assert_eq!(sidecar.shots.len(), 3);
    assert_eq!(sidecar.shots[0].trim, FrameRange { start: 6, end: 100 });
    assert_eq!(sidecar.shots[1].frames_copied, 48);
    assert!(
        sidecar.shots[2]
            .reencoded_because
            .as_deref()
            .unwrap()
            .contains("256×144")
    );
    assert_eq!(sidecar.file, "film.mp4");
}

#[test]
fn clips_cut_on_key_frames_are_copied_whole() {
    let dir = tempfile::tempdir().unwrap();
    let a = clip(dir.path(), "a.mp4", spec(320, 176, 96), Some(80));
    let b = clip(dir.path(), "b.mp4", spec(320, 176, 72), Some(80));
    let out = dir.path().join("copy.mp4");
    let report = ExportHandle::start(request(vec![shot(&a, None), shot(&b, Some((0, 48)))], &out))
        .wait()
        .unwrap();
    assert_eq!(report.stats.frames_encoded, 0);
    let mut film = Mp4File::open(&out).unwrap();
    let mut fa = Mp4File::open(&a).unwrap();
    let mut fb = Mp4File::open(&b).unwrap();
    for i in 0..96 {
        assert_eq!(sample_bytes(&mut film, i), sample_bytes(&mut fa, i));
    }
    for i in 0..48 {
        assert_eq!(sample_bytes(&mut film, 96 + i), sample_bytes(&mut fb, i));
    }
    // One SPS and PPS (they are the same in both clips).
    let avcc = &film.video.as_ref().unwrap().avcc;
    assert_eq!((avcc.sps.len(), avcc.pps.len()), (1, 1));
    assert_eq!(decode_all(&out).len(), 144);
    let s = sound(&out);
    assert!((s.duration_secs() - 6.0).abs() < 1e-3);
    // Sound frames copied except the priming frame and the last partial one.
    assert!(report.stats.sound_silent <= 2, "{:?}", report.stats);
}

#[test]
fn an_existing_film_is_not_overwritten_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let a = clip(dir.path(), "a.mp4", spec(64, 48, 24), Some(80));
    let out = dir.path().join("taken.mp4");
    std::fs::write(&out, b"keep me").unwrap();
    let err = ExportHandle::start(request(vec![shot(&a, None)], &out))
        .wait()
        .unwrap_err();
    assert!(matches!(err, FilmError::Exists(_)), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), b"keep me");
    let mut again = request(vec![shot(&a, None)], &out);
    again.overwrite = true;
    ExportHandle::start(again).wait().unwrap();
    assert_eq!(
        Mp4File::open(&out).unwrap().video.unwrap().samples.len(),
        24
    );
}

#[test]
fn a_cancelled_export_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let a = clip(dir.path(), "a.mp4", spec(320, 176, 240), Some(80));
    let out = dir.path().join("cancelled.mp4");
    let mut req = request(vec![shot(&a, None)], &out);
    req.reencode_all = true;
    let handle = ExportHandle::start(req);
    // Wait until it is under way, then cancel.
    let started = std::time::Instant::now();
    while handle.progress().frames_done == 0 && started.elapsed().as_secs() < 20 {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let p = handle.progress();
    assert_eq!(p.frames_total, 240);
    handle.cancel();
    let err = handle.wait().unwrap_err();
    assert!(matches!(err, FilmError::Cancelled), "{err}");
    assert!(!out.exists());
    assert!(!part_path(&out).exists());
    assert!(!reelsmith_core::library::sidecar_path(&out).exists());
}

#[test]
fn a_bad_trim_names_the_clip() {
    let dir = tempfile::tempdir().unwrap();
    let a = clip(dir.path(), "short.mp4", spec(64, 48, 24), None);
    let out = dir.path().join("x.mp4");
    let err = ExportHandle::start(request(vec![shot(&a, Some((10, 30)))], &out))
        .wait()
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("short.mp4") && text.contains("24 frames"),
        "{text}"
    );
    assert!(!out.exists());
}
