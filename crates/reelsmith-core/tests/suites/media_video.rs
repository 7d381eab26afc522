//! Video probing, poster and last frames, limit checks and the preview player, on MP4s made by
//! the simulator's clip maker (real H.264 via OpenH264, muxed with the mp4 crate).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use image::{Rgb, RgbImage};
use reelsmith_core::media::video::{
    cached_last_frame, cached_poster, frame_at, last_frame, poster_frame,
};
use reelsmith_core::media::{
    MediaError, Picture, ThumbCache, VideoPreview, check_video, probe_image, probe_video,
};
use reelsmith_core::schema::MediaLimits;
use reelsmith_sim::clip::{ClipSpec, clip_frame, render_clip};

/// Largest mean absolute error per channel accepted between a decoded frame and its source
/// (H.264 is lossy; a wrong frame of these clips is off by far more).
const TOLERANCE: f64 = 6.0;

const SPEC: ClipSpec = ClipSpec {
    width: 320,
    height: 176,
    fps: 24,
    frames: 60,
};

fn write_clip(dir: &Path, name: &str, spec: &ClipSpec, source: Option<&RgbImage>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, render_clip(spec, source).unwrap()).unwrap();
    path
}

fn source_photo() -> RgbImage {
    RgbImage::from_fn(640, 360, |x, y| {
        Rgb([
            (x * 255 / 640) as u8,
            (y * 255 / 360) as u8,
            (((x / 40) + (y / 40)) % 2 * 200) as u8,
        ])
    })
}

fn mae(p: &Picture, reference: &RgbImage) -> f64 {
    p.mean_abs_error_rgb(reference).expect("same size")
}

#[test]
fn probe_reads_duration_resolution_and_frame_rate() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_clip(dir.path(), "clip.mp4", &SPEC, None);
    let info = probe_video(&path).unwrap();
    assert_eq!((info.width, info.height, info.frame_count), (320, 176, 60));
    assert!((info.fps - 24.0).abs() < 0.01, "{}", info.fps);
    assert!(
        (info.duration_secs - 2.5).abs() < 0.01,
        "{}",
        info.duration_secs
    );
    assert_eq!(info.file_size, std::fs::metadata(&path).unwrap().len());
    // As an image it is refused, naming what it is.
    let err = probe_image(&path).unwrap_err();
    assert!(
        matches!(&err, MediaError::NotAnImage { detected: Some(d), .. } if d.contains("MP4")),
        "{err:?}"
    );
}

#[test]
fn poster_and_last_frame_decode_to_the_pictures_they_were_made_from() {
    let dir = tempfile::tempdir().unwrap();
    let photo = source_photo();
    for (name, source) in [("pattern.mp4", None), ("pan.mp4", Some(&photo))] {
        let path = write_clip(dir.path(), name, &SPEC, source);
        let first = clip_frame(&SPEC, source, 0);
        let last = clip_frame(&SPEC, source, SPEC.frames - 1);

        let poster = poster_frame(&path).unwrap();
        assert_eq!((poster.width, poster.height), (320, 176));
        let e = mae(&poster, &first);
        assert!(e < TOLERANCE, "{name}: poster differs from frame 0 by {e}");

        let end = last_frame(&path).unwrap();
        let e = mae(&end, &last);
        assert!(e < TOLERANCE, "{name}: last frame differs by {e}");
        // And it really is the last frame, not the first one again.
        assert!(
            mae(&end, &first) > e + 1.0,
            "{name}: first and last frames are indistinguishable"
        );

        // A frame after the second key frame (at 48) and one before it.
        for index in [53, 30] {
            let t = f64::from(index) / 24.0 + 0.01;
            let f = frame_at(&path, t).unwrap();
            let e = mae(&f, &clip_frame(&SPEC, source, index));
            assert!(e < TOLERANCE, "{name}: frame {index} differs by {e}");
        }
    }
}

#[test]
fn poster_and_last_frame_are_cached_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_clip(dir.path(), "clip.mp4", &SPEC, None);
    let cache = ThumbCache::new(dir.path().join("cache")).unwrap();
    let poster = cached_poster(&path, &cache).unwrap();
    assert_eq!(poster, poster_frame(&path).unwrap());
    let last = cached_last_frame(&path, &cache).unwrap();
    assert_ne!(poster, last);
    let hash = blake3::hash(&std::fs::read(&path).unwrap())
        .to_hex()
        .to_string();
    assert_eq!(cache.get(&format!("{hash}-poster")).unwrap(), poster);
    // Served from the cache from now on (a marker planted there comes back).
    let marker = Picture {
        width: 1,
        height: 1,
        rgba: vec![9, 8, 7, 255],
    };
    cache.put(&format!("{hash}-last"), &marker).unwrap();
    assert_eq!(cached_last_frame(&path, &cache).unwrap(), marker);
}

