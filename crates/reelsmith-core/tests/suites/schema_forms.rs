//! The form model against every bundled endpoint: field lists, payloads, validation messages
//! (the cross-field rules and cost are schema_rules.rs, with these helpers).

use std::path::{Path, PathBuf};

use reelsmith_core::catalog::bundled::{bundled_document, bundled_documents};
use reelsmith_core::schema::conform;
use reelsmith_core::schema::describe::field_json;
use reelsmith_core::schema::{
    FieldKind, FieldValue, FormModel, FormState, Issue, MediaRef, Severity, build_payload, validate,
};
use serde_json::{Value, json};

// ---------- helpers ----------

pub(crate) fn model(id: &str) -> FormModel {
    let text = bundled_document(id).unwrap_or_else(|| panic!("{id} is bundled"));
    FormModel::from_openapi_str(text).unwrap_or_else(|e| panic!("{id} parses: {e}"))
}

/// The expected description of a field, in the CLI JSON shape minus prose.
pub(crate) fn fld(name: &str, kind: &str, required: bool) -> Value {
    json!({"name": name, "kind": kind, "required": required, "default": null, "choices": [],
        "min": null, "max": null, "max_length": null})
}

pub(crate) fn with(mut v: Value, key: &str, val: Value) -> Value {
    v[key] = val;
    v
}

pub(crate) fn enum_fld(name: &str, choices: Value, default: &str) -> Value {
    with(
        with(fld(name, "enum", false), "choices", choices),
        "default",
        json!(default),
    )
}

pub(crate) fn bool_fld(name: &str, default: bool) -> Value {
    with(fld(name, "bool", false), "default", json!(default))
}

/// The model's fields as comparable JSON (description and item_fields compared separately).
pub(crate) fn actual_fields(fields: &[reelsmith_core::schema::Field]) -> Vec<Value> {
    fields
        .iter()
        .map(|f| {
            let mut v = field_json(f);
            let obj = v.as_object_mut().unwrap();
            obj.remove("description");
            obj.remove("item_fields");
            v
        })
        .collect()
}

pub(crate) fn veo_fields(
    aspect: Value,
    aspect_default: &str,
    durations: Value,
    duration_default: &str,
    resolutions: Value,
    auto_fix: bool,
    with_negative_and_seed: bool,
) -> Vec<Value> {
    let mut v = vec![
        with(fld("prompt", "prompt", true), "max_length", json!(20000)),
        enum_fld("aspect_ratio", aspect, aspect_default),
        enum_fld("duration", durations, duration_default),
    ];
    if with_negative_and_seed {
        v.push(fld("negative_prompt", "text", false));
    }
    v.push(enum_fld("resolution", resolutions, "720p"));
    v.push(bool_fld("generate_audio", true));
    if with_negative_and_seed {
        v.push(fld("seed", "integer", false));
    }
    v.push(bool_fld("auto_fix", auto_fix));
    v
}

/// A real 16:9 (or other) PNG on disk.
pub(crate) fn png(dir: &Path, name: &str, w: u32, h: u32) -> PathBuf {
    let path = dir.join(name);
    image::RgbImage::from_pixel(w, h, image::Rgb([200, 80, 30]))
        .save(&path)
        .unwrap();
    path
}

/// A resolver that "uploads" each local file to a CDN URL named after it.
pub(crate) fn cdn(path: &Path) -> Option<String> {
    Some(format!(
        "https://cdn.test/files/{}",
        path.file_name()?.to_str()?
    ))
}

/// The payload checked against the endpoint's own input schema (as the simulator and fal do).
pub(crate) fn conforms(id: &str, payload: &Value) {
    let doc: Value = serde_json::from_str(bundled_document(id).unwrap()).unwrap();
    let schema = conform::input_schema(&doc, id).unwrap();
    let errors = conform::check(&doc, schema, payload);
    assert!(errors.is_empty(), "{id}: {payload} → {errors:?}");
}

pub(crate) fn set(state: &mut FormState, model: &FormModel, name: &str, text: &str) {
    state
        .set_from_str(model, name, text)
        .unwrap_or_else(|e| panic!("set {name}={text}: {e}"));
}

