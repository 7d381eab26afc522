//! The seed corpora of the fuzz targets (fuzz/corpus/NAME): how each seed is made, and a check
//! that the committed ones are still what these generators make.
//!
//! Rewrite them with `cargo test -p reelsmith-core --test fuzz_seeds -- --ignored write_seeds`.

use std::path::PathBuf;

use reelsmith_core::fuzzing::crafted;
use reelsmith_core::media::exif::tiff_with_orientation;
use reelsmith_sim::clip::{ClipSpec, render_clip};

/// Named seed files of one corpus.
type Seeds = Vec<(String, Vec<u8>)>;

fn corpus(name: &str) -> PathBuf {
    std::path::PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("../../fuzz/corpus")
    .join(name)
}

fn encoded(format: image::ImageFormat, w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 13) as u8, (y * 7) as u8, ((x ^ y) * 3) as u8])
    });
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), format)
        .unwrap();
    out
}

fn small_clip(frames: u32) -> Vec<u8> {
    render_clip(
        &ClipSpec {
            width: 64,
            height: 48,
            fps: 8,
            frames,
        },
        None,
    )
    .unwrap()
}

fn sse_seeds() -> Seeds {
    // The first byte chooses how the target cuts the stream into chunks.
    let streams: [(&str, &str); 6] = [
        (
            "queue_then_done",
            "data: {\"status\":\"IN_QUEUE\",\"queue_position\":2,\"request_id\":\"r\"}\n\n\
             : ping\n\n\
             data: {\"status\":\"IN_PROGRESS\",\"logs\":[{\"message\":\"step 1\",\"level\":\"INFO\",\"timestamp\":\"t\"}]}\n\n\
             data: {\"status\":\"COMPLETED\",\"metrics\":{\"inference_time\":1.5}}\n\n",
        ),
        (
            "crlf",
            "data: {\"status\":\"IN_QUEUE\",\"queue_position\":0}\r\n\r\ndata: {\"status\":\"COMPLETED\"}\r\n\r\n",
        ),
        (
            "multiline_data",
            "event: status\nid: 7\ndata: {\"status\":\ndata: \"IN_PROGRESS\"}\n\n",
        ),
        ("comments_only", ": ping\n\n: ping\n\n"),
        ("unterminated", "data: {\"status\":\"IN_QUEUE\""),
        ("not_json", "data: hello\n\ndata:\n\n"),
    ];
    streams
        .iter()
        .enumerate()
        .map(|(i, (name, s))| {
            let mut bytes = vec![i as u8 * 3];
            bytes.extend_from_slice(s.as_bytes());
            (format!("{name}.sse"), bytes)
        })
        .collect()
}

fn content_range_seeds() -> Seeds {
    [
        "bytes 0-99/1000",
        "bytes 100-199/200",
        "bytes 5-9/*",
        "  bytes   1-1/2  ",
        "bytes 9-5/10",
        "bytes 0-9/5",
        "bytes */1000",
        "items 1-2/3",
        "bytes 18446744073709551615-18446744073709551615/*",
    ]
    .iter()
    .enumerate()
    .map(|(i, s)| (format!("range_{i}.txt"), s.as_bytes().to_vec()))
    .collect()
}

