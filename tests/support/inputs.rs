//! Real input files made on the spot (PNG, JPEG, H.264 MP4) and fixtures in the checkout.

use std::path::{Path, PathBuf};

use reelsmith_sim::clip::{ClipSpec, render_clip, render_clip_with_sound};

/// Writes a real PNG of `w`×`h` whose pixels depend on `seed` (so two seeds are two uploads);
/// its path as text, for an argument.
pub fn png(path: &Path, w: u32, h: u32, seed: u8) -> String {
    image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, seed])
    })
    .save(path)
    .unwrap();
    path.to_string_lossy().into_owned()
}

/// A real JPEG of `w`×`h` with the pixels of [`png`].
pub fn jpeg(w: u32, h: u32, seed: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, seed])
    })
    .write_to(
        &mut std::io::Cursor::new(&mut out),
        image::ImageFormat::Jpeg,
    )
    .unwrap();
    out
}

/// A real silent H.264 MP4.
pub fn clip(width: u32, height: u32, fps: u32, frames: u32) -> Vec<u8> {
    render_clip(&spec(width, height, fps, frames), None).expect("a clip")
}

/// A real H.264 MP4 with an AAC soundtrack as long as the picture.
pub fn clip_with_sound(width: u32, height: u32, fps: u32, frames: u32) -> Vec<u8> {
    render_clip_with_sound(
        &spec(width, height, fps, frames),
        None,
        Some(&Default::default()),
    )
    .expect("a clip")
}

fn spec(width: u32, height: u32, fps: u32, frames: u32) -> ClipSpec {
    ClipSpec {
        width,
        height,
        fps,
        frames,
    }
}

/// Writes a real MP4 of 1280×720 and one second, the size fal's video endpoints take; its path
/// as text.
pub fn mp4(path: &Path) -> String {
    std::fs::write(path, clip(1280, 720, 24, 24)).unwrap();
    path.to_string_lossy().into_owned()
}

/// A path in the checkout, found at run time so a build cache shared by two checkouts reads
/// this one's files.
pub fn in_checkout(relative: &str) -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join(relative)
}
