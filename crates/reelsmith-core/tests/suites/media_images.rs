//! Probing, thumbnails, the worker pool and upload preparation on pictures the tests make.

use std::path::{Path, PathBuf};
use std::time::Duration;

use image::{Rgb, RgbImage, Rgba, RgbaImage};
use reelsmith_core::media::exif::tiff_with_orientation;
use reelsmith_core::media::{
    ImageFormat, MediaError, Orientation, ThumbCache, ThumbnailPool, cached_thumbnail,
    make_thumbnail, probe_image,
};

const RED: [u8; 3] = [230, 20, 20];
const GREEN: [u8; 3] = [20, 210, 20];
const BLUE: [u8; 3] = [20, 20, 230];
const YELLOW: [u8; 3] = [235, 235, 20];

/// A picture with four coloured quadrants (TL red, TR green, BL blue, BR yellow).
fn quadrants(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        Rgb(match (x < w / 2, y < h / 2) {
            (true, true) => RED,
            (false, true) => GREEN,
            (true, false) => BLUE,
            (false, false) => YELLOW,
        })
    })
}

/// A picture with fine detail everywhere (so JPEG has real work to do).
fn detailed(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let v = (x * 7 + y * 13) ^ (x * y / 97);
        Rgb([
            (v % 251) as u8,
            ((x / 3 + y) % 256) as u8,
            ((y * 3 + v / 5) % 256) as u8,
        ])
    })
}

fn jpeg_bytes(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .unwrap();
    out
}

/// Inserts an APP1 Exif segment carrying `orientation` right after the SOI marker.
fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    assert_eq!(&jpeg[0..2], &[0xFF, 0xD8]);
    let mut body = b"Exif\0\0".to_vec();
    body.extend_from_slice(&tiff_with_orientation(orientation));
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&body);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn close(a: [u8; 4], b: [u8; 3]) -> bool {
    (0..3).all(|i| a[i].abs_diff(b[i]) <= 40)
}

#[test]
fn jpeg_with_every_exif_orientation_probes_and_thumbnails_upright() {
    let dir = tempfile::tempdir().unwrap();
    let plain = jpeg_bytes(&quadrants(64, 48), 95);
    // Displayed top-left and top-right colours for orientations 1..=8 of the stored quadrants.
    let expected = [
        (RED, GREEN),
        (GREEN, RED),
        (YELLOW, BLUE),
        (BLUE, YELLOW),
        (RED, BLUE),
        (BLUE, RED),
        (YELLOW, GREEN),
        (GREEN, YELLOW),
    ];
    for v in 1..=8u16 {
        let path = write(
            dir.path(),
            &format!("o{v}.jpg"),
            &with_exif_orientation(&plain, v),
        );
        let info = probe_image(&path).unwrap();
        assert_eq!(info.format, ImageFormat::Jpeg);
        assert_eq!(info.orientation, Orientation::from_exif(v).unwrap());
        assert_eq!((info.stored_width, info.stored_height), (64, 48));
        let want = if v >= 5 { (48, 64) } else { (64, 48) };
        assert_eq!((info.width, info.height), want, "orientation {v}");

        let thumb = make_thumbnail(&path, 32).unwrap();
        let want_thumb = if v >= 5 { (24, 32) } else { (32, 24) };
        assert_eq!((thumb.width, thumb.height), want_thumb, "orientation {v}");
        let (tl, tr) = expected[usize::from(v) - 1];
        let got_tl = thumb.pixel(1, 1).unwrap();
        let got_tr = thumb.pixel(thumb.width - 2, 1).unwrap();
        assert!(
            close(got_tl, tl),
            "orientation {v}: top-left {got_tl:?}, want {tl:?}"
        );
        assert!(
            close(got_tr, tr),
            "orientation {v}: top-right {got_tr:?}, want {tr:?}"
        );
    }
}

#[test]
fn dct_scaled_jpeg_thumbnails_match_a_full_decode_resize() {
    let dir = tempfile::tempdir().unwrap();
    // Smooth content, so the comparison measures scaling errors rather than aliasing.
    let img = RgbImage::from_fn(2400, 1800, |x, y| {
        Rgb([(x / 10) as u8, (y / 8) as u8, ((x + y) / 17) as u8])
    });
    let path = write(dir.path(), "big.jpg", &jpeg_bytes(&img, 90));
    // 256 px comes from the 1/8 (DC-only) decode, 500 px from jpeg-decoder's 1/2 scale.
    for (side, want) in [(256, (256, 192)), (500, (500, 375))] {
        let thumb = make_thumbnail(&path, side).unwrap();
        assert_eq!((thumb.width, thumb.height), want);
        let reference = image::imageops::thumbnail(&img, want.0, want.1);
        let mae = thumb.mean_abs_error_rgb(&reference).unwrap();
        assert!(mae < 3.0, "{side} px: mean absolute error {mae}");
    }
}