fn openapi_seeds() -> Seeds {
    let dir = std::path::PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("../../assets/endpoints");
    let mut out: Seeds = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    let cyclic = serde_json::json!({
        "openapi": "3.0.4",
        "paths": {"/fal-ai/x": {"post": {"requestBody": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/A"}}}}}}},
        "components": {"schemas": {
            "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}},
            "B": {"allOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}]}
        }}
    });
    out.push(("ref_cycle.json".into(), cyclic.to_string().into_bytes()));
    let mut deep = serde_json::json!({"type": "string"});
    for _ in 0..40 {
        deep = serde_json::json!({"type": "object", "properties": {"x": deep}});
    }
    let deep = serde_json::json!({
        "paths": {"/fal-ai/deep": {"post": {"requestBody": {"content": {"application/json": {
            "schema": deep}}}}}}
    });
    out.push(("deep_nesting.json".into(), deep.to_string().into_bytes()));
    out
}

fn exif_seeds() -> Seeds {
    let mut out = vec![
        ("orientation_1.tiff".to_string(), tiff_with_orientation(1)),
        ("orientation_6.tiff".to_string(), tiff_with_orientation(6)),
        ("loop.tiff".to_string(), crafted::exif_loop()),
    ];
    let mut be = vec![
        b'M', b'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 8,
    ];
    be.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    out.push(("orientation_8_be.tiff".into(), be));
    out
}

fn image_seeds() -> Seeds {
    use image::ImageFormat::{Jpeg, Png, WebP};
    let jpeg = encoded(Jpeg, 40, 24);
    let mut out = vec![
        ("small.jpg".to_string(), jpeg.clone()),
        ("small.png".to_string(), encoded(Png, 33, 17)),
        ("small.webp".to_string(), encoded(WebP, 20, 12)),
        (
            "exif_rotated.jpg".to_string(),
            crafted::jpeg_with_exif(&jpeg, &tiff_with_orientation(6)),
        ),
        (
            "exif_loop.jpg".to_string(),
            crafted::jpeg_with_exif(&jpeg, &crafted::exif_loop()),
        ),
        (
            "huge_declared.png".to_string(),
            crafted::png_huge_declared(),
        ),
        ("truncated.png".to_string(), {
            let p = encoded(Png, 33, 17);
            p[..p.len() / 2].to_vec()
        }),
    ];
    let crafted_jpegs = std::path::PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("../jpeg-dc/tests/crafted");
    let mut names: Vec<PathBuf> = std::fs::read_dir(crafted_jpegs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for p in names {
        let name = format!("crafted_{}", p.file_name().unwrap().to_string_lossy());
        out.push((name, std::fs::read(&p).unwrap()));
    }
    out
}

fn mp4_seeds() -> Seeds {
    let clip = small_clip(6);
    vec![
        ("clip_6_frames.mp4".to_string(), clip.clone()),
        ("clip_2_frames.mp4".to_string(), small_clip(2)),
        (
            "crafted_nested_zero_box.mp4".to_string(),
            crafted::mp4_nested_zero_box(),
        ),
        (
            "crafted_stsz_4gb.mp4".to_string(),
            crafted::mp4_stsz_4gb(&clip),
        ),
        (
            "crafted_truncated.mp4".to_string(),
            crafted::mp4_truncated(&clip),
        ),
        (
            "crafted_zero_box_in_stbl.mp4".to_string(),
            crafted::mp4_zero_box_in_stbl(&clip),
        ),
        (
            "crafted_stsc_zero_samples.mp4".to_string(),
            crafted::mp4_stsc_zero_samples(&clip),
        ),
        (
            "crafted_chunk_past_end.mp4".to_string(),
            crafted::mp4_chunk_past_end(&clip),
        ),
        (
            "crafted_stts_count_huge.mp4".to_string(),
            crafted::mp4_stts_count_huge(&clip),
        ),
    ]
}

/// Every corpus: `(target, seeds)`.
fn all() -> Vec<(&'static str, Seeds)> {
    vec![
        ("sse", sse_seeds()),
        ("content_range", content_range_seeds()),
        ("openapi", openapi_seeds()),
        ("exif", exif_seeds()),
        ("image_probe", image_seeds()),
        ("image_decode", image_seeds()),
        ("mp4", mp4_seeds()),
    ]
}

/// Writes every corpus (run by hand; see the top of this file).
#[test]
#[ignore]
fn write_seeds() {
    for (target, seeds) in all() {
        let dir = corpus(target);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in seeds {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
    }
}

/// The committed seeds are there, and the deterministic ones match their generators.
#[test]
fn committed_seeds_match_their_generators() {
    for (target, seeds) in all() {
        for (name, bytes) in seeds {
            let path = corpus(target).join(&name);
            let committed =
                std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            // Encoders (the clips, the image crate's) may change between versions; the
            // hand-made seeds may not.
            let generated = name.starts_with("crafted_nested")
                || matches!(target, "sse" | "content_range" | "exif");
            if generated {
                assert!(
                    committed == bytes,
                    "{}: differs from its generator",
                    path.display()
                );
            }
        }
    }
}
