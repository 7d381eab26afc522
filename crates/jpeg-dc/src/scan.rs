//! Decoding one scan's entropy-coded data into DC planes.

use crate::bits::{Bits, unstuff};
use crate::halves::{TWO_HALVES_MIN_BYTES, decode_halves};
use crate::huffman::{AcSkip, DcTable};
use crate::markers::{Component, next_marker};

pub(crate) struct ScanParams<'a> {
    pub(crate) comps: &'a [Component],
    pub(crate) scan: &'a [(usize, usize, usize)],
    pub(crate) quant_dc: &'a [i32; 4],
    pub(crate) dc_tables: &'a [Option<Box<DcTable>>; 4],
    pub(crate) ac_tables: &'a [Option<Box<AcSkip>>; 4],
    pub(crate) restart_interval: usize,
    pub(crate) mcux: usize,
    pub(crate) mcuy: usize,
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) hmax: usize,
    pub(crate) vmax: usize,
    /// Whether long segments may be decoded as two halves at once.
    pub(crate) two_halves: bool,
}

/// One block of a unit (MCU): which of the scan's components, where in the unit, and its
/// tables.
pub(crate) struct BlockKind<'t> {
    pub(crate) slot: usize,
    pub(crate) dx: usize,
    pub(crate) dy: usize,
    pub(crate) dc: &'t DcTable,
    pub(crate) ac: &'t AcSkip,
}

/// Decodes one scan's blocks into `planes` (DC averages); returns where the data ended.
///
/// The entropy-coded data is first turned into each block's DC difference, in stream order;
/// then the differences are summed and placed.
pub(crate) fn decode_scan(
    jpeg: &[u8],
    start: usize,
    p: &ScanParams<'_>,
    planes: &mut [Vec<i16>],
) -> Option<usize> {
    // A single-component scan is not interleaved: its blocks cover only the component's own
    // size, in raster order, one block per unit.
    let single = p.scan.len() == 1;
    let mut slots = Vec::with_capacity(p.scan.len());
    let mut kinds = Vec::new();
    for (slot, &(ci, td, ta)) in p.scan.iter().enumerate() {
        let c = p.comps[ci];
        let (dc, ac) = (p.dc_tables[td].as_ref()?, p.ac_tables[ta].as_ref()?);
        slots.push((ci, c, p.quant_dc[c.quant]));
        let (bw, bh) = if single { (1, 1) } else { (c.h, c.v) };
        for dy in 0..bh {
            for dx in 0..bw {
                kinds.push(BlockKind {
                    slot,
                    dx,
                    dy,
                    dc,
                    ac,
                });
            }
        }
    }
    let (units_x, units_y) = if single {
        let c = slots[0].1;
        let cw = (p.width * c.h).div_ceil(p.hmax);
        let ch = (p.height * c.v).div_ceil(p.vmax);
        (cw.div_ceil(8), ch.div_ceil(8))
    } else {
        (p.mcux, p.mcuy)
    };
    let units = units_x * units_y;
    let per_unit = kinds.len();
    let mut diffs = Vec::with_capacity(units * per_unit);
    let mut segment = Vec::new();
    let mut end = unstuff(jpeg, start, &mut segment);
    if p.restart_interval == 0 {
        if p.two_halves && segment.len() >= TWO_HALVES_MIN_BYTES {
            decode_halves(&segment, &kinds, units * per_unit, &mut diffs)?;
        } else {
            decode_blocks(
                &mut Bits::new(&segment),
                &kinds,
                0,
                units * per_unit,
                &mut diffs,
            )?;
        }
    } else {
        let mut done = 0;
        loop {
            let n = p.restart_interval.min(units - done);
            let mut bits = Bits::new(&segment);
            decode_blocks(&mut bits, &kinds, 0, n * per_unit, &mut diffs)?;
            done += n;
            if done >= units {
                break;
            }
            // The segment must end at RSTn (after fill bytes, if any); then everything starts
            // afresh.
            let at = next_marker(jpeg, end);
            if !(0xD0..=0xD7).contains(jpeg.get(at + 1)?) {
                return None;
            }
            end = unstuff(jpeg, at + 2, &mut segment);
        }
    }
    let places: Vec<Place> = kinds
        .iter()
        .map(|kind| {
            let (ci, c, q) = slots[kind.slot];
            let (bw, bh) = if single { (1, 1) } else { (c.h, c.v) };
            let stride = p.mcux * c.h;
            Place {
                slot: kind.slot,
                plane: ci,
                q,
                across: bw,
                down: bh * stride,
                offset: kind.dy * stride + kind.dx,
            }
        })
        .collect();
    place_dc(&diffs, &places, units_x, p.restart_interval, planes);
    // Resume marker parsing where the entropy-coded data stopped.
    Some(next_marker(jpeg, end))
}

/// Where one block of a unit goes in its component's plane.
pub(crate) struct Place {
    /// The scan's component slot (its DC predictor).
    pub(crate) slot: usize,
    pub(crate) plane: usize,
    /// The DC quantiser.
    pub(crate) q: i32,
    /// How far the unit's position moves this block: per unit across, per row of units down.
    pub(crate) across: usize,
    pub(crate) down: usize,
    pub(crate) offset: usize,
}

/// Sums the DC differences (restarting at each restart interval) and stores each block's mean
/// in its plane.
pub(crate) fn place_dc(
    diffs: &[i16],
    places: &[Place],
    units_x: usize,
    restart_interval: usize,
    planes: &mut [Vec<i16>],
) {
    let mut pred = [0i32; 4];
    let mut units_done = 0;
    for (uy, row) in diffs.chunks(units_x * places.len()).enumerate() {
        for (ux, unit) in row.chunks_exact(places.len()).enumerate() {
            if restart_interval > 0 && units_done % restart_interval == 0 {
                pred = [0; 4];
            }
            units_done += 1;
            for (place, &d) in places.iter().zip(unit) {
                let pred = &mut pred[place.slot & 3];
                // Valid files stay far inside this range; corrupt ones must not overflow.
                *pred = (*pred + i32::from(d)).clamp(-32768, 32767);
                let at = uy * place.down + ux * place.across + place.offset;
                if let Some(v) = planes.get_mut(place.plane).and_then(|p| p.get_mut(at)) {
                    // DC × quantiser / 8 is the block's mean offset from mid-grey.
                    *v = ((*pred * place.q + 4) >> 3).clamp(-128, 127) as i16;
                }
            }
        }
    }
}

/// The kind after `phase` in a unit of `per_unit` blocks.
#[inline(always)]
pub(crate) fn next_phase(phase: usize, per_unit: usize) -> usize {
    if phase + 1 == per_unit { 0 } else { phase + 1 }
}

/// Decodes `count` blocks from `bits`, the first of kind `phase`, appending their DC
/// differences to `diffs`.
pub(crate) fn decode_blocks(
    bits: &mut Bits<'_>,
    kinds: &[BlockKind<'_>],
    mut phase: usize,
    count: usize,
    diffs: &mut Vec<i16>,
) -> Option<()> {
    // A local copy stays in registers; writes through `bits` would go to memory every step.
    let mut local = *bits;
    for _ in 0..count {
        let kind = kinds.get(phase)?;
        local.refill();
        diffs.push(local.dc_diff(kind.dc)? as i16);
        local.skip_ac(kind.ac, 1)?;
        phase = next_phase(phase, kinds.len());
    }
    *bits = local;
    Some(())
}
