//! The crafted files of issue 11 (point 4) and their neighbours: each is refused, or decoded
//! correctly where it is valid, without a panic. The files are committed under
//! tests/crafted/; `support::crafted` generates them (see `write_fixtures`).

mod support;

use std::path::PathBuf;

use support::crafted::{Crafted, Expect, all, seeds};

fn crafted_dir() -> PathBuf {
    std::path::PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("tests/crafted")
}

fn corpus_dir() -> PathBuf {
    std::path::PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("../../fuzz/corpus/jpeg_dc")
}

fn committed(name: &str) -> Vec<u8> {
    let path = crafted_dir().join(format!("{name}.jpg"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn crafted(name: &str) -> Crafted {
    all()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no crafted file {name}"))
}

/// Checks one committed crafted file against what it must give.
fn check(name: &str) {
    let case = crafted(name);
    let bytes = committed(name);
    let got = jpeg_dc::decode_eighth(&bytes);
    match case.expect {
        Expect::Refused => assert!(got.is_none(), "{name}: decoded, but must be refused"),
        Expect::Decodes => {
            let (w, h, rgb) = got.unwrap_or_else(|| panic!("{name}: refused a valid file"));
            let (rw, rh, want) = support::reference(&bytes);
            assert_eq!((w, h), (rw, rh), "{name}");
            let e = support::mean_abs(&rgb, &want);
            assert!(
                e <= 2.0,
                "{name}: mean abs difference {e} from jpeg-decoder"
            );
        }
        Expect::SameAs(other) => {
            let want = jpeg_dc::decode_eighth(&other);
            assert!(
                want.is_some(),
                "{name}: the file to compare with is refused"
            );
            assert!(got == want, "{name}: decodes differently");
        }
    }
}

macro_rules! crafted_tests {
    ($($name:ident),* $(,)?) => {
        $(#[test] fn $name() { check(stringify!($name)); })*

        /// Every generated file has its test above.
        const NAMES: &[&str] = &[$(stringify!($name)),*];
    };
}

crafted_tests!(
    second_sof_after_scan,
    two_sofs_before_scan,
    scan_zero_components,
    scan_five_components,
    scan_duplicate_component,
    scan_unknown_component,
    component_in_two_scans,
    frame_duplicate_ids,
    eleven_blocks_per_mcu,
    dc_long_zero_code,
    truncated_sof,
    truncated_dht,
    truncated_sos_header,
    truncated_data,
    segment_length_zero,
    dht_counts_over_256,
    dri_zero,
    restart_out_of_order,
    restart_marker_missing,
    huge_frame_tiny_file,
    too_wide,
    eoi_before_scan,
    missing_quant_table,
    quant_precision_2,
);

#[test]
fn every_crafted_file_has_a_test_and_matches_its_generator() {
    let cases = all();
    let names: Vec<&str> = cases.iter().map(|c| c.name).collect();
    assert_eq!(names, NAMES);
    for case in &cases {
        assert!(
            committed(case.name) == case.bytes,
            "{}: the committed file differs from its generator (run write_fixtures)",
            case.name
        );
    }
}

/// Writes the crafted files and the fuzzing corpus's seeds:
/// `cargo test -p jpeg-dc --test crafted -- --ignored write_fixtures`.
#[test]
#[ignore]
fn write_fixtures() {
    std::fs::create_dir_all(crafted_dir()).unwrap();
    std::fs::create_dir_all(corpus_dir()).unwrap();
    for case in all() {
        let file = format!("{}.jpg", case.name);
        std::fs::write(crafted_dir().join(&file), &case.bytes).unwrap();
        std::fs::write(corpus_dir().join(format!("crafted_{file}")), &case.bytes).unwrap();
    }
    for (name, bytes) in seeds() {
        std::fs::write(corpus_dir().join(format!("{name}.jpg")), bytes).unwrap();
    }
}

/// The seeds are what they claim: jpeg-decoder decodes each, and the DC decoder agrees
/// with it on the baseline ones.
#[test]
fn seeds_are_valid() {
    for (name, bytes) in seeds() {
        let (rw, rh, want) = support::reference(&bytes);
        let got = jpeg_dc::decode_eighth(&bytes);
        if name.starts_with("progressive") {
            assert!(got.is_none(), "{name}");
            continue;
        }
        let (w, h, rgb) = got.unwrap_or_else(|| panic!("{name}: refused"));
        assert_eq!((w, h), (rw, rh), "{name}");
        let e = support::mean_abs(&rgb, &want);
        assert!(e <= 3.0, "{name}: mean abs difference {e}");
    }
}