#[test]
fn png_and_webp_probe_and_thumbnail() {
    let dir = tempfile::tempdir().unwrap();
    let rgba = RgbaImage::from_fn(300, 200, |x, y| {
        Rgba([
            (x % 256) as u8,
            (y % 256) as u8,
            90,
            if x < 150 { 255 } else { 128 },
        ])
    });
    let png = dir.path().join("a.png");
    rgba.save_with_format(&png, image::ImageFormat::Png)
        .unwrap();
    let info = probe_image(&png).unwrap();
    assert_eq!(
        (info.format, info.width, info.height),
        (ImageFormat::Png, 300, 200)
    );
    let t = make_thumbnail(&png, 100).unwrap();
    assert_eq!((t.width, t.height), (100, 67));
    assert_eq!(t.pixel(10, 30).unwrap()[3], 255);
    assert!(t.pixel(90, 30).unwrap()[3].abs_diff(128) <= 2);

    // A WebP saved with a misleading extension: the content decides.
    let webp = dir.path().join("really-webp.jpg");
    let rgb = detailed(120, 80);
    let mut bytes = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut bytes)
        .encode(rgb.as_raw(), 120, 80, image::ExtendedColorType::Rgb8)
        .unwrap();
    std::fs::write(&webp, &bytes).unwrap();
    let info = probe_image(&webp).unwrap();
    assert_eq!(
        (info.format, info.width, info.height),
        (ImageFormat::WebP, 120, 80)
    );
    let t = make_thumbnail(&webp, 60).unwrap();
    assert_eq!((t.width, t.height), (60, 40));
    // A picture smaller than the requested size keeps its own.
    let t = make_thumbnail(&webp, 500).unwrap();
    assert_eq!((t.width, t.height), (120, 80));
    assert_eq!(t.pixel(5, 7).unwrap()[..3], rgb.get_pixel(5, 7).0);
}

#[test]
fn truncated_jpeg_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let full = jpeg_bytes(&detailed(400, 300), 90);
    for (name, cut) in [
        ("half.jpg", full.len() / 2),
        ("head.jpg", 100),
        ("nearly.jpg", full.len() - 2),
    ] {
        let path = write(dir.path(), name, &full[..cut]);
        let err = probe_image(&path).unwrap_err();
        assert!(
            matches!(err, MediaError::Truncated { format: "JPEG", .. }),
            "{name}: {err:?}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains(name) && msg.contains("download it again"),
            "{msg}"
        );
        assert!(matches!(
            make_thumbnail(&path, 64),
            Err(MediaError::Truncated { .. })
        ));
    }
}

#[test]
fn text_named_png_empty_file_and_gif_get_the_right_errors() {
    let dir = tempfile::tempdir().unwrap();
    let text = write(
        dir.path(),
        "notes.png",
        b"shopping list: eggs, milk, film\n",
    );
    let err = probe_image(&text).unwrap_err();
    assert!(
        matches!(&err, MediaError::NotAnImage { detected: Some(d), .. } if d == "text"),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("notes.png")
            && msg.contains("not an image")
            && msg.contains("JPEG, PNG or WebP"),
        "{msg}"
    );

    let empty = write(dir.path(), "empty.jpg", b"");
    let err = probe_image(&empty).unwrap_err();
    assert!(matches!(err, MediaError::Empty { .. }), "{err:?}");
    assert!(err.to_string().contains("empty.jpg"));
    assert!(matches!(
        make_thumbnail(&empty, 64),
        Err(MediaError::Empty { .. })
    ));

    let gif = write(dir.path(), "anim.png", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;");
    let err = probe_image(&gif).unwrap_err();
    assert!(
        matches!(&err, MediaError::UnsupportedFormat { format, .. } if format.contains("GIF")),
        "{err:?}"
    );
    assert!(err.to_string().contains("convert it to JPEG, PNG or WebP"));
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    c.extend_from_slice(kind);
    c.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    c.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    c
}

#[test]
fn a_header_declaring_30000_by_30000_is_a_decompression_bomb() {
    let dir = tempfile::tempdir().unwrap();
    // PNG: a valid signature and IHDR for 30000×30000 RGB, a tiny IDAT, IEND.
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&30000u32.to_be_bytes());
    ihdr.extend_from_slice(&30000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(png_chunk(b"IHDR", &ihdr));
    png.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    png.extend(png_chunk(b"IEND", &[]));
    let png_path = write(dir.path(), "bomb.png", &png);

    // JPEG: a real small JPEG whose frame header is rewritten to 30000×30000.
    let mut jpeg = jpeg_bytes(&detailed(64, 64), 80);
    let sof = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("baseline SOF0");
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0x75, 0x30, 0x75, 0x30]);
    let jpeg_path = write(dir.path(), "bomb.jpg", &jpeg);

    for path in [png_path, jpeg_path] {
        let err = probe_image(&path).unwrap_err();
        assert!(
            matches!(
                err,
                MediaError::DecompressionBomb {
                    width: 30000,
                    height: 30000,
                    ..
                }
            ),
            "{}: {err:?}",
            path.display()
        );
        assert!(
            err.to_string().contains("30000×30000") && err.to_string().contains("scale it down")
        );
        // The thumbnailer refuses it too, before allocating anything.
        assert!(matches!(
            make_thumbnail(&path, 256),
            Err(MediaError::DecompressionBomb { .. })
        ));
    }
}

