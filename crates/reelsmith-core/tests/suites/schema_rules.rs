//! The per-family cross-field rules (Kling's references and mentions, Veo's subject images,
//! extend and frames, video-as-prompt) and cost estimates from the dated price table.

use reelsmith_core::schema::cost;
use reelsmith_core::schema::{
    FieldValue, FormModel, FormState, Issue, MediaRef, Severity, validate,
};
use serde_json::{Value, json};

use crate::schema_forms::*;

// ---------- cross-field rules ----------

fn kling_state(m: &FormModel, prompt: &str, elements: Value, images: Value) -> FormState {
    FormState::from_input_json(
        m,
        &json!({"prompt": prompt, "elements": elements, "image_urls": images}),
    )
    .unwrap()
}

fn messages(issues: &[Issue], field: &str) -> Vec<String> {
    issues
        .iter()
        .filter(|i| i.field == field)
        .map(|i| i.message.clone())
        .collect()
}

#[test]
fn kling_at_most_seven_references_in_all() {
    let m = model("fal-ai/kling-video/o1/standard/reference-to-video");
    let el = json!({"frontal_image_url": "https://x.test/f.png",
        "reference_image_urls": ["https://x.test/r.png"]});
    let prompt = "@Element1 @Element2 @Element3 @Element4 @Image1 @Image2 @Image3 @Image4";
    let images = json!([
        "https://x.test/1.png",
        "https://x.test/2.png",
        "https://x.test/3.png",
        "https://x.test/4.png"
    ]);
    let s = kling_state(&m, prompt, json!([el, el, el, el]), images.clone());
    let issues = validate(&m, &s);
    assert_eq!(
        messages(&issues, "image_urls"),
        [
            "Kling O1 takes at most 7 references in all; this form has 4 elements and 4 images (8). Remove 1."
        ]
    );
    let s = kling_state(
        &m,
        prompt.replace(" @Element4", "").as_str(),
        json!([el, el, el]),
        images,
    );
    assert!(validate(&m, &s).is_empty(), "7 is allowed");
}

#[test]
fn kling_prompt_mentions_must_exist_and_unmentioned_references_warn() {
    let m = model("fal-ai/kling-video/o1/reference-to-video");
    let el = json!({"frontal_image_url": "https://x.test/f.png",
        "reference_image_urls": ["https://x.test/r.png"]});
    let s = kling_state(
        &m,
        "@Element1 meets @Element3 under @Image2",
        json!([el, el]),
        json!(["https://x.test/1.png"]),
    );
    let issues = validate(&m, &s);
    assert_eq!(
        messages(&issues, "prompt"),
        [
            "The prompt mentions @Element3, but only 2 elements are given. Add element 3 or change the mention.",
            "The prompt mentions @Image2, but only 1 reference image is given. Add reference image 2 or change the mention."
        ]
    );
    let warn = issues.iter().find(|i| i.field == "elements[1]").unwrap();
    assert_eq!(warn.severity, Severity::Warning);
    assert_eq!(
        warn.message,
        "Element 2 is never mentioned in the prompt; write @Element2 where it should appear, or remove it."
    );
    let warn = issues.iter().find(|i| i.field == "image_urls[0]").unwrap();
    assert_eq!(warn.severity, Severity::Warning);
    assert_eq!(
        warn.message,
        "Reference image 1 is never mentioned in the prompt; write @Image1 where it should be used, or remove it."
    );
}

#[test]
fn kling_each_element_needs_a_frontal_image_and_one_to_four_references() {
    let m = model("fal-ai/kling-video/o1/standard/reference-to-video");
    let five: Vec<String> = (0..5).map(|i| format!("https://x.test/{i}.png")).collect();
    let s = kling_state(
        &m,
        "@Element1 and @Element2",
        json!([{"reference_image_urls": ["https://x.test/r.png"]},
            {"frontal_image_url": "https://x.test/f.png", "reference_image_urls": five}]),
        json!([]),
    );
    let issues = validate(&m, &s);
    assert_eq!(
        messages(&issues, "elements[0].frontal_image_url"),
        ["Element 1 needs a frontal image: a clear front view of the character or object."],
        "the rule's message replaces the generic 'required' one"
    );
    assert_eq!(
        messages(&issues, "elements[1].reference_image_urls"),
        [
            "Element 2 needs 1 to 4 reference images (other angles of the same subject); it has 5; remove 1."
        ]
    );
    let s = kling_state(
        &m,
        "@Element1",
        json!([{"frontal_image_url": "https://x.test/f.png"}]),
        json!([]),
    );
    assert_eq!(
        messages(&validate(&m, &s), "elements[0].reference_image_urls"),
        [
            "Element 1 needs 1 to 4 reference images (other angles of the same subject); it has none; add at least one."
        ]
    );
}

#[test]
fn veo_reference_to_video_wants_one_to_three_subject_images() {
    let m = model("fal-ai/veo3.1/reference-to-video");
    let s = FormState::from_input_json(
        &m,
        &json!({"prompt": "p", "image_urls": ["https://x.test/1.png", "https://x.test/2.png",
            "https://x.test/3.png", "https://x.test/4.png", "https://x.test/5.png"]}),
    )
    .unwrap();
    let issues = validate(&m, &s);
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].severity, Severity::Warning);
    assert_eq!(
        issues[0].message,
        "Veo 3.1 uses 1 to 3 subject images; you gave 5, so the last 2 may be ignored. Keep the 3 that show the subject best."
    );
    let s = FormState::from_input_json(&m, &json!({"prompt": "p"})).unwrap();
    assert_eq!(
        messages(&validate(&m, &s), "image_urls"),
        ["Reference-to-video needs at least one subject image: add 1 to 3 photos of the subject."]
    );
}