pub(crate) fn errors(issues: &[Issue]) -> Vec<&Issue> {
    issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .collect()
}

// ---------- field lists ----------

#[test]
fn every_bundled_endpoint_has_the_fields_its_schema_declares() {
    let ar2 = json!(["16:9", "9:16"]);
    let ar3 = json!(["auto", "16:9", "9:16"]);
    let d3 = json!(["4s", "6s", "8s"]);
    let res3 = json!(["720p", "1080p", "4k"]);
    let media = |name: &str, kind: &str| fld(name, kind, true);

    let t2v = veo_fields(
        ar2.clone(),
        "16:9",
        d3.clone(),
        "8s",
        res3.clone(),
        true,
        true,
    );
    let mut i2v = veo_fields(
        ar3.clone(),
        "auto",
        d3.clone(),
        "8s",
        res3.clone(),
        false,
        true,
    );
    i2v.push(media("image_url", "image"));
    let mut flf = veo_fields(
        ar3.clone(),
        "auto",
        d3.clone(),
        "8s",
        res3.clone(),
        false,
        true,
    );
    flf.push(media("first_frame_url", "image"));
    flf.push(media("last_frame_url", "image"));
    let mut ext = veo_fields(
        ar3.clone(),
        "auto",
        json!(["7s"]),
        "7s",
        json!(["720p"]),
        false,
        true,
    );
    ext.push(media("video_url", "video"));
    let mut r2v = veo_fields(
        ar2.clone(),
        "16:9",
        json!(["8s"]),
        "8s",
        res3.clone(),
        false,
        false,
    );
    r2v.push(media("image_urls", "image_list"));
    let kling = vec![
        with(fld("prompt", "prompt", true), "max_length", json!(2500)),
        fld("image_urls", "image_list", false),
        fld("elements", "object_list", false),
        enum_fld(
            "duration",
            json!(["3", "4", "5", "6", "7", "8", "9", "10"]),
            "5",
        ),
        enum_fld("aspect_ratio", json!(["16:9", "9:16", "1:1"]), "16:9"),
    ];
    let range = |name: &str, kind: &str, min: i64, max: i64, default: Value| {
        with(
            with(
                with(fld(name, kind, false), "min", json!(min)),
                "max",
                json!(max),
            ),
            "default",
            default,
        )
    };
    let vap = vec![
        fld("prompt", "prompt", true),
        media("video_url", "video"),
        media("image_url", "image"),
        fld("seed", "integer", false),
        range("num_frames", "integer", 1, 100, json!(49)),
        range("fps", "integer", 1, 60, json!(16)),
        fld("video_description", "text", true),
        bool_fld("enable_safety_checker", true),
        enum_fld("aspect_ratio", ar2.clone(), "9:16"),
        enum_fld("resolution", json!(["480p", "580p", "720p"]), "480p"),
        range("guidance_scale", "number", 1, 20, json!(5)),
    ];

    let table: Vec<(&str, Vec<Value>)> = vec![
        ("fal-ai/veo3.1", t2v.clone()),
        ("fal-ai/veo3.1/fast", t2v),
        ("fal-ai/veo3.1/image-to-video", i2v.clone()),
        ("fal-ai/veo3.1/fast/image-to-video", i2v),
        ("fal-ai/veo3.1/first-last-frame-to-video", flf.clone()),
        ("fal-ai/veo3.1/fast/first-last-frame-to-video", flf),
        ("fal-ai/veo3.1/extend-video", ext.clone()),
        ("fal-ai/veo3.1/fast/extend-video", ext),
        ("fal-ai/veo3.1/reference-to-video", r2v),
        (
            "fal-ai/kling-video/o1/standard/reference-to-video",
            kling.clone(),
        ),
        ("fal-ai/kling-video/o1/reference-to-video", kling),
        ("fal-ai/video-as-prompt", vap),
    ];
    assert_eq!(
        table.len(),
        bundled_documents().len(),
        "every bundled endpoint is covered"
    );
    for (id, expected) in table {
        let m = model(id);
        assert_eq!(m.endpoint_id, id);
        assert!(!m.title.is_empty() && !m.title.starts_with("Queue OpenAPI"));
        let actual = actual_fields(&m.fields);
        for (a, e) in actual.iter().zip(&expected) {
            assert_eq!(a, e, "{id}: field differs");
        }
        assert_eq!(actual.len(), expected.len(), "{id}: field count");
        for f in &m.fields {
            assert!(
                !f.description.is_empty(),
                "{id}.{} has a description",
                f.name
            );
            assert!(!f.label.is_empty());
        }
    }
}

