//! Crafted files for the decoder's known faults (issue 11, point 4) and their neighbours, and
//! the valid seed files of the fuzzing corpus. Both are committed as bytes
//! (tests/crafted/, fuzz/corpus/jpeg_dc/); these generators say how each was made.

use super::segments::{Part, body_mut, find, fix_lengths, parse, write};
use super::writer::{Picture, Table, sof_body, sos_body};

/// What the decoder must do with a crafted file.
pub enum Expect {
    /// Return `None`.
    Refused,
    /// Decode it as jpeg-decoder does (it is a valid file).
    Decodes,
    /// Decode it exactly as it decodes these other bytes.
    SameAs(Vec<u8>),
}

/// One crafted file.
pub struct Crafted {
    pub name: &'static str,
    pub bytes: Vec<u8>,
    pub expect: Expect,
}

/// A 16×16 grey picture.
fn grey() -> Vec<Part> {
    parse(&Picture::new(16, 16, &[(1, 1)]).ac_percent(10).baseline())
}

/// A 32×32 4:2:0 picture.
fn colour() -> Vec<Part> {
    parse(&Picture::new(32, 32, &[(2, 2), (1, 1), (1, 1)]).baseline())
}

/// Zero bits decode as "DC difference 0, end of block" with the synthetic tables, so zeros
/// are valid data for any layout of blocks: `n` zero bytes.
fn zeros(n: usize) -> Part {
    Part::Data(vec![0; n])
}

/// Replaces the first scan's header and its data.
fn with_scan(mut parts: Vec<Part>, sos: Vec<u8>, data: Part) -> Vec<Part> {
    let at = find(&parts, 0xDA).unwrap();
    parts[at] = Part::segment(0xDA, sos);
    parts[at + 1] = data;
    parts
}

/// Inserts parts before the given marker's first part.
fn insert_before(mut parts: Vec<Part>, marker: u8, new: Vec<Part>) -> Vec<Part> {
    let at = find(&parts, marker).unwrap();
    parts.splice(at..at, new);
    parts
}

fn remove(mut parts: Vec<Part>, marker: u8) -> Vec<Part> {
    parts.retain(|p| p.marker() != Some(marker));
    parts
}

/// The file cut inside the first segment with this marker.
fn cut_inside(marker: u8) -> Vec<u8> {
    let bytes = write(&grey());
    let at = bytes.windows(2).position(|w| w == [0xFF, marker]).unwrap();
    bytes[..at + 7].to_vec()
}

