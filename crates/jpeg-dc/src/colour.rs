//! DC planes to RGB.

use crate::markers::Frame;

/// Converts the DC planes to RGB at 1/8 of the picture size (each side rounded up); `None`
/// when the memory cannot be had.
pub(crate) fn to_rgb(frame: &Frame, planes: &[Vec<i16>]) -> Option<(u32, u32, Vec<u8>)> {
    let comps = &frame.comps;
    // The frame header allows one component (grey) or three (YCbCr), each with a plane.
    let colour = match (comps.len(), planes.len()) {
        (1, 1) => false,
        (3, 3) => true,
        _ => return None,
    };
    let (ow, oh) = (frame.width.div_ceil(8), frame.height.div_ceil(8));
    let mut rgb = Vec::new();
    rgb.try_reserve_exact(ow.checked_mul(oh)?.checked_mul(3)?)
        .ok()?;
    rgb.resize(ow * oh * 3, 0);
    let clamp = |v: i32| v.clamp(0, 255) as u8;
    // Which plane column each output column reads, per component (nearest upsampling).
    let mut columns: [Vec<usize>; 3] = Default::default();
    for (c, cols) in comps.iter().zip(&mut columns) {
        cols.try_reserve_exact(ow).ok()?;
        cols.extend((0..ow).map(|x| x * c.h / frame.hmax));
    }
    let mut rows: [&[i16]; 3] = [&[]; 3];
    for (y, out) in rgb.chunks_exact_mut(ow * 3).enumerate() {
        for ((c, plane), row) in comps.iter().zip(planes).zip(&mut rows) {
            let stride = frame.plane_size(c).0;
            let start = (y * c.v / frame.vmax) * stride;
            *row = plane.get(start..start + stride).unwrap_or(&[]);
        }
        // In range: i < 3 and x < ow, the length of each component's `columns`; a plane
        // row is checked, as it is shorter when its plane is.
        let sample = |i: usize, x: usize| -> i32 {
            i32::from(rows[i].get(columns[i][x]).copied().unwrap_or(0))
        };
        for (x, px) in out.chunks_exact_mut(3).enumerate() {
            let luma = sample(0, x) + 128;
            if !colour {
                px.fill(clamp(luma));
            } else {
                let (cb, cr) = (sample(1, x), sample(2, x));
                // JFIF YCbCr → RGB in 16.16 fixed point.
                px[0] = clamp(luma + ((91881 * cr + 32768) >> 16));
                px[1] = clamp(luma - ((22554 * cb + 46802 * cr - 32768) >> 16));
                px[2] = clamp(luma + ((116130 * cb + 32768) >> 16));
            }
        }
    }
    Some((u32::try_from(ow).ok()?, u32::try_from(oh).ok()?, rgb))
}