#[test]
fn kling_elements_are_a_list_of_objects_with_image_limits() {
    let m = model("fal-ai/kling-video/o1/standard/reference-to-video");
    let elements = m.field("elements").unwrap();
    assert_eq!(elements.kind, FieldKind::ObjectList);
    let names: Vec<&str> = elements
        .item_fields
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(names, ["frontal_image_url", "reference_image_urls"]);
    let frontal = &elements.item_fields[0];
    assert_eq!((frontal.kind, frontal.required), (FieldKind::Image, true));
    let limits = frontal.media.as_ref().expect("x-fal limits");
    assert_eq!(limits.max_file_size, Some(10_485_760));
    assert_eq!(
        (limits.min_width, limits.min_height),
        (Some(300), Some(300))
    );
    assert_eq!(
        (limits.min_aspect_ratio, limits.max_aspect_ratio),
        (Some(0.4), Some(2.5))
    );
    let refs = &elements.item_fields[1];
    assert_eq!((refs.kind, refs.required), (FieldKind::ImageList, false));
    assert_eq!(refs.media.as_ref().unwrap().timeout, Some(20.0));
    let images = m.field("image_urls").unwrap();
    assert_eq!(images.media.as_ref().unwrap().max_aspect_ratio, Some(2.5));
    // Labels come from the schema's titles.
    assert_eq!(frontal.label, "Frontal Image URL");
}

#[test]
fn advanced_fields_are_the_rarely_used_optional_settings() {
    let advanced = |id: &str| -> Vec<String> {
        model(id)
            .fields
            .iter()
            .filter(|f| f.advanced)
            .map(|f| f.name.clone())
            .collect()
    };
    assert_eq!(
        advanced("fal-ai/veo3.1/image-to-video"),
        ["negative_prompt", "seed", "auto_fix"]
    );
    assert_eq!(
        advanced("fal-ai/video-as-prompt"),
        ["seed", "enable_safety_checker", "guidance_scale"]
    );
    assert!(advanced("fal-ai/kling-video/o1/standard/reference-to-video").is_empty());
}

#[test]
fn defaults_are_the_schema_defaults_only() {
    let m = model("fal-ai/veo3.1/image-to-video");
    assert_eq!(
        Value::Object(m.defaults()),
        json!({"aspect_ratio": "auto", "duration": "8s", "resolution": "720p",
            "generate_audio": true, "auto_fix": false})
    );
    // An untouched form sends exactly those.
    let state = FormState::from_defaults(&m);
    let payload = build_payload(&m, &state, &cdn).unwrap();
    assert_eq!(payload, Value::Object(m.defaults()));
    let vap = model("fal-ai/video-as-prompt");
    let payload = build_payload(&vap, &FormState::from_defaults(&vap), &cdn).unwrap();
    assert_eq!(payload["num_frames"], json!(49));
    assert!(payload["num_frames"].is_u64(), "integers stay integers");
    assert_eq!(payload["guidance_scale"], json!(5));
    assert!(
        payload.get("seed").is_none(),
        "an empty optional is left out, not null"
    );
}

// ---------- filled forms → payloads ----------