#[test]
fn pool_skips_cancelled_requests_and_caches_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let slow = dir.path().join("slow.png");
    detailed(2400, 1800)
        .save_with_format(&slow, image::ImageFormat::Png)
        .unwrap();
    let small = write(dir.path(), "small.jpg", &jpeg_bytes(&quadrants(80, 60), 90));
    let cache = ThumbCache::new(dir.path().join("cache")).unwrap();

    let pool = ThumbnailPool::new(1, Some(cache.clone()));
    let first = pool.request(&slow, 128);
    // Queued behind the slow one, then given up on: dropped or cancelled.
    for _ in 0..3 {
        drop(pool.request(&small, 64));
    }
    let cancelled = pool.request(&small, 64);
    cancelled.cancel();
    let (tx, rx) = std::sync::mpsc::channel();
    let last = pool.request_notify(&small, 64, move || tx.send(()).unwrap());
    assert_eq!(first.wait().unwrap().width, 128);
    let t = last.wait().unwrap();
    assert_eq!((t.width, t.height), (64, 48));
    rx.recv_timeout(Duration::from_secs(5)).expect("notified");
    assert!(matches!(
        cancelled.try_take(),
        Some(Err(MediaError::Cancelled { .. }))
    ));
    let stats = pool.stats();
    assert_eq!((stats.ran, stats.skipped), (2, 4), "{stats:?}");
    drop(pool);

    // The cache holds both thumbnails, keyed by content; a hit is served from disk.
    let key = ThumbCache::key(&std::fs::read(&small).unwrap(), "thumb64");
    assert_eq!(cache.get(&key).unwrap(), t);
    let marker = reelsmith_core::media::Picture {
        width: 2,
        height: 1,
        rgba: vec![1, 2, 3, 255, 4, 5, 6, 255],
    };
    cache.put(&key, &marker).unwrap();
    assert_eq!(cached_thumbnail(&small, 64, &cache).unwrap(), marker);
    // Same content under another name hits too; other content misses.
    let copy = write(dir.path(), "copy.jpg", &std::fs::read(&small).unwrap());
    assert_eq!(cached_thumbnail(&copy, 64, &cache).unwrap(), marker);
    let other = write(dir.path(), "other.jpg", &jpeg_bytes(&quadrants(80, 61), 90));
    assert_eq!(cached_thumbnail(&other, 64, &cache).unwrap().height, 49);
}

#[test]
fn dropping_the_pool_answers_queued_requests() {
    let dir = tempfile::tempdir().unwrap();
    let slow = dir.path().join("slow.png");
    detailed(2000, 1500)
        .save_with_format(&slow, image::ImageFormat::Png)
        .unwrap();
    let pool = ThumbnailPool::new(1, None);
    let handles: Vec<_> = (0..4).map(|_| pool.request(&slow, 64)).collect();
    drop(pool);
    let outcomes: Vec<_> = handles.into_iter().map(|h| h.wait()).collect();
    assert!(
        outcomes
            .iter()
            .any(|o| matches!(o, Err(MediaError::Cancelled { .. })))
    );
}

fn limits(
    f: impl FnOnce(&mut reelsmith_core::schema::MediaLimits),
) -> reelsmith_core::schema::MediaLimits {
    let mut l = reelsmith_core::schema::MediaLimits::default();
    f(&mut l);
    l
}

fn assert_same_aspect(w: u32, h: u32, tw: u32, th: u32) {
    // The re-encoded height must be what the width implies, within a pixel of rounding.
    let implied = f64::from(tw) * f64::from(h) / f64::from(w);
    assert!(
        (f64::from(th) - implied).abs() <= 1.0,
        "{w}×{h} became {tw}×{th}"
    );
}