#[test]
fn veo_extend_video_is_seven_seconds_at_720p() {
    let m = model("fal-ai/veo3.1/fast/extend-video");
    let s = FormState {
        values: [
            ("prompt".to_string(), FieldValue::Text("go on".into())),
            (
                "video_url".to_string(),
                FieldValue::Media(MediaRef::Url("https://x.test/c.mp4".into())),
            ),
            ("duration".to_string(), FieldValue::Text("8s".into())),
            ("resolution".to_string(), FieldValue::Text("1080p".into())),
        ]
        .into_iter()
        .collect(),
    };
    let issues = validate(&m, &s);
    assert_eq!(
        messages(&issues, "duration"),
        ["Extend-video always adds 7 seconds; set Duration to 7s (it is 8s)."]
    );
    assert_eq!(
        messages(&issues, "resolution"),
        ["Extend-video works at 720p only; set Resolution to 720p (it is 1080p)."]
    );
}

#[test]
fn veo_warns_that_frames_other_than_16_9_or_9_16_are_cropped() {
    let dir = tempfile::tempdir().unwrap();
    let square = png(dir.path(), "square.png", 300, 300);
    let wide = png(dir.path(), "wide.png", 1280, 720);
    let m = model("fal-ai/veo3.1/first-last-frame-to-video");
    let mut s = FormState::from_defaults(&m);
    set(&mut s, &m, "prompt", "p");
    set(
        &mut s,
        &m,
        "first_frame_url",
        &format!("@{}", wide.display()),
    );
    set(
        &mut s,
        &m,
        "last_frame_url",
        &format!("@{}", square.display()),
    );
    let issues = validate(&m, &s);
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].field, "last_frame_url");
    assert_eq!(issues[0].severity, Severity::Warning);
    assert_eq!(
        issues[0].message,
        "Last Frame URL: the image is 300×300, not 16:9 or 9:16, so Veo 3.1 will crop it to fit. Crop it yourself to choose what stays."
    );
}

#[test]
fn video_as_prompt_needs_motion_video_and_image_and_frame_limits() {
    let m = model("fal-ai/video-as-prompt");
    let s = FormState::from_input_json(
        &m,
        &json!({"prompt": "p", "video_description": "d", "num_frames": 120, "fps": 0}),
    )
    .unwrap();
    let issues = validate(&m, &s);
    assert_eq!(
        messages(&issues, "num_frames"),
        ["Video-as-prompt takes 1 to 100 frames; 120 is outside that range."]
    );
    assert_eq!(
        messages(&issues, "fps"),
        ["Video-as-prompt takes 1 to 60 frames per second; 0 is outside that range."]
    );
    assert_eq!(
        messages(&issues, "video_url"),
        ["Video-as-prompt needs a motion video: add the clip whose motion should be copied."]
    );
    assert_eq!(
        messages(&issues, "image_url"),
        ["Video-as-prompt needs an image: add the picture that should move like the video."]
    );
}

// ---------- cost ----------

#[test]
fn cost_estimates_follow_the_dated_price_table() {
    let est = |id: &str, p: Value| cost::estimate(id, &p);
    let e = est(
        "fal-ai/veo3.1/image-to-video",
        json!({"duration": "8s", "generate_audio": true}),
    )
    .unwrap();
    assert!((e.usd - 3.20).abs() < 1e-9);
    assert_eq!(e.price_date, cost::PRICE_DATE);
    assert_eq!(e.basis, "8 s × $0.40/s (Veo 3.1, 720p, with audio)");
    assert!(e.to_string().starts_with("about $3.20"), "{e}");
    let e = est(
        "fal-ai/veo3.1",
        json!({"duration": "4s", "generate_audio": false}),
    )
    .unwrap();
    assert!((e.usd - 0.80).abs() < 1e-9);
    let e = est(
        "fal-ai/veo3.1/reference-to-video",
        json!({"resolution": "4k"}),
    )
    .unwrap();
    assert!((e.usd - 8.0 * 0.60).abs() < 1e-9, "defaults: 8s with audio");
    let e = est(
        "fal-ai/veo3.1/extend-video",
        json!({"resolution": "4k", "generate_audio": false}),
    );
    assert!((e.unwrap().usd - 7.0 * 0.40).abs() < 1e-9);
    let e = est(
        "fal-ai/veo3.1/fast/first-last-frame-to-video",
        json!({"duration": "6s"}),
    )
    .unwrap();
    assert!((e.usd - 0.90).abs() < 1e-9);
    let e = est(
        "fal-ai/veo3.1/fast/first-last-frame-to-video",
        json!({"generate_audio": false}),
    );
    assert!((e.unwrap().usd - 0.80).abs() < 1e-9);
    let e = est(
        "fal-ai/kling-video/o1/standard/reference-to-video",
        json!({"duration": "10"}),
    )
    .unwrap();
    assert!((e.usd - 1.12).abs() < 1e-9);
    assert_eq!(e.basis, "10 s × $0.112/s (Kling O1)");
    assert!(
        est(
            "fal-ai/veo3.1/fast/first-last-frame-to-video",
            json!({"resolution": "4k"})
        )
        .is_none()
    );
    assert!(est("fal-ai/video-as-prompt", json!({})).is_none());
    assert!(
        est(
            "fal-ai/kling-video/o1/reference-to-video",
            json!({"duration": "5"})
        )
        .is_none()
    );
    assert!(
        est(
            "fal-ai/veo3.1/fast/image-to-video",
            json!({"duration": "8s"})
        )
        .is_none()
    );
}