#[test]
fn filled_forms_build_exactly_the_json_fal_expects() {
    let dir = tempfile::tempdir().unwrap();
    let wide = png(dir.path(), "wide.png", 320, 180);
    let tall = png(dir.path(), "tall.png", 180, 320);
    let at = |p: &Path| format!("@{}", p.display());

    // Veo image-to-video: local image, integer seed, exact enum strings, cleared optional.
    let m = model("fal-ai/veo3.1/image-to-video");
    let mut s = FormState::from_defaults(&m);
    set(
        &mut s,
        &m,
        "prompt",
        "A lighthouse at dusk, waves rolling in",
    );
    set(&mut s, &m, "image_url", &at(&wide));
    set(&mut s, &m, "duration", "6s");
    set(&mut s, &m, "aspect_ratio", "16:9");
    set(&mut s, &m, "seed", "1234");
    set(&mut s, &m, "generate_audio", "false");
    set(&mut s, &m, "negative_prompt", "");
    set(&mut s, &m, "auto_fix", "");
    assert_eq!(s.local_files(), vec![wide.clone()]);
    assert!(
        errors(&validate(&m, &s)).is_empty(),
        "{:?}",
        validate(&m, &s)
    );
    conforms(&m.endpoint_id, &build_payload(&m, &s, &cdn).unwrap());
    assert_eq!(
        build_payload(&m, &s, &cdn).unwrap(),
        json!({"prompt": "A lighthouse at dusk, waves rolling in", "aspect_ratio": "16:9",
            "duration": "6s", "resolution": "720p", "generate_audio": false, "seed": 1234,
            "image_url": "https://cdn.test/files/wide.png"})
    );

    // First and last frame (fast): two images, one a URL.
    let m = model("fal-ai/veo3.1/fast/first-last-frame-to-video");
    let mut s = FormState::from_defaults(&m);
    set(&mut s, &m, "prompt", "The flower opens");
    set(&mut s, &m, "first_frame_url", &at(&wide));
    set(
        &mut s,
        &m,
        "last_frame_url",
        "https://example.test/last.png",
    );
    set(&mut s, &m, "resolution", "4k");
    assert!(errors(&validate(&m, &s)).is_empty());
    conforms(&m.endpoint_id, &build_payload(&m, &s, &cdn).unwrap());
    assert_eq!(
        build_payload(&m, &s, &cdn).unwrap(),
        json!({"prompt": "The flower opens", "aspect_ratio": "auto", "duration": "8s",
            "resolution": "4k", "generate_audio": true, "auto_fix": false,
            "first_frame_url": "https://cdn.test/files/wide.png",
            "last_frame_url": "https://example.test/last.png"})
    );

    // Text to video: only the prompt beyond the defaults.
    let m = model("fal-ai/veo3.1/fast");
    let mut s = FormState::from_defaults(&m);
    set(&mut s, &m, "prompt", "Rain on a tin roof");
    conforms(&m.endpoint_id, &build_payload(&m, &s, &cdn).unwrap());
    assert_eq!(
        build_payload(&m, &s, &cdn).unwrap(),
        json!({"prompt": "Rain on a tin roof", "aspect_ratio": "16:9", "duration": "8s",
            "resolution": "720p", "generate_audio": true, "auto_fix": true})
    );

    // Extend a clip.
    let m = model("fal-ai/veo3.1/extend-video");
    let mut s = FormState::from_defaults(&m);
    set(&mut s, &m, "prompt", "The car drives off");
    set(&mut s, &m, "video_url", "https://example.test/clip.mp4");
    assert!(errors(&validate(&m, &s)).is_empty());
    conforms(&m.endpoint_id, &build_payload(&m, &s, &cdn).unwrap());
    assert_eq!(
        build_payload(&m, &s, &cdn).unwrap(),
        json!({"prompt": "The car drives off", "aspect_ratio": "auto", "duration": "7s",
            "resolution": "720p", "generate_audio": true, "auto_fix": false,
            "video_url": "https://example.test/clip.mp4"})
    );

    // Reference to video: a list of images, mixed local and URL, in order.
    let m = model("fal-ai/veo3.1/reference-to-video");
    let mut s = FormState::from_defaults(&m);
    set(&mut s, &m, "prompt", "She walks through the market");
    set(
        &mut s,
        &m,
        "image_urls",
        &json!([at(&wide), "https://example.test/b.png", at(&tall)]).to_string(),
    );
    assert!(errors(&validate(&m, &s)).is_empty());
    conforms(&m.endpoint_id, &build_payload(&m, &s, &cdn).unwrap());
    assert_eq!(
        build_payload(&m, &s, &cdn).unwrap(),
        json!({"prompt": "She walks through the market", "aspect_ratio": "16:9",
            "duration": "8s", "resolution": "720p", "generate_audio": true, "auto_fix": false,
            "image_urls": ["https://cdn.test/files/wide.png", "https://example.test/b.png",
                "https://cdn.test/files/tall.png"]})
    );

    // Kling O1: elements (a list of objects with media inside), string-valued durations.
    let m = model("fal-ai/kling-video/o1/standard/reference-to-video");
    let mut s = FormState::from_defaults(&m);
    set(
        &mut s,
        &m,
        "prompt",
        "@Element1 waves at the camera in the style of @Image1",
    );
    set(&mut s, &m, "image_urls", &at(&tall));
    set(
        &mut s,
        &m,
        "elements",
        &json!([{"frontal_image_url": at(&wide),
            "reference_image_urls": [at(&tall), "https://example.test/side.png"]}])
        .to_string(),
    );
    set(&mut s, &m, "duration", "10");
    assert_eq!(s.local_files(), vec![wide.clone(), tall.clone()]);
    assert_eq!(
        s.local_files_in_form_order(&m),
        vec![tall.clone(), wide.clone()],
        "image_urls comes before elements in the form"
    );
    assert!(validate(&m, &s).is_empty(), "{:?}", validate(&m, &s));
    conforms(&m.endpoint_id, &build_payload(&m, &s, &cdn).unwrap());
    assert_eq!(
        build_payload(&m, &s, &cdn).unwrap(),
        json!({"prompt": "@Element1 waves at the camera in the style of @Image1",
            "image_urls": ["https://cdn.test/files/tall.png"],
            "elements": [{"frontal_image_url": "https://cdn.test/files/wide.png",
                "reference_image_urls": ["https://cdn.test/files/tall.png",
                    "https://example.test/side.png"]}],
            "duration": "10", "aspect_ratio": "16:9"})
    );

    // Video as prompt: integers and a float in range, optional seed set.
    let m = model("fal-ai/video-as-prompt");
    let mut s = FormState::from_defaults(&m);
    set(&mut s, &m, "prompt", "A cat dances");
    set(&mut s, &m, "video_url", "https://example.test/dance.mp4");
    set(&mut s, &m, "image_url", &at(&tall));
    set(&mut s, &m, "video_description", "a person dancing");
    set(&mut s, &m, "num_frames", "81");
    set(&mut s, &m, "guidance_scale", "7.5");
    set(&mut s, &m, "seed", "7");
    assert!(validate(&m, &s).is_empty(), "{:?}", validate(&m, &s));
    conforms(&m.endpoint_id, &build_payload(&m, &s, &cdn).unwrap());
    assert_eq!(
        build_payload(&m, &s, &cdn).unwrap(),
        json!({"prompt": "A cat dances", "video_url": "https://example.test/dance.mp4",
            "image_url": "https://cdn.test/files/tall.png", "seed": 7, "num_frames": 81,
            "fps": 16, "video_description": "a person dancing", "enable_safety_checker": true,
            "aspect_ratio": "9:16", "resolution": "480p", "guidance_scale": 7.5})
    );
}

