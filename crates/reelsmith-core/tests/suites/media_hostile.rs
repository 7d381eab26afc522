//! Crafted files (issue 11, point 4): each is refused by the one media check with a message
//! naming it, quickly, and no other media job (thumbnail, poster, last frame, preview) panics,
//! hangs or reserves gigabytes on it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reelsmith_core::fuzzing::crafted;
use reelsmith_core::media::check::{self, Level, MediaKind};
use reelsmith_core::media::video::{last_frame, poster_frame, probe_video};
use reelsmith_core::media::{MediaError, ThumbnailPool, VideoPreview, inspect, make_thumbnail};
use reelsmith_core::schema::MediaLimits;
use reelsmith_sim::clip::{ClipSpec, render_clip};

/// Far below any deadline: refusing a crafted file is a matter of milliseconds.
const QUICK: Duration = Duration::from_secs(3);

fn clip() -> Vec<u8> {
    render_clip(
        &ClipSpec {
            width: 160,
            height: 96,
            fps: 12,
            frames: 12,
        },
        None,
    )
    .unwrap()
}

fn jpeg_fixtures() -> PathBuf {
    std::path::PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("../jpeg-dc/tests/crafted")
}

/// The crafted JPEGs the DC decoder must refuse (all but its two valid neighbours).
fn refused_jpegs() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(jpeg_fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name != "dc_long_zero_code.jpg" && name != "dri_zero.jpg"
        })
        .collect();
    out.sort();
    assert!(out.len() >= 20, "{out:?}");
    out
}

/// Checks that `inspect` refuses `path` as `kind`, quickly, naming it; returns the error.
fn refused(path: &Path, kind: MediaKind) -> MediaError {
    let start = Instant::now();
    let err = inspect(path, kind).expect_err(&format!("{} was accepted", path.display()));
    assert!(
        start.elapsed() < QUICK,
        "{}: took {:?}",
        path.display(),
        start.elapsed()
    );
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "the message does not name the file: {err}"
    );
    err
}

#[test]
fn every_crafted_jpeg_is_refused_by_the_check_and_its_valid_neighbours_pass() {
    for path in refused_jpegs() {
        let err = refused(&path, MediaKind::Image);
        let checked = check::check_file(&path, MediaKind::Image, &MediaLimits::default(), "x");
        assert!(
            checked.blocks() && checked.inspected.is_none(),
            "{path:?}: {err}"
        );
        // Its thumbnail may fall back to jpeg-decoder and show something, or fail; either way
        // it returns, quickly.
        let start = Instant::now();
        let _ = make_thumbnail(&path, 64);
        assert!(start.elapsed() < QUICK, "{}", path.display());
    }
    for valid in ["dc_long_zero_code.jpg", "dri_zero.jpg"] {
        let path = jpeg_fixtures().join(valid);
        inspect(&path, MediaKind::Image).unwrap_or_else(|e| panic!("{valid}: {e}"));
    }
}

#[test]
fn the_reported_jpeg_passes_the_header_probe_but_not_the_check() {
    // A second frame header after the scan: the probe reads the first and is satisfied.
    let path = jpeg_fixtures().join("second_sof_after_scan.jpg");
    reelsmith_core::media::probe_image(&path).expect("the header looks fine");
    let err = refused(&path, MediaKind::Image);
    assert!(matches!(err, MediaError::Decode { .. }), "{err:?}");
    assert_eq!(err.label(), "does not decode");
}

/// Every hostile MP4, with the name of what it is.
fn hostile_mp4s(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let clip = clip();
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("nested_zero_box", crafted::mp4_nested_zero_box()),
        ("stsz_4gb", crafted::mp4_stsz_4gb(&clip)),
        ("truncated", crafted::mp4_truncated(&clip)),
        ("zero_box_in_stbl", crafted::mp4_zero_box_in_stbl(&clip)),
        ("stsc_zero_samples", crafted::mp4_stsc_zero_samples(&clip)),
        ("chunk_past_end", crafted::mp4_chunk_past_end(&clip)),
        ("stts_count_huge", crafted::mp4_stts_count_huge(&clip)),
    ];
    files
        .into_iter()
        .map(|(name, bytes)| {
            let path = dir.join(format!("{name}.mp4"));
            std::fs::write(&path, bytes).unwrap();
            (name, path)
        })
        .collect()
}

#[test]
fn the_32_byte_mp4_with_a_nested_zero_size_box_is_refused_at_once() {
    let bytes = crafted::mp4_nested_zero_box();
    assert_eq!(bytes.len(), 32);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.mp4");
    std::fs::write(&path, bytes).unwrap();
    let err = refused(&path, MediaKind::Video);
    assert!(
        err.to_string().contains("size 0"),
        "says what is wrong: {err}"
    );
}