#[test]
fn check_video_lists_every_broken_limit() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_clip(dir.path(), "clip.mp4", &SPEC, None);
    let ok = MediaLimits {
        min_duration: Some(1.0),
        max_duration: Some(10.0),
        min_fps: Some(16.0),
        max_fps: Some(30.0),
        max_width: Some(1920),
        max_file_size: Some(50_000_000),
        ..MediaLimits::default()
    };
    let checked = check_video(&path, &ok).unwrap();
    assert_eq!(checked.info.frame_count, 60);
    assert!(checked.warnings.is_empty());

    let strict = MediaLimits {
        min_duration: Some(3.0),
        max_fps: Some(20.0),
        min_width: Some(480),
        max_file_size: Some(100),
        ..MediaLimits::default()
    };
    let err = check_video(&path, &strict).unwrap_err();
    let MediaError::VideoOutOfLimits { problems, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(problems.len(), 4, "{problems:?}");
    let msg = err.to_string();
    for needle in [
        "clip.mp4",
        "2.50 s, shorter than the minimum 3 s",
        "24.00 fps, above the maximum 20 fps",
        "320×176 px, smaller",
        "over the field's 100 bytes file limit",
    ] {
        assert!(msg.contains(needle), "{needle:?} missing from {msg}");
    }

    let wide = MediaLimits {
        max_aspect_ratio: Some(1.5),
        ..MediaLimits::default()
    };
    let checked = check_video(&path, &wide).unwrap();
    assert!(
        checked.warnings[0].contains("crop"),
        "{:?}",
        checked.warnings
    );
}

#[test]
fn what_is_not_a_playable_mp4_gets_the_right_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.mp4");
    std::fs::write(&text, "not a video at all\n").unwrap();
    let err = probe_video(&text).unwrap_err();
    assert!(
        matches!(&err, MediaError::NotAVideo { detected: Some(d), .. } if d == "text"),
        "{err:?}"
    );
    assert!(err.to_string().contains("notes.mp4"));

    let empty = dir.path().join("empty.mp4");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(probe_video(&empty), Err(MediaError::Empty { .. })));

    let jpeg = dir.path().join("photo.mp4");
    source_photo()
        .save_with_format(&jpeg, image::ImageFormat::Jpeg)
        .unwrap();
    let err = probe_video(&jpeg).unwrap_err();
    assert!(
        matches!(&err, MediaError::NotAVideo { detected: Some(d), .. } if d.contains("JPG")),
        "{err:?}"
    );

    let full = render_clip(&SPEC, None).unwrap();
    let cut = dir.path().join("cut.mp4");
    std::fs::write(&cut, &full[..full.len() / 2]).unwrap();
    let err = probe_video(&cut).unwrap_err();
    assert!(
        matches!(err, MediaError::Truncated { format: "MP4", .. }),
        "{err:?}"
    );
    assert!(poster_frame(&cut).is_err());
}

/// Waits until `cond` holds on the preview, or fails after a few seconds.
fn wait_for(preview: &VideoPreview, what: &str, cond: impl Fn(&VideoPreview) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond(preview) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn shown(p: &VideoPreview) -> Option<u32> {
    p.latest_frame().map(|f| f.index)
}

#[test]
fn preview_plays_at_the_clip_rate_pauses_and_scrubs() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_clip(dir.path(), "clip.mp4", &SPEC, None);
    let (tx, rx) = std::sync::mpsc::channel();
    let preview = VideoPreview::open_with_notify(&path, move || {
        let _ = tx.send(());
    })
    .unwrap();
    assert_eq!(preview.info().frame_count, 60);
    rx.recv_timeout(Duration::from_secs(10))
        .expect("first frame notified");
    wait_for(&preview, "the first frame", |p| shown(p) == Some(0));
    let first = preview.latest_frame().unwrap();
    assert!(mae(&first.picture, &clip_frame(&SPEC, None, 0)) < TOLERANCE);
    assert!(!preview.is_playing());

    // Play about half a second: at 24 fps that is about 12 frames.
    let started = Instant::now();
    preview.play().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let index = shown(&preview).unwrap();
    let due = (started.elapsed().as_secs_f64() * 24.0).ceil() as u32;
    assert!(
        (4..=due + 1).contains(&index),
        "after 0.5 s showing frame {index}, due {due}"
    );
    assert!(preview.is_playing());

    preview.pause().unwrap();
    wait_for(&preview, "pause", |p| !p.is_playing());
    let paused_at = shown(&preview).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(shown(&preview), Some(paused_at));

    // Scrub forward past a key frame, then back.
    for index in [53u32, 10] {
        preview.seek(f64::from(index) / 24.0 + 0.01).unwrap();
        wait_for(&preview, "the seek", |p| shown(p) == Some(index));
        let f = preview.latest_frame().unwrap();
        let e = mae(&f.picture, &clip_frame(&SPEC, None, index));
        assert!(e < TOLERANCE, "frame {index} differs by {e}");
        assert!((f.time_secs - f64::from(index) / 24.0).abs() < 1e-9);
    }

    // Played to the end without looping, it stops on the last frame.
    preview.seek(2.3).unwrap();
    preview.play().unwrap();
    wait_for(&preview, "the end", |p| {
        shown(p) == Some(59) && !p.is_playing()
    });
    let end = preview.latest_frame().unwrap();
    assert!(mae(&end.picture, &clip_frame(&SPEC, None, 59)) < TOLERANCE);
    let generation = preview.generation();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(preview.generation(), generation);

    // With looping on it wraps around to the start.
    preview.set_looping(true).unwrap();
    preview.play().unwrap();
    preview.seek(2.4).unwrap();
    wait_for(&preview, "the end again", |p| {
        shown(p).is_some_and(|i| i >= 57)
    });
    wait_for(&preview, "a loop", |p| {
        shown(p).is_some_and(|i| i < 20) && p.is_playing()
    });
    // Dropping the preview stops and joins its thread.
    drop(preview);
}