#[test]
fn input_json_round_trips_and_state_serialises() {
    let m = model("fal-ai/kling-video/o1/reference-to-video");
    let input = json!({"prompt": "@Element1 runs", "duration": "7",
        "elements": [{"frontal_image_url": "@/pics/front.png",
            "reference_image_urls": ["https://example.test/a.png"]}]});
    let state = FormState::from_input_json(&m, &input).unwrap();
    assert_eq!(state.local_files(), vec![PathBuf::from("/pics/front.png")]);
    match &state.values["elements"] {
        FieldValue::ObjectList(items) => assert_eq!(
            items[0].values["frontal_image_url"],
            FieldValue::Media(MediaRef::Local("/pics/front.png".into()))
        ),
        other => panic!("elements is {other:?}"),
    }
    let saved = serde_json::to_string(&state).unwrap();
    let back: FormState = serde_json::from_str(&saved).unwrap();
    assert_eq!(back, state);
    let payload = build_payload(&m, &back, &|p| {
        (p == Path::new("/pics/front.png")).then(|| "https://cdn.test/front.png".to_string())
    })
    .unwrap();
    assert_eq!(
        payload["elements"][0]["frontal_image_url"],
        "https://cdn.test/front.png"
    );
    assert_eq!(payload["duration"], "7");

    // A local file that was never uploaded stops the payload, naming field and file.
    let err = build_payload(&m, &back, &|_| None).unwrap_err().to_string();
    assert!(
        err.contains("elements[0].frontal_image_url") && err.contains("/pics/front.png"),
        "{err}"
    );
}

