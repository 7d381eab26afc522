//! Shrinking a PNG while decoding it, one row at a time, so a picture of 100 megapixels never
//! exists in memory at full size (a full RGBA decode of one would take 400 MB).
//!
//! Each decoded pixel is added to the cell of a box grid a whole number of times coarser than
//! the picture but still at least twice the thumbnail; the averaged grid is then resized
//! exactly. Interlaced files come as seven passes of sparse rows; their pixels land in the same
//! cells.

use std::io::{BufRead, Seek};
use std::path::Path;

use super::deadline::Deadline;
use super::error::MediaError;
use super::picture::Picture;
use super::verify::DECODE_BUDGET;

/// Adam7's passes: (x start, x step, y start, y step).
const ADAM7: [(u32, u32, u32, u32); 7] = [
    (0, 8, 0, 8),
    (4, 8, 0, 8),
    (0, 4, 4, 8),
    (2, 4, 0, 4),
    (0, 2, 2, 4),
    (1, 2, 0, 2),
    (0, 1, 1, 2),
];

/// The rows of an image in the order the decoder gives them: `(y, x start, x step)`.
fn row_positions(w: u32, h: u32, interlaced: bool) -> Vec<(u32, u32, u32)> {
    if !interlaced {
        return (0..h).map(|y| (y, 0, 1)).collect();
    }
    let mut rows = Vec::new();
    for (x0, dx, y0, dy) in ADAM7 {
        if w <= x0 {
            continue;
        }
        let mut y = y0;
        while y < h {
            rows.push((y, x0, dx));
            y += dy;
        }
    }
    rows
}

/// Decodes the PNG in `r` into RGBA of at least `tw`×`th` (and about twice that at most when
/// it is larger), in stored orientation.
pub fn decode_shrunk(
    path: &Path,
    r: impl BufRead + Seek,
    tw: u32,
    th: u32,
    d: &Deadline,
) -> Result<Picture, MediaError> {
    let fail = |e: png::DecodingError| MediaError::Decode {
        path: path.into(),
        reason: e.to_string(),
    };
    let mut decoder = png::Decoder::new_with_limits(
        r,
        png::Limits {
            bytes: DECODE_BUDGET as usize,
        },
    );
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(fail)?;
    let (sw, sh, interlaced) = {
        let info = reader.info();
        (info.width, info.height, info.interlaced)
    };
    let channels = match reader.output_color_type().0 {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => {
            return Err(MediaError::Decode {
                path: path.into(),
                reason: "its palette could not be expanded".into(),
            });
        }
    };
    let k = (sw / (2 * tw.max(1))).min(sh / (2 * th.max(1))).max(1);
    let (gw, gh) = (sw.div_ceil(k), sh.div_ceil(k));
    let cells = gw as usize * gh as usize;
    let mut sums = vec![[0u32; 4]; cells];
    let mut counts = vec![0u32; cells];
    let column: Vec<u32> = (0..sw).map(|x| x / k).collect();
    for (n, (y, x0, dx)) in row_positions(sw, sh, interlaced).into_iter().enumerate() {
        if n % 256 == 0 {
            d.check(path, "thumbnail")?;
        }
        let Some(row) = reader.next_row().map_err(fail)? else {
            break;
        };
        let base = (y / k) as usize * gw as usize;
        for (i, px) in row.data().chunks_exact(channels).enumerate() {
            let Some(&cx) = column.get((x0 + i as u32 * dx) as usize) else {
                break;
            };
            let rgba = match *px {
                [l] => [l, l, l, 255],
                [l, a] => [l, l, l, a],
                [r, g, b] => [r, g, b, 255],
                [r, g, b, a] => [r, g, b, a],
                _ => continue,
            };
            let cell = base + cx as usize;
            for (s, v) in sums[cell].iter_mut().zip(rgba) {
                *s += u32::from(v);
            }
            counts[cell] += 1;
        }
    }
    let mut rgba = Vec::with_capacity(cells * 4);
    for (s, &c) in sums.iter().zip(&counts) {
        let c = c.max(1);
        rgba.extend(s.iter().map(|v| ((v + c / 2) / c) as u8));
    }
    Ok(Picture {
        width: gw,
        height: gh,
        rgba,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interlaced_rows_cover_every_pixel_once() {
        for (w, h) in [(1, 1), (3, 2), (8, 8), (13, 9), (1, 20), (20, 1)] {
            let mut seen = vec![0u8; (w * h) as usize];
            for (y, x0, dx) in row_positions(w, h, true) {
                let mut x = x0;
                while x < w {
                    seen[(y * w + x) as usize] += 1;
                    x += dx;
                }
            }
            assert!(seen.iter().all(|&n| n == 1), "{w}×{h}: {seen:?}");
        }
    }
}