#[test]
fn an_image_over_the_dimension_limit_comes_out_under_it_with_the_same_aspect() {
    use reelsmith_core::media::prepare_image;
    let dir = tempfile::tempdir().unwrap();
    let scratch = dir.path().join("scratch");
    let original = jpeg_bytes(&detailed(3000, 2000), 92);
    let path = write(dir.path(), "wide.jpg", &original);
    let l = limits(|l| {
        l.max_width = Some(1024);
        l.max_height = Some(1024);
        l.min_width = Some(300);
        l.min_height = Some(300);
    });
    let p = prepare_image(&path, &l, &scratch).unwrap();
    assert!(p.path.starts_with(&scratch), "{}", p.path.display());
    let info = probe_image(&p.path).unwrap();
    assert_eq!(info.format, ImageFormat::Jpeg);
    assert_eq!((info.width, info.height), (1024, 683));
    assert_eq!((p.width, p.height, p.mime_type), (1024, 683, "image/jpeg"));
    assert_same_aspect(3000, 2000, info.width, info.height);
    assert_eq!(p.notes.len(), 1, "{:?}", p.notes);
    assert!(
        p.notes[0].contains("wide.jpg") && p.notes[0].contains("1024×683"),
        "{}",
        p.notes[0]
    );
    assert!(p.warnings.is_empty());
    // The original is untouched.
    assert_eq!(std::fs::read(&path).unwrap(), original);
}

#[test]
fn an_image_over_the_file_size_limit_is_reencoded_under_it() {
    use reelsmith_core::media::prepare_image;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("noisy.png");
    detailed(1500, 1000)
        .save_with_format(&path, image::ImageFormat::Png)
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    let max = 150_000u64;
    assert!(before.len() as u64 > max);
    let p = prepare_image(&path, &limits(|l| l.max_file_size = Some(max)), dir.path()).unwrap();
    let size = std::fs::metadata(&p.path).unwrap().len();
    assert!(size <= max, "{size} bytes");
    let info = probe_image(&p.path).unwrap();
    assert_eq!(info.format, ImageFormat::Jpeg);
    assert_same_aspect(1500, 1000, info.width, info.height);
    assert!(
        p.notes[0].contains("noisy.png") && p.notes[0].contains("150.0 KB"),
        "{:?}",
        p.notes
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_rotated_photo_is_prepared_upright() {
    use reelsmith_core::media::prepare_image;
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "portrait.jpg",
        &with_exif_orientation(&jpeg_bytes(&quadrants(1200, 800), 90), 6),
    );
    let l = limits(|l| l.max_height = Some(600));
    let p = prepare_image(&path, &l, dir.path()).unwrap();
    let info = probe_image(&p.path).unwrap();
    assert_eq!(info.orientation, Orientation::Normal);
    assert_eq!((info.width, info.height), (400, 600));
    // Stored top-left (red) is shown at the top-right after orientation 6.
    let t = make_thumbnail(&p.path, 60).unwrap();
    assert!(close(t.pixel(t.width - 2, 1).unwrap(), RED));
    assert!(
        p.notes.iter().any(|n| n.contains("upright")),
        "{:?}",
        p.notes
    );
}

#[test]
fn an_image_under_the_minimum_is_refused_before_anything_is_sent() {
    use reelsmith_core::media::prepare_image;
    let dir = tempfile::tempdir().unwrap();
    let scratch = dir.path().join("scratch");
    let path = write(dir.path(), "tiny.jpg", &jpeg_bytes(&detailed(200, 150), 90));
    let l = limits(|l| {
        l.min_width = Some(300);
        l.min_height = Some(300);
        l.max_file_size = Some(10);
    });
    let err = prepare_image(&path, &l, &scratch).unwrap_err();
    assert!(
        matches!(
            err,
            MediaError::TooSmall {
                width: 200,
                height: 150,
                min_width: 300,
                min_height: 300,
                ..
            }
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("tiny.jpg") && msg.contains("nothing was uploaded") && msg.contains("300×300"),
        "{msg}"
    );
    // Refused before any work: nothing was written.
    assert!(!scratch.exists());
}

#[test]
fn an_odd_aspect_ratio_is_a_warning_and_a_fitting_image_is_used_as_is() {
    use reelsmith_core::media::prepare_image;
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "banner.jpg",
        &jpeg_bytes(&detailed(1000, 200), 90),
    );
    let l = limits(|l| {
        l.min_aspect_ratio = Some(0.4);
        l.max_aspect_ratio = Some(2.5);
        l.max_file_size = Some(10 * 1024 * 1024);
    });
    let p = prepare_image(&path, &l, dir.path()).unwrap();
    assert_eq!(p.path, path);
    assert!(p.notes.is_empty());
    assert_eq!(p.warnings.len(), 1);
    assert!(
        p.warnings[0].contains("banner.jpg")
            && p.warnings[0].contains("crop")
            && p.warnings[0].contains("5.00"),
        "{}",
        p.warnings[0]
    );
    // A broken file is refused with its own error, not a preparation error.
    let text = write(dir.path(), "x.jpg", b"hello");
    assert!(matches!(
        prepare_image(&text, &l, dir.path()),
        Err(MediaError::NotAnImage { .. })
    ));
}