#[test]
fn wrong_values_are_refused_with_the_field_named() {
    let m = model("fal-ai/video-as-prompt");
    let mut s = FormState::default();
    let e = s
        .set_from_str(&m, "num_frames", "12.5")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("num_frames") && e.contains("whole number"),
        "{e}"
    );
    let e = s
        .set_from_str(&m, "resolution", "1080p")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("resolution") && e.contains("\"480p\", \"580p\", \"720p\""),
        "{e}"
    );
    let e = s
        .set_from_str(&m, "enable_safety_checker", "maybe")
        .unwrap_err()
        .to_string();
    assert!(e.contains("true or false"), "{e}");
    let e = s.set_from_str(&m, "colour", "red").unwrap_err().to_string();
    assert!(
        e.contains("no field `colour`") && e.contains("guidance_scale"),
        "{e}"
    );
    let e = FormState::from_input_json(&m, &json!({"fps": "fast"}))
        .unwrap_err()
        .to_string();
    assert!(e.contains("fps") && e.contains("whole number"), "{e}");
    // 16.0 is still the whole number 16.
    let s = FormState::from_input_json(&m, &json!({"fps": 16.0})).unwrap();
    assert_eq!(s.values["fps"], FieldValue::Integer(16));
}

// ---------- validation messages ----------

#[test]
fn schema_limits_produce_messages_naming_the_field() {
    let m = model("fal-ai/kling-video/o1/standard/reference-to-video");
    let mut s = FormState::from_defaults(&m);
    let issues = validate(&m, &s);
    assert!(issues.iter().any(|i| i.field == "prompt"
        && i.severity == Severity::Error
        && i.message == "Prompt is required: fill it in."));
    set(&mut s, &m, "prompt", &"x".repeat(2600));
    let issues = validate(&m, &s);
    let long = issues.iter().find(|i| i.field == "prompt").unwrap();
    assert_eq!(
        long.message,
        "Prompt is 2600 characters long; the most allowed is 2500. Shorten it by 100."
    );

    let m = model("fal-ai/video-as-prompt");
    let mut s = FormState::from_defaults(&m);
    set(&mut s, &m, "guidance_scale", "0.5");
    set(&mut s, &m, "video_url", "not a url");
    let issues = validate(&m, &s);
    let scale = issues.iter().find(|i| i.field == "guidance_scale").unwrap();
    assert_eq!(
        scale.message,
        "Guidance Scale must be at least 1; it is 0.5."
    );
    let video = issues.iter().find(|i| i.field == "video_url").unwrap();
    assert!(
        video.message.contains("is not a web address"),
        "{}",
        video.message
    );
    assert!(issues.iter().any(|i| i.field == "video_description"
        && i.message == "Video Description is required: fill it in."));
    set(&mut s, &m, "image_url", "@/no/such/file.png");
    let issues = validate(&m, &s);
    let img = issues.iter().find(|i| i.field == "image_url").unwrap();
    assert!(
        img.message.contains("/no/such/file.png does not exist"),
        "{}",
        img.message
    );
}
