//! Decoding one scan's entropy-coded data into DC planes.

use crate::bits::{Bits, data_bits, unstuff};
use crate::halves::decode_halves;
use crate::huffman::{AcSkip, DcTable};
use crate::markers::{Frame, next_marker};

/// What decoding one scan needs besides the file.
pub(crate) struct ScanParams<'a> {
    pub(crate) frame: &'a Frame,
    pub(crate) scan: &'a [(usize, usize, usize)],
    /// The DC quantiser of each of the scan's components.
    pub(crate) quant_dc: [i32; 4],
    pub(crate) dc_tables: &'a [Option<Box<DcTable>>; 4],
    pub(crate) ac_tables: &'a [Option<Box<AcSkip>>; 4],
    pub(crate) restart_interval: usize,
    /// Segments at least this long are decoded as two halves at once.
    pub(crate) two_halves_min_bytes: usize,
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
/// then the differences are summed and placed. A segment whose blocks run past its data (into
/// the zeros a reader sees there) or a restart marker out of sequence refuses the file.
pub(crate) fn decode_scan(
    jpeg: &[u8],
    start: usize,
    p: &ScanParams<'_>,
    planes: &mut [Vec<i16>],
) -> Option<usize> {
    let frame = p.frame;
    // A single-component scan is not interleaved: its blocks cover only the component's own
    // size, in raster order, one block per unit.
    let single = p.scan.len() == 1;
    // At most four components of at most ten blocks in all (the scan header was checked).
    let mut slots = Vec::with_capacity(p.scan.len());
    let mut kinds = Vec::new();
    for (slot, &(ci, td, ta)) in p.scan.iter().enumerate() {
        let c = *frame.comps.get(ci)?;
        let dc = p.dc_tables.get(td)?.as_deref()?;
        let ac = p.ac_tables.get(ta)?.as_deref()?;
        slots.push((ci, c, *p.quant_dc.get(slot)?));
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
        frame.own_blocks(&slots.first()?.1)
    } else {
        (frame.mcux, frame.mcuy)
    };
    let per_unit = kinds.len();
    let units = units_x.checked_mul(units_y)?;
    let blocks = units.checked_mul(per_unit)?;
    if per_unit == 0 || blocks > (jpeg.len() - start.min(jpeg.len())).saturating_mul(4) {
        // No blocks, or more than the rest of the file could hold (each takes two bits).
        return None;
    }
    let mut diffs = Vec::new();
    diffs.try_reserve_exact(blocks).ok()?;
    let mut segment = Vec::new();
    let mut end = unstuff(jpeg, start, &mut segment)?;
    if p.restart_interval == 0 {
        if segment.len() >= p.two_halves_min_bytes {
            decode_halves(&segment, &kinds, blocks, &mut diffs)?;
        } else {
            let mut bits = Bits::new(&segment);
            decode_blocks(&mut bits, &kinds, 0, blocks, &mut diffs)?;
            if bits.bit_pos() > data_bits(&segment) {
                return None;
            }
        }
    } else {
        let mut done = 0;
        let mut interval = 0u8;
        loop {
            let n = p.restart_interval.min(units - done);
            let mut bits = Bits::new(&segment);
            decode_blocks(&mut bits, &kinds, 0, n * per_unit, &mut diffs)?;
            if bits.bit_pos() > data_bits(&segment) {
                return None;
            }
            done += n;
            if done >= units {
                break;
            }
            // The segment must end at the next RSTn in sequence (after fill bytes, if any);
            // one out of sequence means intervals were lost. Then everything starts afresh.
            let at = next_marker(jpeg, end);
            if *jpeg.get(at + 1)? != 0xD0 + interval {
                return None;
            }
            interval = (interval + 1) & 7;
            end = unstuff(jpeg, at + 2, &mut segment)?;
        }
    }
    let places: Vec<Place> = kinds
        .iter()
        .map(|kind| {
            let (ci, c, q) = slots[kind.slot];
            let (bw, bh) = if single { (1, 1) } else { (c.h, c.v) };
            let stride = frame.plane_size(&c).0;
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
    if places.is_empty() || units_x == 0 {
        return;
    }
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
                    // DC × quantiser / 8 is the block's mean offset from mid-grey; with
                    // |pred| ≤ 32768 and q ≤ 65535 the product stays inside i32.
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
