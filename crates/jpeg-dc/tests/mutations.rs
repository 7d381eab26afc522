//! A few thousand structure-aware mutants of the fuzzing corpus (fuzz/corpus/jpeg_dc), on
//! stable Rust under plain `cargo test`: none may panic or take long, and a decoded picture
//! must be its declared size / 8, whichever way its segments are read.
//!
//! A failure names its case; `REELSMITH_MUTATE_CASES=N cargo test -p jpeg-dc --test
//! mutations NAME` reruns just that one (NAME: the test that failed), and the failing input is saved under the target
//! directory (see the message).

mod support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use jpeg_dc::testing::{declared_size, decode_eighth_with};
use reelsmith_mutate::{Mutator, Seed, cases_from_env, run};

/// What every mutant must satisfy; counts in `decoded` those that gave a picture.
fn check(input: &[u8], decoded: &AtomicUsize) -> Result<(), String> {
    let default = jpeg_dc::decode_eighth(input);
    let one = decode_eighth_with(input, usize::MAX);
    // Every segment as two halves, however short: the two ways must agree.
    let two = decode_eighth_with(input, 0);
    if default != one {
        return Err("decode_eighth differs from one reader".into());
    }
    if two != one {
        return Err("two halves differ from one reader".into());
    }
    let Some((w, h, rgb)) = one else {
        return Ok(());
    };
    decoded.fetch_add(1, Ordering::Relaxed);
    let (dw, dh) = declared_size(input).ok_or("decoded, but no frame header was found")?;
    if (w, h) != (dw.div_ceil(8), dh.div_ceil(8)) {
        return Err(format!("{w}×{h} decoded from a {dw}×{dh} frame"));
    }
    if rgb.len() != w as usize * h as usize * 3 {
        return Err(format!("{} bytes for {w}×{h} RGB", rgb.len()));
    }
    Ok(())
}

/// Runs `count` mutants of up to `steps` steps each (another family per `family`).
fn mutate_corpus(family: u64, steps: usize, count: u64) {
    let corpus = std::path::PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("../../fuzz/corpus/jpeg_dc");
    let seeds = Seed::from_dir(&corpus).expect("the fuzzing corpus");
    assert!(
        seeds.len() >= 30,
        "{} seeds in {}",
        seeds.len(),
        corpus.display()
    );
    let mutator = Mutator::new(seeds)
        .with_structure(support::jpeg_mutations::mutate_jpeg, 60)
        .max_steps(steps)
        .max_len(64 * 1024)
        .base_seed(family);
    let cases = cases_from_env(0..count);
    let count = cases.end - cases.start;
    let decoded = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&decoded);
    let check = move |input: &[u8]| check(input, &counter);
    let summary = run(mutator, cases, Duration::from_secs(2), check).unwrap_or_else(|failure| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("jpeg-dc-mutations");
        let saved = failure.save_input(&dir).map(|p| p.display().to_string());
        panic!("{failure}\n  input saved to {saved:?}");
    });
    // The mutants that decode are the ones that test more than the header checks.
    let decoded = decoded.load(Ordering::Relaxed);
    println!(
        "{} mutants of up to {steps} steps in {:?} (slowest: case {}, {:?}); {decoded} decoded",
        summary.cases, summary.total, summary.slowest_case, summary.slowest
    );
    assert!(
        count < 100 || decoded * 50 > count as usize,
        "{decoded} decoded"
    );
}

#[test]
fn single_mutations_of_the_corpus() {
    mutate_corpus(1, 1, 10_000);
}

#[test]
fn stacked_mutations_of_the_corpus() {
    mutate_corpus(2, 4, 10_000);
}
