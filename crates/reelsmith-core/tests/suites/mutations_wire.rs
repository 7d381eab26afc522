//! Bounded, structure-aware mutation tests of the parsers of network answers and documents,
//! on stable Rust under plain `cargo test` (fuzz/ runs the same checks under libFuzzer): the
//! status stream's SSE splitter and status parser, the download's `Content-Range` parser, and
//! the OpenAPI document → form model path (deep nesting, `$ref` cycles, `allOf` fan-out, huge
//! arrays).
//!
//! A failure names its case; `REELSMITH_MUTATE_CASES=N cargo test -p reelsmith-core --test
//! mutations_wire NAME` reruns it.

#[path = "support/json_mutations.rs"]
mod json_mutations;

use std::path::Path;
use std::time::Duration;

use reelsmith_core::fuzzing::{parse_content_range, parse_status, sse_take_events};
use reelsmith_core::schema::{FormModel, FormState, build_payload, describe, validate};
use reelsmith_mutate::{Mutator, Rng, Seed, Structure, cases_from_env, run};

fn seeds(target: &str) -> Vec<Seed> {
    let dir = std::path::PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("../../fuzz/corpus")
    .join(target);
    Seed::from_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

fn mutate(
    target: &str,
    structure: impl Structure + 'static,
    steps: usize,
    count: u64,
    per_case: Duration,
    check: impl Fn(&[u8]) -> Result<(), String> + Send + Sync + 'static,
) {
    let mutator = Mutator::new(seeds(target))
        .with_structure(structure, 60)
        .max_steps(steps)
        .max_len(256 * 1024);
    let summary = run(mutator, cases_from_env(0..count), per_case, check)
        .unwrap_or_else(|failure| panic!("{failure}"));
    println!(
        "{target}: {} mutants in {:?} (slowest: case {}, {:?})",
        summary.cases, summary.total, summary.slowest_case, summary.slowest
    );
}

fn feed(buf: &mut Vec<u8>, chunk: &[u8], events: &mut Vec<String>) {
    buf.extend(chunk.iter().copied().filter(|&b| b != b'\r'));
    events.extend(sse_take_events(buf));
}

/// The same checks as fuzz/fuzz_targets/sse.rs.
fn check_sse(data: &[u8]) -> Result<(), String> {
    let Some((&cut, body)) = data.split_first() else {
        return Ok(());
    };
    let (mut whole_buf, mut whole) = (Vec::new(), Vec::new());
    feed(&mut whole_buf, body, &mut whole);
    let (mut buf, mut chunked) = (Vec::new(), Vec::new());
    for chunk in body.chunks(usize::from(cut % 17) + 1) {
        feed(&mut buf, chunk, &mut chunked);
    }
    if whole != chunked || whole_buf != buf {
        return Err("events depend on how the stream was cut".into());
    }
    if buf.windows(2).any(|w| w == b"\n\n") {
        return Err("a complete event was left in the buffer".into());
    }
    for data in &whole {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(data) {
            let _ = parse_status(&value);
        }
    }
    Ok(())
}

/// SSE framing: blank lines, CRs, `data:` and comment lines, cut lines.
fn mutate_sse(input: &mut Vec<u8>, rng: &mut Rng, _seeds: &[Seed]) -> Option<String> {
    let pieces: [&[u8]; 7] = [
        b"\n\n",
        b"\r\n",
        b"\r",
        b"data: ",
        b"data:",
        b": ping\n\n",
        b"\n",
    ];
    let piece = rng.pick(&pieces)?.to_vec();
    let at = 1 + rng.below(input.len().max(1));
    let at = at.min(input.len());
    input.splice(at..at, piece.iter().copied());
    Some(format!(
        "insert {:?} at {at}",
        String::from_utf8_lossy(&piece)
    ))
}

#[test]
fn mutations_of_status_streams() {
    mutate(
        "sse",
        mutate_sse,
        4,
        20_000,
        Duration::from_secs(2),
        check_sse,
    );
}

/// An independent reading of `Content-Range` (as in fuzz/fuzz_targets/content_range.rs).
fn reference_range(value: &str) -> Option<(u64, Option<u64>)> {
    let digits = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    let rest = value.trim().strip_prefix("bytes")?;
    let rest = rest.strip_prefix(|c: char| c == ' ' || c == '\t')?.trim();
    let (range, total) = rest.split_once('/')?;
    let (first, last) = range.trim().split_once('-')?;
    let (first, last) = (digits(first.trim())?, digits(last.trim())?);
    let total = match total.trim() {
        "*" => None,
        t => Some(digits(t)?),
    };
    (first <= last && total.is_none_or(|t| last < t)).then_some((first, total))
}

fn mutate_range(input: &mut Vec<u8>, rng: &mut Rng, _seeds: &[Seed]) -> Option<String> {
    let pieces: [&[u8]; 9] = [
        b"0",
        b"9",
        b"-",
        b"/",
        b"*",
        b" ",
        b"+",
        b"18446744073709551616",
        b"\t",
    ];
    let piece = rng.pick(&pieces)?.to_vec();
    let at = rng.below(input.len() + 1);
    input.splice(at..at, piece.iter().copied());
    Some(format!(
        "insert {:?} at {at}",
        String::from_utf8_lossy(&piece)
    ))
}

#[test]
fn mutations_of_content_ranges() {
    mutate(
        "content_range",
        mutate_range,
        4,
        20_000,
        Duration::from_secs(1),
        |data| {
            let Ok(text) = std::str::from_utf8(data) else {
                return Ok(());
            };
            let (got, want) = (parse_content_range(text), reference_range(text));
            if got != want {
                return Err(format!("{text:?}: parsed {got:?}, should be {want:?}"));
            }
            Ok(())
        },
    );
}

/// The same checks as fuzz/fuzz_targets/openapi.rs.
fn check_openapi(data: &[u8]) -> Result<(), String> {
    let Ok(text) = std::str::from_utf8(data) else {
        return Ok(());
    };
    let Ok(model) = FormModel::from_openapi_str(text) else {
        return Ok(());
    };
    let _ = model.defaults();
    let _ = describe::model_json(&model);
    let form = FormState::from_defaults(&model);
    let _ = validate(&model, &form);
    let placeholder = |p: &Path| Some(format!("file://{}", p.display()));
    let _ = build_payload(&model, &form, &placeholder);
    if model.fields.iter().any(|f| f.name.is_empty()) {
        return Err("a field without a name".into());
    }
    Ok(())
}

#[test]
fn mutations_of_openapi_documents() {
    mutate(
        "openapi",
        json_mutations::mutate_json,
        3,
        3_000,
        Duration::from_secs(5),
        check_openapi,
    );
}
