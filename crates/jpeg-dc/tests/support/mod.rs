//! Helpers shared by the integration tests (and by the crate's own unit tests, which include
//! this file by path): synthetic and real encoder files, crafted malformed files, and
//! jpeg-decoder's 1/8-scale decode as the reference.
// Each test binary uses a different part of this module.
#![allow(dead_code)]

pub mod crafted;
pub mod jpeg_mutations;
pub mod segments;
pub mod writer;

/// jpeg-decoder's own 1/8-scale decode, as RGB.
pub fn reference(jpeg: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut d = jpeg_decoder::Decoder::new(jpeg);
    d.read_info().expect("jpeg-decoder reads the header");
    let (w, h) = d.scale(1, 1).unwrap();
    let px = d.decode().expect("jpeg-decoder decodes the file");
    let rgb = match d.info().unwrap().pixel_format {
        jpeg_decoder::PixelFormat::L8 => px.iter().flat_map(|&l| [l, l, l]).collect(),
        _ => px,
    };
    (u32::from(w), u32::from(h), rgb)
}

/// The mean absolute difference of two equally long byte strings.
pub fn mean_abs(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(x.abs_diff(*y)))
        .sum::<f64>()
        / a.len() as f64
}

/// The image crate's baseline encoding of `img` at `quality`.
pub fn encode(img: &image::DynamicImage, quality: u8) -> Vec<u8> {
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, quality)
        .encode_image(img)
        .unwrap();
    jpeg
}

/// A noisy picture, so the entropy-coded data is long (and slow to decode, as photos are).
pub fn noisy_jpeg(w: u32, h: u32, quality: u8) -> Vec<u8> {
    let mut seed = 0x2545_F491u32;
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let n = (seed % 41) as i32 - 20;
        let c = |v: i32| v.clamp(0, 255) as u8;
        image::Rgb([
            c((x % 256) as i32 + n),
            c(((x / 9) ^ (y / 7)) as i32 % 200 + n),
            c((y * 255 / h) as i32 - n),
        ])
    });
    encode(&img.into(), quality)
}

/// A smooth colour picture from the image crate's encoder.
pub fn gradient_jpeg(w: u32, h: u32, quality: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, ((x * y) % 251) as u8, (y * 3 % 256) as u8])
    });
    encode(&img.into(), quality)
}

/// A grey picture from the image crate's encoder (one component).
pub fn grey_jpeg(w: u32, h: u32, quality: u8) -> Vec<u8> {
    let img = image::GrayImage::from_fn(w, h, |x, y| image::Luma([((x * 5 + y * 3) % 256) as u8]));
    encode(&img.into(), quality)
}