#[test]
fn every_hostile_mp4_is_refused_by_every_video_job() {
    let dir = tempfile::tempdir().unwrap();
    for (name, path) in hostile_mp4s(dir.path()) {
        let err = refused(&path, MediaKind::Video);
        let start = Instant::now();
        assert!(probe_video(&path).is_err(), "{name}: probe");
        assert!(poster_frame(&path).is_err(), "{name}: poster");
        assert!(last_frame(&path).is_err(), "{name}: last frame");
        assert!(VideoPreview::open(&path).is_err(), "{name}: preview");
        assert!(start.elapsed() < QUICK, "{name}: {:?}", start.elapsed());
        if name == "truncated" {
            assert!(matches!(err, MediaError::Truncated { .. }), "{err:?}");
        }
        if name == "stsz_4gb" {
            assert!(err.to_string().contains("bytes"), "{err}");
        }
    }
    // Sound boxes, but no frame decodes; and another codec.
    let zeroed = dir.path().join("zeroed.mp4");
    std::fs::write(&zeroed, crafted::mp4_frames_zeroed(&clip())).unwrap();
    probe_video(&zeroed).expect("its structure is fine");
    let err = refused(&zeroed, MediaKind::Video);
    assert!(
        matches!(err.label(), "does not decode" | "damaged file"),
        "{err}"
    );
    let hevc = dir.path().join("hevc.mp4");
    std::fs::write(&hevc, crafted::mp4_as_hevc(&clip())).unwrap();
    let err = refused(&hevc, MediaKind::Video);
    assert!(err.to_string().contains("H.265"), "{err}");
    // And the clip they were made from passes.
    let good = dir.path().join("good.mp4");
    std::fs::write(&good, clip()).unwrap();
    inspect(&good, MediaKind::Video).unwrap();
}

#[test]
fn a_png_declaring_100_megapixels_over_a_few_bytes_is_refused_without_reserving_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.png");
    std::fs::write(&path, crafted::png_huge_declared()).unwrap();
    // Within the 100-megapixel limit, so the header alone does not refuse it.
    let info = reelsmith_core::media::probe_image(&path).unwrap();
    assert_eq!((info.width, info.height), (10_000, 10_000));
    let err = refused(&path, MediaKind::Image);
    assert_eq!(err.label(), "does not decode", "{err}");
    // Its thumbnail is decoded row by row into a small grid, and fails the same way.
    let start = Instant::now();
    assert!(make_thumbnail(&path, 192).is_err());
    assert!(start.elapsed() < QUICK);

    // Over the limit: a decompression bomb, refused from the header.
    let bomb = dir.path().join("bomb.png");
    std::fs::write(&bomb, crafted::png_with_size(30_000, 30_000)).unwrap();
    assert!(matches!(
        refused(&bomb, MediaKind::Image),
        MediaError::DecompressionBomb { .. }
    ));
}

#[test]
fn a_jpeg_whose_exif_directories_loop_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut good = Vec::new();
    image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90]))
        .write_to(
            &mut std::io::Cursor::new(&mut good),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    let path = dir.path().join("loop.jpg");
    std::fs::write(&path, crafted::jpeg_with_exif(&good, &crafted::exif_loop())).unwrap();
    let err = refused(&path, MediaKind::Image);
    assert!(err.to_string().contains("EXIF"), "{err}");
    // With a sound EXIF block the same picture passes.
    let fine = dir.path().join("fine.jpg");
    let tiff = reelsmith_core::media::exif::tiff_with_orientation(6);
    std::fs::write(&fine, crafted::jpeg_with_exif(&good, &tiff)).unwrap();
    let ok = inspect(&fine, MediaKind::Image).unwrap();
    assert_eq!(ok.dims(), Some((48, 64)), "turned upright");
}

#[test]
fn the_thumbnail_pool_survives_every_crafted_file() {
    let dir = tempfile::tempdir().unwrap();
    let pool = ThumbnailPool::new(2, None);
    let png = dir.path().join("huge.png");
    std::fs::write(&png, crafted::png_huge_declared()).unwrap();
    let mut files = refused_jpegs();
    files.push(png);
    let handles: Vec<_> = files.iter().map(|p| pool.request(p, 128)).collect();
    let mut failed = 0;
    for h in handles {
        failed += usize::from(h.wait().is_err());
    }
    assert!(
        failed >= files.len() / 2,
        "{failed} of {} failed",
        files.len()
    );
    assert_eq!(pool.workers(), 2);
    // Still working afterwards.
    let ok = jpeg_fixtures().join("dri_zero.jpg");
    assert!(pool.request(&ok, 64).wait().is_ok());
}

#[test]
fn limits_are_checked_with_one_set_of_levels() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wide.png");
    image::RgbImage::new(400, 100).save(&path).unwrap();
    let limits = MediaLimits {
        min_width: Some(300),
        min_height: Some(300),
        max_width: Some(200),
        max_aspect_ratio: Some(2.0),
        ..MediaLimits::default()
    };
    let checked = check::check_file(&path, MediaKind::Image, &limits, "wide.png");
    let levels: Vec<Level> = checked.problems.iter().map(|p| p.level).collect();
    assert_eq!(
        levels,
        [Level::Block, Level::Reencode, Level::Warn],
        "{checked:#?}"
    );
    assert!(
        checked.problems[0]
            .message
            .starts_with("wide.png is 400×100 px, smaller")
    );
}
