//! DC planes to RGB.

use crate::markers::Component;

/// Converts the DC planes to RGB at 1/8 of the picture size.
pub(crate) fn to_rgb(
    comps: &[Component],
    planes: &[Vec<i16>],
    width: usize,
    height: usize,
    mcux: usize,
    hmax: usize,
    vmax: usize,
) -> (u32, u32, Vec<u8>) {
    let (ow, oh) = (width.div_ceil(8), height.div_ceil(8));
    let mut rgb = vec![0u8; ow * oh * 3];
    let clamp = |v: i32| v.clamp(0, 255) as u8;
    // Which plane column each output column reads, per component (nearest upsampling).
    let columns: Vec<Vec<usize>> = comps
        .iter()
        .map(|c| (0..ow).map(|x| x * c.h / hmax).collect())
        .collect();
    let mut rows: Vec<&[i16]> = Vec::with_capacity(comps.len());
    for (y, out) in rgb.chunks_exact_mut(ow * 3).enumerate() {
        rows.clear();
        for (c, plane) in comps.iter().zip(planes) {
            let stride = mcux * c.h;
            let start = (y * c.v / vmax) * stride;
            rows.push(plane.get(start..start + stride).unwrap_or(&[]));
        }
        let sample = |i: usize, x: usize| -> i32 {
            i32::from(rows[i].get(columns[i][x]).copied().unwrap_or(0))
        };
        for (x, px) in out.chunks_exact_mut(3).enumerate() {
            let luma = sample(0, x) + 128;
            if comps.len() == 1 {
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
    (ow as u32, oh as u32, rgb)
}
