//! Bounded, structure-aware mutation tests of the media parsers, on stable Rust under plain
//! `cargo test` (the fuzz targets of fuzz/ run the same checks under libFuzzer): mutants of
//! the fuzzing corpora (fuzz/corpus/mp4, image_probe, exif) must be refused or read
//! consistently, never panic, loop or take long.
//!
//! A failure names its case; `REELSMITH_MUTATE_CASES=N cargo test -p reelsmith-core --test
//! mutations_media NAME` reruns it, and the input is saved under the target directory.

#[path = "support/image_mutations.rs"]
mod image_mutations;
#[path = "support/mp4_mutations.rs"]
mod mp4_mutations;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reelsmith_core::media::deadline::Deadline;
use reelsmith_core::media::exif::{check_tiff, orientation_from_tiff};
use reelsmith_core::media::verify::verify_image_bytes;
use reelsmith_core::media::video::poster::first_frame;
use reelsmith_core::media::video::{Demuxer, MAX_SAMPLES};
use reelsmith_core::media::{MAX_PIXELS, MAX_SIDE, probe_image_bytes, thumbnail_from_bytes};
use reelsmith_mutate::{Mutator, Rng, Seed, Structure, cases_from_env, run};

fn seeds(target: &str) -> Vec<Seed> {
    let dir = std::path::PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("../../fuzz/corpus")
    .join(target);
    let seeds = Seed::from_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    assert!(
        seeds.len() >= 4,
        "{} seeds in {}",
        seeds.len(),
        dir.display()
    );
    seeds
}

/// Runs `count` mutants (family `family`, up to `steps` steps) of `target`'s corpus through
/// `check`; `accepted` counts those the parser took, which must be some.
fn mutate(
    target: &str,
    structure: impl Structure + 'static,
    family: u64,
    steps: usize,
    count: u64,
    check: impl Fn(&[u8], &AtomicUsize) -> Result<(), String> + Send + Sync + 'static,
) {
    let mutator = Mutator::new(seeds(target))
        .with_structure(structure, 60)
        .max_steps(steps)
        .max_len(64 * 1024)
        .base_seed(family);
    let cases = cases_from_env(0..count);
    let n = cases.end - cases.start;
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    let summary = run(mutator, cases, Duration::from_secs(5), move |input| {
        check(input, &counter)
    })
    .unwrap_or_else(|failure| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("mutations-{target}"));
        let saved = failure.save_input(&dir).map(|p| p.display().to_string());
        panic!("{failure}\n  input saved to {saved:?}");
    });
    let accepted = accepted.load(Ordering::Relaxed);
    println!(
        "{target}: {} mutants of up to {steps} steps in {:?} (slowest: case {}, {:?}); {accepted} accepted",
        summary.cases, summary.total, summary.slowest_case, summary.slowest
    );
    assert!(
        n < 100 || accepted * 100 > n as usize,
        "only {accepted} accepted"
    );
}

/// The demuxer either refuses a file cleanly or reads every frame it announced; the `mp4`
/// crate never panics behind the walk (its panics are caught and say "malformed").
fn check_mp4(input: &[u8], accepted: &AtomicUsize) -> Result<(), String> {
    let d = Deadline::after(Duration::from_secs(3));
    let mut demux = match Demuxer::from_bytes(Path::new("m.mp4"), input.to_vec(), &d) {
        Ok(demux) => demux,
        Err(e) if e.to_string().contains("malformed") => {
            return Err(format!(
                "the walk let through what the mp4 crate panics on: {e}"
            ));
        }
        Err(_) => return Ok(()),
    };
    accepted.fetch_add(1, Ordering::Relaxed);
    let frames = demux.info().frame_count;
    if !(1..=MAX_SAMPLES).contains(&frames) {
        return Err(format!("{frames} frames"));
    }
    for i in 0..frames.min(16) {
        match demux.sample(i) {
            Ok(Some(_)) => {}
            Ok(None) => return Err(format!("frame {i} of {frames} is missing")),
            Err(e) if e.to_string().contains("malformed") => return Err(e.to_string()),
            Err(_) => break,
        }
    }
    let _ = first_frame(&mut demux, &d);
    Ok(())
}

#[test]
fn single_mutations_of_mp4s() {
    mutate("mp4", mp4_mutations::mutate_mp4, 1, 1, 10_000, check_mp4);
}

#[test]
fn stacked_mutations_of_mp4s() {
    mutate("mp4", mp4_mutations::mutate_mp4, 2, 4, 10_000, check_mp4);
}

/// The probe accepts only what is within the limits, consistently; decoding (the check and
/// the thumbnail) returns whatever it makes of it.
fn check_image(input: &[u8], accepted: &AtomicUsize) -> Result<(), String> {
    let path = Path::new("m.img");
    let Ok(info) = probe_image_bytes(path, input) else {
        return Ok(());
    };
    accepted.fetch_add(1, Ordering::Relaxed);
    let (w, h) = (info.stored_width, info.stored_height);
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS
    {
        return Err(format!("accepted {w}×{h}"));
    }
    if (info.width, info.height) != info.orientation.display_size(w, h) {
        return Err("displayed size is not the stored size turned".into());
    }
    let d = Deadline::after(Duration::from_secs(3));
    let _ = verify_image_bytes(path, input, &info, &d);
    if let Ok(t) = thumbnail_from_bytes(path, input, 48)
        && t.rgba.len() != t.width as usize * t.height as usize * 4
    {
        return Err(format!(
            "thumbnail of {} bytes for {}×{}",
            t.rgba.len(),
            t.width,
            t.height
        ));
    }
    Ok(())
}

#[test]
fn single_mutations_of_pictures() {
    mutate(
        "image_probe",
        image_mutations::mutate_image,
        1,
        1,
        10_000,
        check_image,
    );
}

#[test]
fn stacked_mutations_of_pictures() {
    mutate(
        "image_probe",
        image_mutations::mutate_image,
        2,
        4,
        10_000,
        check_image,
    );
}

/// TIFF directories: the offset of the first, entry counts, and "next" links.
#[allow(clippy::ptr_arg)] // the signature every structure-aware mutation has
fn mutate_tiff(input: &mut Vec<u8>, rng: &mut Rng, _seeds: &[Seed]) -> Option<String> {
    if input.len() < 8 {
        return None;
    }
    let le = input.starts_with(b"II");
    let at = *rng.pick(&[4, 8, input.len().saturating_sub(4)])?;
    let v = *rng.pick(&[0u32, 8, 9, u32::MAX, 0xFFFF, input.len() as u32])?;
    let bytes = if le { v.to_le_bytes() } else { v.to_be_bytes() };
    let n = if at == 8 { 2 } else { 4 };
    if at + n > input.len() {
        return None;
    }
    input[at..at + n].copy_from_slice(&bytes[..n]);
    Some(format!("u{} at {at} := {v}", n * 8))
}

#[test]
fn mutations_of_exif_blocks() {
    mutate("exif", mutate_tiff, 1, 4, 5000, |input, accepted| {
        let _ = check_tiff(input);
        if let Some(o) = orientation_from_tiff(input) {
            accepted.fetch_add(1, Ordering::Relaxed);
            if !(1..=8).contains(&o.exif_value()) {
                return Err(format!("orientation {}", o.exif_value()));
            }
        }
        Ok(())
    });
}