/// Every crafted file, in a fixed order.
pub fn all() -> Vec<Crafted> {
    use Expect::*;
    let mut out = Vec::new();
    let mut add = |name, parts: Vec<Part>, expect| {
        out.push(Crafted {
            name,
            bytes: write(&parts),
            expect,
        })
    };

    // The reported abort: a second frame header after the first scan declares 65535×65535
    // and a scan lists its component 255 times (34 GB of differences).
    let many = vec![(2u8, 0x00u8); 255];
    add(
        "second_sof_after_scan",
        insert_before(
            grey(),
            0xD9,
            vec![
                Part::segment(0xC0, sof_body(65535, 65535, &[(2, 0x11, 0)])),
                Part::segment(0xDA, sos_body(&many, 0, 63, 0)),
                zeros(16),
            ],
        ),
        Refused,
    );
    add(
        "two_sofs_before_scan",
        insert_before(
            grey(),
            0xC4,
            vec![Part::segment(0xC0, sof_body(16, 16, &[(2, 0x11, 0)]))],
        ),
        Refused,
    );
    add(
        "scan_zero_components",
        with_scan(grey(), sos_body(&[], 0, 63, 0), zeros(64)),
        Refused,
    );
    let five = [(1, 0x00), (2, 0x00), (3, 0x00), (1, 0x00), (2, 0x00)];
    add(
        "scan_five_components",
        with_scan(colour(), sos_body(&five, 0, 63, 0), zeros(256)),
        Refused,
    );
    add(
        "scan_duplicate_component",
        with_scan(
            colour(),
            sos_body(&[(1, 0x00), (1, 0x00), (2, 0x00)], 0, 63, 0),
            zeros(256),
        ),
        Refused,
    );
    add(
        "scan_unknown_component",
        with_scan(
            colour(),
            sos_body(&[(1, 0x00), (2, 0x00), (9, 0x00)], 0, 63, 0),
            zeros(256),
        ),
        Refused,
    );
    add(
        "component_in_two_scans",
        insert_before(
            with_scan(grey(), sos_body(&[(1, 0x00)], 0, 63, 0), zeros(64)),
            0xD9,
            vec![
                Part::segment(0xDA, sos_body(&[(1, 0x00)], 0, 63, 0)),
                zeros(64),
            ],
        ),
        Refused,
    );
    let mut dup_ids = colour();
    *body_mut(&mut dup_ids, 0xC0).unwrap() =
        sof_body(32, 32, &[(1, 0x22, 0), (1, 0x11, 0), (1, 0x11, 0)]);
    add(
        "frame_duplicate_ids",
        with_scan(
            dup_ids,
            sos_body(&[(1, 0x00), (1, 0x00), (1, 0x00)], 0, 63, 0),
            zeros(256),
        ),
        Refused,
    );
    // 3×3 + 1 + 1 = 11 blocks in each unit; JPEG allows at most 10.
    add(
        "eleven_blocks_per_mcu",
        parse(&Picture::new(48, 48, &[(3, 3), (1, 1), (1, 1)]).baseline()),
        Refused,
    );
    // Category 0 has a 16-bit code: decoded the slow way, with no magnitude bits (a shift
    // by 64 in debug builds). A valid file.
    add(
        "dc_long_zero_code",
        parse(
            &Picture::new(64, 48, &[(1, 1)])
                .flat()
                .dc_table(Table::long_zero_dc())
                .baseline(),
        ),
        Decodes,
    );
    add("truncated_sof", parse(&cut_inside(0xC0)), Refused);
    add("truncated_dht", parse(&cut_inside(0xC4)), Refused);
    add(
        "truncated_sos_header",
        with_scan(grey(), vec![1, 1], zeros(64)),
        Refused,
    );
    // Half the entropy-coded data, then EOI: the rest would be read as zeros.
    let mut half = grey();
    let at = find(&half, 0xDA).unwrap() + 1;
    if let Part::Data(d) = &mut half[at] {
        d.truncate(d.len() / 2);
    }
    add("truncated_data", half, Refused);
    let mut short = grey();
    let dqt = find(&short, 0xDB).unwrap();
    if let Part::Segment { length, .. } = &mut short[dqt] {
        *length = 0;
    }
    add("segment_length_zero", short, Refused);
    // Seventeen codes of each length: 272 values, more than the 256 symbols there are.
    let mut counts = [17u8; 16];
    counts[0] = 17;
    let big = Table {
        counts,
        values: (0..272).map(|v| v as u8).collect(),
    };
    add(
        "dht_counts_over_256",
        insert_before(grey(), 0xDA, vec![Part::segment(0xC4, big.dht_body(0x11))]),
        Refused,
    );
    // DRI 0 turns restart intervals off: the same picture as without it.
    add(
        "dri_zero",
        insert_before(grey(), 0xDA, vec![Part::segment(0xDD, vec![0, 0])]),
        SameAs(write(&grey())),
    );
    // Same data in each interval, but RST2 comes before RST1.
    let mut swapped = parse(&Picture::new(32, 32, &[(1, 1)]).restart(1).baseline());
    let rsts: Vec<usize> = (0..swapped.len())
        .filter(|&i| matches!(swapped[i], Part::Marker(0xD0..=0xD7)))
        .collect();
    swapped.swap(rsts[1], rsts[2]);
    add("restart_out_of_order", swapped, Refused);
    add(
        "restart_marker_missing",
        {
            let mut p = parse(&Picture::new(32, 32, &[(1, 1)]).restart(4).baseline());
            let first = p
                .iter()
                .position(|p| matches!(p, Part::Marker(0xD0..=0xD7)))
                .unwrap();
            p.remove(first);
            p
        },
        Refused,
    );
    let mut huge = with_scan(grey(), sos_body(&[(1, 0x00)], 0, 63, 0), zeros(64));
    *body_mut(&mut huge, 0xC0).unwrap() = sof_body(65535, 65535, &[(1, 0x11, 0)]);
    add("huge_frame_tiny_file", huge, Refused);
    // One pixel wider than the caller's limit, and otherwise valid.
    add(
        "too_wide",
        parse(&Picture::new(20_001, 8, &[(1, 1)]).ac_percent(0).baseline()),
        Refused,
    );
    add(
        "eoi_before_scan",
        {
            let mut p = grey();
            let at = find(&p, 0xDA).unwrap();
            p.drain(at..at + 2);
            p
        },
        Refused,
    );
    add("missing_quant_table", remove(grey(), 0xDB), Refused);
    // Precision 2 is neither 8-bit (0) nor 16-bit (1).
    let mut precision = grey();
    let dqt = body_mut(&mut precision, 0xDB).unwrap();
    *dqt = vec![0x20, 0, 4];
    dqt.extend_from_slice(&[0, 1].repeat(63));
    fix_lengths(&mut precision);
    add("quant_precision_2", precision, Refused);
    out
}

/// The valid seed files of the fuzzing corpus: several samplings, with and without restart
/// intervals, interleaved and separate scans, progressive, grey, and the image crate's
/// encoder output.
pub fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let synth = |w, h, sampling: &[(usize, usize)]| Picture::new(w, h, sampling).ac_percent(4);
    let (s444, s420) = ([(1, 1); 3], [(2, 2), (1, 1), (1, 1)]);
    vec![
        ("synth_grey_16x16", synth(16, 16, &[(1, 1)]).baseline()),
        (
            "synth_grey_restart3_40x24",
            synth(40, 24, &[(1, 1)]).restart(3).baseline(),
        ),
        ("synth_444_24x16", synth(24, 16, &s444).baseline()),
        (
            "synth_420_restart2_48x32",
            synth(48, 32, &s420).restart(2).baseline(),
        ),
        (
            "synth_422_40x16",
            synth(40, 16, &[(2, 1), (1, 1), (1, 1)]).baseline(),
        ),
        (
            "synth_411_64x16",
            synth(64, 16, &[(4, 1), (1, 1), (1, 1)]).baseline(),
        ),
        (
            "synth_440_16x32",
            synth(16, 32, &[(1, 2), (1, 1), (1, 1)]).baseline(),
        ),
        (
            "synth_420_separate_scans_33x31",
            synth(33, 31, &s420).separate_scans().baseline(),
        ),
        (
            "synth_420_separate_restart3_32x32",
            synth(32, 32, &s420).separate_scans().restart(3).baseline(),
        ),
        ("progressive_420_32x32", synth(32, 32, &s420).progressive()),
        (
            "progressive_grey_16x16",
            synth(16, 16, &[(1, 1)]).progressive(),
        ),
        ("image_rgb_q90_48x40", super::gradient_jpeg(48, 40, 90)),
        ("image_grey_q75_40x40", super::grey_jpeg(40, 40, 75)),
        ("image_noisy_q50_64x64", super::noisy_jpeg(64, 64, 50)),
    ]
}
